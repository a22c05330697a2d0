//! Reading the files the spec names, as the spec uses them: manifests and component files
//! (objects to apply), patches, and Helm values files. Confining each path to the spec directory
//! is [`super::files`]'s; parsing the YAML is [`super::manifests`]'s.
//!
//! A path the spec names more than once (the same spelling, by several apps or clusters) is read
//! and parsed once: the [`FileCache`] keeps what it holds, parsed and shared, for the rest of
//! resolve. A path named once is not kept, so the cache costs no memory where it saves no work.
//! Each use still reports the file's problems at its own node, as if read alone.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use miette::SourceSpan;

use crate::kustomize_dir;
use crate::layout;
use crate::model::{SourceFile, Target};
use crate::parse::syntax::{self, Spanned};
use crate::text::and_list;

use super::kustomize_dirs;
use super::manifests::{self, Manifest, Origin};
use super::sops::{self, Encryption};
use super::{Error, FileError, Resolver};

/// What the files a path names are to kustomize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    /// Objects to apply: manifests and component files.
    Resources,
    /// Patches of those objects.
    Patches,
}

/// The files a path names, as copied to the output, and those of them that parse as YAML.
pub(super) struct ReadFiles {
    pub(super) files: Vec<SourceFile>,
    pub(super) manifests: Vec<Rc<Manifest>>,
}

/// A parsed file with the spec node that names it.
#[derive(Debug)]
pub(super) struct ParsedFile {
    pub(super) span: SourceSpan,
    pub(super) manifest: Rc<Manifest>,
}

impl ParsedFile {
    pub(super) fn origin(&self) -> Origin<'_> {
        Origin {
            span: self.span,
            manifest: &self.manifest,
        }
    }
}

/// A parsed patch file with the target the spec gives it, if any.
#[derive(Debug)]
pub(super) struct ParsedPatch {
    pub(super) file: ParsedFile,
    pub(super) target: Option<Target>,
}

/// A Helm values file: its content (a mapping) and its text.
#[derive(Clone)]
pub(super) struct ValuesFile {
    pub(super) content: serde_json::Value,
    pub(super) text: Rc<str>,
}

/// What a manifest or patch file holds, whoever names it.
enum Content {
    /// Parsed, or SOPS-encrypted (then not parsed: [`Manifest::encrypted`]).
    Manifest(Rc<Manifest>),
    /// A SOPS-encrypted file without its MAC.
    MissingMac,
    /// Not YAML: why.
    NotYaml(String),
}

impl Content {
    fn of(shown: &str, bytes: &[u8]) -> Self {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        match sops::encryption(text) {
            Encryption::Plain => match Manifest::parse(shown.to_owned(), bytes) {
                Ok(manifest) => Content::Manifest(Rc::new(manifest)),
                Err(reason) => Content::NotYaml(reason),
            },
            Encryption::Encrypted => {
                Content::Manifest(Rc::new(Manifest::encrypted(shown.to_owned())))
            }
            Encryption::MissingMac => Content::MissingMac,
        }
    }
}

/// The files of the paths the spec names more than once, read and parsed once each. A file that
/// cannot be read is not kept: each use reads it again and reports it at its own node.
#[derive(Default)]
pub(super) struct FileCache {
    /// The paths, as the spec writes them, that more than one node names.
    named_again: HashSet<String>,
    /// What each of those paths reads to, as [`super::files::SpecDir::read`] gives it.
    reads: HashMap<String, Rc<[(String, SourceFile)]>>,
    /// The content of each file read through those paths, by its path as shown.
    contents: HashMap<String, Rc<Content>>,
    /// Each of those paths read as a values file: its content, or why it is not values.
    values: HashMap<String, Rc<Result<ValuesFile, String>>>,
}

impl FileCache {
    /// A cache for the files `spec` names more than once.
    pub(super) fn new(spec: &syntax::Spec) -> Self {
        let mut seen = HashSet::new();
        let mut named_again = HashSet::new();
        let components = spec.components.iter().flat_map(|component| {
            let patches = component.patches.iter().map(|patch| &patch.path);
            component.path.iter().chain(patches)
        });
        let apps = spec.apps.iter().flat_map(|app| {
            let values = app
                .helm
                .iter()
                .flat_map(|helm| helm.values.iter().map(|values| &values.path));
            let clusters = app.per_cluster.iter().flat_map(|block| {
                let patches = block.patches.iter().map(|patch| &patch.path);
                patches.chain(&block.manifests)
            });
            app.manifests.iter().chain(values).chain(clusters)
        });
        for path in components.chain(apps) {
            if !seen.insert(path.as_str()) {
                named_again.insert(path.value.clone());
            }
        }
        Self {
            named_again,
            ..Self::default()
        }
    }

    fn is_kept(&self, path: &str) -> bool {
        self.named_again.contains(path)
    }
}

impl Resolver {
    fn read(&mut self, path: &Spanned<String>) -> Vec<(String, SourceFile)> {
        if let Some(read) = self.file_cache.reads.get(&path.value) {
            return read.to_vec();
        }
        match self.dir.read(path) {
            Ok(read) => {
                if self.file_cache.is_kept(&path.value) {
                    self.file_cache
                        .reads
                        .insert(path.value.clone(), read.as_slice().into());
                }
                read
            }
            Err(error) => {
                self.errors.push(error.into());
                Vec::new()
            }
        }
    }

    /// The content of a file read through `path`, parsed once if the spec names `path` again.
    fn content(&mut self, path: &str, shown: &str, bytes: &[u8]) -> Rc<Content> {
        if !self.file_cache.is_kept(path) {
            return Rc::new(Content::of(shown, bytes));
        }
        Rc::clone(
            self.file_cache
                .contents
                .entry(shown.to_owned())
                .or_insert_with(|| Rc::new(Content::of(shown, bytes))),
        )
    }

    /// Reads manifest or patch files and parses them; a file that is not YAML is reported and
    /// left out of the substitution checks, and so is a SOPS-encrypted one, which is not
    /// parsed. In `resources` (not patches), each document must be an object Flux can apply. A
    /// directory holding a kustomization file is a kustomize directory: copied whole, and only
    /// the files its kustomization applies are checked (the named directory itself may be one;
    /// its files are then copied into a directory of its name).
    pub(super) fn read_manifests(&mut self, path: &Spanned<String>, kind: FileKind) -> ReadFiles {
        self.read_manifests_except(path, kind, &[])
    }

    /// [`Self::read_manifests`] without the files at `except` (paths from the spec directory, as
    /// the spec writes them), which are not read at all: the patches a component keeps in its
    /// own directory are not among its resources.
    pub(super) fn read_manifests_except(
        &mut self,
        path: &Spanned<String>,
        kind: FileKind,
        except: &[&str],
    ) -> ReadFiles {
        let mut read = self.read(path);
        read.retain(|(shown, _)| !except.contains(&shown.as_str()));
        let checked = if kind == FileKind::Resources {
            self.kustomize_dirs(path, &mut read)
        } else {
            None
        };
        let mut files = Vec::new();
        let mut manifests = Vec::new();
        for (shown, file) in read {
            if checked
                .as_ref()
                .is_some_and(|checked| !checked.contains(&file.name))
            {
                files.push(file);
                continue;
            }
            match &*self.content(&path.value, &shown, &file.bytes) {
                Content::Manifest(manifest) => {
                    if manifest.encrypted {
                        self.encrypted_files.insert(shown);
                    } else if kind == FileKind::Resources && file.name != layout::KUSTOMIZATION_FILE
                    {
                        // A copied kustomization is a collision, reported as such.
                        for not_object in &manifest.not_objects {
                            self.errors.push(
                                FileError::NotAnObject {
                                    location: not_object.location.clone(),
                                    reason: not_object.reason.clone(),
                                    span: path.span,
                                }
                                .into(),
                            );
                        }
                    }
                    manifests.push(Rc::clone(manifest));
                }
                Content::MissingMac => self.errors.push(Error::SopsMacMissing {
                    path: shown,
                    span: path.span,
                }),
                Content::NotYaml(reason) => self.errors.push(
                    FileError::InvalidYaml {
                        path: shown,
                        reason: reason.clone(),
                        span: path.span,
                    }
                    .into(),
                ),
            }
            files.push(file);
        }
        ReadFiles { files, manifests }
    }

    /// When the tree `read` holds kustomize directories: the names of the files to check (those
    /// outside any, and those each one applies). A kustomization at the top of the named
    /// directory puts every file into a directory named like it.
    fn kustomize_dirs(
        &mut self,
        path: &Spanned<String>,
        read: &mut [(String, SourceFile)],
    ) -> Option<BTreeSet<String>> {
        let at_top = read
            .iter()
            .any(|(_, file)| kustomize_dir::KUSTOMIZATION_FILES.contains(&file.name.as_str()));
        let named_dir = path.value.trim_end_matches('/');
        let shown_root = if at_top {
            let dir_name = named_dir.rsplit('/').next().unwrap_or(named_dir);
            for (_, file) in read.iter_mut() {
                file.name = format!("{dir_name}/{}", file.name);
            }
            named_dir.rsplit_once('/').map_or("", |(parent, _)| parent)
        } else {
            named_dir
        };
        let files: Vec<SourceFile> = read.iter().map(|(_, file)| file.clone()).collect();
        let names: BTreeSet<&str> = files.iter().map(|file| file.name.as_str()).collect();
        let dirs: BTreeSet<&str> = files
            .iter()
            .filter_map(|file| kustomize_dir::dir_of(&file.name, &names))
            .collect();
        if dirs.is_empty() {
            return None;
        }
        let mut checked: BTreeSet<String> = files
            .iter()
            .filter(|file| kustomize_dir::dir_of(&file.name, &names).is_none())
            .map(|file| file.name.clone())
            .collect();
        for dir in dirs {
            match kustomize_dirs::applied_files(dir, &files, shown_root, path.span) {
                Ok(applied) => checked.extend(applied),
                Err(errors) => self.errors.extend(errors),
            }
        }
        Some(checked)
    }

    /// Reports files copied into one directory whose names clash with each other or with the
    /// files fluxspec writes there (`written`).
    pub(super) fn no_collisions<'a>(
        &mut self,
        files: impl IntoIterator<Item = &'a SourceFile>,
        written: &[&str],
        span: SourceSpan,
    ) {
        let mut names: BTreeSet<&str> = written.iter().copied().collect();
        for file in files {
            if !names.insert(&file.name) {
                self.errors.push(Error::FileCollision {
                    name: file.name.clone(),
                    span,
                    help: format!(
                        "rename one of them; fluxspec writes {} in this directory",
                        and_list(written.iter().copied())
                    ),
                });
            }
        }
    }

    /// Reads a values file: its content must be one YAML mapping.
    pub(super) fn values(&mut self, path: &Spanned<String>) -> Option<ValuesFile> {
        let values = if let Some(values) = self.file_cache.values.get(&path.value) {
            Rc::clone(values)
        } else {
            let (_, file) = self
                .dir
                .read_file(path)
                .map_err(|error| self.errors.push(error.into()))
                .ok()?;
            let values = values_of(file.bytes);
            if !self.file_cache.is_kept(&path.value) {
                return values
                    .map_err(|reason| self.errors.push(invalid_values(path, reason)))
                    .ok();
            }
            let values = Rc::new(values);
            self.file_cache
                .values
                .insert(path.value.clone(), Rc::clone(&values));
            values
        };
        match &*values {
            Ok(values) => Some(values.clone()),
            Err(reason) => {
                self.errors.push(invalid_values(path, reason.clone()));
                None
            }
        }
    }
}

/// A values file's content, or why it is not one YAML mapping.
fn values_of(bytes: Vec<u8>) -> Result<ValuesFile, String> {
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_owned())?;
    match serde_saphyr::from_str_with_options::<serde_json::Value>(&text, manifests::yaml_options())
    {
        Ok(content @ serde_json::Value::Object(_)) => Ok(ValuesFile {
            content,
            text: text.into(),
        }),
        Ok(_) => Err("the top level is not a mapping".to_owned()),
        Err(error) => Err(manifests::yaml_error(&error)),
    }
}

fn invalid_values(path: &Spanned<String>, reason: String) -> Error {
    FileError::InvalidValues {
        path: path.value.clone(),
        reason,
        span: path.span,
    }
    .into()
}

//! Reading the files the spec names, as the spec uses them: manifests and component files
//! (objects to apply), patches, and Helm values files. Confining each path to the spec directory
//! is [`super::files`]'s; parsing the YAML is [`super::manifests`]'s.

use std::collections::BTreeSet;

use miette::SourceSpan;

use crate::kustomize_dir;
use crate::layout;
use crate::model::{SourceFile, Target};
use crate::parse::syntax::Spanned;
use crate::text::and_list;

use super::kustomize_dirs;
use super::manifests::{self, Manifest, Origin};
use super::sops::{self, Encryption};
use super::{Error, Resolver};

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
    pub(super) manifests: Vec<Manifest>,
}

/// A parsed file with the spec node that names it.
#[derive(Debug)]
pub(super) struct ParsedFile {
    pub(super) span: SourceSpan,
    pub(super) manifest: Manifest,
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
pub(super) struct ValuesFile {
    pub(super) content: serde_json::Value,
    pub(super) text: String,
}

impl Resolver {
    fn read(&mut self, path: &Spanned<String>) -> Vec<(String, SourceFile)> {
        self.dir.read(path).unwrap_or_else(|error| {
            self.errors.push(error);
            Vec::new()
        })
    }

    /// Reads manifest or patch files and parses them; a file that is not YAML is reported and
    /// left out of the substitution checks, and so is a SOPS-encrypted one, which is not
    /// parsed. In `resources` (not patches), each document must be an object Flux can apply. A
    /// directory holding a kustomization file is a kustomize directory: copied whole, and only
    /// the files its kustomization applies are checked (the named directory itself may be one;
    /// its files are then copied into a directory of its name).
    pub(super) fn read_manifests(&mut self, path: &Spanned<String>, kind: FileKind) -> ReadFiles {
        let mut read = self.read(path);
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
            let text = std::str::from_utf8(&file.bytes).unwrap_or_default();
            match sops::encryption(text) {
                Encryption::Plain => {}
                Encryption::Encrypted => {
                    manifests.push(Manifest::encrypted(shown));
                    files.push(file);
                    continue;
                }
                Encryption::MissingMac => {
                    self.errors.push(Error::SopsMacMissing {
                        path: shown,
                        span: path.span,
                    });
                    files.push(file);
                    continue;
                }
            }
            match Manifest::parse(shown.clone(), &file.bytes) {
                Ok(manifest) => {
                    // A copied kustomization is a collision, reported as such.
                    if kind == FileKind::Resources && file.name != layout::KUSTOMIZATION_FILE {
                        for not_object in &manifest.not_objects {
                            self.errors.push(Error::NotAnObject {
                                location: not_object.location.clone(),
                                reason: not_object.reason.clone(),
                                span: path.span,
                            });
                        }
                    }
                    manifests.push(manifest);
                }
                Err(reason) => self.errors.push(Error::InvalidYaml {
                    path: shown,
                    reason,
                    span: path.span,
                }),
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
        let (_, file) = self
            .dir
            .read_file(path)
            .map_err(|error| self.errors.push(error))
            .ok()?;
        let invalid = |reason: String| Error::InvalidValues {
            path: path.value.clone(),
            reason,
            span: path.span,
        };
        let Ok(text) = String::from_utf8(file.bytes) else {
            self.errors.push(invalid("it is not UTF-8".to_owned()));
            return None;
        };
        match serde_saphyr::from_str_with_options::<serde_json::Value>(
            &text,
            manifests::yaml_options(),
        ) {
            Ok(content @ serde_json::Value::Object(_)) => Some(ValuesFile { content, text }),
            Ok(_) => {
                self.errors
                    .push(invalid("the top level is not a mapping".to_owned()));
                None
            }
            Err(error) => {
                self.errors.push(invalid(manifests::yaml_error(&error)));
                None
            }
        }
    }
}

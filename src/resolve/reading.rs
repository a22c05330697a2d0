//! Reading the files the spec names, as the spec uses them: manifests and component files
//! (objects to apply), patches, and Helm values files. Confining each path to the spec directory
//! is [`super::files`]'s; parsing the YAML is [`super::manifests`]'s.

use std::collections::BTreeSet;

use miette::SourceSpan;

use crate::layout;
use crate::model::{SourceFile, Target};
use crate::parse::syntax::Spanned;
use crate::text::and_list;

use super::manifests::{self, Manifest, Origin};
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
    /// left out of the substitution checks. In `resources` (not patches), each document must
    /// be an object Flux can apply.
    pub(super) fn read_manifests(&mut self, path: &Spanned<String>, kind: FileKind) -> ReadFiles {
        let mut files = Vec::new();
        let mut manifests = Vec::new();
        for (shown, file) in self.read(path) {
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

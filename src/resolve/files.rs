//! Reading the files a spec references, confined to the spec directory.
//!
//! A path may name a file or a directory (read recursively, in name order, keeping only YAML and
//! JSON files, following symlinks). Paths are relative to the spec directory and may not leave it:
//! no absolute paths, no `..`, no symlink, named or met in a directory, that resolves outside.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::Error;
use crate::model::SourceFile;
use crate::parse::syntax::Spanned;

/// The largest file fluxspec reads; anything bigger is surely a mistake.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(super) struct SpecDir {
    root: PathBuf,
}

impl SpecDir {
    pub(super) fn new(root: &Path) -> Self {
        // Canonical, so symlink escapes can be detected by prefix; the root itself was already
        // read (the spec file is in it), so failing here would be a race we can ignore.
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        Self { root }
    }

    /// The checked absolute path of a spec-relative path.
    fn locate(&self, path: &Spanned<String>) -> Result<PathBuf, Error> {
        let relative = Path::new(path.as_str());
        let escapes = relative.components().any(|component| {
            matches!(
                component,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
        if escapes || path.value.is_empty() {
            return Err(Error::PathEscapes {
                path: path.value.clone(),
                span: path.span,
            });
        }
        let joined = self.root.join(relative);
        let canonical = joined.canonicalize().map_err(|_| Error::FileNotFound {
            path: path.value.clone(),
            span: path.span,
        })?;
        if !canonical.starts_with(&self.root) {
            return Err(Error::PathEscapes {
                path: path.value.clone(),
                span: path.span,
            });
        }
        Ok(canonical)
    }

    /// Reads one file, or every YAML/JSON file under a directory. Names are relative to the
    /// directory, or the file's own name. Each file comes with its path relative to the spec
    /// directory, for messages.
    pub(super) fn read(&self, path: &Spanned<String>) -> Result<Vec<(String, SourceFile)>, Error> {
        let location = self.locate(path)?;
        if location.is_file() {
            let name = location
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok(vec![(
                path.value.clone(),
                read_file(&location, name, path)?,
            )]);
        }
        let mut files = Vec::new();
        // Symlinks are followed, so a linked file is read like any other; each file's target is
        // then checked to be inside the spec directory, as for a path named directly.
        for entry in walkdir::WalkDir::new(&location)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|error| Error::Unreadable {
                path: path.value.clone(),
                reason: error.to_string(),
                span: path.span,
            })?;
            let is_manifest = entry.path().extension().is_some_and(|extension| {
                matches!(extension.to_str(), Some("yaml" | "yml" | "json"))
            });
            if !entry.file_type().is_file() || !is_manifest {
                continue;
            }
            // Forward slashes on every platform: the name becomes a kustomize resource path.
            let name = entry
                .path()
                .strip_prefix(&location)
                .unwrap_or(entry.path())
                .components()
                .map(|component| component.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let shown = format!("{}/{name}", path.value.trim_end_matches('/'));
            let canonical = entry
                .path()
                .canonicalize()
                .map_err(|_| Error::FileNotFound {
                    path: shown.clone(),
                    span: path.span,
                })?;
            if !canonical.starts_with(&self.root) {
                return Err(Error::PathEscapes {
                    path: shown,
                    span: path.span,
                });
            }
            files.push((shown, read_file(&canonical, name, path)?));
        }
        if files.is_empty() {
            return Err(Error::EmptyDirectory {
                path: path.value.clone(),
                span: path.span,
            });
        }
        Ok(files)
    }
}

fn read_file(location: &Path, name: String, path: &Spanned<String>) -> Result<SourceFile, Error> {
    let unreadable = |reason: String| Error::Unreadable {
        path: path.value.clone(),
        reason,
        span: path.span,
    };
    let size = fs::metadata(location)
        .map_err(|error| unreadable(error.to_string()))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(unreadable(format!(
            "it is {size} bytes, more than the {MAX_FILE_BYTES} fluxspec reads"
        )));
    }
    let bytes = fs::read(location).map_err(|error| unreadable(error.to_string()))?;
    Ok(SourceFile { name, bytes })
}

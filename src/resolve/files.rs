//! Reading the files a spec references, confined to the spec directory.
//!
//! A path may name a file or a directory (read recursively, in name order, keeping only YAML and
//! JSON files, following symlinks). Paths are relative to the spec directory and may not leave it:
//! no absolute paths, no `..`, no symlink, named or met in a directory, that resolves outside.
//! Only regular files are read, each through [`input::read_capped`], and each must be UTF-8 text.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use miette::SourceSpan;

use super::FileError;
use crate::input::{self, FileKind, ReadFailure};
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
    fn locate(&self, path: &Spanned<String>) -> Result<PathBuf, FileError> {
        let relative = Path::new(path.as_str());
        let escapes = relative.components().any(|component| {
            matches!(
                component,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
        if escapes || path.value.is_empty() {
            return Err(FileError::PathEscapes {
                path: path.value.clone(),
                span: path.span,
            });
        }
        let joined = self.root.join(relative);
        let canonical =
            joined
                .canonicalize()
                .map_err(|error| match file_in_the_way(&self.root, relative) {
                    Some(file) if error.kind() == io::ErrorKind::NotADirectory => {
                        FileError::FileInTheWay {
                            path: path.value.clone(),
                            file,
                            span: path.span,
                        }
                    }
                    _ => FileError::FileNotFound {
                        path: path.value.clone(),
                        span: path.span,
                    },
                })?;
        // Before the confinement check: `/dev/zero` behind a symlink is a device first.
        if let Some(kind) = fs::metadata(&canonical)
            .ok()
            .and_then(|metadata| FileKind::of(metadata.file_type()))
            .filter(|&kind| kind != FileKind::Directory)
        {
            return Err(not_a_regular_file(&path.value, kind, path.span));
        }
        if !canonical.starts_with(&self.root) {
            return Err(FileError::PathEscapes {
                path: path.value.clone(),
                span: path.span,
            });
        }
        Ok(canonical)
    }

    /// Reads one file, where a directory is not allowed (a values file).
    pub(super) fn read_file(
        &self,
        path: &Spanned<String>,
    ) -> Result<(String, SourceFile), FileError> {
        let location = self.locate(path)?;
        if location.is_dir() {
            return Err(not_a_regular_file(
                &path.value,
                FileKind::Directory,
                path.span,
            ));
        }
        let name = location
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((path.value.clone(), read_file(&location, name, path)?))
    }

    /// Reads one file, or every YAML/JSON file under a directory. Names are relative to the
    /// directory, or the file's own name. Each file comes with its path relative to the spec
    /// directory, for messages.
    pub(super) fn read(
        &self,
        path: &Spanned<String>,
    ) -> Result<Vec<(String, SourceFile)>, FileError> {
        let location = self.locate(path)?;
        if !location.is_dir() {
            return Ok(vec![self.read_file(path)?]);
        }
        let mut files = Vec::new();
        // Symlinks are followed, so a linked file is read like any other; each file's target is
        // then checked to be inside the spec directory, as for a path named directly.
        for entry in walkdir::WalkDir::new(&location)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|error| FileError::Unreadable {
                path: path.value.clone(),
                reason: error.to_string(),
                span: path.span,
            })?;
            let is_manifest = entry.path().extension().is_some_and(|extension| {
                matches!(extension.to_str(), Some("yaml" | "yml" | "json"))
            });
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
            // A named pipe or device among the manifests is refused, not skipped: it was meant to
            // be read. (The walk follows symlinks, so this is the kind of a link's target.)
            let kind = FileKind::of(entry.file_type())
                .filter(|kind| !matches!(kind, FileKind::Directory | FileKind::Symlink));
            if let (Some(kind), true) = (kind, is_manifest) {
                return Err(not_a_regular_file(&shown, kind, path.span));
            }
            if !entry.file_type().is_file() || !is_manifest {
                continue;
            }
            let canonical = entry
                .path()
                .canonicalize()
                .map_err(|_| FileError::FileNotFound {
                    path: shown.clone(),
                    span: path.span,
                })?;
            if !canonical.starts_with(&self.root) {
                return Err(FileError::PathEscapes {
                    path: shown,
                    span: path.span,
                });
            }
            files.push((shown, read_file(&canonical, name, path)?));
        }
        if files.is_empty() {
            return Err(FileError::EmptyDirectory {
                path: path.value.clone(),
                span: path.span,
            });
        }
        Ok(files)
    }
}

fn read_file(
    location: &Path,
    name: String,
    path: &Spanned<String>,
) -> Result<SourceFile, FileError> {
    let bytes = input::read_capped(location, MAX_FILE_BYTES).map_err(|failure| match failure {
        ReadFailure::NotAFile(kind) => not_a_regular_file(&path.value, kind, path.span),
        ReadFailure::TooLarge { size } => FileError::Unreadable {
            path: path.value.clone(),
            reason: format!(
                "it is {size} bytes or more, more than the {MAX_FILE_BYTES} fluxspec reads"
            ),
            span: path.span,
        },
        ReadFailure::Io(error) => FileError::Unreadable {
            path: path.value.clone(),
            reason: error.to_string(),
            span: path.span,
        },
    })?;
    // Every file a spec names is YAML or JSON: text. Said here, once, for all of them.
    if let Err(at) = std::str::from_utf8(&bytes) {
        let at = input::utf8_position(&bytes, at.valid_up_to());
        return Err(FileError::NotText {
            path: path.value.clone(),
            line: at.line,
            column: at.column,
            span: path.span,
        });
    }
    Ok(SourceFile { name, bytes })
}

fn not_a_regular_file(path: &str, kind: FileKind, span: SourceSpan) -> FileError {
    FileError::NotARegularFile {
        path: path.to_owned(),
        kind,
        help: match kind {
            FileKind::Directory => "name a file here, not a directory".to_owned(),
            _ => format!(
                "replace it with a regular file: fluxspec never reads {kind}, which could block \
                 or never end"
            ),
        },
        span,
    }
}

/// The first component of `relative` under `root` that is a file, when a path goes through one
/// (`apps/x/deployment.yaml/more.yaml`).
fn file_in_the_way(root: &Path, relative: &Path) -> Option<String> {
    let mut current = root.to_path_buf();
    let mut shown = PathBuf::new();
    for component in relative.components() {
        current.push(component);
        shown.push(component);
        if current.is_file() {
            return Some(shown.display().to_string());
        }
    }
    None
}

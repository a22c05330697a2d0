//! The output directory's safety checks: which directories may be an output directory at all,
//! and that no path written or read under it goes through a symlink or a non-directory.

use std::fs;
use std::io;
use std::path::{Component, Path};

use super::{Session, SyncError, io_error};

/// Refuses output directories where a prune or a write could hurt: the filesystem root, the
/// home directory, a directory holding the spec or inside the spec directory, a path through `..`.
pub(crate) fn check_output_dir(out_dir: &Path, spec_path: &Path) -> Result<(), SyncError> {
    let refuse = |reason| SyncError::UnsafeOutput {
        path: out_dir.display().to_string(),
        reason,
    };
    if out_dir
        .components()
        .any(|component| component == Component::ParentDir)
    {
        return Err(refuse("it goes through `..`"));
    }
    let absolute = out_dir
        .canonicalize()
        .or_else(|_| std::path::absolute(out_dir))
        .map_err(io_error("resolve", out_dir))?;
    if absolute.parent().is_none() {
        return Err(refuse("it is the filesystem root"));
    }
    // `absolute` is canonical, so compare it with the home directory's canonical path too.
    if std::env::home_dir().is_some_and(|home| {
        home == absolute || home.canonicalize().is_ok_and(|home| home == absolute)
    }) {
        return Err(refuse("it is the home directory"));
    }
    let spec = spec_path
        .canonicalize()
        .unwrap_or_else(|_| spec_path.to_path_buf());
    if spec.starts_with(&absolute) {
        return Err(refuse("it contains the spec"));
    }
    // The next compile would read the output as the spec's manifests.
    if spec
        .parent()
        .is_some_and(|spec_dir| absolute.starts_with(spec_dir))
    {
        return Err(refuse("it is inside the spec directory"));
    }
    Ok(())
}

impl Session {
    /// Refuses a path inside the output directory that goes through a symlink or a non-directory.
    pub(super) fn check_parents(&self, path: &str) -> Result<(), SyncError> {
        let mut current = self.root.clone();
        let parts: Vec<&str> = path.split('/').collect();
        // `path[..end]` is `current` relative to the root.
        let mut end = 0;
        for part in &parts[..parts.len().saturating_sub(1)] {
            current.push(part);
            end += part.len();
            let relative = &path[..end];
            end += 1;
            if self.is_known_dir(relative) {
                continue;
            }
            match fs::symlink_metadata(&current) {
                Ok(metadata) if metadata.is_dir() => self.add_known_dir(relative),
                Ok(_) => {
                    return Err(SyncError::NotAFile {
                        path: current.display().to_string(),
                        listed: String::new(),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(error) => return Err(io_error("inspect", &current)(error)),
            }
        }
        Ok(())
    }
}

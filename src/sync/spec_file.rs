//! Writing the spec file itself, for commands that edit it (`promote`, `fmt`).
//!
//! An [`atomic::write`] with the [`Policy::SOURCE`] policy: a kill at any instant leaves either
//! the old spec or the new one, whole; the file keeps its permissions, and a symlinked spec is
//! written through to its target rather than replaced by a regular file.

use std::path::Path;

use super::SyncError;
use super::atomic::{self, Policy};

/// Replaces the content of the spec file at `path` with `text`, atomically.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), SyncError> {
    Ok(atomic::write(path, text.as_bytes(), Policy::SOURCE)?)
}

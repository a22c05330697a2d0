//! Writing the spec file itself, for commands that edit it (`promote`).
//!
//! The new text goes to a temp file beside the spec and is renamed over it, so a kill at any
//! instant leaves either the old spec or the new one, whole. The file keeps its permissions, and
//! a symlinked spec is written through to its target rather than replaced by a regular file.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::{SyncError, io_error};

/// Replaces the content of the spec file at `path` with `text`, atomically.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), SyncError> {
    let target = fs::canonicalize(path).map_err(io_error("resolve", path))?;
    let permissions = fs::metadata(&target)
        .map_err(io_error("read the metadata of", &target))?
        .permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".fluxspec-spec-")
        .tempfile_in(dir)
        .map_err(io_error("create a temp file in", dir))?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(io_error("write", temp.path()))?;
    fs::set_permissions(temp.path(), permissions)
        .map_err(io_error("set the permissions of", temp.path()))?;
    temp.persist(&target)
        .map_err(|error| io_error("replace", &target)(error.error))?;
    Ok(())
}

//! Writing a new directory of files that did not exist, for `fluxspec import`: the spec and the
//! files it names. The directory itself is created with `create_dir`, which fails if it exists,
//! so nothing is ever overwritten even if it appeared since the caller checked; each file is an
//! [`atomic::write`] with the [`Policy::SOURCE`] policy.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::atomic::{self, Policy};
use super::{SyncError, io_error};

/// Creates `root` (its parent must exist or is created) and writes `files` (paths relative to
/// `root`, `/`-separated) into it.
pub(crate) fn write(root: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), SyncError> {
    if let Some(parent) = root
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent).map_err(io_error("create", parent))?;
    }
    fs::create_dir(root).map_err(io_error("create", root))?;
    for (relative, contents) in files {
        let path = root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error("create", parent))?;
        }
        atomic::write(&path, contents, Policy::SOURCE)?;
    }
    Ok(())
}

//! Stage 4: [`FileTree`] -> disk. The only module that writes.

use std::fs;
use std::io;
use std::path::Path;

use crate::tree::FileTree;

/// Writes every file of the tree under `out_dir`, creating directories as needed.
pub(crate) fn write_all(tree: &FileTree, out_dir: &Path) -> io::Result<()> {
    for (path, contents) in tree.iter() {
        let target = out_dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, contents)?;
    }
    Ok(())
}

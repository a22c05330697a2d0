//! An output directory as data: each file's contents, its directories, and each file's inode and
//! timestamps, which tell which files a run rewrote; and the tree a clean compile gives, to
//! compare an incremental one with.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{copy_tree, run};

/// `path` below `root` as a `/`-separated string, as fluxspec names output files.
fn relative(root: &Path, path: &Path) -> String {
    let relative = path
        .strip_prefix(root)
        .unwrap_or_else(|_| panic!("{} is not under {}", path.display(), root.display()));
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every entry below `root` (not `root` itself), symlinks not followed.
fn entries(root: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.unwrap_or_else(|error| panic!("cannot walk the tree: {error}")))
}

/// Contents of every regular file below `root`, by relative path.
pub(crate) fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    entries(root)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let contents = fs::read(entry.path())
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", entry.path().display()));
            (relative(root, entry.path()), contents)
        })
        .collect()
}

/// Every directory below `root`, by relative path.
pub(crate) fn read_dirs(root: &Path) -> BTreeSet<String> {
    entries(root)
        .filter(|entry| entry.file_type().is_dir())
        .map(|entry| relative(root, entry.path()))
        .collect()
}

/// Which file object a path names and when it was last written. A rewrite by temp file and
/// rename gives the path a new inode; a write in place changes the mtime; both change the ctime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    inode: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

/// The [`Stamp`] of every regular file below `root`.
pub(crate) fn stamps(root: &Path) -> BTreeMap<String, Stamp> {
    entries(root)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let metadata = entry
                .metadata()
                .unwrap_or_else(|error| panic!("cannot stat {}: {error}", entry.path().display()));
            let stamp = Stamp {
                inode: metadata.ino(),
                mtime_ns: i128::from(metadata.mtime()) * 1_000_000_000
                    + i128::from(metadata.mtime_nsec()),
                ctime_ns: i128::from(metadata.ctime()) * 1_000_000_000
                    + i128::from(metadata.ctime_nsec()),
            };
            (relative(root, entry.path()), stamp)
        })
        .collect()
}

/// Paths whose file was created, rewritten or deleted between two [`stamps`] of one tree.
pub(crate) fn touched(
    before: &BTreeMap<String, Stamp>,
    after: &BTreeMap<String, Stamp>,
) -> BTreeSet<String> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|path| before.get(*path) != after.get(*path))
        .cloned()
        .collect()
}

/// The tree a clean compile of the spec at `root/<spec>` gives: its spec directory copied into a
/// fresh temp directory (so generated headers name the spec the same way), compiled there into
/// the `generated/` that `output-path` puts beside it, and read.
pub(crate) fn fresh_compile(root: &Path, spec: &str) -> BTreeMap<String, Vec<u8>> {
    let scratch = tempfile::tempdir().expect("cannot create a temp dir");
    let spec_dir = Path::new(spec)
        .parent()
        .expect("the spec is in a directory");
    copy_tree(&root.join(spec_dir), &scratch.path().join(spec_dir));
    run(scratch.path(), &["compile", "--quiet", "--spec", spec]).expect_code(0);
    read_tree(&scratch.path().join("generated"))
}

/// Every directory that holds a file of `files`, and their ancestors.
pub(crate) fn dirs_of(files: impl IntoIterator<Item = impl AsRef<str>>) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for file in files {
        let mut path = PathBuf::from(file.as_ref());
        while path.pop() && !path.as_os_str().is_empty() {
            dirs.insert(path.to_string_lossy().into_owned());
        }
    }
    dirs
}

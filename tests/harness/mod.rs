//! Helpers for the tests that run the real `fluxspec` binary in temp directories: running it with
//! a predictable environment, reading an output directory as data (file contents, directories,
//! and each file's inode and timestamps, which tell which files a run rewrote).

// Each test crate compiles this module and uses its own subset of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub(crate) const FLUXSPEC: &str = env!("CARGO_BIN_EXE_fluxspec");

/// Environment variables that change how fluxspec colours its output; cleared so a test sees the
/// same output whatever terminal or CI runs it.
const COLOUR_VARIABLES: [&str; 6] = [
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "TERM",
    "CI",
];

/// `fluxspec` to run in `dir`, stdin closed, colour variables cleared.
pub(crate) fn fluxspec(dir: &Path) -> Command {
    let mut command = Command::new(FLUXSPEC);
    command.current_dir(dir).stdin(Stdio::null());
    for variable in COLOUR_VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// What a finished run printed and how it exited.
#[derive(Debug)]
pub(crate) struct Run {
    /// `None` when a signal ended it.
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Fails with everything the run printed unless it exited with `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `command` to completion.
pub(crate) fn finish(command: &mut Command) -> Run {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {FLUXSPEC}: {error}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `fluxspec ARGS` in `dir`.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    finish(fluxspec(dir).args(args))
}

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

/// Writes `contents` to `root/path`, creating its directories.
pub(crate) fn write(root: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", parent.display()));
    }
    fs::write(&full, contents)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", full.display()));
}

/// The tree a clean compile of the spec at `root/<spec>` gives: its spec directory copied into a
/// fresh temp directory (so generated headers name the spec the same way), compiled there into
/// the `generated/` that `output-path` puts beside it, and read.
pub(crate) fn fresh_compile(root: &Path, spec: &str) -> BTreeMap<String, Vec<u8>> {
    let scratch = tempfile::tempdir().expect("cannot create a temp dir");
    let spec = Path::new(spec);
    let spec_dir = spec.parent().expect("the spec is in a directory");
    for entry in walkdir::WalkDir::new(root.join(spec_dir)) {
        let entry = entry.expect("cannot walk the spec directory");
        let relative = entry.path().strip_prefix(root).expect("under root");
        let target = scratch.path().join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target)
                .unwrap_or_else(|error| panic!("cannot create {}: {error}", target.display()));
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|error| panic!("cannot copy to {}: {error}", target.display()));
        }
    }
    let spec = spec.to_str().expect("a UTF-8 spec path");
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

//! Stage 4: [`FileTree`](crate::tree::FileTree) -> disk. The only module that writes.
//!
//! A [`Session`] holds the output directory's lock. [`Session::plan`] compares the rendered tree
//! with the disk by blake3 hash and returns the [`Plan`]: what would be created, changed or
//! deleted, and which files someone edited by hand. In a compile the plan writes each new file's
//! content to a staging directory in the output as soon as it is planned, so it never holds the
//! new tree in memory. [`Session::apply`] carries a plan out so that a kill at any instant leaves
//! every file whole: each file is renamed into place from the staging directory (or written to a
//! temp file beside it and renamed), and the ownership manifest lists both old and new content
//! while the renames run. Files fluxspec does not own are never touched.
//!
//! `mod.rs` holds the types ([`Session`], [`Plan`], [`SyncError`]) and opens a session; `safety`
//! refuses unsafe output directories and paths through symlinks, `plan` compares, `apply` writes
//! and prunes, `staging` holds a compile's new content until `apply`, `atomic` is the one atomic
//! write (also of the spec, `spec_file`, and of `renovate.json`), `new_tree` writes the new spec directory of `import`, and `manifest` is the
//! ownership manifest's format.

mod apply;
pub(crate) mod atomic;
pub(crate) mod manifest;
pub(crate) mod new_tree;
mod plan;
mod safety;
pub(crate) mod spec_file;
mod staging;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use miette::Diagnostic;
use thiserror::Error;

use crate::input::FileKind;
use manifest::Manifest;
pub(crate) use safety::check_output_dir;
use staging::Staging;

/// The largest manifest fluxspec reads: a line per file, ~150 bytes, for hundreds of thousands
/// of files.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum SyncError {
    #[error("refusing to use `{path}` as the output directory: {reason}")]
    #[diagnostic(
        code("fluxspec::unsafe-output"),
        help("pass a dedicated directory with `--out`, e.g. `generated`")
    )]
    UnsafeOutput { path: String, reason: &'static str },
    #[error("the output directory `{path}` is {kind}, not a directory")]
    #[diagnostic(
        code("fluxspec::output-not-a-directory"),
        help("move it away (fluxspec creates the directory), or pass another `--out`")
    )]
    OutputNotADirectory { path: String, kind: String },
    #[error("{} file(s) that fluxspec did not write are in the way:{}", .paths.len(), crate::text::path_lines(.paths))]
    #[diagnostic(
        code("fluxspec::unowned-file"),
        help("move them away, or pass `--adopt` to let fluxspec overwrite and own them")
    )]
    Unowned { paths: Vec<String> },
    #[error(
        "`{path}` is a symlink or not a regular file; fluxspec does not write through it{listed}"
    )]
    #[diagnostic(
        code("fluxspec::not-a-file"),
        help("remove it so fluxspec can write a regular file there")
    )]
    NotAFile { path: String, listed: String },
    #[error(
        "`{manifest}` is not as fluxspec writes it: line {line_number} `{line}` {reason}{others}; \
         nothing was deleted or written"
    )]
    #[diagnostic(
        code("fluxspec::invalid-manifest"),
        help(
            "the manifest lists the files a compile may delete, so fluxspec only trusts paths it \
             could have written there; restore the manifest from Git, or pass `--adopt` to ignore \
             the invalid lines (nothing they name is deleted) and take over the generated files"
        )
    )]
    InvalidManifest {
        manifest: String,
        line_number: usize,
        line: String,
        reason: &'static str,
        others: String,
    },
    #[error("the manifest `{path}` is {size} bytes or more; the limit is {MAX_MANIFEST_BYTES}")]
    #[diagnostic(
        code("fluxspec::manifest-too-large"),
        help("restore the manifest from Git, or delete it and compile with `--adopt`")
    )]
    ManifestTooLarge { path: String, size: u64 },
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code("fluxspec::io"))]
    Io {
        action: &'static str,
        path: String,
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SyncError {
    let path = path.display().to_string();
    move |source| SyncError::Io {
        action,
        path,
        source,
    }
}

impl From<atomic::Failure> for SyncError {
    fn from(failure: atomic::Failure) -> Self {
        match failure {
            atomic::Failure::NotAFile(path) => SyncError::NotAFile {
                path: path.display().to_string(),
                listed: String::new(),
            },
            atomic::Failure::Io {
                action,
                path,
                source,
            } => io_error(action, &path)(source),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Created,
    Changed,
    Deleted,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Changed => "changed",
            Status::Deleted => "deleted",
        }
    }
}

/// One file that differs between the disk and the rendered tree.
#[derive(Debug)]
pub(crate) struct Change {
    pub(crate) path: String,
    pub(crate) status: Status,
    pub(crate) old: Vec<u8>,
    /// Read it with [`Plan::new_content`].
    new: NewContent,
    /// The disk content is not what fluxspec last wrote: someone edited (or deleted) it.
    pub(crate) hand_edited: bool,
}

/// A changed or created file's new content (empty for a deletion).
#[derive(Debug)]
enum NewContent {
    /// In memory: a plan that writes nothing (`check`, `--dry-run`), or not staged yet.
    Held(Vec<u8>),
    /// In the plan's [`Staging`] directory, as the file of this number.
    Staged(usize),
}

/// What a compile would do to the output directory.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Changes in path order; the manifest's own change, if any, is not among them.
    pub(crate) changes: Vec<Change>,
    pub(crate) unchanged: usize,
    old_manifest: Manifest,
    new_manifest: Manifest,
    manifest_changed: bool,
    leftover_temp_files: Vec<PathBuf>,
    /// The new content of the created and changed files, in a compile.
    staging: Option<Staging>,
    /// Owned files no longer generated that are gone already (a killed compile deleted them, or
    /// a person did): nothing to delete, but their directories may be left empty.
    vanished: Vec<String>,
}

impl Plan {
    /// Whether the disk already matches the rendered tree.
    pub(crate) fn is_clean(&self) -> bool {
        self.changes.is_empty() && !self.manifest_changed
    }

    pub(crate) fn count(&self, status: Status) -> usize {
        self.changes
            .iter()
            .filter(|change| change.status == status)
            .count()
    }

    /// The content `change` gives its file: empty for a deletion. A compile's is read back from
    /// the disk, where it was staged or, once applied, written.
    pub(crate) fn new_content<'p>(&'p self, change: &'p Change) -> io::Result<Cow<'p, [u8]>> {
        match (&change.new, &self.staging) {
            (NewContent::Held(contents), _) => Ok(Cow::Borrowed(contents)),
            (NewContent::Staged(number), Some(staging)) => staging.read(*number, &change.path),
            // Only a plan with a staging directory stages content.
            (NewContent::Staged(_), None) => {
                unreachable!("a staged file without a staging directory")
            }
        }
    }
}

/// Exclusive use of an output directory for one compile or check.
pub(crate) struct Session {
    root: PathBuf,
    // Held for the session's lifetime; released on drop.
    _lock: Option<fd_lock::RwLockWriteGuard<'static, File>>,
    /// Directories under `root` already seen to be real directories in this session, so
    /// [`Session::check_parents`] inspects (and `write_file` creates) each one once rather than
    /// once per file below it: per file, those calls cost more than reading or writing it. Trusting
    /// the first look is no weaker than before: a directory swapped for a symlink after it was
    /// inspected could always slip in between the inspection and the write. A mutex because plan
    /// and apply work on several threads.
    /// Keyed by the `/`-separated path relative to `root`, which compares faster than a `Path`.
    known_dirs: Mutex<BTreeSet<String>>,
    /// Opened to write (`compile`), not only to compare (`check`, `--dry-run`).
    writes: bool,
}

/// At most this many threads read, hash and write files. Small files on a warm page cache are
/// bound by system calls, which scale with cores; past a few threads the disk is the limit.
const MAX_WORKERS: usize = 4;

/// Below this many items, threads cost more than they save.
const MIN_ITEMS_PER_WORKER: usize = 64;

/// `items.iter().map(work).collect()`, on up to [`MAX_WORKERS`] threads (one per core), each
/// taking a contiguous run of items so files of one directory stay on one thread. Results are in
/// item order, so callers see the same first error as a sequential loop would.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_with(items, || (), |(), item| work(item))
}

/// [`parallel_map`] where each thread's `work` also gets scratch space of its own, made by
/// `scratch` once per thread: a buffer reused from item to item instead of allocated per item.
fn parallel_map_with<T: Sync, S, R: Send>(
    items: &[T],
    scratch: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workers = cores
        .min(MAX_WORKERS)
        .min(items.len() / MIN_ITEMS_PER_WORKER)
        .max(1);
    let run = |chunk: &[T]| {
        let mut scratch = scratch();
        chunk
            .iter()
            .map(|item| work(&mut scratch, item))
            .collect::<Vec<R>>()
    };
    if workers == 1 {
        return run(items);
    }
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(workers))
            .map(|chunk| scope.spawn(move || run(chunk)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                // A panic in a worker is a bug; carry it to the caller as if it ran here.
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

impl Session {
    /// Checks the output directory is safe, creates it (`compile`) or not (`check`, which writes
    /// nothing), and takes its lock, waiting for any other fluxspec working on it.
    pub(crate) fn open(out_dir: &Path, spec_path: &Path, create: bool) -> Result<Self, SyncError> {
        check_output_dir(out_dir, spec_path)?;
        // Symlinks followed: a link to a directory is a directory.
        if let Ok(metadata) = fs::metadata(out_dir)
            && !metadata.is_dir()
        {
            return Err(SyncError::OutputNotADirectory {
                path: out_dir.display().to_string(),
                kind: FileKind::of(metadata.file_type())
                    .map_or_else(|| "a file".to_owned(), |kind| kind.to_string()),
            });
        }
        if create {
            fs::create_dir_all(out_dir).map_err(io_error("create", out_dir))?;
        }
        // The lock is an flock on the directory itself, so no lock file litters the output.
        let lock = match File::open(out_dir) {
            Ok(directory) => {
                // The lock must outlive every borrow of it; leaking one small allocation per
                // session, which lasts until the process exits anyway, is the simplest way.
                let lock: &'static mut fd_lock::RwLock<File> =
                    Box::leak(Box::new(fd_lock::RwLock::new(directory)));
                Some(lock.write().map_err(io_error("lock", out_dir))?)
            }
            // Nothing to lock: `check` of an output directory that does not exist yet.
            Err(error) if error.kind() == io::ErrorKind::NotFound && !create => None,
            Err(error) => return Err(io_error("open", out_dir)(error)),
        };
        Ok(Self {
            root: out_dir.to_path_buf(),
            _lock: lock,
            known_dirs: Mutex::default(),
            writes: create,
        })
    }

    fn is_known_dir(&self, dir: &str) -> bool {
        // A poisoned set is still a valid set: a panic elsewhere cannot leave it half-inserted.
        let known = self
            .known_dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.contains(dir)
    }

    fn add_known_dir(&self, dir: &str) {
        let mut known = self
            .known_dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.insert(dir.to_owned());
    }
}

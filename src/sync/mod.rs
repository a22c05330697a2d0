//! Stage 4: [`FileTree`] -> disk. The only module that writes.
//!
//! A [`Session`] holds the output directory's lock. [`Session::plan`] compares the rendered tree
//! with the disk by blake3 hash and returns the [`Plan`]: what would be created, changed or
//! deleted, and which files someone edited by hand. [`Session::apply`] carries a plan out so that
//! a kill at any instant leaves every file whole: each write goes to a temp file in the same
//! directory and is renamed into place, and the ownership manifest lists both old and new content
//! while the writes run. Files fluxspec does not own are never touched.

pub(crate) mod manifest;
pub(crate) mod spec_file;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use miette::Diagnostic;
use thiserror::Error;

use crate::input::{self, FileKind, ReadFailure};
use crate::tree::FileTree;
use manifest::Manifest;

/// The largest manifest fluxspec reads: a line per file, ~150 bytes, for hundreds of thousands
/// of files.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Prefix of in-flight temp files; any left by a killed compile are removed by the next one.
const TEMP_PREFIX: &str = ".fluxspec-tmp-";

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

/// Where the manifest `text` lists `path`, for a message: ` (line N of the manifest: ...)`.
fn listed_at(text: &str, path: &str) -> String {
    text.lines()
        .position(|line| {
            line.split_once("  ")
                .is_some_and(|(_, listed)| listed == path)
        })
        .map(|index| format!(" (listed at line {} of the manifest: `{path}`)", index + 1))
        .unwrap_or_default()
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SyncError {
    let path = path.display().to_string();
    move |source| SyncError::Io {
        action,
        path,
        source,
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
    pub(crate) new: Vec<u8>,
    /// The disk content is not what fluxspec last wrote: someone edited (or deleted) it.
    pub(crate) hand_edited: bool,
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
}

/// Exclusive use of an output directory for one compile or check.
pub(crate) struct Session {
    root: PathBuf,
    // Held for the session's lifetime; released on drop.
    _lock: Option<fd_lock::RwLockWriteGuard<'static, File>>,
    /// Directories under `root` already seen to be real directories in this session, so
    /// [`Session::check_parents`] inspects (and `write_atomic` creates) each one once rather than
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
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workers = cores
        .min(MAX_WORKERS)
        .min(items.len() / MIN_ITEMS_PER_WORKER)
        .max(1);
    if workers == 1 {
        return items.iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(workers))
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Vec<R>>()))
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

/// Refuses output directories where a prune or a write could hurt: the filesystem root, the
/// home directory, a directory holding the spec, a path through `..`.
fn check_output_dir(out_dir: &Path, spec_path: &Path) -> Result<(), SyncError> {
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
    Ok(())
}

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
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

    /// Refuses a path inside the output directory that goes through a symlink or a non-directory.
    fn check_parents(&self, path: &str) -> Result<(), SyncError> {
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

    /// The content at `path` if it is a regular file, `None` if nothing is there.
    fn read_existing(&self, path: &str) -> Result<Option<Vec<u8>>, SyncError> {
        self.check_parents(path)?;
        let full = self.root.join(path);
        match fs::symlink_metadata(&full) {
            Ok(metadata) if metadata.is_file() => {
                // Sized from the metadata at hand; `fs::read` would ask the kernel again.
                let mut contents =
                    Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or_default());
                File::open(&full)
                    .and_then(|mut file| file.read_to_end(&mut contents))
                    .map(|_| Some(contents))
                    .map_err(io_error("read", &full))
            }
            Ok(_) => Err(SyncError::NotAFile {
                path: full.display().to_string(),
                listed: String::new(),
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error("inspect", &full)(error)),
        }
    }

    /// The ownership manifest's text, `None` if there is none. A symlink is refused as any
    /// generated file is; the read is capped like every input's.
    fn read_manifest(&self) -> Result<Option<String>, SyncError> {
        let path = self.root.join(manifest::FILE_NAME);
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_file() => {}
            Ok(_) => {
                return Err(SyncError::NotAFile {
                    path: path.display().to_string(),
                    listed: String::new(),
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error("inspect", &path)(error)),
        }
        let bytes =
            input::read_capped(&path, MAX_MANIFEST_BYTES).map_err(|failure| match failure {
                ReadFailure::NotAFile(_) => SyncError::NotAFile {
                    path: path.display().to_string(),
                    listed: String::new(),
                },
                ReadFailure::TooLarge { size } => SyncError::ManifestTooLarge {
                    path: path.display().to_string(),
                    size,
                },
                ReadFailure::Io(error) => io_error("read", &path)(error),
            })?;
        input::utf8_text(bytes)
            .map(Some)
            .map_err(|at| SyncError::InvalidManifest {
                manifest: path.display().to_string(),
                line_number: at.line,
                line: format!("column {}", at.column),
                reason: "is not UTF-8 text",
                others: String::new(),
            })
    }

    /// The ownership manifest's text and its entries. An invalid line stops everything, but with
    /// `adopt`, which drops the invalid lines: nothing they name is deleted, and the files they
    /// alias are taken over like any other.
    fn load_manifest(&self, adopt: bool) -> Result<(Option<String>, Manifest), SyncError> {
        let old_manifest_text = self.read_manifest()?;
        let (old_manifest, invalid_lines) = old_manifest_text
            .as_deref()
            .map(Manifest::parse)
            .unwrap_or_default();
        if let Some(first) = invalid_lines.first().filter(|_| !adopt) {
            return Err(SyncError::InvalidManifest {
                manifest: self.root.join(manifest::FILE_NAME).display().to_string(),
                line_number: first.number,
                line: first.text.escape_debug().to_string(),
                reason: first.reason,
                others: match invalid_lines.len() - 1 {
                    0 => String::new(),
                    1 => " (and 1 more invalid line)".to_owned(),
                    more => format!(" (and {more} more invalid lines)"),
                },
            });
        }
        Ok((old_manifest_text, old_manifest))
    }

    /// Compares the rendered tree with the disk. With `adopt`, files fluxspec did not write but
    /// would generate are taken over instead of refused.
    pub(crate) fn plan(&self, tree: &FileTree, adopt: bool) -> Result<Plan, SyncError> {
        let (old_manifest_text, old_manifest) = self.load_manifest(adopt)?;
        let mut changes = Vec::new();
        let mut unchanged = 0;
        let mut unowned = Vec::new();
        let mut new_manifest = Manifest::default();
        // Reading and hashing every file is most of a no-op compile or check; it runs on all
        // cores, and the loop below only sorts the results.
        let files: Vec<(&str, &[u8])> = tree.iter().collect();
        let probes = parallel_map(&files, |&(path, new)| -> Result<_, SyncError> {
            let new_hash = hash(new);
            let old = self.read_existing(path)?.map(|old| {
                let old_hash = hash(&old);
                // Only a change shows its old content; dropping the rest here keeps one copy of
                // the tree in memory rather than two.
                let old = if old_hash == new_hash {
                    Vec::new()
                } else {
                    old
                };
                (old_hash, old)
            });
            Ok((new_hash, old))
        });
        for (&(path, new), probe) in files.iter().zip(probes) {
            let (new_hash, old) = probe?;
            new_manifest.insert(path.to_owned(), new_hash.clone());
            let Some((old_hash, old)) = old else {
                changes.push(Change {
                    path: path.to_owned(),
                    status: Status::Created,
                    old: Vec::new(),
                    new: new.to_vec(),
                    // Missing after a killed compile: most likely one it had not created yet.
                    hand_edited: old_manifest.owns(path) && !old_manifest.in_flight(),
                });
                continue;
            };
            if !old_manifest.owns(path) && !adopt {
                unowned.push(path.to_owned());
                continue;
            }
            if old_hash == new_hash {
                unchanged += 1;
            } else {
                changes.push(Change {
                    path: path.to_owned(),
                    status: Status::Changed,
                    // An adopted file was never fluxspec's, so nobody edited fluxspec's content.
                    hand_edited: old_manifest.owns(path) && !old_manifest.wrote(path, &old_hash),
                    old,
                    new: new.to_vec(),
                });
            }
        }
        if !unowned.is_empty() {
            return Err(SyncError::Unowned { paths: unowned });
        }
        let mut vanished = Vec::new();
        for path in old_manifest.paths() {
            if new_manifest.owns(path) {
                continue;
            }
            let existing = self.read_existing(path).map_err(|error| match error {
                SyncError::NotAFile { path: full, .. } => SyncError::NotAFile {
                    path: full,
                    listed: listed_at(old_manifest_text.as_deref().unwrap_or_default(), path),
                },
                error => error,
            })?;
            if let Some(old) = existing {
                changes.push(Change {
                    path: path.to_owned(),
                    status: Status::Deleted,
                    hand_edited: !old_manifest.wrote(path, &hash(&old)),
                    old,
                    new: Vec::new(),
                });
            } else {
                vanished.push(path.to_owned());
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest_changed =
            old_manifest_text.as_deref() != Some(new_manifest.to_text().as_str());
        Ok(Plan {
            changes,
            unchanged,
            old_manifest,
            new_manifest,
            manifest_changed,
            // Only `apply` removes them, and finding them walks the whole tree: a tenth of a
            // `check`, which never applies.
            leftover_temp_files: if self.writes {
                self.leftover_temp_files()?
            } else {
                Vec::new()
            },
            vanished,
        })
    }

    fn leftover_temp_files(&self) -> Result<Vec<PathBuf>, SyncError> {
        let mut found = Vec::new();
        if !self.root.exists() {
            return Ok(found);
        }
        for entry in walkdir::WalkDir::new(&self.root).follow_links(false) {
            let entry = entry.map_err(|error| io_error("list", &self.root)(error.into()))?;
            if entry.file_type().is_file()
                && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            {
                found.push(entry.into_path());
            }
        }
        Ok(found)
    }

    /// Writes `contents` to `path` atomically: a temp file beside it, renamed into place.
    fn write_atomic(&self, path: &str, contents: &[u8]) -> Result<(), SyncError> {
        self.check_parents(path)?;
        let full = self.root.join(path);
        let dir = full.parent().unwrap_or(&self.root);
        let relative_dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if !self.is_known_dir(relative_dir) {
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
            self.add_known_dir(relative_dir);
        }
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .map_err(io_error("create a temp file in", dir))?;
        temp.write_all(contents).map_err(io_error("write", &full))?;
        // tempfile creates files readable by the owner only; generated files are ordinary ones.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))
                .map_err(io_error("set permissions of", &full))?;
        }
        temp.persist(&full)
            .map_err(|error| io_error("replace", &full)(error.error))?;
        Ok(())
    }

    /// Carries out a plan. The manifest is written twice: first listing old and new content of
    /// every path (so a kill mid-way leaves every file recognisably fluxspec's), last listing
    /// exactly the new tree.
    pub(crate) fn apply(&self, plan: &Plan) -> Result<(), SyncError> {
        if plan.is_clean() && plan.leftover_temp_files.is_empty() {
            return Ok(());
        }
        let in_flight = plan.old_manifest.in_flight_union(&plan.new_manifest);
        self.write_atomic(manifest::FILE_NAME, in_flight.to_text().as_bytes())?;
        // Deletions first, so a directory they empty is gone before a file of the same name is
        // written.
        for change in &plan.changes {
            if change.status == Status::Deleted {
                let full = self.root.join(&change.path);
                fs::remove_file(&full).map_err(io_error("delete", &full))?;
                self.remove_empty_parents(&full);
            }
        }
        for path in &plan.vanished {
            self.remove_empty_parents(&self.root.join(path));
        }
        // Writes are independent (each its own temp file and rename, all covered by the in-flight
        // manifest), so they run on all cores; a cold compile is mostly file creation.
        let writes: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|change| change.status != Status::Deleted)
            .collect();
        for result in parallel_map(&writes, |change| {
            self.write_atomic(&change.path, &change.new)
        }) {
            result?;
        }
        for temp in &plan.leftover_temp_files {
            // Gone already is fine: it was only debris.
            let _ = fs::remove_file(temp);
        }
        self.write_atomic(manifest::FILE_NAME, plan.new_manifest.to_text().as_bytes())
    }

    /// Removes the directories a deletion left empty, up to the output directory.
    fn remove_empty_parents(&self, file: &Path) {
        let mut dir = file.parent();
        while let Some(current) = dir {
            // Manifest paths are relative and plain, so the climb meets the root; the prefix
            // check makes sure it never goes above it whatever the path.
            if current == self.root || !current.starts_with(&self.root) {
                break;
            }
            match fs::remove_dir(current) {
                Ok(()) => {}
                // Gone already (a killed compile removed it): the one above may be empty still.
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                // `remove_dir` only removes empty directories; the first non-empty one stops us.
                Err(_) => break,
            }
            // A later write into it must create it again. Deletions are rare: forget them all.
            self.known_dirs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            dir = current.parent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Manifest, Session, hash, manifest};
    use crate::tree::FileTree;

    // Regression: after a killed compile, every file it had not created yet was called hand-edited.
    #[test]
    fn a_file_missing_after_a_killed_compile_is_not_a_hand_edit() {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let out = dir.path().join("out");
        let session =
            Session::open(&out, &dir.path().join("homelab.kdl"), true).expect("cannot open");
        let mut tree = FileTree::default();
        tree.insert("a.yaml".to_owned(), b"a: 1\n".to_vec());
        let mut owned = Manifest::default();
        owned.insert("a.yaml".to_owned(), hash(b"a: 1\n"));
        let manifest_path = out.join(manifest::FILE_NAME);
        let plan_with = |manifest: &Manifest| {
            std::fs::write(&manifest_path, manifest.to_text()).expect("cannot write");
            session.plan(&tree, false).expect("cannot plan")
        };

        // Killed after writing its in-flight manifest, before creating `a.yaml`.
        let plan = plan_with(&Manifest::default().in_flight_union(&owned));
        assert_eq!(plan.changes.len(), 1);
        assert!(!plan.changes[0].hand_edited);
        // After a compile that finished, an owned file that is missing was deleted by a person.
        let plan = plan_with(&owned);
        assert_eq!(plan.changes.len(), 1);
        assert!(plan.changes[0].hand_edited);
    }
}

//! A compile's staging directory: the new content of each created or changed file, written whole
//! as soon as it is planned, so the plan keeps a number for it instead of its bytes; `apply`
//! renames each one into place ([`atomic::persist`]) once the whole plan is known to be safe.
//!
//! A `.fluxspec-tmp-*` directory at the top of the output directory, so the renames stay on the
//! output's filesystem and a compile killed before it removes the directory leaves debris the next
//! one removes, as it does a temp file. Dropping it removes it with whatever it still holds: an
//! error before or during `apply` leaves no staged file behind. Nothing in it ever has a real
//! name in the output tree until it is renamed there.
//!
//! The staged files are spread over subdirectories of [`FILES_PER_SUBDIRECTORY`] each, by
//! number. Creating a file locks its directory: the threads that stage a batch, each a run of
//! consecutive numbers, would spin on one directory's lock (a quarter more CPU time for a cold
//! compile), but each writes to its own subdirectory. And no directory grows to the size of the
//! output (a cold compile of 10 000 apps stages over 100 000 files).
//! Each file is given its final mode (`0644`) on its open descriptor while it is written, so the
//! rename needs no `chmod` by path unless the file it replaces had another mode.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::atomic::{self, TEMP_PREFIX};
use super::{SyncError, io_error};

/// How many staged files share a subdirectory of the staging directory: a small part of the run
/// of numbers one thread stages (a batch of the plan shared by the cores).
const FILES_PER_SUBDIRECTORY: usize = 64;

#[derive(Debug)]
pub(super) struct Staging {
    dir: tempfile::TempDir,
    /// How many files were staged; the next one is numbered so.
    count: usize,
    /// Whether `apply` renamed the staged files into place.
    applied: AtomicBool,
}

impl Staging {
    /// Creates an empty staging directory in the output directory `root`.
    pub(super) fn create(root: &Path) -> Result<Self, SyncError> {
        let dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(root)
            .map_err(io_error("create a staging directory in", root))?;
        Ok(Self {
            dir,
            count: 0,
            applied: AtomicBool::new(false),
        })
    }

    /// Numbers for `files` more files, the first one's returned.
    pub(super) fn reserve(&mut self, files: usize) -> usize {
        let first = self.count;
        self.count += files;
        first
    }

    fn subdirectory_of(&self, number: usize) -> PathBuf {
        self.dir
            .path()
            .join((number / FILES_PER_SUBDIRECTORY).to_string())
    }

    fn path_of(&self, number: usize) -> PathBuf {
        self.subdirectory_of(number).join(number.to_string())
    }

    /// Writes `contents` as the staged file `number`, with the mode of a new file
    /// ([`atomic::new_file_permissions`]). Creates its subdirectory if it is the first one there;
    /// staged files are written in parallel, so another thread may have created it already.
    pub(super) fn write(&self, number: usize, contents: &[u8]) -> Result<(), SyncError> {
        let path = self.path_of(number);
        let file = match File::create_new(&path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let subdirectory = self.subdirectory_of(number);
                match fs::create_dir(&subdirectory) {
                    Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                        return Err(io_error("create", &subdirectory)(error));
                    }
                    _ => File::create_new(&path),
                }
            }
            opened => opened,
        };
        file.and_then(|mut file| {
            if let Some(permissions) = atomic::new_file_permissions() {
                file.set_permissions(permissions)?;
            }
            file.write_all(contents)
        })
        .map_err(io_error("write", &path))
    }

    /// Renames the staged file `number` to `destination` ([`atomic::persist`]).
    pub(super) fn persist(&self, number: usize, destination: &Path) -> Result<(), SyncError> {
        Ok(atomic::persist(&self.path_of(number), destination)?)
    }

    /// Marks the staged files as renamed into place, and removes the directory and its
    /// subdirectories, empty now.
    pub(super) fn finish(&self) {
        self.applied.store(true, Ordering::Relaxed);
        // Left behind if this fails, they are removed when the plan is dropped or by the next
        // compile.
        for first_number in (0..self.count).step_by(FILES_PER_SUBDIRECTORY) {
            let _ = fs::remove_dir(self.subdirectory_of(first_number));
        }
        let _ = fs::remove_dir(self.dir.path());
    }

    /// The content staged as `number` for the file at `path` (relative to the output
    /// directory): read from the staging directory, or from `path` once it is renamed there.
    pub(super) fn read(&self, number: usize, path: &str) -> io::Result<Cow<'static, [u8]>> {
        let full = if self.applied.load(Ordering::Relaxed) {
            // The staging directory is at the top of the output directory.
            self.dir
                .path()
                .parent()
                .map_or_else(|| PathBuf::from(path), |root| root.join(path))
        } else {
            self.path_of(number)
        };
        fs::read(&full).map(Cow::Owned).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot read `{}`: {error}", full.display()),
            )
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::{FILES_PER_SUBDIRECTORY, Staging};

    #[test]
    fn staged_files_share_subdirectories_of_bounded_size_and_are_renamed_out_as_0644() {
        let out = tempfile::tempdir().expect("temp dir");
        let mut staging = Staging::create(out.path()).expect("staging");
        let files = 2 * FILES_PER_SUBDIRECTORY + 1;
        let last = (files - 1).to_string();
        assert_eq!(staging.reserve(files), 0);
        for number in 0..files {
            staging
                .write(number, number.to_string().as_bytes())
                .expect("stage");
        }
        let subdirectories: Vec<usize> = fs::read_dir(staging.dir.path())
            .expect("list")
            .map(|entry| {
                fs::read_dir(entry.expect("entry").path())
                    .expect("list")
                    .count()
            })
            .collect();
        assert_eq!(subdirectories.len(), files.div_ceil(FILES_PER_SUBDIRECTORY));
        assert!(
            subdirectories
                .iter()
                .all(|&count| count <= FILES_PER_SUBDIRECTORY)
        );

        let kept = out.path().join("kept");
        fs::write(&kept, "old").expect("write");
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o600)).expect("chmod");
        staging.persist(0, &kept).expect("replace");
        let new = out.path().join("new");
        staging.persist(files - 1, &new).expect("create");
        for (path, mode, contents) in [(&kept, 0o600, "0"), (&new, 0o644, last.as_str())] {
            let metadata = fs::metadata(path).expect("stat");
            assert_eq!(metadata.permissions().mode() & 0o777, mode);
            assert_eq!(fs::read_to_string(path).expect("read"), contents);
        }
        for number in 1..files - 1 {
            staging
                .persist(number, &out.path().join(number.to_string()))
                .expect("persist");
        }
        staging.finish();
        assert!(
            !staging.dir.path().exists(),
            "the staging directory is left"
        );
        assert_eq!(staging.read(7, "7").expect("read").as_ref(), b"7");
    }
}

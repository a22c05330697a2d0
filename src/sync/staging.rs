//! A compile's staging directory: the new content of each created or changed file, written whole
//! as soon as it is planned, so the plan keeps a number for it instead of its bytes; `apply`
//! renames each one into place ([`atomic::persist`]) once the whole plan is known to be safe.
//!
//! A `.fluxspec-tmp-*` directory at the top of the output directory, so the renames stay on the
//! output's filesystem and a compile killed before it removes the directory leaves debris the next
//! one removes, as it does a temp file. Dropping it removes it with whatever it still holds: an
//! error before or during `apply` leaves no staged file behind. Nothing in it ever has a real
//! name in the output tree until it is renamed there.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::atomic::{self, TEMP_PREFIX};
use super::{SyncError, io_error};

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

    fn path_of(&self, number: usize) -> PathBuf {
        self.dir.path().join(number.to_string())
    }

    /// Writes `contents` as the staged file `number`.
    pub(super) fn write(&self, number: usize, contents: &[u8]) -> Result<(), SyncError> {
        let path = self.path_of(number);
        File::create_new(&path)
            .and_then(|mut file| file.write_all(contents))
            .map_err(io_error("write", &path))
    }

    /// Renames the staged file `number` to `destination` ([`atomic::persist`]).
    pub(super) fn persist(&self, number: usize, destination: &Path) -> Result<(), SyncError> {
        Ok(atomic::persist(&self.path_of(number), destination)?)
    }

    /// Marks the staged files as renamed into place, and removes the directory, empty now.
    pub(super) fn finish(&self) {
        self.applied.store(true, Ordering::Relaxed);
        // Left behind if this fails, it is removed when the plan is dropped or by the next compile.
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

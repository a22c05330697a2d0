//! [`Session::apply`]: a plan carried out so that a kill at any instant leaves every file whole
//! and recognisably fluxspec's: the ownership manifest lists old and new content while the
//! deletions and the writes (each staged file renamed into place, [`atomic::persist`], one thread
//! per core) run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use super::atomic;
use super::manifest::{self, Manifest};
use super::{Change, NewContent, Plan, Session, Status, SyncError, io_error, parallel_map};

impl Session {
    /// The full path of `path`, whose directory is created, and checked to be one.
    fn prepare_parent(&self, path: &str) -> Result<PathBuf, SyncError> {
        self.check_parents(path)?;
        let full = self.root.join(path);
        let dir = full.parent().unwrap_or(&self.root);
        let relative_dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if !self.is_known_dir(relative_dir) {
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
            self.add_known_dir(relative_dir);
        }
        Ok(full)
    }

    /// Writes what `fill` writes to `path` atomically ([`atomic::write_with`]), creating its
    /// directory.
    fn write_file(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(), SyncError> {
        let destination = self.prepare_parent(path)?;
        Ok(atomic::write_with(
            &destination,
            atomic::Policy::GENERATED,
            fill,
        )?)
    }

    /// Puts a change's new content at its path: renames its staged file there, or writes it.
    fn write_change(&self, plan: &Plan, change: &Change) -> Result<(), SyncError> {
        match (&change.new, &plan.staging) {
            (NewContent::Staged(number), Some(staging)) => {
                staging.persist(*number, &self.prepare_parent(&change.path)?)
            }
            (NewContent::Held(contents), _) => {
                self.write_file(&change.path, |file| file.write_all(contents))
            }
            // Only a plan with a staging directory stages content.
            (NewContent::Staged(_), None) => {
                unreachable!("a staged file without a staging directory")
            }
        }
    }

    /// Carries out a plan. The manifest is written twice: first listing old and new content of
    /// every path (so a kill mid-way leaves every file recognisably fluxspec's), last listing
    /// exactly the new tree.
    pub(crate) fn apply(&self, plan: &Plan) -> Result<(), SyncError> {
        if plan.is_clean() && plan.leftover_temp_files.is_empty() {
            return Ok(());
        }
        self.write_file(manifest::FILE_NAME, |file| {
            Manifest::write_in_flight(&plan.old_manifest, &plan.new_manifest, file)
        })?;
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
        for result in parallel_map(&writes, |change| self.write_change(plan, change)) {
            result?;
        }
        if let Some(staging) = &plan.staging {
            staging.finish();
        }
        for temp in &plan.leftover_temp_files {
            // Gone already is fine: it was only debris. A directory is a killed compile's
            // staging directory.
            let _ = if fs::symlink_metadata(temp).is_ok_and(|metadata| metadata.is_dir()) {
                fs::remove_dir_all(temp)
            } else {
                fs::remove_file(temp)
            };
        }
        self.write_file(manifest::FILE_NAME, |file| plan.new_manifest.write_to(file))
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

//! [`Session::plan`]: the rendered tree compared with the disk, by blake3 hash, and with the
//! ownership manifest, which says what fluxspec wrote and so what is created, changed, deleted or
//! edited by hand. A plan of a `check` or a dry run reads only, and never walks the tree for temp
//! files; a compile's also writes each new file's content to its [`Staging`] directory as it
//! goes, and removes that directory if the plan fails.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::PathBuf;

use super::atomic::TEMP_PREFIX;
use super::manifest::{self, Manifest};
use super::{
    Change, MAX_MANIFEST_BYTES, NewContent, Plan, Session, Staging, Status, SyncError, io_error,
    parallel_map, parallel_map_with,
};
use crate::input::{self, ReadFailure};
use crate::tree::FileTree;

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

fn hash(bytes: &[u8]) -> blake3::Hash {
    blake3::hash(bytes)
}

/// Files compared with the disk together: enough to keep every core busy, few enough that the
/// rendered files waiting in a batch are a small part of the output.
const BATCH_FILES: usize = 512;

/// The plan being built as files are rendered ([`Session::planner`]): each file is hashed and
/// compared with the disk in batches, and only the content of the files that change is kept (by
/// a compile, in its staging directory rather than in memory), so a compile or a no-op check
/// never holds the whole output.
pub(crate) struct Planner<'s> {
    session: &'s Session,
    adopt: bool,
    old_manifest_text: Option<String>,
    old_manifest: Manifest,
    new_manifest: Manifest,
    changes: Vec<Change>,
    unchanged: usize,
    unowned: Vec<String>,
    /// Files added and not compared yet.
    batch: Vec<(String, Vec<u8>)>,
    /// The first error met comparing; the files after it are not compared.
    failure: Option<SyncError>,
    leftover_temp_files: Vec<PathBuf>,
    /// Created when a compile first stages a file.
    staging: Option<Staging>,
}

impl Planner<'_> {
    /// Compares the file at `path` (relative to the output directory) with the disk. Each path
    /// is added once.
    pub(crate) fn add(&mut self, path: String, contents: Vec<u8>) {
        self.batch.push((path, contents));
        if self.batch.len() == BATCH_FILES {
            self.compare_batch();
        }
    }

    /// Reads and hashes the batch's files on all cores, then sorts each into the plan.
    fn compare_batch(&mut self) {
        let files = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_FILES));
        if self.failure.is_some() {
            return;
        }
        let session = self.session;
        let first_change = self.changes.len();
        let probes = parallel_map_with(&files, Vec::new, |buffer, (path, new)| {
            let new_hash = hash(new);
            if !session.read_existing_into(path, buffer)? {
                return Ok((new_hash, None));
            }
            // The same bytes have the same hash: a file that did not change is compared, not
            // hashed, and its content, read into the thread's buffer, is not kept, which keeps
            // the disk's copy of the tree out of memory. Only a change shows its old content.
            let old = if buffer == new {
                (new_hash, Vec::new())
            } else {
                (hash(buffer), buffer.clone())
            };
            Ok::<_, SyncError>((new_hash, Some(old)))
        });
        for ((path, new), probe) in files.into_iter().zip(probes) {
            match probe {
                Ok((new_hash, old)) => self.sort(path, new, new_hash, old),
                Err(error) => {
                    self.failure = Some(error);
                    return;
                }
            }
        }
        if session.writes
            && let Err(error) = self.stage(first_change)
        {
            self.failure = Some(error);
        }
    }

    /// Writes the new content of the changes from `first` on to the staging directory, on all
    /// cores, and drops it from memory.
    fn stage(&mut self, first: usize) -> Result<(), SyncError> {
        let to_stage = &mut self.changes[first..];
        if to_stage.is_empty() {
            return Ok(());
        }
        let staging = match &mut self.staging {
            Some(staging) => staging,
            staging => staging.insert(Staging::create(&self.session.root)?),
        };
        let first_number = staging.reserve(to_stage.len());
        let staging = &*staging;
        let numbered: Vec<(usize, &Change)> = (first_number..).zip(to_stage.iter()).collect();
        for result in parallel_map(&numbered, |(number, change)| match &change.new {
            NewContent::Held(contents) => staging.write(*number, contents),
            NewContent::Staged(_) => Ok(()),
        }) {
            result?;
        }
        for (number, change) in (first_number..).zip(to_stage.iter_mut()) {
            change.new = NewContent::Staged(number);
        }
        Ok(())
    }

    /// Files one compared file into the plan: created, changed, unchanged or in the way.
    fn sort(
        &mut self,
        path: String,
        new: Vec<u8>,
        new_hash: blake3::Hash,
        old: Option<(blake3::Hash, Vec<u8>)>,
    ) {
        let old_manifest = &self.old_manifest;
        let Some((old_hash, old)) = old else {
            self.changes.push(Change {
                // Missing after a killed compile: most likely one it had not created yet.
                hand_edited: old_manifest.owns(&path) && !old_manifest.in_flight(),
                path: path.clone(),
                status: Status::Created,
                old: Vec::new(),
                new: NewContent::Held(new),
            });
            self.new_manifest.insert(path, new_hash);
            return;
        };
        if !old_manifest.owns(&path) && !self.adopt {
            self.unowned.push(path);
            return;
        }
        if old_hash == new_hash {
            self.unchanged += 1;
        } else {
            self.changes.push(Change {
                path: path.clone(),
                status: Status::Changed,
                // An adopted file was never fluxspec's, so nobody edited fluxspec's content.
                hand_edited: old_manifest.owns(&path) && !old_manifest.wrote(&path, &old_hash),
                old,
                new: NewContent::Held(new),
            });
        }
        self.new_manifest.insert(path, new_hash);
    }

    /// The plan, once every file is added: the owned files no longer rendered are deletions.
    pub(crate) fn finish(mut self) -> Result<Plan, SyncError> {
        self.compare_batch();
        if let Some(error) = self.failure {
            return Err(error);
        }
        if !self.unowned.is_empty() {
            self.unowned.sort();
            return Err(SyncError::Unowned {
                paths: self.unowned,
            });
        }
        let session = self.session;
        let (deletions, vanished) = session.deletions(
            &self.old_manifest,
            self.old_manifest_text.as_deref(),
            &self.new_manifest,
        )?;
        let mut changes = self.changes;
        changes.extend(deletions);
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest_changed = !self
            .old_manifest_text
            .as_deref()
            .is_some_and(|text| self.new_manifest.is_text(text));
        Ok(Plan {
            changes,
            unchanged: self.unchanged,
            old_manifest: self.old_manifest,
            new_manifest: self.new_manifest,
            manifest_changed,
            leftover_temp_files: self.leftover_temp_files,
            staging: self.staging,
            vanished,
        })
    }
}

impl Session {
    /// The content at `path` if it is a regular file, `None` if nothing is there.
    fn read_existing(&self, path: &str) -> Result<Option<Vec<u8>>, SyncError> {
        let mut contents = Vec::new();
        Ok(self
            .read_existing_into(path, &mut contents)?
            .then_some(contents))
    }

    /// Reads the content at `path` into `contents` (its old content dropped, its capacity
    /// reused) if it is a regular file; false if nothing is there.
    fn read_existing_into(&self, path: &str, contents: &mut Vec<u8>) -> Result<bool, SyncError> {
        self.check_parents(path)?;
        let full = self.root.join(path);
        contents.clear();
        match fs::symlink_metadata(&full) {
            Ok(metadata) if metadata.is_file() => {
                // Sized from the metadata at hand; `fs::read` would ask the kernel again.
                contents.reserve(usize::try_from(metadata.len()).unwrap_or_default());
                File::open(&full)
                    .and_then(|mut file| file.read_to_end(contents))
                    .map(|_| true)
                    .map_err(io_error("read", &full))
            }
            Ok(_) => Err(SyncError::NotAFile {
                path: full.display().to_string(),
                listed: String::new(),
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
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

    /// Compares the rendered tree with the disk: [`planner`](Self::planner) fed every file of
    /// `tree`.
    pub(crate) fn plan(&self, tree: FileTree, adopt: bool) -> Result<Plan, SyncError> {
        let mut planner = self.planner(adopt)?;
        for (path, contents) in tree.into_files() {
            planner.add(path, contents);
        }
        planner.finish()
    }

    /// A [`Planner`] comparing files with the disk as they are rendered. With `adopt`, files
    /// fluxspec did not write but would generate are taken over instead of refused.
    pub(crate) fn planner(&self, adopt: bool) -> Result<Planner<'_>, SyncError> {
        let (old_manifest_text, old_manifest) = self.load_manifest(adopt)?;
        // Found before this compile stages anything. Only `apply` removes them, and finding them
        // walks the whole tree: a tenth of a `check`, which never applies.
        let leftover_temp_files = if self.writes {
            self.leftover_temp_files()?
        } else {
            Vec::new()
        };
        Ok(Planner {
            session: self,
            adopt,
            old_manifest_text,
            old_manifest,
            new_manifest: Manifest::default(),
            changes: Vec::new(),
            unchanged: 0,
            unowned: Vec::new(),
            batch: Vec::with_capacity(BATCH_FILES),
            failure: None,
            leftover_temp_files,
            staging: None,
        })
    }

    /// The owned files no longer rendered: a deletion for each one still on disk, and the paths
    /// of those already gone.
    fn deletions(
        &self,
        old_manifest: &Manifest,
        old_manifest_text: Option<&str>,
        new_manifest: &Manifest,
    ) -> Result<(Vec<Change>, Vec<String>), SyncError> {
        let mut deletions = Vec::new();
        let mut vanished = Vec::new();
        for path in old_manifest.paths() {
            if new_manifest.owns(path) {
                continue;
            }
            let existing = self.read_existing(path).map_err(|error| match error {
                SyncError::NotAFile { path: full, .. } => SyncError::NotAFile {
                    path: full,
                    listed: listed_at(old_manifest_text.unwrap_or_default(), path),
                },
                error => error,
            })?;
            if let Some(old) = existing {
                deletions.push(Change {
                    path: path.to_owned(),
                    status: Status::Deleted,
                    hand_edited: !old_manifest.wrote(path, &hash(&old)),
                    old,
                    new: NewContent::Held(Vec::new()),
                });
            } else {
                vanished.push(path.to_owned());
            }
        }
        Ok((deletions, vanished))
    }

    /// The temp files and staging directories a killed compile left in the output.
    fn leftover_temp_files(&self) -> Result<Vec<PathBuf>, SyncError> {
        let mut found = Vec::new();
        if !self.root.exists() {
            return Ok(found);
        }
        let mut entries = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .into_iter();
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(|error| io_error("list", &self.root)(error.into()))?;
            let file_type = entry.file_type();
            if (file_type.is_file() || file_type.is_dir())
                && entry.depth() > 0
                && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            {
                if file_type.is_dir() {
                    entries.skip_current_dir();
                }
                found.push(entry.into_path());
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::{Manifest, Session, hash, manifest};
    use crate::tree::FileTree;

    /// The names in `dir`, sorted.
    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("cannot list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_compile_stages_new_content_on_disk_and_renames_it_into_place() {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let out = dir.path().join("out");
        let spec = dir.path().join("spec/homelab.kdl");
        let session = Session::open(&out, &spec, true).expect("cannot open");
        let mut tree = FileTree::default();
        tree.insert("a/b.yaml".to_owned(), b"b: 1\n".to_vec());
        let plan = session.plan(tree, false).expect("cannot plan");
        // Planned, not applied: the content is in the staging directory only.
        assert!(!out.join("a").exists());
        let new = |plan: &super::Plan| {
            plan.new_content(&plan.changes[0])
                .expect("read")
                .into_owned()
        };
        assert_eq!(new(&plan), b"b: 1\n");
        session.apply(&plan).expect("cannot apply");
        assert_eq!(
            std::fs::read(out.join("a/b.yaml")).expect("read"),
            b"b: 1\n"
        );
        assert_eq!(new(&plan), b"b: 1\n");
        assert_eq!(names(&out), [manifest::FILE_NAME, "a"]);
    }

    // A refused compile must leave the output as it was: no staged file, no staging directory.
    #[test]
    fn a_refused_compile_leaves_nothing_staged() {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let out = dir.path().join("out");
        let spec = dir.path().join("spec/homelab.kdl");
        let session = Session::open(&out, &spec, true).expect("cannot open");
        std::fs::write(out.join("z.yaml"), "mine").expect("cannot write");
        let mut tree = FileTree::default();
        for index in 0..2000 {
            tree.insert(format!("a{index:04}.yaml"), b"a: 1\n".to_vec());
        }
        tree.insert("z.yaml".to_owned(), b"z: 1\n".to_vec());
        assert!(
            session.plan(tree, false).is_err(),
            "`z.yaml` is not fluxspec's"
        );
        assert_eq!(names(&out), ["z.yaml"]);
    }

    // Regression: after a killed compile, every file it had not created yet was called hand-edited.
    #[test]
    fn a_file_missing_after_a_killed_compile_is_not_a_hand_edit() {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let out = dir.path().join("out");
        let spec = dir.path().join("spec/homelab.kdl");
        let session = Session::open(&out, &spec, true).expect("cannot open");
        let tree = || {
            let mut tree = FileTree::default();
            tree.insert("a.yaml".to_owned(), b"a: 1\n".to_vec());
            tree
        };
        let mut owned = Manifest::default();
        owned.insert("a.yaml".to_owned(), hash(b"a: 1\n"));
        let manifest_path = out.join(manifest::FILE_NAME);
        let plan_with = |manifest: &Manifest| {
            std::fs::write(&manifest_path, manifest.to_text()).expect("cannot write");
            session.plan(tree(), false).expect("cannot plan")
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

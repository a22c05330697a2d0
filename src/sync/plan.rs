//! [`Session::plan`]: the rendered tree compared with the disk, by blake3 hash, and with the
//! ownership manifest, which says what fluxspec wrote and so what is created, changed, deleted or
//! edited by hand. Reads only; a plan of a `check` never walks the tree for temp files.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::PathBuf;

use super::atomic::TEMP_PREFIX;
use super::manifest::{self, Manifest};
use super::{Change, MAX_MANIFEST_BYTES, Plan, Session, Status, SyncError, io_error, parallel_map};
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

impl Session {
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
    /// would generate are taken over instead of refused. The plan takes the tree: the content of
    /// each file to write moves into its change rather than being copied, and the rest is
    /// dropped as soon as it is compared.
    pub(crate) fn plan(&self, tree: FileTree, adopt: bool) -> Result<Plan, SyncError> {
        let (old_manifest_text, old_manifest) = self.load_manifest(adopt)?;
        let mut changes = Vec::new();
        let mut unchanged = 0;
        let mut unowned = Vec::new();
        let mut new_manifest = Manifest::default();
        // Reading and hashing every file is most of a no-op compile or check; it runs on all
        // cores, and the loop below only sorts the results.
        let files: Vec<(String, Vec<u8>)> = tree.into_files().collect();
        let probes = parallel_map(&files, |(path, new)| -> Result<_, SyncError> {
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
        for ((path, new), probe) in files.into_iter().zip(probes) {
            let (new_hash, old) = probe?;
            let Some((old_hash, old)) = old else {
                changes.push(Change {
                    // Missing after a killed compile: most likely one it had not created yet.
                    hand_edited: old_manifest.owns(&path) && !old_manifest.in_flight(),
                    path: path.clone(),
                    status: Status::Created,
                    old: Vec::new(),
                    new,
                });
                new_manifest.insert(path, new_hash);
                continue;
            };
            if !old_manifest.owns(&path) && !adopt {
                unowned.push(path);
                continue;
            }
            if old_hash == new_hash {
                unchanged += 1;
            } else {
                changes.push(Change {
                    path: path.clone(),
                    status: Status::Changed,
                    // An adopted file was never fluxspec's, so nobody edited fluxspec's content.
                    hand_edited: old_manifest.owns(&path) && !old_manifest.wrote(&path, &old_hash),
                    old,
                    new,
                });
            }
            new_manifest.insert(path, new_hash);
        }
        if !unowned.is_empty() {
            return Err(SyncError::Unowned { paths: unowned });
        }
        let (deletions, vanished) =
            self.deletions(&old_manifest, old_manifest_text.as_deref(), &new_manifest)?;
        changes.extend(deletions);
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest_changed = !old_manifest_text
            .as_deref()
            .is_some_and(|text| new_manifest.is_text(text));
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
                    new: Vec::new(),
                });
            } else {
                vanished.push(path.to_owned());
            }
        }
        Ok((deletions, vanished))
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

//! The ownership manifest: which files in the output directory fluxspec wrote, with their hashes.
//!
//! A text file, one `<blake3>  <path>` line per file in path order, so it diffs well in Git. While
//! a compile is under way a path may be listed with two hashes (its old and new content): both are
//! fluxspec's, and a compile killed at that moment is repaired by the next one without calling the
//! file hand-edited. Such a manifest also says that it is one (an [`IN_FLIGHT`] line), because
//! then a listed file that is missing was most likely not created yet, not deleted by a person.

use std::collections::{BTreeMap, BTreeSet};

pub(crate) const FILE_NAME: &str = crate::layout::MANIFEST_FILE;

const HEADER: &str = "# Files fluxspec owns in this directory (blake3 of their content). Written by fluxspec; do not edit.\n";

/// The line that marks a manifest written while a compile is under way.
const IN_FLIGHT: &str = "# A compile is under way, or was killed: the next one completes it.";

/// Path -> hashes of content fluxspec wrote there.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    entries: BTreeMap<String, BTreeSet<String>>,
    in_flight: bool,
}

impl Manifest {
    pub(crate) fn parse(text: &str) -> Self {
        let mut manifest = Self::default();
        for line in text.lines() {
            if line == IN_FLIGHT {
                manifest.in_flight = true;
            } else if line.starts_with('#') {
                continue;
            }
            if let Some((hash, path)) = line.split_once("  ") {
                manifest.insert(path.to_owned(), hash.to_owned());
            }
        }
        manifest
    }

    pub(crate) fn insert(&mut self, path: String, hash: String) {
        self.entries.entry(path).or_default().insert(hash);
    }

    pub(crate) fn owns(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Whether `hash` is content fluxspec wrote at `path`.
    pub(crate) fn wrote(&self, path: &str, hash: &str) -> bool {
        self.entries
            .get(path)
            .is_some_and(|hashes| hashes.contains(hash))
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Whether a compile wrote this manifest before its writes and did not finish.
    pub(crate) fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Every entry of both manifests, marked in flight: what a compile in progress may leave on
    /// disk.
    pub(crate) fn in_flight_union(&self, other: &Self) -> Self {
        let mut union = self.clone();
        union.in_flight = true;
        for (path, hashes) in &other.entries {
            union
                .entries
                .entry(path.clone())
                .or_default()
                .extend(hashes.iter().cloned());
        }
        union
    }

    pub(crate) fn to_text(&self) -> String {
        let mut text = HEADER.to_owned();
        if self.in_flight {
            text.push_str(IN_FLIGHT);
            text.push('\n');
        }
        for (path, hashes) in &self.entries {
            for hash in hashes {
                text.push_str(hash);
                text.push_str("  ");
                text.push_str(path);
                text.push('\n');
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::Manifest;

    #[test]
    fn round_trips_and_merges() {
        let mut old = Manifest::default();
        old.insert("a.yaml".to_owned(), "11".to_owned());
        let mut new = Manifest::default();
        new.insert("a.yaml".to_owned(), "22".to_owned());
        new.insert("b/c.yaml".to_owned(), "33".to_owned());
        let union = old.in_flight_union(&new);
        assert!(union.wrote("a.yaml", "11") && union.wrote("a.yaml", "22"));
        assert!(!new.wrote("a.yaml", "11"));
        assert!(union.in_flight() && !old.in_flight() && !new.in_flight());
        assert_eq!(Manifest::parse(&union.to_text()), union);
        assert_eq!(Manifest::parse(&new.to_text()), new);
        assert_eq!(union.paths().collect::<Vec<_>>(), ["a.yaml", "b/c.yaml"]);
    }
}

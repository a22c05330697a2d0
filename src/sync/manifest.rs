//! The ownership manifest: which files in the output directory fluxspec wrote, with their hashes.
//!
//! A text file, one `<blake3>  <path>` line per file in path order, so it diffs well in Git. While
//! a compile is under way a path may be listed with two hashes (its old and new content): both are
//! fluxspec's, and a compile killed at that moment is repaired by the next one without calling the
//! file hand-edited.

use std::collections::{BTreeMap, BTreeSet};

pub(crate) const FILE_NAME: &str = ".fluxspec-manifest";

const HEADER: &str = "# Files fluxspec owns in this directory (blake3 of their content). Written by fluxspec; do not edit.\n";

/// Path -> hashes of content fluxspec wrote there.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    entries: BTreeMap<String, BTreeSet<String>>,
}

impl Manifest {
    pub(crate) fn parse(text: &str) -> Self {
        let mut manifest = Self::default();
        for line in text.lines() {
            if line.starts_with('#') {
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

    /// Every entry of both manifests: what a compile in progress may leave on disk.
    pub(crate) fn union(&self, other: &Self) -> Self {
        let mut union = self.clone();
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
        let union = old.union(&new);
        assert!(union.wrote("a.yaml", "11") && union.wrote("a.yaml", "22"));
        assert!(!new.wrote("a.yaml", "11"));
        assert_eq!(Manifest::parse(&union.to_text()), union);
        assert_eq!(union.paths().collect::<Vec<_>>(), ["a.yaml", "b/c.yaml"]);
    }
}

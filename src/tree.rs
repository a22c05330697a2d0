//! [`FileTree`]: the rendered output, in memory, before it touches the disk.

use std::collections::BTreeMap;

/// Output files by path relative to the output directory (`/`-separated), in path order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FileTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl FileTree {
    pub(crate) fn insert(&mut self, path: String, contents: Vec<u8>) {
        self.files.insert(path, contents);
    }

    pub(crate) fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// The files, in path order, for the one stage that consumes the tree (`sync`'s plan).
    pub(crate) fn into_files(self) -> impl Iterator<Item = (String, Vec<u8>)> {
        self.files.into_iter()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(path, contents)| (path.as_str(), contents.as_slice()))
    }
}

//! The ownership manifest: which files in the output directory fluxspec wrote, with their hashes.
//!
//! A text file, one `<blake3>  <path>` line per file in path order, so it diffs well in Git. While
//! a compile is under way a path may be listed with two hashes (its old and new content): both are
//! fluxspec's, and a compile killed at that moment is repaired by the next one without calling the
//! file hand-edited. Such a manifest also says that it is one (an [`IN_FLIGHT`] line), because
//! then a listed file that is missing was most likely not created yet, not deleted by a person.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use blake3::Hash;

pub(crate) const FILE_NAME: &str = crate::layout::MANIFEST_FILE;

const HEADER: &str = "# Files fluxspec owns in this directory (blake3 of their content). Written by fluxspec; do not edit.\n";

/// The line that marks a manifest written while a compile is under way.
const IN_FLIGHT: &str = "# A compile is under way, or was killed: the next one completes it.";

/// Path -> hashes of content fluxspec wrote there, in the order the text lists them.
///
/// A hash is kept as its 32 bytes, in a `Vec` that holds one (two while a compile is under way):
/// a set of hex strings took ten times the memory, and two manifests of 100 000 files each (the
/// old and the new) were a third of a compile's peak.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    entries: BTreeMap<String, Vec<Hash>>,
    in_flight: bool,
}

/// A manifest line that is not one fluxspec writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidLine {
    /// 1-based.
    pub(crate) number: usize,
    pub(crate) text: String,
    pub(crate) reason: &'static str,
}

impl Manifest {
    /// Parses a manifest, keeping its valid lines and returning the others. The manifest is
    /// committed, so anyone who can send a pull request can write it: a path is only taken when
    /// it is one fluxspec could have written, since the prune deletes what the manifest lists.
    pub(crate) fn parse(text: &str) -> (Self, Vec<InvalidLine>) {
        let mut manifest = Self::default();
        let mut invalid = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line == IN_FLIGHT {
                manifest.in_flight = true;
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            match parse_entry(line) {
                Ok((hash, path)) => manifest.insert(path.to_owned(), hash),
                Err(reason) => invalid.push(InvalidLine {
                    number: index + 1,
                    text: line.to_owned(),
                    reason,
                }),
            }
        }
        (manifest, invalid)
    }

    pub(crate) fn insert(&mut self, path: String, hash: Hash) {
        let hashes = self.entries.entry(path).or_default();
        // Sorted by bytes, which is the order of their hex digits too.
        if let Err(at) = hashes.binary_search_by(|listed| listed.as_bytes().cmp(hash.as_bytes())) {
            hashes.insert(at, hash);
        }
    }

    pub(crate) fn owns(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Whether `hash` is content fluxspec wrote at `path`.
    pub(crate) fn wrote(&self, path: &str, hash: &Hash) -> bool {
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

    /// Writes the manifest of a compile under way from `old` to `new` to `out`: every entry of
    /// both, marked in flight, which is what such a compile may leave on disk. Piece by piece, in
    /// one pass over both: the union of two 100 000-file manifests and its text were 40 MB of a
    /// cold compile's peak.
    pub(crate) fn write_in_flight<'a>(
        old: &'a Self,
        new: &'a Self,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut old_entries = old.entries.iter().peekable();
        let mut new_entries = new.entries.iter().peekable();
        let union = std::iter::from_fn(move || {
            let next = match (old_entries.peek(), new_entries.peek()) {
                (Some((old_path, _)), Some((new_path, _))) => old_path.cmp(new_path),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => return None,
            };
            let borrowed = |(path, hashes): (&'a String, &'a Vec<Hash>)| {
                (path.as_str(), Cow::Borrowed(hashes.as_slice()))
            };
            match next {
                Ordering::Less => old_entries.next().map(borrowed),
                Ordering::Greater => new_entries.next().map(borrowed),
                Ordering::Equal => old_entries.next().zip(new_entries.next()).map(
                    |((path, old_hashes), (_, new_hashes))| {
                        let mut hashes: Vec<Hash> =
                            old_hashes.iter().chain(new_hashes).copied().collect();
                        // Sorted by bytes, the order `insert` keeps, and each once.
                        hashes.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                        hashes.dedup();
                        (path.as_str(), Cow::Owned(hashes))
                    },
                ),
            }
        });
        write_pieces(true, union, out)
    }

    /// Writes this manifest's text to `out`, piece by piece.
    pub(crate) fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let entries = self
            .entries
            .iter()
            .map(|(path, hashes)| (path.as_str(), Cow::Borrowed(hashes.as_slice())));
        write_pieces(self.in_flight, entries, out)
    }

    /// Whether `text` is exactly what [`write_to`](Self::write_to) writes, without building it
    /// (it is as large as the manifest file).
    pub(crate) fn is_text(&self, text: &str) -> bool {
        let mut matcher = PrefixMatcher(Some(text.as_bytes()));
        self.write_to(&mut matcher).is_ok() && matcher.0 == Some(&[])
    }

    /// The manifest [`write_in_flight`](Self::write_in_flight) writes, read back.
    #[cfg(test)]
    pub(crate) fn in_flight_union(&self, other: &Self) -> Self {
        let mut text = Vec::new();
        Self::write_in_flight(self, other, &mut text).expect("writing to a Vec cannot fail");
        let (union, invalid) = Self::parse(std::str::from_utf8(&text).expect("a manifest is text"));
        assert!(invalid.is_empty(), "{invalid:?}");
        union
    }

    #[cfg(test)]
    pub(crate) fn to_text(&self) -> String {
        let mut text = Vec::new();
        self.write_to(&mut text)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(text).expect("a manifest is text")
    }
}

/// A writer that strips what is written off the front of a text, or ends as `None` when what
/// is written is not its beginning.
struct PrefixMatcher<'t>(Option<&'t [u8]>);

impl Write for PrefixMatcher<'_> {
    fn write(&mut self, piece: &[u8]) -> io::Result<usize> {
        self.0 = self.0.and_then(|rest| rest.strip_prefix(piece));
        Ok(piece.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a manifest's text, `entries` in path order, to `out` through a buffer.
fn write_pieces<'a>(
    in_flight: bool,
    entries: impl Iterator<Item = (&'a str, Cow<'a, [Hash]>)>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    out.write_all(HEADER.as_bytes())?;
    if in_flight {
        writeln!(out, "{IN_FLIGHT}")?;
    }
    for (path, hashes) in entries {
        for hash in hashes.iter() {
            writeln!(out, "{}  {path}", hash.to_hex())?;
        }
    }
    out.flush()
}

/// The hash and path of a manifest line, or why it is not one fluxspec writes.
fn parse_entry(line: &str) -> Result<(Hash, &str), &'static str> {
    let (hash, path) = line
        .split_once("  ")
        .ok_or("is not `<blake3 hash>  <path>`")?;
    let not_a_hash = "does not start with a blake3 hash (64 lowercase hex digits)";
    // Lowercase only, as fluxspec writes it: `from_hex` would take uppercase too.
    if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(not_a_hash);
    }
    let hash = Hash::from_hex(hash).map_err(|_| not_a_hash)?;
    check_path(path)?;
    Ok((hash, path))
}

/// Accepts only a path as fluxspec writes it: relative, `/`-separated, every component a plain
/// name. So no two accepted spellings name one file (`a//b`, `./a`), and none leaves the output
/// directory (`/etc/x`, `../x`). Symlinks on the way are the disk's business, checked before
/// anything is deleted.
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.starts_with('/') {
        return Err("names an absolute path");
    }
    // Not a separator on Unix, but one on Windows, and never in a path fluxspec writes.
    if path.contains('\\') {
        return Err("has a backslash in its path");
    }
    if path.chars().any(char::is_control) {
        return Err("has a control character in its path");
    }
    for component in path.split('/') {
        match component {
            "" => return Err("has an empty path component (`//`, or a `/` at an end)"),
            "." => return Err("has a `.` component in its path"),
            ".." => return Err("has a `..` component in its path"),
            _ => {}
        }
    }
    if path == FILE_NAME {
        return Err("names the manifest itself");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use blake3::Hash;

    use super::{Manifest, check_path};

    #[test]
    fn only_plain_relative_paths_are_accepted() {
        for valid in ["a.yaml", "apps/x/base/k.yaml", "..a/b..", ".hidden/x"] {
            assert_eq!(check_path(valid), Ok(()), "{valid}");
        }
        for invalid in [
            "/etc/passwd",
            "../spec/homelab.kdl",
            "apps/../../x",
            "apps//x/base/k.yaml",
            "./x",
            "apps/.",
            "apps/x/",
            "",
            "a\\..\\b",
            "a\u{1b}b",
            ".fluxspec-manifest",
        ] {
            assert!(check_path(invalid).is_err(), "{invalid:?} accepted");
        }
    }

    #[test]
    fn invalid_lines_are_numbered_and_left_out() {
        let hash = "0".repeat(64);
        let text = format!("# header\n{hash}  a.yaml\n{hash}  ../b\nno hash\n");
        let (manifest, invalid) = Manifest::parse(&text);
        assert_eq!(manifest.paths().collect::<Vec<_>>(), ["a.yaml"]);
        let numbers: Vec<usize> = invalid.iter().map(|line| line.number).collect();
        assert_eq!(numbers, [3, 4]);
        assert_eq!(invalid[0].text, format!("{hash}  ../b"));
    }

    #[test]
    fn round_trips_and_merges() {
        let [h1, h2, h3] = ["1", "2", "3"]
            .map(|digit| Hash::from_hex(digit.repeat(64)).expect("64 hex digits are a hash"));
        let mut old = Manifest::default();
        old.insert("a.yaml".to_owned(), h1);
        let mut new = Manifest::default();
        new.insert("a.yaml".to_owned(), h2);
        new.insert("b/c.yaml".to_owned(), h3);
        let union = old.in_flight_union(&new);
        let mut inserted = old.clone();
        inserted.in_flight = true;
        inserted.insert("a.yaml".to_owned(), h2);
        inserted.insert("b/c.yaml".to_owned(), h3);
        assert_eq!(
            union, inserted,
            "the streamed union lists every entry of both, once"
        );
        assert!(union.wrote("a.yaml", &h1) && union.wrote("a.yaml", &h2));
        assert!(!new.wrote("a.yaml", &h1));
        assert!(union.in_flight() && !old.in_flight() && !new.in_flight());
        assert!(union.is_text(&union.to_text()) && new.is_text(&new.to_text()));
        assert!(!union.is_text(&new.to_text()) && !new.is_text(&format!("{}#\n", new.to_text())));
        assert_eq!(
            Manifest::parse(&union.to_text()),
            (union.clone(), Vec::new())
        );
        assert_eq!(Manifest::parse(&new.to_text()), (new, Vec::new()));
        assert_eq!(union.paths().collect::<Vec<_>>(), ["a.yaml", "b/c.yaml"]);
    }
}

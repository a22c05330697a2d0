//! The repository being imported, read once into memory: every regular file under its root
//! (symlinks, devices and `.git` left out), each through [`crate::input::read_capped`]. The
//! lifters look files up by their path from the root and parse YAML on demand.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use walkdir::WalkDir;

use super::ImportError;
use crate::input;

/// The largest file read; a bigger one is left alone and reported.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// The most files read; a repository this large is not a homelab.
const MAX_FILES: usize = 100_000;

/// Every file of the repository by its `/`-separated path from the root.
pub(super) struct SourceRepo {
    files: BTreeMap<String, Vec<u8>>,
    /// Files that could not be read, with why (too large, not UTF-8 ...).
    pub(super) unread: Vec<(String, String)>,
}

impl SourceRepo {
    pub(super) fn read(root: &Path) -> Result<Self, ImportError> {
        let metadata = std::fs::metadata(root).map_err(|source| ImportError::Source {
            path: root.display().to_string(),
            reason: source.to_string(),
        })?;
        if !metadata.is_dir() {
            return Err(ImportError::Source {
                path: root.display().to_string(),
                reason: "not a directory".to_owned(),
            });
        }
        let mut files = BTreeMap::new();
        let mut unread = Vec::new();
        let walk = WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.file_name() != ".git");
        for entry in walk {
            let entry = entry.map_err(|error| ImportError::Source {
                path: root.display().to_string(),
                reason: error.to_string(),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(relative) = relative.to_str().map(|path| path.replace('\\', "/")) else {
                continue;
            };
            if files.len() >= MAX_FILES {
                return Err(ImportError::Source {
                    path: root.display().to_string(),
                    reason: format!("more than {MAX_FILES} files"),
                });
            }
            match input::read_capped(entry.path(), MAX_FILE_BYTES) {
                Ok(bytes) => {
                    files.insert(relative, bytes);
                }
                Err(failure) => unread.push((relative, failure.to_string())),
            }
        }
        Ok(Self { files, unread })
    }

    pub(super) fn bytes(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub(super) fn text(&self, path: &str) -> Option<&str> {
        self.bytes(path)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    pub(super) fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Paths of every file, in name order.
    pub(super) fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The names of the directories directly under `dir`, in name order.
    pub(super) fn subdirectories(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{}/", dir.trim_end_matches('/'))
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix))
            .filter_map(|rest| rest.split_once('/').map(|(name, _)| name.to_owned()))
            .collect();
        names.dedup();
        names
    }

    /// The YAML documents of a file; `None` when it is missing or not YAML.
    pub(super) fn documents(&self, path: &str) -> Option<Vec<Value>> {
        parse_documents(self.text(path)?).ok()
    }

    /// The one YAML document of a file.
    pub(super) fn document(&self, path: &str) -> Option<Value> {
        self.documents(path)?
            .into_iter()
            .find(|document| !document.is_null())
    }
}

impl SourceRepo {
    /// Where an object `kind`/`name` is written: the first YAML file (in name order, those
    /// under `near` first) with a document of that kind and name, and the line of its `kind:`.
    pub(super) fn locate(&self, near: &str, kind: &str, name: &str) -> Option<(String, usize)> {
        let near = format!("{}/", near.trim_end_matches('/'));
        let (close, far): (Vec<&str>, Vec<&str>) = self
            .paths()
            .filter(|path| super::is_yaml(path))
            .partition(|path| path.starts_with(&near));
        close.into_iter().chain(far).find_map(|path| {
            let text = self.text(path)?;
            let mut start = 0;
            for (index, line) in text.lines().enumerate() {
                if line.starts_with("---") {
                    start = index + 1;
                }
                if line.trim_end() != format!("kind: {kind}") {
                    continue;
                }
                let document: String = text
                    .lines()
                    .skip(start)
                    .take_while(|line| !line.starts_with("---"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let named = parse_documents(&document).ok().is_some_and(|documents| {
                    documents
                        .iter()
                        .any(|document| text_at(document, &["metadata", "name"]) == Some(name))
                });
                if named {
                    return Some((path.to_owned(), index + 1));
                }
            }
            None
        })
    }
}

impl SourceRepo {
    /// Where a variable is used in an object of `kind`: the first YAML file (in name order,
    /// those under `near` first) with a document of that kind, and the line of its first
    /// `${variable` in that document.
    pub(super) fn locate_use(
        &self,
        near: &str,
        kind: &str,
        variable: &str,
    ) -> Option<(String, usize)> {
        let near = format!("{}/", near.trim_end_matches('/'));
        let (close, far): (Vec<&str>, Vec<&str>) = self
            .paths()
            .filter(|path| super::is_yaml(path))
            .partition(|path| path.starts_with(&near));
        let reference = format!("${{{variable}");
        close.into_iter().chain(far).find_map(|path| {
            let text = self.text(path)?;
            let mut document_kind = false;
            let mut first_use = None;
            for (index, line) in text.lines().enumerate() {
                if line.starts_with("---") {
                    if document_kind && first_use.is_some() {
                        break;
                    }
                    (document_kind, first_use) = (false, None);
                }
                document_kind |= line.trim_end() == format!("kind: {kind}");
                let names_it = line.match_indices(&reference).any(|(at, _)| {
                    !line[at + reference.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                if first_use.is_none() && names_it {
                    first_use = Some(index + 1);
                }
            }
            let line = first_use.filter(|_| document_kind)?;
            Some((path.to_owned(), line))
        })
    }
}

/// How every YAML file is read: as the compiler reads the files a spec names
/// ([`crate::resolve::yaml_options`]: duplicate keys are errors and `0775` is octal, as in
/// kustomize).
pub(super) fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple_with_options::<Value>(text, crate::resolve::yaml_options())
        .map(|documents| documents.into_iter().filter(|d| !d.is_null()).collect())
        .map_err(|error| error.to_string())
}

/// `value` at the keys of `path`.
pub(super) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

/// The string at `path`, if it is one.
pub(super) fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path).and_then(Value::as_str)
}

/// A scalar as the text it would be in YAML: strings as they are, numbers and booleans written.
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The `metadata.name` of an object.
pub(super) fn name(value: &Value) -> &str {
    text_at(value, &["metadata", "name"]).unwrap_or_default()
}

/// A kustomize `resources`-like list of strings.
pub(super) fn string_list(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

//! A Flux repository on disk read into a [`FileTree`], as source-controller would package it
//! for kustomize-controller: regular files only, each through [`read_capped`], `.git/` left out,
//! and the files the repository's root `.sourceignore` and source-controller's default
//! exclusions name left out too (`build --repo`).
//!
//! A symlink is followed when its target is a regular file inside the repository and refused
//! when it leads outside; a symlink to a directory is not followed (source-controller archives
//! no directory links either). `.sourceignore` is read with gitignore's common rules: `#`
//! comments, `!` to re-include, a leading `/` or an inner `/` anchoring a pattern at the root,
//! a trailing `/` for directories only, `*`, `?` and `**`; a file inside an ignored directory
//! stays ignored. Character classes (`[...]`) match literally.

use std::path::Path;

use walkdir::WalkDir;

use super::BuildError;
use crate::input::read_capped;
use crate::tree::FileTree;

/// The largest file read, as for the spec.
const FILE_LIMIT: u64 = 16 * 1024 * 1024;
/// The most files read: a repository with more is not a Flux repository `build` can help with.
const FILES_LIMIT: usize = 100_000;

/// What source-controller leaves out of every GitRepository artifact
/// (`pkg/sourceignore`, `VCSPatterns` and `ExcludeExt`, `ExcludeCI`, `ExcludeExtra`).
const DEFAULT_IGNORES: &[&str] = &[
    ".git/",
    ".gitignore",
    ".gitmodules",
    ".gitattributes",
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// Reads the repository at `dir`.
pub(super) fn read(dir: &Path) -> Result<FileTree, BuildError> {
    let failed = |path: &Path, reason: String| BuildError::Repository {
        path: path.display().to_string(),
        reason,
    };
    let root = dir
        .canonicalize()
        .map_err(|error| failed(dir, error.to_string()))?;
    if !root.is_dir() {
        return Err(failed(dir, "it is not a directory".to_owned()));
    }
    let mut ignore = Ignore::new(DEFAULT_IGNORES.iter().copied());
    let sourceignore = root.join(".sourceignore");
    if sourceignore.is_file() {
        let text = read_capped(&sourceignore, FILE_LIMIT)
            .map_err(|failure| failed(&sourceignore, failure.to_string()))?;
        ignore.extend(String::from_utf8_lossy(&text).lines());
    }
    let mut tree = FileTree::default();
    let mut walk = WalkDir::new(&root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|error| failed(dir, error.to_string()))?;
        let path = entry.path();
        let relative = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let file_type = entry.file_type();
        if file_type.is_dir() {
            if ignore.ignores(&relative, true) {
                walk.skip_current_dir();
            }
            continue;
        }
        if ignore.ignores(&relative, false) {
            continue;
        }
        if file_type.is_symlink() {
            let target = path
                .canonicalize()
                .map_err(|error| failed(path, error.to_string()))?;
            if !target.starts_with(&root) {
                return Err(failed(
                    path,
                    "it is a symlink to a path outside the repository".to_owned(),
                ));
            }
            if !target.is_file() {
                continue;
            }
        } else if !file_type.is_file() {
            continue;
        }
        let bytes =
            read_capped(path, FILE_LIMIT).map_err(|failure| failed(path, failure.to_string()))?;
        tree.insert(relative, bytes);
        if tree.len() > FILES_LIMIT {
            return Err(failed(
                dir,
                format!("it holds more than {FILES_LIMIT} files"),
            ));
        }
    }
    Ok(tree)
}

/// Gitignore-style patterns, the last that matches deciding.
struct Ignore {
    patterns: Vec<Pattern>,
}

struct Pattern {
    negated: bool,
    directory_only: bool,
    /// Matched against the whole path, rather than against the last segment.
    anchored: bool,
    segments: Vec<String>,
}

impl Ignore {
    fn new<'a>(lines: impl Iterator<Item = &'a str>) -> Self {
        let mut ignore = Self {
            patterns: Vec::new(),
        };
        ignore.extend(lines);
        ignore
    }

    fn extend<'a>(&mut self, lines: impl Iterator<Item = &'a str>) {
        for line in lines {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, line) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (directory_only, line) = match line.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let anchored = line.contains('/');
            let segments = line
                .trim_start_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect();
            self.patterns.push(Pattern {
                negated,
                directory_only,
                anchored,
                segments,
            });
        }
    }

    /// Whether `path` (relative, `/`-separated) is ignored; its parent directories are already
    /// known not to be, as the walk skips ignored directories.
    fn ignores(&self, path: &str, directory: bool) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let mut ignored = false;
        for pattern in &self.patterns {
            if pattern.directory_only && !directory {
                continue;
            }
            let matched = if pattern.anchored {
                matches_segments(&pattern.segments, &parts)
            } else {
                parts
                    .last()
                    .is_some_and(|name| matches_segments(&pattern.segments, &[name]))
            };
            if matched {
                ignored = !pattern.negated;
            }
        }
        ignored
    }
}

/// Whether path segments match pattern segments, `**` standing for any number of segments.
fn matches_segments(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| matches_segments(rest, &path[skip..]))
        }
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(name, others)| wildcard(first, name) && matches_segments(rest, others)),
    }
}

/// `*` any run of characters, `?` one character, in one segment.
fn wildcard(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let mut table = vec![vec![false; name.len() + 1]; pattern.len() + 1];
    table[0][0] = true;
    for p in 1..=pattern.len() {
        table[p][0] = table[p - 1][0] && pattern[p - 1] == '*';
        for n in 1..=name.len() {
            table[p][n] = match pattern[p - 1] {
                '*' => table[p - 1][n] || table[p][n - 1],
                '?' => table[p - 1][n - 1],
                c => table[p - 1][n - 1] && c == name[n - 1],
            };
        }
    }
    table[pattern.len()][name.len()]
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    // The `.sourceignore` of fluxcd/flux2-kustomize-helm-example.
    #[test]
    fn sourceignore_excludes_all_but_the_manifest_directories() {
        let root = tempfile::tempdir().unwrap();
        for path in [
            ".sourceignore",
            "README.md",
            "apps/base/a.yaml",
            "clusters/dev/sync.yaml",
            "scripts/validate.sh",
            ".github/workflows/ci.yaml",
            "apps/.sops.yaml",
            "apps/logo.png",
        ] {
            let file = root.path().join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, "x").unwrap();
        }
        fs::write(
            root.path().join(".sourceignore"),
            "# Exclude all\n/*\n\n# Include manifest directories\n!/apps/\n!/clusters/\n",
        )
        .unwrap();
        let tree = read(root.path()).unwrap();
        let paths: Vec<&str> = tree.iter().map(|(path, _)| path).collect();
        assert_eq!(paths, ["apps/base/a.yaml", "clusters/dev/sync.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_repository_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), "x").unwrap();
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("a.yaml"), "a").unwrap();
        std::os::unix::fs::symlink(root.path().join("a.yaml"), root.path().join("b.yaml")).unwrap();
        let tree = read(root.path()).unwrap();
        assert_eq!(tree.get("b.yaml"), Some(&b"a"[..]));
        std::os::unix::fs::symlink(
            outside.path().join("secret.yaml"),
            root.path().join("c.yaml"),
        )
        .unwrap();
        let error = read(root.path()).unwrap_err().to_string();
        assert!(error.contains("outside the repository"), "{error}");
    }

    #[test]
    fn patterns_follow_gitignore() {
        let ignore = Ignore::new(["*.md", "/build/", "docs/**/draft-*", "!keep.md"].into_iter());
        assert!(ignore.ignores("a/b/notes.md", false));
        assert!(!ignore.ignores("a/keep.md", false));
        assert!(ignore.ignores("build", true));
        assert!(!ignore.ignores("build", false));
        assert!(!ignore.ignores("src/build", true));
        assert!(ignore.ignores("docs/x/y/draft-1.yaml", false));
        assert!(!ignore.ignores("docs/x/final.yaml", false));
    }
}

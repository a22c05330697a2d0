//! The files of an `ExternalArtifact` that an `ArtifactGenerator` (`source.extensions.fluxcd.io`,
//! Flux's source-watcher) makes from this repository, by its `copy` rules, as source-watcher's
//! builder (`internal/builder`) applies them:
//!
//! - `from: "@alias/pattern"`, `to: "@artifact/path"`, in order, a later copy overwriting an
//!   earlier one's files;
//! - a pattern with glob characters is matched with Go's `fs.Glob`: one path segment per pattern
//!   segment, `*` and `?` never crossing a `/` (so `**` is `*`); each match, file or directory (a
//!   directory copied whole), goes to `path/<match>`, except that for a pattern ending in `/**`
//!   the directory before it is stripped (`@repo/apps/base/**` to `@artifact/base/` puts
//!   `apps/base/podinfo/` at `base/podinfo/`); no match is an error;
//! - a pattern without one names a file or a directory, copied as `cp -r` does: a file to `path`
//!   (or into it when `path` ends with `/` or is a directory already), a directory into
//!   `path/<its name>/` (the root, `@alias/`, into `path/` itself).
//!
//! Left out, and reported as such by the caller: `exclude` lists, the `Merge` and `Extract`
//! strategies, character classes (`[...]`) in patterns, and sources other than this repository.
//! Boundary: pure, on in-memory trees.

use serde::Deserialize;
use serde_json::Value;

use super::object::Object;
use crate::tree::FileTree;

/// The API group and kind of the generator.
pub(super) const GROUP: &str = "source.extensions.fluxcd.io";
pub(super) const KIND: &str = "ArtifactGenerator";

#[derive(Debug, Deserialize)]
struct GeneratorSpec {
    #[serde(default)]
    sources: Vec<GeneratorSource>,
    #[serde(default)]
    artifacts: Vec<OutputArtifact>,
}

/// One of the generator's inputs, by alias.
#[derive(Debug, Deserialize)]
pub(super) struct GeneratorSource {
    pub(super) alias: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OutputArtifact {
    name: String,
    #[serde(default)]
    copy: Vec<CopyOperation>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CopyOperation {
    from: String,
    to: String,
    #[serde(default)]
    exclude: Vec<String>,
    strategy: Option<String>,
}

/// Whether `generator` declares an artifact named `name`.
pub(super) fn declares(generator: &Object, name: &str) -> bool {
    read_spec(generator).is_ok_and(|spec| spec.artifacts.iter().any(|a| a.name == name))
}

/// The files of artifact `name` of `generator`. `is_repository` tells which sources are this
/// repository (whose files are `repository`); any other source, or a feature left out, is an
/// error saying why the artifact is not built.
pub(super) fn artifact_tree(
    generator: &Object,
    name: &str,
    repository: &FileTree,
    is_repository: impl Fn(&GeneratorSource) -> bool,
) -> Result<FileTree, String> {
    let spec = read_spec(generator)?;
    let artifact = spec
        .artifacts
        .iter()
        .find(|artifact| artifact.name == name)
        .ok_or_else(|| format!("the generator declares no artifact `{name}`"))?;
    let mut staging = FileTree::default();
    for operation in &artifact.copy {
        let (alias, pattern) = operation
            .from
            .strip_prefix('@')
            .and_then(|from| from.split_once('/'))
            .ok_or_else(|| format!("copy source `{}` is not `@alias/pattern`", operation.from))?;
        let source = spec
            .sources
            .iter()
            .find(|source| source.alias == alias)
            .ok_or_else(|| format!("copy source alias `{alias}` is not among its sources"))?;
        if !is_repository(source) {
            return Err(format!(
                "its source `{alias}` is {} `{}`, not this repository",
                source.kind, source.name
            ));
        }
        copy(operation, pattern, repository, &mut staging)
            .map_err(|reason| format!("copy from `{}`: {reason}", operation.from))?;
    }
    Ok(staging)
}

fn read_spec(generator: &Object) -> Result<GeneratorSpec, String> {
    let spec = generator.value.get("spec").cloned().unwrap_or(Value::Null);
    serde_json::from_value(spec).map_err(|error| format!("cannot read its `spec`: {error}"))
}

/// Applies one copy operation from `source` into `staging`.
pub(super) fn copy(
    operation: &CopyOperation,
    pattern: &str,
    source: &FileTree,
    staging: &mut FileTree,
) -> Result<(), String> {
    if !operation.exclude.is_empty() {
        return Err("`exclude` is not supported by `build`".to_owned());
    }
    if let Some(strategy) = operation.strategy.as_deref()
        && strategy != "Overwrite"
    {
        return Err(format!(
            "the `{strategy}` strategy is not supported by `build`"
        ));
    }
    let destination = operation.to.strip_prefix("@artifact/").ok_or_else(|| {
        format!(
            "destination `{}` does not start with `@artifact/`",
            operation.to
        )
    })?;
    let into_directory = operation.to.ends_with('/');
    let destination = clean(destination);
    if pattern.contains(['[', ']']) {
        return Err("character classes (`[...]`) are not supported by `build`".to_owned());
    }
    if !pattern.contains(['*', '?']) {
        return copy_path(
            &clean(pattern),
            &destination,
            into_directory,
            source,
            staging,
        );
    }
    let segments: Vec<&str> = pattern.split('/').collect();
    let matches: Vec<String> = entries(source)
        .into_iter()
        .filter(|entry| {
            let parts: Vec<&str> = entry.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| segment_matches(segment, part))
        })
        .collect();
    if matches.is_empty() {
        return Err(format!("no files match `{pattern}`"));
    }
    let stripped = pattern
        .strip_suffix("/**")
        .map(|prefix| format!("{prefix}/"));
    for entry in matches {
        let relative = stripped
            .as_deref()
            .and_then(|prefix| entry.strip_prefix(prefix))
            .unwrap_or(&entry);
        copy_under(&entry, &join(&destination, relative), source, staging);
    }
    Ok(())
}

/// A pattern without glob characters: a file or a directory, as `cp -r` copies it.
fn copy_path(
    path: &str,
    destination: &str,
    into_directory: bool,
    source: &FileTree,
    staging: &mut FileTree,
) -> Result<(), String> {
    let base = path.rsplit('/').next().unwrap_or(path);
    if source.get(path).is_some() {
        let target = if into_directory || is_directory(staging, destination) {
            join(destination, base)
        } else {
            destination.to_owned()
        };
        copy_under(path, &target, source, staging);
        return Ok(());
    }
    if path.is_empty() || is_directory(source, path) {
        copy_under(path, &join(destination, base), source, staging);
        return Ok(());
    }
    Err(format!("`{path}` does not exist"))
}

/// Copies the file at `path`, or every file under the directory at `path`, to `target`.
fn copy_under(path: &str, target: &str, source: &FileTree, staging: &mut FileTree) {
    for (file, bytes) in source.iter() {
        let relative = if file == path {
            Some("")
        } else if path.is_empty() {
            Some(file)
        } else {
            file.strip_prefix(path)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        if let Some(relative) = relative {
            staging.insert(join(target, relative), bytes.to_vec());
        }
    }
}

/// Every file and directory of `tree`, as `fs.Glob` sees them, in lexical order.
fn entries(tree: &FileTree) -> Vec<String> {
    let mut entries = std::collections::BTreeSet::new();
    for (path, _) in tree.iter() {
        let mut end = 0;
        for part in path.split('/') {
            end += part.len();
            entries.insert(path[..end].to_owned());
            end += 1;
        }
    }
    entries.into_iter().collect()
}

fn is_directory(tree: &FileTree, path: &str) -> bool {
    let prefix = format!("{path}/");
    tree.iter().any(|(file, _)| file.starts_with(&prefix))
}

/// Go's `path.Match` for one segment, without character classes: `*` is any run of characters,
/// `?` one character.
fn segment_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some('?') => {
                p += 1;
                n += 1;
            }
            Some(&c) if c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// A `/`-separated path without `.` segments or leading and trailing slashes.
fn clean(path: &str) -> String {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn join(base: &str, relative: &str) -> String {
    match (base.is_empty(), relative.is_empty()) {
        (true, _) => relative.to_owned(),
        (_, true) => base.to_owned(),
        _ => format!("{base}/{relative}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> FileTree {
        let mut tree = FileTree::default();
        for path in paths {
            tree.insert((*path).to_owned(), path.as_bytes().to_vec());
        }
        tree
    }

    fn paths(tree: &FileTree) -> Vec<&str> {
        tree.iter().map(|(path, _)| path).collect()
    }

    fn run(copies: &[(&str, &str)], source: &FileTree) -> Result<FileTree, String> {
        let mut staging = FileTree::default();
        for (from, to) in copies {
            let operation = CopyOperation {
                from: (*from).to_owned(),
                to: (*to).to_owned(),
                exclude: Vec::new(),
                strategy: None,
            };
            let pattern = from.strip_prefix("@repo/").unwrap();
            copy(&operation, pattern, source, &mut staging)?;
        }
        Ok(staging)
    }

    const REPO: &[&str] = &[
        "apps/base/podinfo/kustomization.yaml",
        "apps/base/podinfo/release.yaml",
        "apps/staging/kustomization.yaml",
        "apps/staging/values.yaml",
        "infrastructure/configs/kustomization.yaml",
        "infrastructure/controllers/kustomization.yaml",
        "README.md",
    ];

    // The rules of fluxcd/flux2-kustomize-helm-example's `clusters/staging/artifacts.yaml`.
    #[test]
    fn recursive_patterns_strip_their_directory() {
        let source = tree(REPO);
        let apps = run(
            &[
                ("@repo/apps/base/**", "@artifact/base/"),
                ("@repo/apps/staging/**", "@artifact/staging/"),
            ],
            &source,
        )
        .unwrap();
        assert_eq!(
            paths(&apps),
            [
                "base/podinfo/kustomization.yaml",
                "base/podinfo/release.yaml",
                "staging/kustomization.yaml",
                "staging/values.yaml",
            ]
        );
        let infrastructure = run(&[("@repo/infrastructure/**", "@artifact/")], &source).unwrap();
        assert_eq!(
            paths(&infrastructure),
            [
                "configs/kustomization.yaml",
                "controllers/kustomization.yaml"
            ]
        );
    }

    #[test]
    fn other_globs_keep_the_matched_path_and_stay_in_one_segment() {
        let source = tree(REPO);
        let copied = run(
            &[("@repo/apps/*/kustomization.yaml", "@artifact/x/")],
            &source,
        )
        .unwrap();
        assert_eq!(paths(&copied), ["x/apps/staging/kustomization.yaml"]);
        assert_eq!(
            run(&[("@repo/*.md", "@artifact/")], &source).map(|t| paths(&t).join(",")),
            Ok("README.md".to_owned())
        );
        assert_eq!(
            run(&[("@repo/nothing/**", "@artifact/")], &source).map(|_| ()),
            Err("no files match `nothing/**`".to_owned())
        );
    }

    #[test]
    fn plain_paths_copy_like_cp() {
        let source = tree(REPO);
        let file = run(
            &[("@repo/apps/staging/values.yaml", "@artifact/v.yaml")],
            &source,
        )
        .unwrap();
        assert_eq!(paths(&file), ["v.yaml"]);
        let into = run(
            &[("@repo/apps/staging/values.yaml", "@artifact/d/")],
            &source,
        )
        .unwrap();
        assert_eq!(paths(&into), ["d/values.yaml"]);
        let directory = run(&[("@repo/apps/staging", "@artifact/")], &source).unwrap();
        assert_eq!(
            paths(&directory),
            ["staging/kustomization.yaml", "staging/values.yaml"]
        );
        let root = run(&[("@repo/", "@artifact/all/")], &source).unwrap();
        assert_eq!(paths(&root).len(), REPO.len());
        assert!(run(&[("@repo/missing.yaml", "@artifact/")], &source).is_err());
    }

    #[test]
    fn later_copies_overwrite_earlier_ones() {
        let mut source = tree(&["a/x.yaml", "b/x.yaml"]);
        source.insert("b/x.yaml".to_owned(), b"second".to_vec());
        let copied = run(
            &[("@repo/a/**", "@artifact/"), ("@repo/b/**", "@artifact/")],
            &source,
        )
        .unwrap();
        assert_eq!(copied.get("x.yaml"), Some(&b"second"[..]));
    }

    #[test]
    fn unsupported_features_are_refused() {
        let source = tree(REPO);
        let mut staging = FileTree::default();
        let operation = |exclude: Vec<String>, strategy: Option<&str>| CopyOperation {
            from: "@repo/apps/**".to_owned(),
            to: "@artifact/".to_owned(),
            exclude,
            strategy: strategy.map(str::to_owned),
        };
        let refused = |operation: CopyOperation| {
            copy(&operation, "apps/**", &source, &mut FileTree::default()).unwrap_err()
        };
        assert!(refused(operation(vec!["**/*.md".to_owned()], None)).contains("exclude"));
        assert!(refused(operation(Vec::new(), Some("Merge"))).contains("Merge"));
        copy(
            &operation(Vec::new(), Some("Overwrite")),
            "apps/**",
            &source,
            &mut staging,
        )
        .unwrap();
        assert!(segment_matches("*.yaml", "a.yaml"));
        assert!(segment_matches("a?c*", "abcdef"));
        assert!(!segment_matches("*.yaml", "a.yml"));
    }
}

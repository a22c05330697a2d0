//! Where the spec's repository is, and so where its output directory goes.
//!
//! Flux reaches the output through `settings { output-path }`, a path from the root of the Git
//! repository it syncs. So the output directory on disk is that path from the spec's repository
//! root — the nearest ancestor of the spec directory holding `.git` (a directory, or a file in a
//! worktree), or else the spec directory's parent — and the spec and the tree agree by
//! construction. An explicit `--out` elsewhere would write a tree whose Flux paths point nowhere:
//! it is an error naming both. Looks only at paths; reads and writes nothing.

use std::path::{Component, Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::compile::Loaded;

/// The spec's `output-path` setting, and where the spec declares it, if it does.
#[derive(Debug)]
pub(crate) struct OutputPath {
    /// As the model has it: `./generated`, without a trailing `/`.
    value: String,
    /// The spec and the setting's span, for the diagnostic.
    declared: Option<(NamedSource<String>, SourceSpan)>,
}

impl OutputPath {
    /// The output directory's path from the repository root, `/`-separated: `generated`.
    pub(crate) fn relative_to_root(&self) -> String {
        self.value.trim_start_matches("./").to_owned()
    }

    /// The setting of a loaded spec; `name` names the spec in diagnostics.
    pub(crate) fn of(name: &str, loaded: &Loaded) -> Self {
        let span = loaded
            .syntax
            .settings
            .as_ref()
            .and_then(|settings| settings.output_path.as_ref())
            .map(|path| path.span);
        Self {
            value: loaded.model.settings.output_path.clone(),
            declared: span.map(|span| (NamedSource::new(name, loaded.text.clone()), span)),
        }
    }
}

#[derive(Debug, Error, Diagnostic)]
#[error(
    "`--out {given}` is not where `output-path \"{output_path}\"` puts the output: `{expected}`"
)]
#[diagnostic(
    code("fluxspec::output-path-mismatch"),
    help(
        "Flux finds the output at `output-path` from the repository root `{root}`; leave out \
         `--out` to write it there, or change `output-path` to where the output belongs"
    )
)]
pub(crate) struct OutputPathMismatch {
    given: String,
    output_path: String,
    expected: String,
    root: String,
    #[source_code]
    source_code: Option<NamedSource<String>>,
    #[label("Flux looks for the output here, from `{root}`")]
    span: Option<SourceSpan>,
}

/// The root of the repository holding `spec`: the nearest ancestor of its directory with a
/// `.git` entry, or else the spec directory's parent (its own directory if it has none).
pub(crate) fn root(spec: &Path) -> PathBuf {
    let spec_dir = resolved(spec_dir(spec));
    if let Some(git_root) = spec_dir
        .ancestors()
        .find(|dir| dir.join(".git").symlink_metadata().is_ok())
    {
        return git_root.to_path_buf();
    }
    spec_dir
        .parent()
        .map_or(spec_dir.clone(), Path::to_path_buf)
}

/// How generated files name the spec: its path from the repository root, `/`-separated, so the
/// header is the same on every machine.
pub(crate) fn spec_label(spec: &Path) -> String {
    let spec_dir = resolved(spec_dir(spec));
    let root = root(spec);
    let dir = spec_dir.strip_prefix(&root).unwrap_or(Path::new(""));
    dir.join(spec.file_name().unwrap_or_default())
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The output directory: `--out` if given and it is where `output-path` says, else that place.
/// The default is shown relative to the working directory when it is under it.
pub(crate) fn output_dir(
    spec: &Path,
    given: Option<&Path>,
    output_path: OutputPath,
) -> Result<PathBuf, Box<OutputPathMismatch>> {
    let root = root(spec);
    let expected = root.join(relative(&output_path.value));
    let Some(given) = given else {
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| expected.strip_prefix(resolved(&cwd)).ok())
            .filter(|relative| !relative.as_os_str().is_empty())
            .map_or_else(|| expected.clone(), Path::to_path_buf);
        return Ok(shown);
    };
    if resolved(given) == expected {
        return Ok(given.to_path_buf());
    }
    let (source_code, span) = output_path.declared.unzip();
    Err(Box::new(OutputPathMismatch {
        given: given.display().to_string(),
        output_path: output_path.value,
        expected: expected.display().to_string(),
        root: root.display().to_string(),
        source_code,
        span,
    }))
}

/// The directory holding the spec file.
fn spec_dir(spec: &Path) -> &Path {
    match spec.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `./a/b` as the relative path `a/b` (resolve checked it has no `..` and no empty part).
fn relative(output_path: &str) -> PathBuf {
    Path::new(output_path)
        .components()
        .filter(|component| matches!(component, Component::Normal(_)))
        .collect()
}

/// `path` absolute with symlinks resolved, as far as it exists; the rest appended as written.
/// (The output directory may not exist before the first compile.)
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest
                .iter()
                .rev()
                .fold(canonical, |path, part| path.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_path_is_taken_from_the_root() {
        assert_eq!(relative("./generated"), Path::new("generated"));
        assert_eq!(relative("./deploy/flux"), Path::new("deploy/flux"));
    }

    #[test]
    fn a_path_not_yet_created_resolves_through_its_existing_ancestors() {
        let temp = tempfile::tempdir().expect("temp dir");
        let canonical = temp.path().canonicalize().expect("canonical temp dir");
        assert_eq!(
            resolved(&temp.path().join("a/b")),
            canonical.join("a").join("b")
        );
    }

    #[test]
    fn the_root_is_the_nearest_git_root_else_the_spec_directory_parent() {
        let temp = tempfile::tempdir().expect("temp dir");
        let top = temp.path().canonicalize().expect("canonical temp dir");
        std::fs::create_dir_all(top.join("repo/infra/spec")).expect("dirs");
        assert_eq!(
            root(&top.join("repo/infra/spec/homelab.kdl")),
            top.join("repo/infra")
        );
        // A worktree's `.git` is a file.
        std::fs::write(top.join("repo/.git"), "gitdir: elsewhere\n").expect(".git file");
        assert_eq!(
            root(&top.join("repo/infra/spec/homelab.kdl")),
            top.join("repo")
        );
    }
}

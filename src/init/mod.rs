//! `fluxspec init`: writes a starter spec into a directory, for the CLI to compile.
//!
//! The starter (`src/init/starter/`, embedded in the binary) is a small complete home lab: two
//! clusters, a Helm app, an image app and a component, every line commented. It is written into
//! `spec/` of the target directory. Nothing is ever overwritten: if any starter file exists, or
//! `generated/` already has content, nothing is written at all. No `.gitignore` entry is needed:
//! both `spec/` and `generated/` (with its `.fluxspec-manifest`) belong in Git, and fluxspec
//! leaves no other files behind.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

/// The starter files, by path relative to the target directory.
const STARTER: &[(&str, &str)] = &[
    ("spec/homelab.kdl", include_str!("starter/homelab.kdl")),
    (
        "spec/apps/podinfo/values.yaml",
        include_str!("starter/apps/podinfo/values.yaml"),
    ),
    (
        "spec/apps/whoami/deployment.yaml",
        include_str!("starter/apps/whoami/deployment.yaml"),
    ),
    (
        "spec/apps/whoami/service.yaml",
        include_str!("starter/apps/whoami/service.yaml"),
    ),
    (
        "spec/components/ingress/ingress.yaml",
        include_str!("starter/components/ingress/ingress.yaml"),
    ),
];

/// Where the starter spec goes, relative to the target directory.
pub(crate) const SPEC: &str = "spec/homelab.kdl";
/// Where its first compile goes.
pub(crate) const OUT: &str = crate::layout::DEFAULT_OUTPUT_DIR;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum InitError {
    #[error("a spec already exists at `{path}`")]
    #[diagnostic(
        code("fluxspec::init-exists"),
        help("`fluxspec init` never overwrites a file; edit the spec, or init another directory")
    )]
    SpecExists { path: String },
    #[error("{} starter file(s) are in the way: {}", .paths.len(), .paths.join(", "))]
    #[diagnostic(
        code("fluxspec::init-exists"),
        help("`fluxspec init` never overwrites a file; move them away, or init another directory")
    )]
    FilesExist { paths: Vec<String> },
    #[error("`{path}` already has content")]
    #[diagnostic(
        code("fluxspec::init-exists"),
        help("the first compile would take it over; move it away, or init another directory")
    )]
    OutputExists { path: String },
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code("fluxspec::io"))]
    Io {
        action: &'static str,
        path: String,
        source: io::Error,
    },
}

/// `relative` inside `dir` as the user would type it from here: `spec/homelab.kdl` rather than
/// `./spec/homelab.kdl` when `dir` is the current directory.
pub(crate) fn shown(dir: &Path, relative: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(relative)
    } else {
        dir.join(relative)
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> InitError {
    let path = path.display().to_string();
    move |source| InitError::Io {
        action,
        path,
        source,
    }
}

/// Writes the starter files into `dir` (created if missing) and returns their paths relative to
/// it, or writes nothing if any of them, or a non-empty `generated/`, is there already.
pub(crate) fn write_starter(dir: &Path) -> Result<Vec<&'static str>, InitError> {
    if dir.join(SPEC).symlink_metadata().is_ok() {
        return Err(InitError::SpecExists {
            path: shown(dir, SPEC).display().to_string(),
        });
    }
    let in_the_way: Vec<String> = STARTER
        .iter()
        .filter(|(path, _)| dir.join(path).symlink_metadata().is_ok())
        .map(|(path, _)| shown(dir, path).display().to_string())
        .collect();
    if !in_the_way.is_empty() {
        return Err(InitError::FilesExist { paths: in_the_way });
    }
    let out = dir.join(OUT);
    if let Ok(mut entries) = fs::read_dir(&out)
        && entries.next().is_some()
    {
        return Err(InitError::OutputExists {
            path: shown(dir, OUT).display().to_string(),
        });
    }
    let mut written = Vec::new();
    for (relative, contents) in STARTER {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error("create", parent))?;
        }
        // `create_new`: a file that appeared since the check above is still not overwritten.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error("create", &path))?;
        file.write_all(contents.as_bytes())
            .map_err(io_error("write", &path))?;
        written.push(*relative);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::{SPEC, STARTER};

    /// The spec the CLI compiles after init is the one written.
    #[test]
    fn the_starter_holds_the_spec() {
        assert!(STARTER.iter().any(|(path, _)| *path == SPEC));
    }

    /// Every starter file ends with a newline and has no trailing whitespace (as fmt and
    /// editors would leave them).
    #[test]
    fn starter_files_are_tidy() {
        for (path, contents) in STARTER {
            assert!(contents.ends_with('\n'), "{path}");
            for (number, line) in contents.lines().enumerate() {
                assert_eq!(line, line.trim_end(), "{path}:{}", number + 1);
            }
        }
    }
}

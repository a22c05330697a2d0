//! `fluxspec renovate`: the Renovate config that keeps the spec's versions current.
//!
//! Renovate cannot parse KDL, so the config is a set of regex `customManagers` with
//! `matchStringsStrategy: "recursive"`: a top-level `app` block, then a `helm` or `image` block in
//! it, then each line of that block, then the version line's parts. Each `version` line becomes
//! one dependency whose `depType` is its cluster (`default` for the line without `cluster=`), so
//! branch names and PR titles carry the cluster, and rules can gate a cluster by `matchDepTypes`.
//! The patterns use no lookaround and no backreference, because hosted Renovate runs them with
//! RE2; each block is matched brace by brace (strings and comments may hold braces), so a nested
//! block or a comment never hides the lines after it.
//!
//! Regexes cannot read KDL exactly, so this module proves, for the spec at hand, that they see
//! what fluxspec sees: it runs the patterns the way Renovate does (with the `regex` crate, whose
//! syntax is RE2's) and compares every dependency found with the versions the parser read, by
//! source position. A version Renovate would miss, or text it would take for a version, is an
//! error pointing at the line. This module builds text and reads the spec; it prints nothing, and
//! writes only the config file it is asked to.
//!
//! `mod.rs` checks the options and reads the spec; `managers` builds the regex custom managers (the
//! patterns), `coverage` runs them as Renovate would and compares their finds with the parsed
//! versions, and `config` is the serde structs of `renovate.json` and the rules in it.

mod config;
mod coverage;
mod managers;

use std::path::{Component, Path};

use miette::Diagnostic;
use thiserror::Error;

use crate::compile::{CompileError, SpecSource};
use crate::select::UnknownCluster;
use crate::sync::atomic::{self, Failure, Policy};

use coverage::{CoverageErrors, check_coverage};
use managers::managers;

/// The `depType` of a `version` line without `cluster=`: it sets every cluster without a line of
/// its own. A cluster may not be named this, or its updates would mix with the defaults'.
const DEFAULT_DEP_TYPE: &str = "default";

/// Which clusters' updates wait for approval on the Dependency Dashboard.
pub(crate) enum Gate {
    /// Every cluster but the first one declared in the spec: updates land there first.
    AllButFirst,
    /// These clusters.
    Clusters(Vec<String>),
    /// None.
    Off,
}

pub(crate) struct Options<'a> {
    pub(crate) spec: &'a Path,
    /// Where the config goes; its directory is the repository root.
    pub(crate) config: &'a Path,
    pub(crate) gate: Gate,
    /// Add `postUpgradeTasks` that run `fluxspec compile` (self-hosted Renovate only).
    pub(crate) post_upgrade_tasks: bool,
}

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] CompileError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Coverage(#[from] CoverageErrors),
    /// `--gate` names a cluster the spec does not declare.
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownGate(#[from] UnknownCluster),
    #[error(
        "a cluster is named `{DEFAULT_DEP_TYPE}`, which Renovate's rules use for default versions"
    )]
    #[diagnostic(
        code("fluxspec::renovate-reserved-cluster"),
        help("rename the cluster: its updates would share branches with the default versions")
    )]
    ReservedCluster,
    #[error("the spec `{spec}` is not inside `{root}`, the directory of the Renovate config")]
    #[diagnostic(
        code("fluxspec::spec-outside-repository"),
        help(
            "run fluxspec from the repository root, or point `--config` at the root's renovate.json"
        )
    )]
    SpecOutsideRoot { spec: String, root: String },
    #[error("cannot write `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unwritable-renovate-config"))]
    Write { path: String, reason: String },
}

/// Reads the spec and builds the config (`renovate.json`'s text), after checking the config sees
/// exactly the spec's versions.
pub(crate) fn generate(options: &Options<'_>) -> Result<String, Error> {
    let loaded = SpecSource::at(options.spec).load()?;
    let clusters: Vec<&str> = loaded
        .syntax
        .clusters
        .iter()
        .map(|cluster| cluster.name.as_str())
        .collect();
    if clusters.contains(&DEFAULT_DEP_TYPE) {
        return Err(Error::ReservedCluster);
    }
    let gated = gated_clusters(&options.gate, &clusters)?;
    let spec_path = repository_path(options.spec, options.config)?;
    let managers = managers(&spec_path);
    check_coverage(&managers, &loaded, options.spec)?;

    let output_path = loaded.model.settings.output_path.trim_start_matches("./");
    let spec_dir = spec_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let encrypted: Vec<String> = loaded
        .model
        .encrypted_files
        .iter()
        .map(|file| match spec_dir {
            "" => file.clone(),
            dir => format!("{dir}/{file}"),
        })
        .collect();
    Ok(config::to_json(
        &managers,
        &spec_path,
        output_path,
        &encrypted,
        &gated,
        options,
    ))
}

/// Writes `text` to `path` atomically ([`atomic::write`]), so a reader sees the old file or the
/// new one, never half of one. Like the spec, the file keeps its permissions and a symlink to it
/// is written through to its target.
pub(crate) fn write_config(path: &Path, text: &str) -> Result<(), Error> {
    atomic::write(path, text.as_bytes(), Policy::SOURCE).map_err(|failure| Error::Write {
        path: path.display().to_string(),
        reason: match failure {
            Failure::NotAFile(_) => "it is not a regular file".to_owned(),
            Failure::Io { source, .. } => source.to_string(),
        },
    })
}

/// The config file's current text when it is not `config` (`--check`); a missing or unreadable
/// file shows as empty, a binary one lossily.
pub(crate) fn stale_config(path: &Path, config: &str) -> Option<String> {
    let current = std::fs::read(path).unwrap_or_default();
    (current != config.as_bytes()).then(|| String::from_utf8_lossy(&current).into_owned())
}

fn gated_clusters(gate: &Gate, clusters: &[&str]) -> Result<Vec<String>, Error> {
    Ok(match gate {
        Gate::AllButFirst => clusters
            .iter()
            .skip(1)
            .map(|&name| name.to_owned())
            .collect(),
        Gate::Off => Vec::new(),
        Gate::Clusters(names) => {
            for name in names {
                if !clusters.contains(&name.as_str()) {
                    return Err(UnknownCluster::new(name, clusters.iter().copied(), None).into());
                }
            }
            let mut names = names.clone();
            names.sort();
            names.dedup();
            names
        }
    })
}

/// The spec's path relative to the repository root (the config's directory), with `/`.
fn repository_path(spec: &Path, config: &Path) -> Result<String, Error> {
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let root = absolute(config)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let spec = absolute(spec);
    let outside = || Error::SpecOutsideRoot {
        spec: spec.display().to_string(),
        root: root.display().to_string(),
    };
    let relative = spec.strip_prefix(&root).map_err(|_| outside())?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            // `..` would need the file system to resolve; a spec is never reached that way.
            _ => return Err(outside()),
        }
    }
    Ok(parts.join("/"))
}

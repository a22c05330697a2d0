//! `fluxspec build`: the objects Flux would apply to one cluster, rendered offline.
//!
//! The rendered [`FileTree`] stands for the Git repository Flux syncs, with the output directory
//! at its `output-path`. `build` starts where `flux bootstrap --path <output>/clusters/<c>` points
//! the cluster's own `flux-system` Kustomization: the YAML files of `clusters/<c>/`, which declare
//! the root Flux Kustomizations. Then, wave by wave, it builds every Flux Kustomization that the
//! previous wave applied, as kustomize-controller would:
//!
//! 1. `targetNamespace`, `images`, `patches` and `components` written into the kustomization.yaml
//!    at its `path` ([`kustomize::write_flux_fields`]), in a copy of the tree that no other build
//!    sees rewritten (the controller extracts a fresh artifact for each reconciliation; here
//!    the builds share one copy and lock what they rewrite, see `Workspace::run_wave`);
//! 2. `kustomize build` (or `kubectl kustomize`) on that path, one process per Kustomization, as
//!    many at once as there are cores;
//! 3. per object, in apply order: `postBuild` substitution with the controller's rules
//!    ([`crate::substitute`]: `substituteFrom` ConfigMaps in order, then `substitute`, strict mode,
//!    `substituteStrategy`, the `kustomize.toolkit.fluxcd.io/substitute: disabled` opt-out), then
//!    `commonMetadata`. A `substituteFrom` ConfigMap is looked up among the objects the
//!    Kustomizations before it in apply order produced, in the Kustomization's own namespace.
//!
//! Apply order: the `flux-system` entry, then each wave's Kustomizations grouped by the one that
//! applies them (so `platform-<c>`'s apps come before `apps-<c>`'s), each group ordered by
//! `dependsOn`, ties by name. HelmReleases are built like any object; their charts are not
//! rendered (that needs the network), only described ([`charts`]). The owner labels Flux
//! adds when applying (`kustomize.toolkit.fluxcd.io/name`) are left out: they are bookkeeping,
//! not content.
//!
//! Boundary: writes only inside its own temporary directory (removed on SIGINT and SIGTERM too,
//! [`interrupt`]); runs only kustomize; prints nothing.
//!
//! `build --repo` ([`run_repo`]) builds any Flux repository on disk the same way, from the
//! directory its `flux-system` Kustomization syncs: [`repository`] reads it, [`generator`] is
//! the kustomization.yaml Flux generates for a path without one, [`sources`] decides where each
//! Kustomization's files come from (this repository, or an artifact [`artifacts`] generates
//! from it) and reports what is not rendered; a `substituteFrom` Secret is reported rather than
//! refused ([`post_build`]). See docs/build.md.
//!
//! `mod.rs` holds the entries ([`run`], [`run_repo`]), the errors and the result types; [`workspace`] lays the
//! tree out in the temporary directory and runs each wave's kustomize builds (step 1 and 2),
//! [`waves`] walks the waves from the entry directory, [`post_build`] is step 3, [`flux`] reads
//! Flux Kustomizations and orders them by `dependsOn`, [`kustomize`] finds and runs the binary,
//! [`object`] is the object model and [`output`] writes a build out as YAML or a summary.

mod artifacts;
mod charts;
mod flux;
mod generator;
mod interrupt;
mod kustomize;
pub(crate) mod object;
mod output;
mod post_build;
mod repository;
mod sources;
mod waves;
mod workspace;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use miette::Diagnostic;
use thiserror::Error;

use crate::compile::{CompileError, SpecSource};
use crate::layout;
use crate::select::UnknownCluster;
use crate::substitute::SubstituteError;
use crate::text::{and_list, plural};
use crate::tree::FileTree;
pub(crate) use kustomize::Kustomize;
use object::{Object, ObjectId};
pub(crate) use output::{write_file, write_json, write_split, write_summary, write_yaml};
pub(crate) use post_build::UnreadSecret;
pub(crate) use sources::NotRendered;
pub(crate) use workspace::Workspace;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum BuildError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Compile(#[from] CompileError),
    #[error(
        "neither `kustomize` nor `kubectl` is on PATH or in `{}`",
        kustomize::TOOLS_DIR
    )]
    #[diagnostic(
        code("fluxspec::kustomize-not-found"),
        help(
            "install kubectl (it includes kustomize): in the fluxspec repository run \
             `scripts/install-test-tools.sh`, or see https://kubernetes.io/docs/tasks/tools/"
        )
    )]
    KustomizeNotFound,
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownCluster(#[from] UnknownCluster),
    #[error("no Flux Kustomization `{name}` on cluster `{cluster}`")]
    #[diagnostic(code("fluxspec::unknown-app"))]
    UnknownApp {
        name: String,
        cluster: String,
        #[help]
        help: Option<String>,
    },
    #[error("cannot read the repository at `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unreadable-repository"))]
    Repository { path: String, reason: String },
    #[error("cannot prepare the build directory: {reason}")]
    #[diagnostic(code("fluxspec::build-directory"))]
    Workspace { reason: String },
    #[error("Flux Kustomization `{kustomization}` cannot be built: {reason}")]
    #[diagnostic(code("fluxspec::bad-flux-kustomization"))]
    BadKustomization {
        kustomization: String,
        reason: String,
    },
    #[error("kustomize build of Flux Kustomization `{kustomization}` (`{path}`) failed: {reason}")]
    #[diagnostic(code("fluxspec::kustomize-failed"))]
    KustomizeFailed {
        kustomization: String,
        path: String,
        reason: String,
    },
    #[error(
        "Flux Kustomization `{kustomization}` built an object kustomize-controller rejects: {reason}"
    )]
    #[diagnostic(code("fluxspec::bad-object"))]
    BadObject {
        kustomization: String,
        reason: String,
    },
    #[error(
        "Flux Kustomization `{kustomization}` substitutes from {kind} `{namespace}/{name}`, \
         which no Kustomization applied before it"
    )]
    #[diagnostic(
        code("fluxspec::substitute-from-missing"),
        help("mark the reference `optional: true`, or apply the {kind} earlier")
    )]
    SubstituteFromMissing {
        kustomization: String,
        kind: String,
        namespace: String,
        name: String,
    },
    #[error(
        "Flux Kustomization `{kustomization}` substitutes from a {kind}, which `build` cannot read"
    )]
    #[diagnostic(
        code("fluxspec::substitute-from-unsupported"),
        help("`build` reads ConfigMaps only: Secrets in Git are encrypted")
    )]
    SubstituteFromUnsupported { kustomization: String, kind: String },
    #[error("post build of `{object}` in Flux Kustomization `{kustomization}` failed: {source}")]
    #[diagnostic(code("fluxspec::substitution-failed"))]
    Substitution {
        kustomization: String,
        object: String,
        source: SubstituteError,
    },
    #[error("Flux Kustomizations depend on each other in a cycle: {}", .names.join(", "))]
    #[diagnostic(code("fluxspec::dependency-cycle"))]
    DependencyCycle { names: Vec<String> },
}

/// Renders the spec and builds what Flux applies to `cluster` (only `app`'s Flux
/// Kustomization, if given).
pub(crate) fn run(
    spec: &SpecSource,
    cluster: &str,
    app: Option<&str>,
) -> Result<ClusterBuild, BuildError> {
    // Generated files' headers name the spec, but kustomize drops comments: any label will do.
    let rendered = spec.load_and_render()?;
    let workspace = Workspace::new(&rendered)?;
    let mut build = workspace.build(cluster, app)?;
    build
        .warnings
        .splice(0..0, workspace.kustomize.outdated_warning());
    Ok(build)
}

/// Builds what Flux applies from the repository at `dir` when it syncs `entry` (the path `flux
/// bootstrap --path` was given, relative to `dir`): the entry point of `build --repo`, and of
/// anything that compares a hand-written repository with what a spec renders.
pub(crate) fn run_repo(dir: &Path, entry: &str) -> Result<ClusterBuild, BuildError> {
    run_repo_with(dir, entry, &BTreeMap::new())
}

/// [`run_repo`], with the files of `replaced` (by their `/`-separated path from `dir`) read as
/// the contents given: what Flux would apply were they written so (the importer builds a
/// repository with its components' patches left out, to see the objects they patch).
pub(crate) fn run_repo_with(
    dir: &Path,
    entry: &str,
    replaced: &BTreeMap<String, Vec<u8>>,
) -> Result<ClusterBuild, BuildError> {
    let mut repository = repository::read(dir)?;
    for (path, contents) in replaced {
        repository.tree.insert(path.clone(), contents.clone());
    }
    let workspace = Workspace::for_repository(&repository.tree)?;
    let mut build = workspace.build_repository(entry)?;
    let links = &repository.outside_links;
    let skipped = (!links.is_empty()).then(|| {
        format!(
            "not read: the {} {} leading outside the repository (never followed)",
            plural(links.len(), "symlink"),
            and_list(links.iter().map(String::as_str))
        )
    });
    build.warnings.splice(
        0..0,
        workspace
            .kustomize
            .outdated_warning()
            .into_iter()
            .chain(skipped),
    );
    Ok(build)
}

/// The clusters a tree has an entry directory (`clusters/<c>/`) for, by name.
pub(crate) fn clusters(tree: &FileTree) -> BTreeSet<String> {
    tree.iter()
        .filter_map(|(path, _)| layout::entry_cluster(path).map(str::to_owned))
        .collect()
}

/// What Flux applies to one cluster.
#[derive(Debug)]
pub(crate) struct ClusterBuild {
    /// The cluster's name, or for a repository the entry path.
    pub(crate) cluster: String,
    /// In apply order; only the one asked for when `build` was given an app.
    pub(crate) kustomizations: Vec<BuiltKustomization>,
    /// Every HelmRelease built, with its chart.
    pub(crate) charts: Vec<HelmChart>,
    /// Things Flux would do that are likely mistakes (an object applied twice).
    pub(crate) warnings: Vec<String>,
    /// The Flux Kustomizations found but not rendered (another source, a remote resource), in
    /// the order they were found.
    pub(crate) not_rendered: Vec<NotRendered>,
    /// The `substituteFrom` Secrets not read (only when building a repository).
    pub(crate) unread_secrets: Vec<UnreadSecret>,
}

/// One Flux Kustomization and the objects it applies, in kustomize's order.
#[derive(Debug)]
pub(crate) struct BuiltKustomization {
    pub(crate) name: String,
    pub(crate) namespace: String,
    /// Its `spec.path`, as written.
    pub(crate) path: String,
    pub(crate) suspended: bool,
    pub(crate) objects: Vec<BuiltObject>,
    /// Remote bases its kustomization lists, which `build` does not fetch or render.
    pub(crate) remote_bases: Vec<String>,
}

/// One object as Flux applies it.
#[derive(Debug)]
pub(crate) struct BuiltObject {
    pub(crate) object: Object,
    /// The object's YAML, without the `---` line.
    pub(crate) yaml: String,
}

/// A HelmRelease and the chart it installs, which `build` does not render.
#[derive(Debug)]
pub(crate) struct HelmChart {
    pub(crate) release: ObjectId,
    /// The Flux Kustomization that applies the HelmRelease.
    pub(crate) kustomization: String,
    /// `oci://...` for a chart from an OCIRepository, the chart name for a HelmRepository's.
    pub(crate) chart: String,
    /// The HelmRepository's URL, for a chart from one.
    pub(crate) repository: Option<String>,
    /// The tag, semver range or digest, or `None` for the source's default (latest).
    pub(crate) version: Option<String>,
}

fn built_object(object: Object) -> Result<BuiltObject, String> {
    let yaml = object.to_yaml()?;
    Ok(BuiltObject { object, yaml })
}

#[cfg(test)]
mod tests;

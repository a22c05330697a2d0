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
//! rendered (that needs the network), only described ([`helm_charts`]). The owner labels Flux
//! adds when applying (`kustomize.toolkit.fluxcd.io/name`) are left out: they are bookkeeping,
//! not content.
//!
//! Boundary: writes only inside its own temporary directory (removed on SIGINT and SIGTERM too,
//! [`interrupt`]); runs only kustomize; prints nothing.

mod flux;
mod interrupt;
mod kustomize;
pub(crate) mod object;
mod output;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::num::NonZero;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use miette::Diagnostic;
use thiserror::Error;

use crate::compile::{CompileError, Rendered, SpecSource};
use crate::layout;
use crate::substitute::{self, Strategy, SubstituteError, Substitution};
use crate::suggest::did_you_mean;
use crate::tree::FileTree;
use flux::{FluxKustomization, PostBuild};
pub(crate) use kustomize::Kustomize;
use object::{Object, ObjectId, documents};
pub(crate) use output::{write_split, write_summary, write_yaml};

/// The Flux Kustomization that `flux bootstrap` creates to sync a cluster's entry directory.
const ENTRY_NAME: &str = "flux-system";
const ENTRY_NAMESPACE: &str = "flux-system";

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
    #[error("unknown cluster `{name}`")]
    #[diagnostic(code("fluxspec::unknown-cluster"))]
    UnknownCluster {
        name: String,
        #[help]
        help: Option<String>,
    },
    #[error("no Flux Kustomization `{name}` on cluster `{cluster}`")]
    #[diagnostic(code("fluxspec::unknown-app"))]
    UnknownApp {
        name: String,
        cluster: String,
        #[help]
        help: Option<String>,
    },
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

/// The clusters a tree has an entry directory (`clusters/<c>/`) for, by name.
pub(crate) fn clusters(tree: &FileTree) -> BTreeSet<String> {
    tree.iter()
        .filter_map(|(path, _)| layout::entry_cluster(path).map(str::to_owned))
        .collect()
}

/// What Flux applies to one cluster.
#[derive(Debug)]
pub(crate) struct ClusterBuild {
    pub(crate) cluster: String,
    /// In apply order; only the one asked for when `build` was given an app.
    pub(crate) kustomizations: Vec<BuiltKustomization>,
    /// Every HelmRelease built, with its chart.
    pub(crate) charts: Vec<HelmChart>,
    /// Things Flux would do that are likely mistakes (an object applied twice).
    pub(crate) warnings: Vec<String>,
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

/// The rendered tree and the kustomize binary, ready to build any of the tree's clusters.
pub(crate) struct Workspace<'a> {
    tree: &'a FileTree,
    /// `output-path` as written (`./generated`), to show Flux paths.
    output_path: &'a str,
    clusters: BTreeSet<String>,
    kustomize: Kustomize,
    /// The repository root: the tree is written at its output path in here, once.
    dir: tempfile::TempDir,
}

impl<'a> Workspace<'a> {
    /// Prepares to build `rendered`: finds the kustomize binary and writes the tree into a
    /// temporary directory.
    pub(crate) fn new(rendered: &'a Rendered) -> Result<Self, BuildError> {
        let kustomize = Kustomize::find().ok_or(BuildError::KustomizeNotFound)?;
        let output = relative_path(&rendered.output_path).ok_or_else(|| BuildError::Workspace {
            reason: format!(
                "the output path `{}` is not inside the repository",
                rendered.output_path
            ),
        })?;
        let clusters = clusters(&rendered.tree);
        let dir =
            interrupt::temp_dir("fluxspec-build-").map_err(|error| BuildError::Workspace {
                reason: error.to_string(),
            })?;
        materialize(&rendered.tree, &dir.path().join(output))?;
        Ok(Self {
            tree: &rendered.tree,
            output_path: &rendered.output_path,
            clusters,
            kustomize,
            dir,
        })
    }

    /// The clusters the tree has an entry directory for, by name.
    pub(crate) fn clusters(&self) -> &BTreeSet<String> {
        &self.clusters
    }

    /// Builds what Flux applies to `cluster`; with `only`, builds the root Kustomizations (they
    /// apply the others) and that one, and returns that one.
    pub(crate) fn build(
        &self,
        cluster: &str,
        only: Option<&str>,
    ) -> Result<ClusterBuild, BuildError> {
        if !self.clusters.contains(cluster) {
            return Err(BuildError::UnknownCluster {
                name: cluster.to_owned(),
                help: did_you_mean(cluster, self.clusters.iter().map(String::as_str)),
            });
        }
        let mut built = vec![self.entry(cluster)?];
        // Each Kustomization is built once: one declared twice (`warn_duplicates` reports the
        // object) or one that applies itself (as `flux-system` may) is not built again.
        let mut seen = BTreeSet::from([(ENTRY_NAMESPACE.to_owned(), ENTRY_NAME.to_owned())]);
        let mut declared = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut wave_start = 0;
        let mut depth = 0;
        loop {
            depth += 1;
            let mut wave = Vec::new();
            for parent in &built[wave_start..] {
                let mut children = Vec::new();
                for item in &parent.objects {
                    let Some(child) = FluxKustomization::from_object(&item.object) else {
                        continue;
                    };
                    let child = child.map_err(|reason| BuildError::BadKustomization {
                        kustomization: item.object.id.name.clone(),
                        reason,
                    })?;
                    declared.insert(child.name.clone());
                    // Past the roots, with an app asked for, only that app is built.
                    let wanted = depth < 2 || only.is_none_or(|only| child.name == only);
                    if wanted && seen.insert(child.key()) {
                        children.push(child);
                    }
                }
                wave.extend(
                    flux::apply_order(children)
                        .map_err(|names| BuildError::DependencyCycle { names })?,
                );
            }
            if wave.is_empty() {
                break;
            }
            let outputs = self.run_wave(&wave)?;
            wave_start = built.len();
            for (kustomization, output) in wave.iter().zip(outputs) {
                let objects = post_build(kustomization, &output, &built)?;
                built.push(BuiltKustomization {
                    name: kustomization.name.clone(),
                    namespace: kustomization.namespace.clone(),
                    path: kustomization.spec.path.clone(),
                    suspended: kustomization.spec.suspend,
                    objects,
                });
            }
        }
        warn_duplicates(&built, &mut warnings);
        let charts = helm_charts(&built);
        if let Some(only) = only {
            built.retain(|kustomization| kustomization.name == only);
            if built.is_empty() {
                return Err(BuildError::UnknownApp {
                    name: only.to_owned(),
                    cluster: cluster.to_owned(),
                    help: did_you_mean(only, declared.iter().map(String::as_str)),
                });
            }
        }
        Ok(ClusterBuild {
            cluster: cluster.to_owned(),
            kustomizations: built,
            charts,
            warnings,
        })
    }

    /// The cluster's entry directory as its `flux-system` Kustomization applies it: every YAML
    /// file under it, when it has no kustomization.yaml (fluxspec writes none there).
    fn entry(&self, cluster: &str) -> Result<BuiltKustomization, BuildError> {
        let prefix = format!("{}/", layout::cluster_dir(cluster));
        let name = format!("{ENTRY_NAMESPACE}/{ENTRY_NAME}");
        let mut objects = Vec::new();
        for (path, bytes) in self.tree.iter() {
            // Flux's generator takes `.yaml` and `.yml` files, case-sensitively.
            let yaml = Path::new(path)
                .extension()
                .is_some_and(|extension| extension == "yaml" || extension == "yml");
            if !path.starts_with(&prefix) || !yaml {
                continue;
            }
            let bad = |reason: String| BuildError::BadObject {
                kustomization: name.clone(),
                reason: format!("{path}: {reason}"),
            };
            let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8".to_owned()))?;
            for document in documents(text) {
                if let Some(object) = Object::parse(document).map_err(bad)? {
                    objects.push(built_object(object).map_err(bad)?);
                }
            }
        }
        Ok(BuiltKustomization {
            name: ENTRY_NAME.to_owned(),
            namespace: ENTRY_NAMESPACE.to_owned(),
            path: format!("{}/{prefix}", self.output_path)
                .trim_end_matches('/')
                .to_owned(),
            suspended: false,
            objects,
        })
    }

    /// Runs kustomize for every Kustomization of a wave, in parallel; the outputs come back in
    /// the wave's order.
    ///
    /// All builds share one copy of the tree. A build that rewrites the kustomization.yaml at
    /// its path holds that directory's lock for writing, and every build holds the directories
    /// it reads kustomization files from for reading, so no build ever sees another's rewrite:
    /// each sees the tree as a fresh artifact, as in kustomize-controller. Locks are taken in
    /// path order, so builds cannot deadlock.
    fn run_wave(&self, wave: &[FluxKustomization]) -> Result<Vec<String>, BuildError> {
        let plans = wave
            .iter()
            .map(|kustomization| self.plan(kustomization))
            .collect::<Result<Vec<_>, _>>()?;
        let locks: BTreeMap<&Path, RwLock<()>> = plans
            .iter()
            .flat_map(|plan| &plan.reads)
            .map(|dir| (dir.as_path(), RwLock::new(())))
            .collect();
        let workers = std::thread::available_parallelism()
            .map_or(2, NonZero::get)
            .min(wave.len());
        let next = Mutex::new(0..wave.len());
        let results: Vec<Mutex<Option<Result<String, BuildError>>>> =
            wave.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    // A poisoned lock means another worker panicked; the scope re-raises it.
                    while let Some(index) = next.lock().ok().and_then(|mut next| next.next()) {
                        let plan = &plans[index];
                        // The locks guard no data, so a poisoned one is as good as any.
                        let mut reading = Vec::new();
                        let mut writing = Vec::new();
                        for dir in &plan.reads {
                            let lock = &locks[dir.as_path()];
                            if plan.rewrites && *dir == plan.dir {
                                writing.push(lock.write().unwrap_or_else(PoisonError::into_inner));
                            } else {
                                reading.push(lock.read().unwrap_or_else(PoisonError::into_inner));
                            }
                        }
                        let result = self.run_one(&wave[index], plan);
                        drop((reading, writing));
                        if let Ok(mut slot) = results[index].lock() {
                            *slot = Some(result);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner().ok().flatten().unwrap_or_else(|| {
                    Err(BuildError::Workspace {
                        reason: "a build worker stopped".to_owned(),
                    })
                })
            })
            .collect()
    }

    /// Where a Kustomization builds, and what it reads.
    fn plan(&self, kustomization: &FluxKustomization) -> Result<Plan, BuildError> {
        let path = relative_path(&kustomization.spec.path).ok_or_else(|| {
            BuildError::BadKustomization {
                kustomization: kustomization.name.clone(),
                reason: format!(
                    "its path `{}` leaves the repository",
                    kustomization.spec.path
                ),
            }
        })?;
        let dir = self.dir.path().join(path);
        let file =
            kustomize::kustomization_file(&dir).ok_or_else(|| BuildError::KustomizeFailed {
                kustomization: kustomization.name.clone(),
                path: kustomization.spec.path.clone(),
                reason: if dir.is_dir() {
                    "the path has no kustomization.yaml".to_owned()
                } else {
                    "the path does not exist in the rendered tree".to_owned()
                },
            })?;
        let mut reads = BTreeSet::new();
        kustomize::read_dirs(&dir, &mut reads);
        for component in &kustomization.spec.components {
            kustomize::read_dirs(&kustomize::normalize(&dir.join(component)), &mut reads);
        }
        Ok(Plan {
            rewrites: kustomization.changes_kustomization_file(),
            dir,
            file,
            reads,
        })
    }

    /// Builds one Kustomization: its fields written into its kustomization.yaml, kustomize, the
    /// file put back as it was.
    fn run_one(
        &self,
        kustomization: &FluxKustomization,
        plan: &Plan,
    ) -> Result<String, BuildError> {
        let failed = |reason: String| BuildError::KustomizeFailed {
            kustomization: kustomization.name.clone(),
            path: kustomization.spec.path.clone(),
            reason,
        };
        if !plan.rewrites {
            return self.kustomize.build(&plan.dir).map_err(failed);
        }
        let original = fs::read(&plan.file).map_err(|error| BuildError::Workspace {
            reason: format!("{}: {error}", plan.file.display()),
        })?;
        let output = interrupt::uninterrupted(|| {
            kustomize::write_flux_fields(&plan.file, &kustomization.spec)
        })
        .map_err(|reason| failed(format!("cannot rewrite its kustomization.yaml: {reason}")))
        .and_then(|()| self.kustomize.build(&plan.dir).map_err(failed));
        interrupt::uninterrupted(|| fs::write(&plan.file, original)).map_err(|error| {
            BuildError::Workspace {
                reason: format!("{}: {error}", plan.file.display()),
            }
        })?;
        output
    }
}

impl Drop for Workspace<'_> {
    fn drop(&mut self) {
        // Before `TempDir`'s own drop, so that a SIGINT or SIGTERM in between finds nothing.
        interrupt::remove_dir(self.dir.path());
    }
}

/// How one Kustomization is built.
struct Plan {
    /// The directory at its path.
    dir: PathBuf,
    /// The kustomization file in `dir`.
    file: PathBuf,
    /// Whether its fields are written into `file` before the build.
    rewrites: bool,
    /// Every directory the build reads a kustomization file from, `dir` included.
    reads: BTreeSet<PathBuf>,
}

/// Writes the tree into `root/<output>/`.
fn materialize(tree: &FileTree, root: &Path) -> Result<(), BuildError> {
    let mut made = BTreeSet::new();
    for (path, bytes) in tree.iter() {
        let file = root.join(path);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = file.parent()
                && made.insert(parent.to_path_buf())
            {
                fs::create_dir_all(parent)?;
            }
            fs::write(&file, bytes)
        };
        interrupt::uninterrupted(write).map_err(|error| BuildError::Workspace {
            reason: format!("{}: {error}", file.display()),
        })?;
    }
    Ok(())
}

/// `path` (`./generated`, `generated/apps`) as a relative path that stays inside the
/// repository, or `None` if it would leave it.
fn relative_path(path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => relative.push(part),
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(relative)
}

fn built_object(object: Object) -> Result<BuiltObject, String> {
    let yaml = object.to_yaml()?;
    Ok(BuiltObject { object, yaml })
}

/// What kustomize-controller does to each object kustomize built: substitution, then common
/// metadata.
fn post_build(
    kustomization: &FluxKustomization,
    output: &str,
    earlier: &[BuiltKustomization],
) -> Result<Vec<BuiltObject>, BuildError> {
    let name = format!("{}/{}", kustomization.namespace, kustomization.name);
    let bad = |reason: String| BuildError::BadObject {
        kustomization: name.clone(),
        reason,
    };
    let substitution = kustomization
        .spec
        .post_build
        .as_ref()
        .map(|post_build| variables(kustomization, post_build, earlier))
        .transpose()?;
    let metadata = kustomization
        .spec
        .common_metadata
        .clone()
        .unwrap_or_default();
    let mut objects = Vec::new();
    for document in documents(output) {
        let Some(mut object) = Object::parse(document).map_err(bad)? else {
            continue;
        };
        if let Some(substitution) = &substitution {
            let disabled = substitute::is_disabled(
                &object.string_map(&["metadata", "annotations"]),
                &object.string_map(&["metadata", "labels"]),
            );
            if !disabled {
                let text =
                    substitution
                        .apply(document)
                        .map_err(|source| BuildError::Substitution {
                            kustomization: name.clone(),
                            object: object.id.to_string(),
                            source,
                        })?;
                object = Object::parse(&text)
                    .map_err(|reason| bad(format!("after substitution: {reason}")))?
                    .ok_or_else(|| bad("an object substituted to nothing".to_owned()))?;
            }
        }
        object.merge_metadata("labels", &metadata.labels);
        object.merge_metadata("annotations", &metadata.annotations);
        objects.push(built_object(object).map_err(bad)?);
    }
    Ok(objects)
}

/// The variables of a Kustomization: each `substituteFrom` ConfigMap in order, then
/// `substitute`. A ConfigMap is looked up among the objects applied before, the latest first.
fn variables(
    kustomization: &FluxKustomization,
    post_build: &PostBuild,
    earlier: &[BuiltKustomization],
) -> Result<Substitution, BuildError> {
    let mut sources = Vec::new();
    for reference in &post_build.substitute_from {
        if reference.kind != "ConfigMap" {
            return Err(BuildError::SubstituteFromUnsupported {
                kustomization: kustomization.name.clone(),
                kind: reference.kind.clone(),
            });
        }
        let found = earlier
            .iter()
            .rev()
            .flat_map(|built| built.objects.iter().rev())
            .map(|item| &item.object)
            .find(|object| {
                object.is("", "ConfigMap")
                    && object.id.name == reference.name
                    && object.id.namespace.as_deref() == Some(kustomization.namespace.as_str())
            });
        match found {
            Some(config_map) => sources.push(config_map.string_map(&["data"])),
            None if reference.optional => {}
            None => {
                return Err(BuildError::SubstituteFromMissing {
                    kustomization: kustomization.name.clone(),
                    kind: reference.kind.clone(),
                    namespace: kustomization.namespace.clone(),
                    name: reference.name.clone(),
                });
            }
        }
    }
    let strategy = match post_build.substitute_strategy.as_deref() {
        Some("Always") => Strategy::Always,
        _ => Strategy::WithVariables,
    };
    Substitution::new(&sources, &post_build.substitute, strategy).map_err(|source| {
        BuildError::Substitution {
            kustomization: kustomization.name.clone(),
            object: "its variables".to_owned(),
            source,
        }
    })
}

/// Warns about objects two Kustomizations apply: Flux applies both, and the last one wins until
/// the next reconciliation of the other.
fn warn_duplicates(built: &[BuiltKustomization], warnings: &mut Vec<String>) {
    let mut owners: BTreeMap<&ObjectId, &str> = BTreeMap::new();
    for kustomization in built {
        for item in &kustomization.objects {
            if let Some(first) = owners.insert(&item.object.id, &kustomization.name) {
                warnings.push(format!(
                    "`{}` is applied by both `{first}` and `{}`",
                    item.object.id, kustomization.name
                ));
            }
        }
    }
}

/// Each HelmRelease and its chart: from the OCIRepository its `chartRef` names, or from
/// `spec.chart.spec` and the HelmRepository that names.
pub(crate) fn helm_charts(built: &[BuiltKustomization]) -> Vec<HelmChart> {
    let objects: Vec<&Object> = built
        .iter()
        .flat_map(|kustomization| &kustomization.objects)
        .map(|item| &item.object)
        .collect();
    let source = |kind: &str, name: Option<&str>, namespace: Option<&str>| {
        objects.iter().copied().find(|object| {
            object.is("source.toolkit.fluxcd.io", kind)
                && Some(object.id.name.as_str()) == name
                && object.id.namespace.as_deref() == namespace
        })
    };
    let mut charts = Vec::new();
    for kustomization in built {
        for release in kustomization
            .objects
            .iter()
            .map(|item| &item.object)
            .filter(|object| object.is("helm.toolkit.fluxcd.io", "HelmRelease"))
        {
            let at = |path: &[&str]| release.str_at(path);
            let (chart, repository, version) = if let Some(kind) = at(&["spec", "chartRef", "kind"])
            {
                let name = at(&["spec", "chartRef", "name"]);
                let namespace =
                    at(&["spec", "chartRef", "namespace"]).or(release.id.namespace.as_deref());
                match source(kind, name, namespace) {
                    Some(repository) => (
                        repository.str_at(&["spec", "url"]).unwrap_or("").to_owned(),
                        None,
                        ["tag", "semver", "digest"]
                            .iter()
                            .find_map(|key| repository.str_at(&["spec", "ref", key])),
                    ),
                    None => (
                        format!("{kind} `{}` (not built)", name.unwrap_or("")),
                        None,
                        None,
                    ),
                }
            } else {
                let source_ref = |key: &str| at(&["spec", "chart", "spec", "sourceRef", key]);
                let repository = source(
                    source_ref("kind").unwrap_or("HelmRepository"),
                    source_ref("name"),
                    source_ref("namespace").or(release.id.namespace.as_deref()),
                );
                (
                    at(&["spec", "chart", "spec", "chart"])
                        .unwrap_or("")
                        .to_owned(),
                    Some(
                        repository
                            .and_then(|repository| repository.str_at(&["spec", "url"]))
                            .unwrap_or("(source not built)")
                            .to_owned(),
                    ),
                    at(&["spec", "chart", "spec", "version"]),
                )
            };
            charts.push(HelmChart {
                release: release.id.clone(),
                kustomization: kustomization.name.clone(),
                chart,
                repository,
                version: version.map(str::to_owned),
            });
        }
    }
    charts
}

#[cfg(test)]
mod tests;

//! The workspace `build` runs kustomize in: the tree (rendered, or a repository read from disk)
//! written into a temporary directory at its output path, as the Git repository Flux syncs, the
//! artifacts generated from it and the kustomization files Flux would generate beside it, and
//! each wave's `kustomize` processes run in parallel over it, with the Flux fields of each
//! Kustomization written into its kustomization.yaml for its build and put back after.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::num::NonZero;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use super::flux::{FluxKustomization, Spec};
use super::sources::{NotRenderedReason, Source};
use super::{BuildError, Kustomize, clusters, generator, interrupt, kustomize};
use crate::compile::Rendered;
use crate::tree::FileTree;

/// The tree and the kustomize binary, ready to build any of the tree's clusters.
pub(crate) struct Workspace<'a> {
    pub(super) tree: &'a FileTree,
    /// `output-path` as written (`./generated`), to show Flux paths; empty for a repository.
    pub(super) output_path: &'a str,
    pub(super) clusters: BTreeSet<String>,
    pub(super) kustomize: Kustomize,
    /// Whether the tree is a repository on disk (`build --repo`) rather than a rendered spec:
    /// then what `build` cannot read (a Secret) is reported rather than refused.
    pub(super) repository: bool,
    /// `repo/` holds the repository, `artifacts/<namespace>/<name>/` each artifact generated
    /// from it, `generated/<n>/` each kustomization.yaml Flux would generate.
    dir: tempfile::TempDir,
    /// Artifacts written so far, and how many kustomization files were generated.
    written: Mutex<(BTreeSet<(String, String)>, usize)>,
}

impl<'a> Workspace<'a> {
    /// Prepares to build `rendered`: finds the kustomize binary and writes the tree into a
    /// temporary directory.
    pub(crate) fn new(rendered: &'a Rendered) -> Result<Self, BuildError> {
        Self::create(&rendered.tree, &rendered.output_path, false)
    }

    /// Prepares to build the repository read into `tree`.
    pub(super) fn for_repository(tree: &'a FileTree) -> Result<Self, BuildError> {
        Self::create(tree, "", true)
    }

    fn create(
        tree: &'a FileTree,
        output_path: &'a str,
        repository: bool,
    ) -> Result<Self, BuildError> {
        let kustomize = Kustomize::find().ok_or(BuildError::KustomizeNotFound)?;
        let output = relative_path(output_path).ok_or_else(|| BuildError::Workspace {
            reason: format!("the output path `{output_path}` is not inside the repository"),
        })?;
        let dir =
            interrupt::temp_dir("fluxspec-build-").map_err(|error| BuildError::Workspace {
                reason: error.to_string(),
            })?;
        materialize(tree, &dir.path().join("repo").join(output))?;
        Ok(Self {
            tree,
            output_path,
            clusters: clusters(tree),
            kustomize,
            repository,
            dir,
            written: Mutex::new((BTreeSet::new(), 0)),
        })
    }

    /// The clusters the tree has an entry directory for, by name.
    pub(crate) fn clusters(&self) -> &BTreeSet<String> {
        &self.clusters
    }

    /// Runs kustomize for every Kustomization of a wave, in parallel; the outputs come back in
    /// the wave's order.
    ///
    /// All builds share one copy of the tree. A build that rewrites the kustomization.yaml at
    /// its path holds that directory's lock for writing, and every build holds the directories
    /// it reads kustomization files from for reading, so no build ever sees another's rewrite:
    /// each sees the tree as a fresh artifact, as in kustomize-controller. Locks are taken in
    /// path order, so builds cannot deadlock.
    pub(super) fn run_wave(&self, plans: &[Plan]) -> Result<Vec<String>, BuildError> {
        let locks: BTreeMap<&Path, RwLock<()>> = plans
            .iter()
            .flat_map(|plan| &plan.reads)
            .map(|dir| (dir.as_path(), RwLock::new(())))
            .collect();
        let workers = std::thread::available_parallelism()
            .map_or(2, NonZero::get)
            .min(plans.len());
        let next = Mutex::new(0..plans.len());
        let results: Vec<Mutex<Option<Result<String, BuildError>>>> =
            plans.iter().map(|_| Mutex::new(None)).collect();
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
                        let result = self.run_one(plan);
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

    /// Where a Kustomization builds from `source`, and what it reads; the reason it is not
    /// rendered when a remote resource is named below its own kustomization file.
    pub(super) fn plan(
        &self,
        kustomization: &FluxKustomization,
        source: Source,
    ) -> Result<Result<Plan, NotRenderedReason>, BuildError> {
        let root = match source {
            Source::Repository => self.dir.path().join("repo"),
            Source::Artifact {
                namespace,
                name,
                tree,
            } => self.artifact_root(namespace, name, &tree)?,
        };
        let path = relative_path(&kustomization.spec.path).ok_or_else(|| {
            BuildError::BadKustomization {
                kustomization: kustomization.name.clone(),
                reason: format!(
                    "its path `{}` leaves the repository",
                    kustomization.spec.path
                ),
            }
        })?;
        let mut spec = kustomization.spec.clone();
        let mut dir = root.join(path);
        if kustomize::kustomization_file(&dir).is_none() && dir.is_dir() {
            (dir, spec.components) = self.generate(&dir, &spec.components)?;
        }
        let file =
            kustomize::kustomization_file(&dir).ok_or_else(|| BuildError::KustomizeFailed {
                kustomization: kustomization.name.clone(),
                path: kustomization.spec.path.clone(),
                reason: "the path does not exist in the tree".to_owned(),
            })?;
        let mut reads = BTreeSet::new();
        let mut remote = Vec::new();
        kustomize::read_dirs(&dir, &mut reads, &mut remote);
        for component in &spec.components {
            let component = kustomize::normalize(&dir.join(component));
            kustomize::read_dirs(&component, &mut reads, &mut remote);
        }
        // Remote resources of the path's own kustomization file are left out of its build
        // (`write_flux_fields` drops them) and reported with the result; one deeper down, in a
        // base or component, would make kustomize fetch it, so that build is not run at all.
        let remote_bases = kustomize::remote_resources(&dir);
        if let Some(resource) = remote
            .into_iter()
            .find(|resource| !remote_bases.contains(resource))
        {
            return Ok(Err(NotRenderedReason::RemoteResource { resource }));
        }
        Ok(Ok(Plan {
            name: kustomization.name.clone(),
            path: kustomization.spec.path.clone(),
            rewrites: kustomization.changes_kustomization_file() || !remote_bases.is_empty(),
            spec,
            remote_bases,
            dir,
            file,
            reads,
        }))
    }

    /// Writes an artifact's files into `artifacts/<namespace>/<name>/`, once, and returns the
    /// directory.
    fn artifact_root(
        &self,
        namespace: String,
        name: String,
        tree: &FileTree,
    ) -> Result<PathBuf, BuildError> {
        let root = self
            .dir
            .path()
            .join("artifacts")
            .join(&namespace)
            .join(&name);
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written.0.insert((namespace, name)) {
            materialize(tree, &root)?;
        }
        Ok(root)
    }

    /// The kustomization.yaml kustomize-controller generates for a path without one, written
    /// into a directory of its own (`generated/<n>/`, so that no other build sees it), and the
    /// Kustomization's `components` made relative to that directory.
    fn generate(
        &self,
        dir: &Path,
        components: &[String],
    ) -> Result<(PathBuf, Vec<String>), BuildError> {
        let failed = |error: std::io::Error| BuildError::Workspace {
            reason: format!("{}: {error}", dir.display()),
        };
        let number = {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            written.1 += 1;
            written.1
        };
        let generated = self.dir.path().join("generated").join(number.to_string());
        // `generated/<n>/` is two levels below the workspace, as `repo/` and `artifacts/` are.
        let from_generated = |target: &Path| {
            let relative = target.strip_prefix(self.dir.path()).unwrap_or(target);
            format!("../../{}", relative.display())
        };
        let resources = generator::resources(dir).map_err(failed)?;
        let components = components
            .iter()
            .map(|component| from_generated(&kustomize::normalize(&dir.join(component))))
            .collect();
        let text = generator::kustomization(resources.iter().map(|r| from_generated(r)));
        interrupt::uninterrupted(|| {
            fs::create_dir_all(&generated)?;
            fs::write(generated.join("kustomization.yaml"), &text)
        })
        .map_err(failed)?;
        Ok((generated, components))
    }

    /// Builds one Kustomization: its fields written into its kustomization.yaml, kustomize, the
    /// file put back as it was.
    fn run_one(&self, plan: &Plan) -> Result<String, BuildError> {
        let failed = |reason: String| BuildError::KustomizeFailed {
            kustomization: plan.name.clone(),
            path: plan.path.clone(),
            reason,
        };
        if !plan.rewrites {
            return self.kustomize.build(&plan.dir).map_err(failed);
        }
        let original = fs::read(&plan.file).map_err(|error| BuildError::Workspace {
            reason: format!("{}: {error}", plan.file.display()),
        })?;
        let output =
            interrupt::uninterrupted(|| kustomize::write_flux_fields(&plan.file, &plan.spec))
                .map_err(|reason| {
                    failed(format!("cannot rewrite its kustomization.yaml: {reason}"))
                })
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
pub(super) struct Plan {
    /// The Kustomization's name and `spec.path`, for messages.
    name: String,
    path: String,
    /// Its build fields, `components` relative to `dir`.
    spec: Spec,
    /// The directory at its path.
    dir: PathBuf,
    /// The kustomization file in `dir`.
    file: PathBuf,
    /// Whether its fields are written into `file` before the build.
    rewrites: bool,
    /// Every directory the build reads a kustomization file from, `dir` included.
    reads: BTreeSet<PathBuf>,
    /// The remote resources of `file`, left out of the build.
    pub(super) remote_bases: Vec<String>,
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

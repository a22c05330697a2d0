//! The workspace `build` runs kustomize in: the rendered tree written into a temporary
//! directory at its output path, as the Git repository Flux syncs, and each wave's `kustomize`
//! processes run in parallel over it, with the Flux fields of each Kustomization written into
//! its kustomization.yaml for its build and put back after.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::num::NonZero;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use super::flux::FluxKustomization;
use super::{BuildError, Kustomize, clusters, interrupt, kustomize};
use crate::compile::Rendered;
use crate::tree::FileTree;

/// The rendered tree and the kustomize binary, ready to build any of the tree's clusters.
pub(crate) struct Workspace<'a> {
    pub(super) tree: &'a FileTree,
    /// `output-path` as written (`./generated`), to show Flux paths.
    pub(super) output_path: &'a str,
    pub(super) clusters: BTreeSet<String>,
    pub(super) kustomize: Kustomize,
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

    /// Runs kustomize for every Kustomization of a wave, in parallel; the outputs come back in
    /// the wave's order.
    ///
    /// All builds share one copy of the tree. A build that rewrites the kustomization.yaml at
    /// its path holds that directory's lock for writing, and every build holds the directories
    /// it reads kustomization files from for reading, so no build ever sees another's rewrite:
    /// each sees the tree as a fresh artifact, as in kustomize-controller. Locks are taken in
    /// path order, so builds cannot deadlock.
    pub(super) fn run_wave(&self, wave: &[FluxKustomization]) -> Result<Vec<String>, BuildError> {
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

    /// The remote targets the kustomization at a Kustomization's path lists, which its build
    /// leaves out.
    pub(super) fn remote_bases(&self, kustomization: &FluxKustomization) -> Vec<String> {
        relative_path(&kustomization.spec.path)
            .map(|path| kustomize::remote_resources(&self.dir.path().join(path)))
            .unwrap_or_default()
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
            rewrites: kustomization.changes_kustomization_file()
                || !kustomize::remote_resources(&dir).is_empty(),
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

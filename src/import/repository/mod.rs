//! Any Flux repository written by hand: `apps/base` + `apps/<env>` overlays as in Flux's own
//! example, one directory per app with a `ks.yaml` as in community homelabs, or anything else
//! kustomize-controller can build. Each cluster is built with [`crate::build::run_repo`], as
//! Flux would apply it; each Flux Kustomization that applies objects becomes an app (one per
//! namespace it fills), and what Flux applies becomes its manifests, as built: objects every
//! cluster gets the same are the app's, the others each cluster's. A HelmRelease whose chart
//! source is the spec's to write is lifted into a `helm` node with a `version` line per cluster
//! ([`chart`]); the app's Flux Kustomization gives its knobs and dependencies ([`apps`]) and its
//! Flux-level components ([`components`]); the image tags of its manifests become `image`
//! nodes ([`images`]).

mod apps;
mod chart;
mod component_patches;
mod components;
mod images;
mod manifests;
mod sources;
mod vars;

use std::path::Path;

use std::collections::BTreeMap;

use serde_json::Value;

use super::source::{SourceRepo, text_at};
use super::{ImportError, Lifted};
use crate::build::ClusterBuild;

/// A cluster to import: its name in the spec and the path `flux bootstrap` syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClusterEntry {
    pub(crate) name: String,
    pub(crate) path: String,
}

/// The clusters of a repository: the directories under a `clusters/` directory; else those
/// holding a bootstrapped `flux-system/`; else the directories of the Flux Kustomizations no
/// other one's `path` leads to (the roots).
pub(super) fn find_clusters(repo: &SourceRepo) -> Vec<ClusterEntry> {
    let mut dirs: Vec<String> = Vec::new();
    for path in repo.paths() {
        let Some((dir, _)) = path.rsplit_once('/') else {
            continue;
        };
        let cluster_dir = match dir.rsplit_once('/') {
            Some((parent, _)) if parent == "clusters" || parent.ends_with("/clusters") => dir,
            _ => continue,
        };
        if !dirs.iter().any(|known| known == cluster_dir) {
            dirs.push(cluster_dir.to_owned());
        }
    }
    if dirs.is_empty() {
        dirs = repo
            .paths()
            .filter_map(|path| path.strip_suffix("/flux-system/gotk-sync.yaml"))
            .map(str::to_owned)
            .collect();
    }
    if dirs.is_empty() {
        dirs = roots(repo);
    }
    dirs.into_iter()
        .map(|path| ClusterEntry {
            name: cluster_name(&path),
            path,
        })
        .collect()
}

/// The directories holding a Flux Kustomization that no Flux Kustomization's `path` leads to.
fn roots(repo: &SourceRepo) -> Vec<String> {
    let mut holders: Vec<String> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for path in repo.paths().filter(|path| super::is_yaml(path)) {
        for document in repo.documents(path).unwrap_or_default() {
            if !is_flux_kustomization(&document) {
                continue;
            }
            let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
            if !holders.contains(&dir) {
                holders.push(dir);
            }
            if let Some(target) = text_at(&document, &["spec", "path"]) {
                let target = target.trim_start_matches("./").trim_end_matches('/');
                targets.push(target.to_owned());
            }
        }
    }
    holders
        .into_iter()
        .filter(|dir| {
            !targets.iter().any(|target| {
                dir == target || dir.starts_with(&format!("{target}/")) || target.is_empty()
            })
        })
        .collect()
}

pub(super) fn is_flux_kustomization(document: &Value) -> bool {
    text_at(document, &["kind"]) == Some("Kustomization")
        && text_at(document, &["apiVersion"])
            .is_some_and(|version| version.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// A DNS label from a directory's last segment.
fn cluster_name(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or(path);
    super::dns_label(last)
}

/// Builds each cluster as Flux would apply it from `source`.
pub(super) fn build(
    source: &Path,
    clusters: &[ClusterEntry],
) -> Result<Vec<(ClusterEntry, ClusterBuild)>, ImportError> {
    build_with(source, clusters, &BTreeMap::new())
}

/// [`build`], with the files of `replaced` read as the contents given.
fn build_with(
    source: &Path,
    clusters: &[ClusterEntry],
    replaced: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<(ClusterEntry, ClusterBuild)>, ImportError> {
    clusters
        .iter()
        .map(|cluster| {
            crate::build::run_repo_with(source, &cluster.path, replaced)
                .map(|build| (cluster.clone(), build))
                .map_err(|error| ImportError::Build {
                    cluster: cluster.path.clone(),
                    source: Box::new(error),
                })
        })
        .collect()
}

/// Lifts the built clusters into a spec. When Flux-level components have patches the spec can
/// say, the apps are lifted from the clusters built again without those patches (the spec's
/// components apply them); a component some app cannot use is then left patching, and the
/// clusters built again, until every one left is used.
pub(super) fn lift(
    repo: &SourceRepo,
    source: &Path,
    builds: &[(ClusterEntry, ClusterBuild)],
) -> Result<Lifted, ImportError> {
    let mut patched = component_patches::patched_components(repo, builds);
    let mut lifted = loop {
        let replaced = component_patches::unpatched(repo, &patched)
            .map_err(|reason| ImportError::Internal { reason })?;
        let unpatched = if replaced.is_empty() {
            None
        } else {
            let clusters: Vec<ClusterEntry> =
                builds.iter().map(|(cluster, _)| cluster.clone()).collect();
            Some(build_with(source, &clusters, &replaced)?)
        };
        let (lifted, unused) = apps::lift(
            repo,
            unpatched.as_deref().unwrap_or(builds),
            patched.clone(),
        );
        if unused.is_empty() {
            break lifted;
        }
        for (dir, why) in unused {
            patched.insert(dir, Err(why));
        }
    };
    "a Flux repository, built as Flux applies it".clone_into(&mut lifted.report.shape);
    lifted.report.figures.clusters = builds.len();
    Ok(lifted)
}

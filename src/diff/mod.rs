//! `fluxspec diff`: how what Flux applies to each cluster changes between the spec at a Git
//! revision and the spec in the working tree, object by object.
//!
//! Both specs are rendered and built ([`crate::build`]); the revision's spec directory is copied
//! out of Git ([`git`]), never checked out. Objects are matched by identity (API group, kind,
//! namespace, name): one only on the working tree's side is added, one only on the revision's
//! is removed, one on both whose YAML or owning Flux Kustomization differs is changed. Changes
//! come in apply order: the working tree's objects, then the removed ones in the revision's
//! order.
//!
//! Boundary: reads Git objects and the working tree's spec; writes only temporary directories.

mod format;
mod git;

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use thiserror::Error;

use crate::build::object::ObjectId;
use crate::build::{BuildError, ClusterBuild, Workspace, clusters};
use crate::compile::SpecSource;
use crate::select::UnknownCluster;
pub(crate) use format::{write_json, write_markdown, write_text};
use git::GitError;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum DiffError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

/// The differences, per cluster.
#[derive(Debug)]
pub(crate) struct Diff {
    /// The revision compared with the working tree, as given.
    pub(crate) against: String,
    pub(crate) clusters: Vec<ClusterDiff>,
    pub(crate) warnings: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct ClusterDiff {
    pub(crate) cluster: String,
    pub(crate) changes: Vec<ObjectChange>,
}

impl ClusterDiff {
    pub(crate) fn count(&self, status: Status) -> usize {
        self.changes
            .iter()
            .filter(|change| change.status == status)
            .count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// One object that differs.
#[derive(Debug)]
pub(crate) struct ObjectChange {
    pub(crate) id: ObjectId,
    pub(crate) status: Status,
    /// The Flux Kustomization that applies it (in the revision, for a removed object).
    pub(crate) kustomization: String,
    /// The one that applied it in the revision, when another applies it now.
    pub(crate) previous_kustomization: Option<String>,
    /// Its YAML in the revision; empty when added.
    pub(crate) old: String,
    /// Its YAML in the working tree; empty when removed.
    pub(crate) new: String,
}

/// Compares what Flux applies to each cluster (or only `cluster`) under the working tree's
/// `spec` and under the same spec at `against`.
pub(crate) fn diff(
    spec: &SpecSource,
    cluster: Option<&str>,
    against: &str,
) -> Result<Diff, DiffError> {
    // Comments are dropped by the build, so the label in generated headers does not matter.
    let new = spec.load_and_render().map_err(BuildError::from)?;
    let checkout = git::checkout(&spec.path, against)?;
    let old = SpecSource {
        path: checkout.spec.clone(),
        shown_as: checkout.label.clone(),
        header_label: spec.header_label.clone(),
    }
    .load_and_render()
    .map_err(BuildError::from)?;
    let mut warnings: Vec<String> = checkout
        .skipped
        .iter()
        .map(|path| format!("`{against}:{path}` is not a plain file; it was left out"))
        .collect();

    let (new_clusters, old_clusters) = (clusters(&new.tree), clusters(&old.tree));
    let known: BTreeSet<&String> = new_clusters.iter().chain(&old_clusters).collect();
    let selected: Vec<&String> = match cluster {
        None => known.into_iter().collect(),
        Some(name) => {
            let Some(found) = known.iter().find(|known| known.as_str() == name) else {
                let known = known.iter().map(|name| name.as_str());
                return Err(BuildError::from(UnknownCluster::new(name, known, None)).into());
            };
            vec![*found]
        }
    };
    // Nothing rendered differs, so nothing built can: skip the builds.
    if new.tree == old.tree && new.output_path == old.output_path {
        return Ok(Diff {
            against: against.to_owned(),
            clusters: selected
                .into_iter()
                .map(|cluster| ClusterDiff {
                    cluster: cluster.clone(),
                    changes: Vec::new(),
                })
                .collect(),
            warnings,
        });
    }

    let new = Workspace::new(&new)?;
    let old = Workspace::new(&old)?;
    let build = |workspace: &Workspace, cluster: &str| {
        workspace
            .clusters()
            .contains(cluster)
            .then(|| workspace.build(cluster, None))
            .transpose()
    };
    let mut diffs = Vec::new();
    for cluster in selected {
        // Both sides at once: each build leaves cores idle between its waves.
        let (new_build, old_build) = std::thread::scope(|scope| {
            let old_build = scope.spawn(|| build(&old, cluster));
            let new_build = build(&new, cluster);
            let old_build = old_build
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (new_build, old_build)
        });
        let (new_build, old_build) = (new_build?, old_build?);
        if let Some(new_build) = &new_build {
            warnings.extend(
                new_build
                    .warnings
                    .iter()
                    .map(|warning| format!("cluster `{cluster}`: {warning}")),
            );
        }
        diffs.push(ClusterDiff {
            cluster: cluster.clone(),
            changes: compare(old_build.as_ref(), new_build.as_ref()),
        });
    }
    Ok(Diff {
        against: against.to_owned(),
        clusters: diffs,
        warnings,
    })
}

/// Each object of a build by identity, with its Kustomization and YAML; the first of a
/// duplicate wins (`build` warns about duplicates).
fn index(build: Option<&ClusterBuild>) -> Vec<(&ObjectId, &str, &str)> {
    let mut seen = BTreeSet::new();
    build
        .into_iter()
        .flat_map(|build| &build.kustomizations)
        .flat_map(|kustomization| {
            kustomization
                .objects
                .iter()
                .map(move |item| (&item.object.id, kustomization.name.as_str(), &*item.yaml))
        })
        .filter(|(id, _, _)| seen.insert(*id))
        .collect()
}

fn compare(old: Option<&ClusterBuild>, new: Option<&ClusterBuild>) -> Vec<ObjectChange> {
    let old = index(old);
    let new = index(new);
    let old_by_id: BTreeMap<&ObjectId, (&str, &str)> =
        old.iter().map(|(id, k, yaml)| (*id, (*k, *yaml))).collect();
    let new_ids: BTreeSet<&ObjectId> = new.iter().map(|(id, _, _)| *id).collect();
    let mut changes = Vec::new();
    for (id, kustomization, yaml) in &new {
        let change = |status, previous: Option<&str>, old: &str| ObjectChange {
            id: (*id).clone(),
            status,
            kustomization: (*kustomization).to_owned(),
            previous_kustomization: previous.map(str::to_owned),
            old: old.to_owned(),
            new: (*yaml).to_owned(),
        };
        match old_by_id.get(id) {
            None => changes.push(change(Status::Added, None, "")),
            Some((old_kustomization, old_yaml)) => {
                let moved = old_kustomization != kustomization;
                if moved || old_yaml != yaml {
                    changes.push(change(
                        Status::Changed,
                        moved.then_some(*old_kustomization),
                        old_yaml,
                    ));
                }
            }
        }
    }
    for (id, kustomization, yaml) in &old {
        if !new_ids.contains(id) {
            changes.push(ObjectChange {
                id: (*id).clone(),
                status: Status::Removed,
                kustomization: (*kustomization).to_owned(),
                previous_kustomization: None,
                old: (*yaml).to_owned(),
                new: String::new(),
            });
        }
    }
    changes
}

//! What Flux applies to one cluster, wave by wave: the entry directory's objects, then every
//! Flux Kustomization the previous wave applied, in apply order, built and post-built.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::charts::helm_charts;
use super::flux::{self, FluxKustomization};
use super::object::{Object, ObjectId, documents};
use super::post_build::post_build;
use super::{BuildError, BuiltKustomization, ClusterBuild, Workspace, built_object};
use crate::layout;
use crate::select::UnknownCluster;
use crate::suggest::did_you_mean;

/// The Flux Kustomization that `flux bootstrap` creates to sync a cluster's entry directory.
const ENTRY_NAME: &str = "flux-system";
const ENTRY_NAMESPACE: &str = "flux-system";

impl Workspace<'_> {
    /// Builds what Flux applies to `cluster`; with `only`, builds the root Kustomizations (they
    /// apply the others) and that one, and returns that one.
    pub(crate) fn build(
        &self,
        cluster: &str,
        only: Option<&str>,
    ) -> Result<ClusterBuild, BuildError> {
        if !self.clusters.contains(cluster) {
            return Err(UnknownCluster::new(
                cluster,
                self.clusters.iter().map(String::as_str),
                None,
            )
            .into());
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
                    remote_bases: self.remote_bases(kustomization),
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
            remote_bases: Vec::new(),
        })
    }
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

//! What Flux applies to one cluster, wave by wave: the entry directory's objects, then every
//! Flux Kustomization the previous wave applied, in apply order, built and post-built.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::charts::helm_charts;
use super::flux::{self, FluxKustomization};
use super::object::{Object, ObjectId, documents};
use super::post_build::post_build;
use super::sources::{self, NotRendered};
use super::{BuildError, BuiltKustomization, ClusterBuild, UnreadSecret, Workspace, built_object};
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
        self.follow(cluster, vec![self.entry(cluster)?], only)
    }

    /// Builds what Flux applies from the repository's directory `entry`, which a `flux-system`
    /// Kustomization syncs.
    pub(super) fn build_repository(&self, entry: &str) -> Result<ClusterBuild, BuildError> {
        let sync = FluxKustomization {
            name: ENTRY_NAME.to_owned(),
            namespace: ENTRY_NAMESPACE.to_owned(),
            spec: flux::Spec {
                path: entry.to_owned(),
                ..flux::Spec::default()
            },
        };
        let mut not_rendered = Vec::new();
        let mut secrets = Vec::new();
        let mut warnings = Vec::new();
        let roots = self.run(&[sync], &[], &mut not_rendered, &mut secrets, &mut warnings)?;
        let mut build = self.follow(entry, roots, None)?;
        build.not_rendered.splice(0..0, not_rendered);
        build.unread_secrets.splice(0..0, secrets);
        build.warnings.splice(0..0, warnings);
        Ok(build)
    }

    /// Follows every Flux Kustomization the `roots` apply, wave by wave.
    fn follow(
        &self,
        cluster: &str,
        mut built: Vec<BuiltKustomization>,
        only: Option<&str>,
    ) -> Result<ClusterBuild, BuildError> {
        // Each Kustomization is built once: one declared twice (`warn_duplicates` reports the
        // object) or one that applies itself (as `flux-system` may) is not built again.
        let mut seen = BTreeSet::from([(ENTRY_NAMESPACE.to_owned(), ENTRY_NAME.to_owned())]);
        let mut declared = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut not_rendered = Vec::new();
        let mut unread_secrets = Vec::new();
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
            wave_start = built.len();
            let outputs = self.run(
                &wave,
                &built,
                &mut not_rendered,
                &mut unread_secrets,
                &mut warnings,
            )?;
            built.extend(outputs);
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
            not_rendered,
            unread_secrets,
        })
    }

    /// Builds one wave: each Kustomization's source, kustomize, post build. Those that cannot
    /// be rendered are left out and reported in `not_rendered`.
    fn run(
        &self,
        wave: &[FluxKustomization],
        earlier: &[BuiltKustomization],
        not_rendered: &mut Vec<NotRendered>,
        unread_secrets: &mut Vec<UnreadSecret>,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<BuiltKustomization>, BuildError> {
        let mut rendered = Vec::new();
        let mut plans = Vec::new();
        for kustomization in wave {
            let planned = match sources::source_of(kustomization, earlier, self.tree) {
                Ok(source) => self.plan(kustomization, source)?,
                Err(reason) => Err(reason),
            };
            match planned {
                Ok(plan) => {
                    rendered.push(kustomization);
                    plans.push(plan);
                }
                Err(reason) => not_rendered.push(NotRendered {
                    kustomization: format!("{}/{}", kustomization.namespace, kustomization.name),
                    reason,
                }),
            }
        }
        let outputs = self.run_wave(&plans)?;
        let mut built = Vec::new();
        for ((kustomization, plan), output) in rendered.into_iter().zip(plans).zip(outputs) {
            let all: Vec<&BuiltKustomization> = earlier.iter().chain(&built).collect();
            let post_built = post_build(kustomization, &output, &all, self.repository)?;
            unread_secrets.extend(post_built.unread_secrets);
            warnings.extend(post_built.unset_variables);
            let objects = post_built.objects;
            built.push(BuiltKustomization {
                name: kustomization.name.clone(),
                namespace: kustomization.namespace.clone(),
                path: kustomization.spec.path.clone(),
                suspended: kustomization.spec.suspend,
                objects,
                remote_bases: plan.remote_bases,
            });
        }
        Ok(built)
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

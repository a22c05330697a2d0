//! Variables: an app's `postBuild.substitute` as its `var`s, and the `data` of the ConfigMaps
//! Flux Kustomizations substitute from as cluster `var`s, declared where a copied file uses
//! them. What the spec substitutes is what [`super::sources`] matches copied files with.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::ClusterEntry;
use super::apps::App;
use crate::build::ClusterBuild;
use crate::build::object::Object;
use crate::import::Lifted;
use crate::import::lift::vars::var_node;
use crate::import::source::{scalar_text, text_at};

impl App<'_> {
    /// The variables the app's Flux Kustomization substitutes on each cluster that the spec
    /// can say as `var`s: not those fluxspec sets itself (`APP`, `CLUSTER`), nor a value that
    /// names another variable.
    pub(super) fn substitutes(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.specs
            .iter()
            .map(|(cluster, spec)| {
                let vars = sayable(
                    spec.pointer("/postBuild/substitute")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(name, value)| Some((name.clone(), scalar_text(value)?))),
                );
                (cluster.clone(), vars)
            })
            .collect()
    }

    /// On each cluster, the variables of the ConfigMaps the app's Flux Kustomization
    /// substitutes from (in its order, later ones winning) that are cluster variables.
    pub(super) fn cluster_substitutes(
        &self,
        cluster_vars: &ClusterVars,
    ) -> Vec<(String, BTreeMap<String, String>)> {
        self.specs
            .iter()
            .map(|(cluster, spec)| {
                let (namespace, _) = self.kustomization.split_once('/').unwrap_or_default();
                let mut vars = BTreeMap::new();
                for source in spec
                    .pointer("/postBuild/substituteFrom")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|source| text_at(source, &["kind"]) == Some("ConfigMap"))
                {
                    let name = text_at(source, &["name"]).unwrap_or_default();
                    let config_map = format!("{namespace}/{name}");
                    let found = cluster_vars
                        .get(cluster)
                        .and_then(|maps| maps.get(&config_map));
                    vars.extend(
                        found
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
                (cluster.clone(), vars)
            })
            .collect()
    }
}

/// The variables the spec can say as `var`s: not those fluxspec sets itself (`APP`, `CLUSTER`),
/// with a name Flux accepts, and not a value naming another variable.
fn sayable(vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    vars.filter(|(name, _)| !matches!(name.as_str(), "APP" | "CLUSTER"))
        .filter(|(name, _)| crate::substitute::is_valid_var_name(name))
        .filter(|(_, value)| !value.contains('$'))
        .collect()
}

/// Per cluster, the `data` of each ConfigMap (`namespace/name`) a Flux Kustomization substitutes
/// from, as far as the spec can say it as cluster `var`s: a name two such ConfigMaps give
/// different values is left out (a cluster variable has one value).
pub(super) type ClusterVars = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

pub(super) fn cluster_vars(builds: &[(ClusterEntry, ClusterBuild)]) -> ClusterVars {
    builds
        .iter()
        .map(|(cluster, build)| {
            let objects: Vec<&Object> = build
                .kustomizations
                .iter()
                .flat_map(|kustomization| &kustomization.objects)
                .map(|built| &built.object)
                .collect();
            let mut maps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
            for kustomization in objects
                .iter()
                .filter(|object| object.is("kustomize.toolkit.fluxcd.io", "Kustomization"))
            {
                let namespace = kustomization.id.namespace.as_deref().unwrap_or_default();
                let sources = kustomization
                    .value
                    .pointer("/spec/postBuild/substituteFrom")
                    .and_then(Value::as_array);
                for source in sources.into_iter().flatten() {
                    if text_at(source, &["kind"]) != Some("ConfigMap") {
                        continue;
                    }
                    let name = text_at(source, &["name"]).unwrap_or_default();
                    let found = objects.iter().find(|object| {
                        object.id.group.is_empty()
                            && object.id.kind == "ConfigMap"
                            && object.id.name == name
                            && object.id.namespace.as_deref() == Some(namespace)
                    });
                    if let Some(config_map) = found {
                        let data = sayable(config_map.string_map(&["data"]).into_iter());
                        maps.insert(format!("{namespace}/{name}"), data);
                    }
                }
            }
            // One value per name across the cluster's ConfigMaps.
            let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (name, value) in maps.values().flatten() {
                values
                    .entry(name.clone())
                    .or_default()
                    .insert(value.clone());
            }
            for data in maps.values_mut() {
                data.retain(|name, _| values.get(name).is_some_and(|set| set.len() == 1));
            }
            (cluster.name.clone(), maps)
        })
        .collect()
}

/// The cluster variables the copied files use, as `var`s of their cluster.
pub(super) fn declare_cluster_vars(cluster_vars: &ClusterVars, lifted: &mut Lifted) {
    for (cluster, used) in std::mem::take(&mut lifted.used_cluster_vars) {
        let values: BTreeMap<&String, &String> = cluster_vars
            .get(&cluster)
            .into_iter()
            .flat_map(BTreeMap::values)
            .flatten()
            .collect();
        let Some(node) = lifted
            .nodes
            .iter_mut()
            .find(|node| node.name() == "cluster" && node.first_text() == cluster)
        else {
            continue;
        };
        for name in used {
            if let Some(value) = values.get(&name) {
                node.children.push(var_node(&name, value));
            }
        }
    }
}

//! The fields of a Flux Kustomization (`kustomize.toolkit.fluxcd.io/v1`) that `build` acts on,
//! read from a built object, and the order in which Flux applies a set of them.
//!
//! Fields that only matter on a live cluster (`interval`, `wait`, `healthChecks`, `prune`, ...)
//! are not read. Of the build fields, `build` supports what fluxspec emits and what the issue
//! names: `path`, `targetNamespace`, `images`, `patches`, `components`, `postBuild`,
//! `commonMetadata`, `dependsOn`, `suspend` and `sourceRef`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::object::Object;

/// The API group of Flux Kustomizations.
pub(crate) const GROUP: &str = "kustomize.toolkit.fluxcd.io";

/// One Flux Kustomization.
#[derive(Debug, Clone)]
pub(crate) struct FluxKustomization {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) spec: Spec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Spec {
    /// Relative to the root of the source; Flux defaults it to the root.
    #[serde(default)]
    pub(crate) path: String,
    pub(crate) target_namespace: Option<String>,
    /// Kustomize `images` entries (`name`, `newName`, `newTag`, `digest`), copied as they are.
    #[serde(default)]
    pub(crate) images: Vec<Value>,
    /// Kustomize `patches` entries (`patch`, `target`), copied as they are.
    #[serde(default)]
    pub(crate) patches: Vec<Value>,
    #[serde(default)]
    pub(crate) components: Vec<String>,
    pub(crate) post_build: Option<PostBuild>,
    #[serde(default)]
    pub(crate) depends_on: Vec<DependsOn>,
    pub(crate) common_metadata: Option<CommonMetadata>,
    #[serde(default)]
    pub(crate) suspend: bool,
    /// Where the files come from; `build` reads only this repository and the artifacts
    /// generated from it (`super::sources`).
    pub(crate) source_ref: Option<SourceRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SourceRef {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostBuild {
    #[serde(default)]
    pub(crate) substitute: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) substitute_from: Vec<SubstituteReference>,
    /// `WithVariables` (the default) or `Always`.
    pub(crate) substitute_strategy: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SubstituteReference {
    pub(crate) kind: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) optional: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DependsOn {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CommonMetadata {
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

impl FluxKustomization {
    /// Reads a Flux Kustomization from a built object; `None` if the object is something else.
    pub(crate) fn from_object(object: &Object) -> Option<Result<Self, String>> {
        if !object.is(GROUP, "Kustomization") {
            return None;
        }
        let Some(namespace) = object.id.namespace.clone() else {
            return Some(Err("it has no `metadata.namespace`".to_owned()));
        };
        let spec = object.value.get("spec").cloned().unwrap_or(Value::Null);
        Some(
            serde_json::from_value(spec)
                .map(|spec| Self {
                    name: object.id.name.clone(),
                    namespace,
                    spec,
                })
                .map_err(|error| format!("cannot read its `spec`: {error}")),
        )
    }

    /// `namespace/name`, as Flux names a Kustomization.
    pub(crate) fn key(&self) -> (String, String) {
        (self.namespace.clone(), self.name.clone())
    }

    /// Whether `build` must rewrite the kustomization.yaml at `path` before building it.
    pub(crate) fn changes_kustomization_file(&self) -> bool {
        let spec = &self.spec;
        spec.target_namespace.is_some()
            || !spec.images.is_empty()
            || !spec.patches.is_empty()
            || !spec.components.is_empty()
    }
}

/// Orders Kustomizations as Flux applies them: each after those it depends on among them (a
/// dependency outside the set is someone else's business), ties by namespace and name. Returns
/// the names on a cycle, which Flux would never finish.
pub(crate) fn apply_order(
    kustomizations: Vec<FluxKustomization>,
) -> Result<Vec<FluxKustomization>, Vec<String>> {
    let keys: BTreeMap<(String, String), usize> = kustomizations
        .iter()
        .enumerate()
        .map(|(index, kustomization)| (kustomization.key(), index))
        .collect();
    let mut waiting_on: Vec<usize> = vec![0; kustomizations.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); kustomizations.len()];
    for (index, kustomization) in kustomizations.iter().enumerate() {
        let dependencies: BTreeSet<usize> = kustomization
            .spec
            .depends_on
            .iter()
            .filter_map(|dependency| {
                let namespace = dependency
                    .namespace
                    .clone()
                    .unwrap_or_else(|| kustomization.namespace.clone());
                keys.get(&(namespace, dependency.name.clone())).copied()
            })
            .collect();
        waiting_on[index] = dependencies.len();
        for dependency in dependencies {
            dependents[dependency].push(index);
        }
    }
    let mut ready: BTreeSet<((String, String), usize)> = kustomizations
        .iter()
        .enumerate()
        .filter(|(index, _)| waiting_on[*index] == 0)
        .map(|(index, kustomization)| (kustomization.key(), index))
        .collect();
    let mut order = Vec::with_capacity(kustomizations.len());
    while let Some((_, index)) = ready.pop_first() {
        order.push(index);
        for &dependent in &dependents[index] {
            waiting_on[dependent] -= 1;
            if waiting_on[dependent] == 0 {
                ready.insert((kustomizations[dependent].key(), dependent));
            }
        }
    }
    if order.len() < kustomizations.len() {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        return Err(kustomizations
            .iter()
            .enumerate()
            .filter(|(index, _)| !placed.contains(index))
            .map(|(_, kustomization)| kustomization.name.clone())
            .collect());
    }
    let mut slots: Vec<Option<FluxKustomization>> = kustomizations.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|index| slots[index].take())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kustomization(name: &str, depends_on: &[&str]) -> FluxKustomization {
        FluxKustomization {
            name: name.to_owned(),
            namespace: "flux-system".to_owned(),
            spec: Spec {
                depends_on: depends_on
                    .iter()
                    .map(|name| DependsOn {
                        name: (*name).to_owned(),
                        namespace: None,
                    })
                    .collect(),
                ..Spec::default()
            },
        }
    }

    fn names(order: &[FluxKustomization]) -> Vec<&str> {
        order.iter().map(|k| k.name.as_str()).collect()
    }

    #[test]
    fn dependencies_first_then_ties_by_name() {
        let order = apply_order(vec![
            kustomization("grafana", &["ingress", "issuers"]),
            kustomization("issuers", &["cert-manager"]),
            kustomization("whoami", &["ingress", "elsewhere"]),
            kustomization("ingress", &[]),
            kustomization("cert-manager", &[]),
            kustomization("dashboards", &["grafana"]),
        ])
        .unwrap();
        assert_eq!(
            names(&order),
            [
                "cert-manager",
                "ingress",
                "issuers",
                "grafana",
                "dashboards",
                "whoami"
            ]
        );
    }

    #[test]
    fn a_dependency_in_another_namespace_is_not_a_sibling() {
        let mut app = kustomization("app", &["db"]);
        app.spec.depends_on[0].namespace = Some("other".to_owned());
        let order = apply_order(vec![app, kustomization("db", &["app"])]).unwrap();
        assert_eq!(names(&order), ["app", "db"]);
    }

    #[test]
    fn cycles_are_reported() {
        let cycle = apply_order(vec![
            kustomization("a", &["b"]),
            kustomization("b", &["a"]),
            kustomization("c", &[]),
        ])
        .unwrap_err();
        assert_eq!(cycle, ["a", "b"]);
    }
}

//! Object by object: what Flux applies from the original repository against what it applies from
//! the compiled spec, on one cluster. Objects are matched by identity (kind with its API group,
//! namespace, name); their content is compared after normalisation: key order does not matter
//! (values are compared as data), the labels and annotations fluxspec adds are removed, and so
//! are Flux defaults fluxspec writes out. The Flux Kustomizations themselves are the structure
//! the import replaces, so they are not compared; nor are the objects fluxspec adds to every
//! cluster (its `cluster-config` ConfigMap, the Namespaces of its apps). Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::build::ClusterBuild;
use crate::build::object::{Object, ObjectId};

/// Labels and annotations fluxspec writes on objects that a hand-written repository may not.
const ADDED_METADATA: &[(&str, &str)] = &[
    ("labels", "app.kubernetes.io/name"),
    ("annotations", "kustomize.toolkit.fluxcd.io/substitute"),
    ("annotations", "kustomize.toolkit.fluxcd.io/prune"),
];

/// Fields fluxspec writes with the value Flux takes when they are absent, by kind.
const FLUX_DEFAULTS: &[(&str, &[&str], &str)] = &[
    (
        "OCIRepository",
        &["spec", "layerSelector"],
        r#"{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","operation":"copy"}"#,
    ),
    ("HelmRepository", &["spec", "type"], r#""default""#),
];

/// How one cluster compares.
#[derive(Debug, Default)]
pub(crate) struct ClusterComparison {
    pub(crate) cluster: String,
    pub(crate) compared: usize,
    pub(crate) missing: Vec<ObjectId>,
    pub(crate) extra: Vec<ObjectId>,
    /// Chart versions, tags and images that differ: `object: what original -> compiled`.
    pub(crate) versions: Vec<String>,
    /// Other content that differs: `object: path`.
    pub(crate) content: Vec<String>,
    /// Every object the original applies that is compared (found or missing), in order.
    pub(crate) original: Vec<ObjectId>,
    /// The objects the original applies that are not compared, each with why.
    pub(crate) not_compared: Vec<(ObjectId, &'static str)>,
}

impl ClusterComparison {
    /// Whether the compiled spec applies the same objects at the same versions.
    pub(crate) fn is_faithful(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.versions.is_empty()
    }

    /// One line: `dev: 42 objects, 0 missing, 0 extra, 0 version differences, 3 content differences`.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{}: {} objects, {} missing, {} extra, {} version differences, {} content differences",
            self.cluster,
            self.compared,
            self.missing.len(),
            self.extra.len(),
            self.versions.len(),
            self.content.len()
        )
    }
}

/// Compares what Flux applies to `cluster` from the original repository and from the spec.
pub(crate) fn compare(
    cluster: &str,
    original: &ClusterBuild,
    compiled: &ClusterBuild,
) -> ClusterComparison {
    let original_objects = applied(original);
    let mut compiled_objects = applied(compiled);
    let not_compared = not_compared(original);
    // What fluxspec adds to every cluster, when the original has no such object.
    compiled_objects.retain(|id, _| original_objects.contains_key(id) || !added_by_fluxspec(id));
    let mut comparison = ClusterComparison {
        cluster: cluster.to_owned(),
        original: original_objects.keys().cloned().collect(),
        not_compared,
        ..ClusterComparison::default()
    };
    // An object the original applies without a namespace (cluster-scoped) is the same object
    // when the spec's `targetNamespace` gives it one: the API server ignores it.
    let renamed: Vec<(ObjectId, ObjectId)> = compiled_objects
        .keys()
        .filter(|id| id.namespace.is_some() && !original_objects.contains_key(*id))
        .filter_map(|id| {
            let bare = ObjectId {
                namespace: None,
                ..id.clone()
            };
            original_objects
                .contains_key(&bare)
                .then(|| (id.clone(), bare))
        })
        .collect();
    for (id, bare) in renamed {
        if let Some(object) = compiled_objects.remove(&id)
            && !compiled_objects.contains_key(&bare)
        {
            compiled_objects.insert(bare, object);
        }
    }
    for (id, object) in &original_objects {
        let Some(other) = compiled_objects.get(id) else {
            comparison.missing.push(id.clone());
            continue;
        };
        comparison.compared += 1;
        let (before, mut after) = (normalised(object), normalised(other));
        if id.namespace.is_none()
            && let Some(metadata) = after.get_mut("metadata").and_then(Value::as_object_mut)
        {
            metadata.remove("namespace");
        }
        for (image_before, image_after) in image_differences(&before, &after) {
            comparison
                .versions
                .push(format!("{id}: image {image_before} -> {image_after}"));
        }
        let mut paths = Vec::new();
        differing_paths(&before, &after, &mut String::new(), &mut paths);
        // Images were compared above, as images.
        paths.retain(|path| !is_image_path(path));
        for path in paths {
            if is_version_path(&id.kind, &path) {
                comparison.versions.push(format!("{id}: {path}"));
            } else {
                comparison.content.push(format!("{id}: {path}"));
            }
        }
    }
    comparison.extra = compiled_objects
        .keys()
        .filter(|id| !original_objects.contains_key(*id))
        .cloned()
        .collect();
    comparison
}

/// Every object the cluster's Flux Kustomizations apply, by identity, without those that are
/// [`not_compared`].
fn applied(build: &ClusterBuild) -> BTreeMap<ObjectId, &Object> {
    built(build)
        .filter(|object| left_out(object).is_none())
        .map(|object| (object.id.clone(), object))
        .collect()
}

/// The objects the cluster's Flux Kustomizations apply that are not compared, each with why,
/// once each.
fn not_compared(build: &ClusterBuild) -> Vec<(ObjectId, &'static str)> {
    let reasons: BTreeMap<ObjectId, &'static str> = built(build)
        .filter_map(|object| left_out(object).map(|why| (object.id.clone(), why)))
        .collect();
    reasons.into_iter().collect()
}

fn built(build: &ClusterBuild) -> impl Iterator<Item = &Object> {
    build
        .kustomizations
        .iter()
        .flat_map(|kustomization| kustomization.objects.iter())
        .map(|built| &built.object)
}

/// Why an object the original applies is not compared: the Flux Kustomizations are the
/// structure the import replaces, and Flux's own objects are bootstrap's.
fn left_out(object: &Object) -> Option<&'static str> {
    if object.is("kustomize.toolkit.fluxcd.io", "Kustomization") {
        Some("a Flux Kustomization")
    } else if is_bootstrap(object) {
        Some("Flux's own")
    } else {
        None
    }
}

/// Flux's own objects, which `flux bootstrap` (or the Flux Operator) manages, not the spec.
pub(super) fn is_bootstrap(object: &Object) -> bool {
    (object.id.name == "flux-system"
        && matches!(object.id.kind.as_str(), "GitRepository" | "OCIRepository"))
        || object.str_at(&["metadata", "labels", "app.kubernetes.io/part-of"]) == Some("flux")
}

fn added_by_fluxspec(id: &ObjectId) -> bool {
    (id.kind == "ConfigMap" && id.name == "cluster-config")
        || (id.group.is_empty() && id.kind == "Namespace")
}

/// The object without what fluxspec adds and with Flux's defaults removed: empty lists and maps
/// are as good as none, and `dependsOn` lists are sets.
fn normalised(object: &Object) -> Value {
    let mut value = object.value.clone();
    tidy(&mut value);
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        for (field, key) in ADDED_METADATA {
            if let Some(map) = metadata.get_mut(*field).and_then(Value::as_object_mut) {
                map.remove(*key);
                if map.is_empty() {
                    metadata.remove(*field);
                }
            }
        }
    }
    for (kind, path, default) in FLUX_DEFAULTS {
        if object.id.kind != *kind {
            continue;
        }
        let default: Value = serde_json::from_str(default).unwrap_or(Value::Null);
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let parent = parents
            .iter()
            .try_fold(&mut value, |value, key| value.get_mut(*key));
        if let Some(parent) = parent.and_then(Value::as_object_mut)
            && parent.get(*last) == Some(&default)
        {
            parent.remove(*last);
        }
    }
    value
}

/// Removes empty lists and maps below `value` and sorts `dependsOn` lists.
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                tidy(child);
            }
            map.retain(|_, child| !is_empty(child));
            if let Some(Value::Array(entries)) = map.get_mut("dependsOn") {
                entries.sort_by_key(ToString::to_string);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The dotted paths where two values differ: a key on one side only, or a different scalar or
/// list. Maps are compared key by key whatever their order.
fn differing_paths(before: &Value, after: &Value, at: &mut String, paths: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
            for key in keys {
                let length = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(key);
                match (left.get(key), right.get(key)) {
                    (Some(l), Some(r)) => differing_paths(l, r, at, paths),
                    _ => paths.push(at.clone()),
                }
                at.truncate(length);
            }
        }
        (Value::Array(left), Value::Array(right)) if left.len() == right.len() => {
            for (index, (l, r)) in left.iter().zip(right).enumerate() {
                let length = at.len();
                let _ = write!(at, "[{index}]");
                differing_paths(l, r, at, paths);
                at.truncate(length);
            }
        }
        _ if before == after => {}
        _ => paths.push(at.clone()),
    }
}

/// Whether a differing path is a chart version or tag.
fn is_version_path(kind: &str, path: &str) -> bool {
    matches!(
        (kind, path),
        ("HelmRelease", "spec.chart.spec.version")
            | (
                "OCIRepository",
                "spec.ref.tag" | "spec.ref.semver" | "spec.ref.digest"
            )
            | (
                "HelmRepository" | "OCIRepository" | "HelmRelease",
                "spec.url"
            )
    )
}

fn is_image_path(path: &str) -> bool {
    let mut segments = path.rsplit('.');
    matches!(
        (segments.next(), segments.next()),
        (Some("image"), _) | (Some("tag" | "repository"), Some("image"))
    )
}

/// Images an object runs (`image: name:tag` strings and `{repository, tag}` maps), compared as
/// multisets: each one on one side only, paired in order.
fn image_differences(before: &Value, after: &Value) -> Vec<(String, String)> {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    images(before, &mut left);
    images(after, &mut right);
    left.sort();
    right.sort();
    let only_left: Vec<&String> = left.iter().filter(|image| !right.contains(image)).collect();
    let only_right: Vec<&String> = right.iter().filter(|image| !left.contains(image)).collect();
    let none = "(none)".to_owned();
    (0..only_left.len().max(only_right.len()))
        .map(|index| {
            (
                (*only_left.get(index).unwrap_or(&&none)).clone(),
                (*only_right.get(index).unwrap_or(&&none)).clone(),
            )
        })
        .collect()
}

fn images(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(image) = map.get("image") {
                match image {
                    Value::String(reference) => found.push(reference.clone()),
                    Value::Object(parts) => {
                        if let (Some(repository), Some(tag)) = (
                            parts.get("repository").and_then(Value::as_str),
                            parts.get("tag").and_then(scalar),
                        ) {
                            found.push(format!("{repository}:{tag}"));
                        }
                    }
                    _ => {}
                }
            }
            for child in map.values() {
                images(child, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                images(item, found);
            }
        }
        _ => {}
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{BuiltKustomization, BuiltObject};

    fn build(documents: &[&str]) -> ClusterBuild {
        let objects = documents
            .iter()
            .map(|text| {
                let object = Object::parse(text).unwrap().unwrap();
                let yaml = object.to_yaml().unwrap();
                BuiltObject { object, yaml }
            })
            .collect();
        ClusterBuild {
            cluster: "dev".to_owned(),
            kustomizations: vec![BuiltKustomization {
                name: "app".to_owned(),
                namespace: "flux-system".to_owned(),
                path: "./app".to_owned(),
                suspended: false,
                objects,
                remote_bases: Vec::new(),
            }],
            charts: Vec::new(),
            warnings: Vec::new(),
            not_rendered: Vec::new(),
            unread_secrets: Vec::new(),
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n";

    #[test]
    fn key_order_and_added_labels_are_not_differences() {
        let reordered = "kind: Deployment\napiVersion: apps/v1\nmetadata:\n  namespace: web\n  name: web\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  template:\n    spec:\n      containers:\n      - image: nginx:1.27\n        name: web\n  replicas: 1\n";
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n";
        let comparison = compare(
            "dev",
            &build(&[DEPLOYMENT]),
            &build(&[reordered, namespace]),
        );
        assert!(comparison.is_faithful(), "{comparison:?}");
        assert!(comparison.content.is_empty(), "{comparison:?}");
        assert_eq!(comparison.compared, 1);
    }

    #[test]
    fn a_missing_object_and_another_image_fail() {
        let bumped = DEPLOYMENT.replace("nginx:1.27", "nginx:1.28");
        let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n";
        let comparison = compare("dev", &build(&[DEPLOYMENT, service]), &build(&[&bumped]));
        assert!(!comparison.is_faithful());
        assert_eq!(comparison.missing.len(), 1, "{comparison:?}");
        assert_eq!(
            comparison.versions,
            ["Deployment/web/web: image nginx:1.27 -> nginx:1.28"]
        );
        assert!(comparison.content.is_empty(), "{comparison:?}");
    }
}

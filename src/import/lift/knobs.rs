//! The Flux Kustomization knobs of an app (`wait`, timings, health checks, inline patches,
//! labels) from each cluster's Flux Kustomization `spec`.

use serde_json::Value;

use super::{Split, split_single};
use crate::import::kdl::Node;
use crate::import::source::{scalar_text, text_at};

/// What an app's knobs are compared with: the values the spec gives without a knob.
pub(crate) struct Baseline<'a> {
    pub(crate) wait: bool,
    pub(crate) interval: &'a str,
    pub(crate) retry_interval: &'a str,
    pub(crate) timeout: &'a str,
}

/// The knobs of one app from its Flux Kustomization on each cluster. `namespace` is the app's
/// (health checks there need not name it); `name_label` a label fluxspec writes itself, left
/// out.
pub(crate) fn flux_knobs(
    per_cluster: &[(String, &Value)],
    baseline: &Baseline<'_>,
    namespace: &str,
    name_label: Option<(&str, &str)>,
) -> Split {
    let mut split = Split::default();
    let wait: Vec<(String, bool)> = per_cluster
        .iter()
        .map(|(cluster, spec)| {
            let wait = spec.get("wait").and_then(Value::as_bool).unwrap_or(false);
            (cluster.clone(), wait)
        })
        .collect();
    single(&mut split, "wait", &wait, &baseline.wait);
    for (field, knob, default) in [
        ("interval", "interval", baseline.interval),
        ("retryInterval", "retry-interval", baseline.retry_interval),
        ("timeout", "timeout", baseline.timeout),
    ] {
        let values: Vec<(String, String)> = per_cluster
            .iter()
            .map(|(cluster, spec)| {
                let value = text_at(spec, &[field]).unwrap_or(default).to_owned();
                (cluster.clone(), value)
            })
            .collect();
        single(&mut split, knob, &values, &default.to_owned());
    }
    let lists: Vec<(String, Vec<Node>)> = per_cluster
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), list_knobs(spec, namespace, name_label)))
        .collect();
    common_prefix(&mut split, &lists);
    split
}

fn single<T: PartialEq + Clone + Into<crate::import::kdl::Value>>(
    split: &mut Split,
    knob: &str,
    values: &[(String, T)],
    baseline: &T,
) {
    let (app, others) = split_single(values, Some(baseline));
    if let Some(value) = app {
        split.app.push(Node::with(knob, value));
    }
    for (cluster, value) in others {
        split.cluster(&cluster, Node::with(knob, value));
    }
}

/// List knobs add a cluster's entries after the app's: the entries every cluster starts with
/// are the app's, the rest each cluster's.
fn common_prefix(split: &mut Split, lists: &[(String, Vec<Node>)]) {
    let shortest = lists.iter().map(|(_, list)| list.len()).min().unwrap_or(0);
    let mut shared = 0;
    while shared < shortest
        && lists
            .iter()
            .all(|(_, list)| list[shared] == lists[0].1[shared])
    {
        shared += 1;
    }
    if let Some((_, first)) = lists.first() {
        split.app.extend(first[..shared].iter().cloned());
    }
    for (cluster, list) in lists {
        for node in &list[shared..] {
            split.cluster(cluster, node.clone());
        }
    }
}

/// The list knobs of one Flux Kustomization, in the order fluxspec writes them.
fn list_knobs(spec: &Value, namespace: &str, name_label: Option<(&str, &str)>) -> Vec<Node> {
    let mut nodes = Vec::new();
    for check in array(spec, "healthChecks") {
        let checked_namespace = text_at(check, &["namespace"]).filter(|ns| *ns != namespace);
        nodes.push(
            Node::new("health-check")
                .prop_some("api-version", text_at(check, &["apiVersion"]))
                .prop("kind", text_at(check, &["kind"]).unwrap_or_default())
                .prop("name", text_at(check, &["name"]).unwrap_or_default())
                .prop_some("namespace", checked_namespace),
        );
    }
    for check in array(spec, "healthCheckExprs") {
        nodes.push(
            Node::new("health-check-expr")
                .prop(
                    "api-version",
                    text_at(check, &["apiVersion"]).unwrap_or_default(),
                )
                .prop("kind", text_at(check, &["kind"]).unwrap_or_default())
                .prop_some("in-progress", text_at(check, &["inProgress"]))
                .prop_some("failed", text_at(check, &["failed"]))
                .prop("current", text_at(check, &["current"]).unwrap_or_default()),
        );
    }
    for patch in array(spec, "patches") {
        let target = |key: &str| text_at(patch, &["target", key]);
        nodes.push(
            Node::with(
                "inline-patch",
                text_at(patch, &["patch"]).unwrap_or_default(),
            )
            .prop_some("group", target("group"))
            .prop_some("version", target("version"))
            .prop_some("kind", target("kind"))
            .prop_some("name", target("name"))
            .prop_some("label-selector", target("labelSelector"))
            .prop_some("annotation-selector", target("annotationSelector")),
        );
    }
    if let Some(labels) = spec
        .get("commonMetadata")
        .and_then(|metadata| metadata.get("labels"))
        .and_then(Value::as_object)
    {
        for (key, value) in labels {
            let value = scalar_text(value).unwrap_or_default();
            if name_label.is_some_and(|(k, v)| k == key && v == value) {
                continue;
            }
            nodes.push(Node::with("label", key.clone()).arg(value));
        }
    }
    nodes
}

fn array<'a>(spec: &'a Value, key: &str) -> &'a [Value] {
    spec.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

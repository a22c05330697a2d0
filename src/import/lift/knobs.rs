//! The Flux Kustomization knobs of an app (`wait`, timings, health checks, inline patches,
//! labels) from each cluster's Flux Kustomization `spec`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Split, most_common};
use crate::import::kdl::{self, Node};
use crate::import::source::{scalar_text, text_at};

/// What an app's knobs are compared with: the values the spec gives without a knob.
pub(crate) struct Baseline<'a> {
    pub(crate) wait: bool,
    pub(crate) interval: &'a str,
    pub(crate) retry_interval: &'a str,
    pub(crate) timeout: &'a str,
    /// The clusters' `defaults`, which replace the above on their cluster.
    pub(crate) cluster_defaults: &'a ClusterDefaults,
}

/// Each cluster's `defaults`: a value by cluster and knob name.
pub(crate) type ClusterDefaults = BTreeMap<(String, &'static str), kdl::Value>;

/// The single-valued knobs: the Flux Kustomization field and the node.
const SINGLE_KNOBS: [(&str, &str); 4] = [
    ("wait", "wait"),
    ("interval", "interval"),
    ("retryInterval", "retry-interval"),
    ("timeout", "timeout"),
];

impl Baseline<'_> {
    /// What an app gets for `knob` on `cluster` without a knob of its own.
    fn of(&self, cluster: &str, knob: &'static str) -> kdl::Value {
        if let Some(value) = self.cluster_defaults.get(&(cluster.to_owned(), knob)) {
            return value.clone();
        }
        self.global(knob)
    }

    fn global(&self, knob: &str) -> kdl::Value {
        match knob {
            "wait" => kdl::Value::Bool(self.wait),
            "interval" => self.interval.into(),
            "retry-interval" => self.retry_interval.into(),
            _ => self.timeout.into(),
        }
    }
}

/// The value of a single-valued knob in a Flux Kustomization `spec`, or the baseline's.
fn knob_value(spec: &Value, field: &str, knob: &str, baseline: &Baseline<'_>) -> kdl::Value {
    match field {
        "wait" => kdl::Value::Bool(spec.get("wait").and_then(Value::as_bool).unwrap_or(false)),
        _ => text_at(spec, &[field]).map_or_else(|| baseline.global(knob), Into::into),
    }
}

/// The `defaults` of each cluster: a knob's value most of the cluster's apps have, when more of
/// them have it than have what they would get without it. `apps` gives each app's baseline and
/// Flux Kustomization `spec` per cluster.
pub(crate) fn cluster_defaults(apps: &[(Baseline<'_>, Vec<(String, &Value)>)]) -> ClusterDefaults {
    let mut defaults = ClusterDefaults::new();
    let mut clusters: Vec<&String> = apps
        .iter()
        .flat_map(|(_, specs)| specs.iter().map(|(cluster, _)| cluster))
        .collect();
    clusters.sort();
    clusters.dedup();
    for cluster in clusters {
        for (field, knob) in SINGLE_KNOBS {
            let seen: Vec<(kdl::Value, kdl::Value)> = apps
                .iter()
                .filter_map(|(baseline, specs)| {
                    let (_, spec) = specs.iter().find(|(c, _)| c == cluster)?;
                    Some((
                        knob_value(spec, field, knob, baseline),
                        baseline.global(knob),
                    ))
                })
                .collect();
            let values: Vec<(String, kdl::Value)> = seen
                .iter()
                .map(|(value, _)| (String::new(), value.clone()))
                .collect();
            let Some((common, count)) = most_common(&values) else {
                continue;
            };
            let unchanged = seen
                .iter()
                .filter(|(value, baseline)| value == baseline)
                .count();
            if count > unchanged {
                defaults.insert((cluster.clone(), knob), common);
            }
        }
    }
    defaults
}

/// A cluster's `defaults { ... }` node, if it has any.
pub(crate) fn defaults_node(defaults: &ClusterDefaults, cluster: &str) -> Option<Node> {
    let children: Vec<Node> = SINGLE_KNOBS
        .iter()
        .filter_map(|(_, knob)| {
            let value = defaults.get(&(cluster.to_owned(), *knob))?;
            Some(Node::with(knob, value.clone()))
        })
        .collect();
    (!children.is_empty()).then(|| Node::new("defaults").children(children))
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
    for (field, knob) in SINGLE_KNOBS {
        let values: Vec<(String, kdl::Value)> = per_cluster
            .iter()
            .map(|(cluster, spec)| (cluster.clone(), knob_value(spec, field, knob, baseline)))
            .collect();
        let baselines: Vec<kdl::Value> = per_cluster
            .iter()
            .map(|(cluster, _)| baseline.of(cluster, knob))
            .collect();
        single(&mut split, knob, &values, &baselines);
    }
    // `deletionPolicy`: Flux's default when absent, so a knob only where it is set.
    let policies: Vec<(String, kdl::Value)> = per_cluster
        .iter()
        .map(|(cluster, spec)| {
            let policy = text_at(spec, &["deletionPolicy"]).unwrap_or_default();
            (cluster.clone(), policy.into())
        })
        .collect();
    let unset = vec![kdl::Value::from(""); per_cluster.len()];
    single(&mut split, "deletion-policy", &policies, &unset);
    let lists: Vec<(String, Vec<Node>)> = per_cluster
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), list_knobs(spec, namespace, name_label)))
        .collect();
    common_prefix(&mut split, &lists);
    split
}

/// One knob: no app-wide value, or the one that leaves the fewest clusters needing their own
/// (each cluster's `baselines` entry is what it gets without either). An app-wide value wins a
/// tie: it is one line, a cluster block is three.
fn single(
    split: &mut Split,
    knob: &str,
    values: &[(String, kdl::Value)],
    baselines: &[kdl::Value],
) {
    let differing = |app: Option<&kdl::Value>| -> Vec<(String, kdl::Value)> {
        values
            .iter()
            .zip(baselines)
            .filter(|((_, value), baseline)| app.unwrap_or(baseline) != value)
            .map(|((cluster, value), _)| (cluster.clone(), value.clone()))
            .collect()
    };
    let mut best: (Option<&kdl::Value>, Vec<(String, kdl::Value)>) = (None, differing(None));
    for (_, candidate) in values {
        let others = differing(Some(candidate));
        let cost = others.len() + 1;
        let best_cost = best.1.len() + usize::from(best.0.is_some());
        if cost <= best_cost && (best.0.is_none() || cost < best_cost) {
            best = (Some(candidate), others);
        }
    }
    if let Some(value) = best.0 {
        split.app.push(Node::with(knob, value.clone()));
    }
    for (cluster, value) in best.1 {
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
        nodes.push(
            Node::with(
                "inline-patch",
                text_at(patch, &["patch"]).unwrap_or_default(),
            )
            .patch_target(patch),
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

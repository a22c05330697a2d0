//! A HelmRelease's settings and its chart source's settings, from each cluster's objects: the
//! children of the app's `helm` block, and of each cluster block's `helm`.

use serde_json::{Map, Value};

use super::{Split, most_common, version_lines};
use crate::import::kdl::Node;
use crate::import::source::{scalar_text, text_at};

/// HelmRelease `spec` fields the shape readers take care of (the chart, its version and values).
const CHART_FIELDS: &[&str] = &["chart", "chartRef", "values"];

/// One setting: a key to compare clusters by, and the node that says it.
type Setting = (String, Node);

/// The HelmRelease settings of one app from its `spec` on each cluster: app-wide where the
/// clusters agree, a cluster's `helm` block where they do not. `interval` is the spec's
/// default HelmRelease interval; `namespace` the app's, which `depends-on` need not name.
pub(crate) fn release_settings(
    per_cluster: &[(String, &Value)],
    interval: &str,
    namespace: &str,
) -> Split {
    let settings: Vec<(String, Vec<Setting>)> = per_cluster
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), settings_of(spec, interval, namespace)))
        .collect();
    let mut keys: Vec<&String> = Vec::new();
    for (_, list) in &settings {
        for (key, _) in list {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let mut split = Split::default();
    let mut app_remediation: Vec<(String, Node)> = Vec::new();
    let mut cluster_remediation: Vec<(String, String, Node)> = Vec::new();
    for key in keys {
        let values: Vec<(String, Node)> = settings
            .iter()
            .filter_map(|(cluster, list)| {
                list.iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, node)| (cluster.clone(), node.clone()))
            })
            .collect();
        let everywhere = values.len() == settings.len();
        let common = everywhere
            .then(|| most_common(&values).map(|(node, _)| node))
            .flatten();
        let group = key.split_once('/').map(|(group, _)| group.to_owned());
        if let Some(common) = &common {
            match &group {
                Some(group) => app_remediation.push((group.clone(), common.clone())),
                None => split.app.push(common.clone()),
            }
        }
        for (cluster, node) in values {
            if common.as_ref() == Some(&node) {
                continue;
            }
            match &group {
                Some(group) => cluster_remediation.push((cluster, group.clone(), node)),
                None => split.cluster(&cluster, node),
            }
        }
    }
    for group in ["install", "upgrade"] {
        let children: Vec<Node> = app_remediation
            .iter()
            .filter(|(g, _)| g == group)
            .map(|(_, node)| node.clone())
            .collect();
        if !children.is_empty() {
            split.app.push(Node::new(group).children(children));
        }
        for (cluster, _) in per_cluster {
            let children: Vec<Node> = cluster_remediation
                .iter()
                .filter(|(c, g, _)| c == cluster && g == group)
                .map(|(_, _, node)| node.clone())
                .collect();
            if !children.is_empty() {
                split.cluster(cluster, Node::new(group).children(children));
            }
        }
    }
    split
}

/// The settings of one HelmRelease `spec`, each with its key; `release-name` and `depends-on`
/// are app-wide in the spec, so a shape reader reports a cluster that differs.
fn settings_of(spec: &Value, interval: &str, namespace: &str) -> Vec<Setting> {
    let mut settings = Vec::new();
    let Some(spec) = spec.as_object() else {
        return settings;
    };
    let default_interval = Value::String(interval.to_owned());
    let interval = spec.get("interval").unwrap_or(&default_interval);
    for (key, value) in spec {
        if CHART_FIELDS.contains(&key.as_str()) || key == "interval" {
            continue;
        }
        match typed_setting(key, value, namespace) {
            Some(typed) => settings.extend(typed),
            None => settings.push((
                format!("spec-field {key}"),
                Node::with("spec-field", key.clone()).arg(yaml_text(value)),
            )),
        }
    }
    if interval != &default_interval {
        settings.push((
            "interval".to_owned(),
            Node::with("interval", interval_text(interval)),
        ));
    }
    settings
}

fn interval_text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The typed node(s) for a field the spec has one for, or `None` for a `spec-field`.
fn typed_setting(key: &str, value: &Value, namespace: &str) -> Option<Vec<Setting>> {
    let one = |node: Node| Some(vec![(key.to_owned(), node)]);
    match key {
        "releaseName" => one(Node::with("release-name", value.as_str()?)),
        "timeout" => one(Node::with("timeout", value.as_str()?)),
        "maxHistory" => one(Node::with("max-history", value.as_i64()?)),
        "suspend" => one(Node::with("suspend", value.as_bool()?)),
        "driftDetection" => {
            let object = value.as_object()?;
            (object.len() == 1).then_some(())?;
            one(Node::with("drift-detection", object.get("mode")?.as_str()?))
        }
        "install" | "upgrade" => remediation(key, value),
        "dependsOn" => {
            let mut nodes = Vec::new();
            for (index, entry) in value.as_array()?.iter().enumerate() {
                let other = text_at(entry, &["namespace"]).filter(|ns| *ns != namespace);
                let node = Node::with("depends-on", text_at(entry, &["name"])?)
                    .prop_some("namespace", other);
                nodes.push((format!("dependsOn#{index}"), node));
            }
            Some(nodes)
        }
        "valuesFrom" => {
            let mut nodes = Vec::new();
            for (index, entry) in value.as_array()?.iter().enumerate() {
                let node = Node::with("values-from", text_at(entry, &["kind"])?)
                    .arg(text_at(entry, &["name"])?)
                    .prop_some("key", text_at(entry, &["valuesKey"]))
                    .prop_some("target-path", text_at(entry, &["targetPath"]))
                    .prop_some("optional", entry.get("optional").and_then(Value::as_bool));
                nodes.push((format!("valuesFrom#{index}"), node));
            }
            Some(nodes)
        }
        _ => None,
    }
}

/// `install { retries 3 }`: only `remediation`'s `retries`, `remediateLastFailure` and (for
/// upgrades) `strategy` have nodes; anything else makes the whole field a `spec-field`.
fn remediation(key: &str, value: &Value) -> Option<Vec<Setting>> {
    let object = value.as_object()?;
    (object.len() == 1).then_some(())?;
    let remediation: &Map<String, Value> = object.get("remediation")?.as_object()?;
    let mut nodes = Vec::new();
    for (field, setting) in remediation {
        let node = match field.as_str() {
            "retries" => Node::with("retries", setting.as_i64()?),
            "remediateLastFailure" => Node::with("remediate-last-failure", setting.as_bool()?),
            "strategy" if key == "upgrade" => Node::with("strategy", setting.as_str()?),
            _ => return None,
        };
        nodes.push((format!("{key}/{field}"), node));
    }
    Some(nodes)
}

/// A value as the YAML text a `spec-field` holds.
pub(crate) fn yaml_text(value: &Value) -> String {
    let text = serde_saphyr::to_string(value).unwrap_or_default();
    text.trim_end_matches('\n').to_owned()
}

/// The `source { ... }` children for an OCIRepository `spec` (`oci`) or a HelmRepository's,
/// against the defaults fluxspec writes (`interval` is the HelmRepository default). Fields the
/// spec cannot say are returned by name.
pub(crate) fn source_settings(spec: &Value, oci: bool, interval: &str) -> (Vec<Node>, Vec<String>) {
    let mut nodes = Vec::new();
    let mut unmapped = Vec::new();
    let Some(object) = spec.as_object() else {
        return (nodes, unmapped);
    };
    let default_interval = if oci { "15m" } else { interval };
    for (key, value) in object {
        match key.as_str() {
            "url" | "ref" => {}
            "interval" => {
                if value.as_str() != Some(default_interval) {
                    nodes.push(Node::with("interval", value.as_str().unwrap_or_default()));
                }
            }
            "secretRef" => match text_at(value, &["name"]) {
                Some(name) => nodes.push(Node::with("secret-ref", name)),
                None => unmapped.push(key.clone()),
            },
            "provider" => nodes.push(Node::with("provider", value.as_str().unwrap_or_default())),
            "type" if !oci => {
                if value.as_str() != Some("default") {
                    nodes.push(Node::with("type", value.as_str().unwrap_or_default()));
                }
            }
            "layerSelector" if oci => {
                let media = text_at(value, &["mediaType"]).unwrap_or_default();
                let operation = text_at(value, &["operation"]).unwrap_or_default();
                if (media, operation)
                    != (
                        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "copy",
                    )
                {
                    nodes.push(
                        Node::new("layer-selector")
                            .prop("media-type", media)
                            .prop("operation", operation),
                    );
                }
            }
            "verify" if oci => match verify(value) {
                Some(node) => nodes.push(node),
                None => unmapped.push(key.clone()),
            },
            _ => unmapped.push(key.clone()),
        }
    }
    (nodes, unmapped)
}

fn verify(value: &Value) -> Option<Node> {
    let mut node = Node::new("verify")
        .prop("provider", text_at(value, &["provider"])?)
        .prop_some("secret-ref", text_at(value, &["secretRef", "name"]));
    for identity in value
        .get("matchOIDCIdentity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        node = node.child(
            Node::new("match-oidc-identity")
                .prop("issuer", text_at(identity, &["issuer"])?)
                .prop("subject", text_at(identity, &["subject"])?),
        );
    }
    Some(node)
}

/// The images every cluster's values set at the same place with the same `repository` (the
/// app-template shape, judged by the first cluster's values): removed from each cluster's values
/// (`prune` as [`remove_image`] takes it) and returned as `image ... values-path=` nodes with
/// each cluster's tag.
pub(crate) fn lift_values_images(values: &mut [(String, Value)], prune: bool) -> Vec<Node> {
    let Some((_, first)) = values.first() else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    image_paths(first, &mut Vec::new(), &mut paths);
    let mut images = Vec::new();
    for (path, repository) in paths {
        let versions: Option<Vec<(String, String)>> = values
            .iter()
            .map(|(cluster, values)| {
                let image = path.iter().try_fold(values, |value, key| value.get(key))?;
                (text_at(image, &["repository"]) == Some(repository.as_str())).then_some(())?;
                Some((cluster.clone(), scalar_text(image.get("tag")?)?))
            })
            .collect();
        let Some(versions) = versions else { continue };
        for (_, values) in values.iter_mut() {
            remove_image(values, &path, prune);
        }
        images.push(
            Node::with("image", repository)
                .prop("values-path", path.join("."))
                .children(version_lines(&versions)),
        );
    }
    images
}

/// The paths of the maps holding a string `repository` and a scalar `tag`, with the repository.
fn image_paths(value: &Value, at: &mut Vec<String>, found: &mut Vec<(Vec<String>, String)>) {
    let Some(map) = value.as_object() else {
        return;
    };
    if let (Some(repository), Some(_)) = (
        map.get("repository").and_then(Value::as_str),
        map.get("tag").and_then(scalar_text),
    ) {
        found.push((at.clone(), repository.to_owned()));
    }
    for (key, child) in map {
        at.push(key.clone());
        image_paths(child, at, found);
        at.pop();
    }
}

/// Removes `repository` and `tag` at `path`, and the image's map when that leaves it empty;
/// with `prune`, the maps above it left empty too (fluxspec writes the image back into a
/// cluster's values, whose base values hold those maps).
fn remove_image(values: &mut Value, path: &[String], prune: bool) {
    fn remove(map: &mut Map<String, Value>, path: &[String], prune: bool) {
        match path.split_first() {
            None => {
                map.remove("repository");
                map.remove("tag");
            }
            Some((key, rest)) => {
                if let Some(child) = map.get_mut(key).and_then(Value::as_object_mut) {
                    remove(child, rest, prune);
                    if child.is_empty() && (prune || rest.is_empty()) {
                        map.remove(key);
                    }
                }
            }
        }
    }
    if let Some(map) = values.as_object_mut() {
        remove(map, path, prune);
    }
}

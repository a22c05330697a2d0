//! The objects of a built app that are not lifted into nodes, written as they were built: those
//! every cluster gets the same into the app's manifest file, the others into each cluster's.

use std::collections::BTreeSet;

use serde_json::Value;

use super::apps::App;
use crate::build::BuiltObject;
use crate::build::object::{Object, ObjectId};
use crate::import::Lifted;
use crate::import::kdl::Node;
use crate::import::lift::Split;

/// `namespace` nodes for the Namespaces the repository applies with labels or annotations and
/// fluxspec writes itself (those of its apps): spec-wide where every cluster has the same, else
/// in the cluster's block.
pub(super) fn namespace_nodes(
    per_cluster: &[(String, Vec<&Object>)],
) -> (Vec<Node>, Vec<(String, Node)>) {
    let metadata_of = |object: &Object| -> Vec<Node> {
        let mut nodes = Vec::new();
        for (field, node) in [("labels", "label"), ("annotations", "annotation")] {
            for (key, value) in object.string_map(&["metadata", field]) {
                if key != "kustomize.toolkit.fluxcd.io/prune" {
                    nodes.push(Node::with(node, key).arg(value));
                }
            }
        }
        nodes
    };
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (_, objects) in per_cluster {
        names.extend(objects.iter().map(|object| object.id.name.as_str()));
    }
    let (mut global, mut local) = (Vec::new(), Vec::new());
    for name in names {
        let found: Vec<(&String, Vec<Node>)> = per_cluster
            .iter()
            .filter_map(|(cluster, objects)| {
                let object = objects.iter().find(|object| object.id.name == name)?;
                Some((cluster, metadata_of(object)))
            })
            .collect();
        if found.iter().all(|(_, metadata)| metadata.is_empty()) {
            continue;
        }
        if found.len() == per_cluster.len() && found.iter().all(|(_, m)| *m == found[0].1) {
            global.push(Node::with("namespace", name).children(found[0].1.clone()));
        } else {
            for (cluster, metadata) in found.into_iter().filter(|(_, m)| !m.is_empty()) {
                local.push((
                    cluster.clone(),
                    Node::with("namespace", name).children(metadata),
                ));
            }
        }
    }
    (global, local)
}

/// The objects not lifted, as built: those every cluster gets the same in the app's manifest
/// file, the others in each cluster's.
pub(super) fn manifests(
    app: &App<'_>,
    lifted_ids: &[ObjectId],
    namespaces: &BTreeSet<String>,
    lifted: &mut Lifted,
) -> Split {
    let mut split = Split::default();
    let is_apps_namespace = |object: &Object| {
        object.id.group.is_empty()
            && object.id.kind == "Namespace"
            && namespaces.contains(&object.id.name)
    };
    let keep = |built: &&&BuiltObject| {
        let object = &built.object;
        !lifted_ids.contains(&object.id) && !is_apps_namespace(object)
    };
    let texts: Vec<(String, Vec<(String, String)>)> = app
        .per_cluster
        .iter()
        .map(|(cluster, objects)| {
            let texts = objects
                .iter()
                .filter(keep)
                .map(|built| (built.object.id.to_string(), manifest_text(built)))
                .collect();
            (cluster.clone(), texts)
        })
        .collect();
    let everywhere: Vec<&(String, String)> = texts[0]
        .1
        .iter()
        .filter(|entry| texts.iter().all(|(_, list)| list.contains(entry)))
        .collect();
    if !everywhere.is_empty() {
        let path = format!("apps/{}/manifests.yaml", app.name);
        lifted.copy(
            &path,
            join(everywhere.iter().map(|(_, text)| text.as_str())).as_bytes(),
        );
        let ids: Vec<&str> = everywhere.iter().map(|(id, _)| id.as_str()).collect();
        report_kept(app, &path, &ids, lifted);
        split.app.push(Node::with("manifests", path));
    }
    for (cluster, list) in &texts {
        let own: Vec<&(String, String)> = list
            .iter()
            .filter(|entry| !everywhere.contains(entry))
            .collect();
        if !own.is_empty() {
            let path = format!("apps/{}/{cluster}/manifests.yaml", app.name);
            lifted.copy(
                &path,
                join(own.iter().map(|(_, text)| text.as_str())).as_bytes(),
            );
            let ids: Vec<&str> = own.iter().map(|(id, _)| id.as_str()).collect();
            report_kept(app, &path, &ids, lifted);
            split.cluster(cluster, Node::with("manifest", path));
        }
    }
    split
}

/// Lists a manifest file written from the build in the report: what it holds and why.
fn report_kept(app: &App<'_>, path: &str, ids: &[&str], lifted: &mut Lifted) {
    let shown: Vec<String> = ids.iter().take(5).map(|id| format!("`{id}`")).collect();
    let more = ids.len().saturating_sub(shown.len());
    let what = if more == 0 {
        shown.join(", ")
    } else {
        format!("{} and {more} more", shown.join(", "))
    };
    lifted.report.raw(
        &app.kustomization,
        what,
        format!("no node says them: kept as Flux builds them (comments dropped, variables filled), in `{path}`"),
    );
}

/// An object's YAML as built; one still holding `${` (an escaped `$${` Flux already turned
/// into a literal) is marked so that Flux does not substitute it a second time.
fn manifest_text(built: &BuiltObject) -> String {
    if !built.yaml.contains("${") {
        return built.yaml.clone();
    }
    let mut value = built.object.value.clone();
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(
                "kustomize.toolkit.fluxcd.io/substitute".to_owned(),
                Value::String("disabled".to_owned()),
            );
        }
    }
    serde_saphyr::to_string(&value).unwrap_or_else(|_| built.yaml.clone())
}

fn join<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    let mut joined = String::new();
    for text in texts {
        joined.push_str("---\n");
        joined.push_str(text);
        if !text.ends_with('\n') {
            joined.push('\n');
        }
    }
    joined
}

//! The objects of a built app that are not lifted into nodes: the hand-written files they come
//! from unchanged copied byte for byte ([`super::sources`]), the others written as they were
//! built; those every cluster gets the same into the app's directory, the others into each
//! cluster's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::apps::App;
use super::images::without_tags;
use super::sources::{SourceFiles, Written, copy_name};
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

/// Variables on each cluster.
pub(super) type PerCluster = (String, BTreeMap<String, String>);

/// The file of an app's (or a cluster's) objects kept as Flux builds them.
pub(super) const BUILT_FILE: &str = "manifests.yaml";

/// The variables of `cluster` in a per-cluster list.
pub(super) fn on(cluster: &str, list: &[PerCluster]) -> BTreeMap<String, String> {
    list.iter()
        .filter(|(other, _)| other == cluster)
        .flat_map(|(_, vars)| vars.clone())
        .collect()
}

/// What the spec substitutes in an app's manifests and components on a cluster: the cluster's
/// variables, then `APP`, `CLUSTER` and the app's.
pub(super) fn spec_vars(
    app: &str,
    cluster: &str,
    cluster_vars: &BTreeMap<String, String>,
    app_vars: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut vars = cluster_vars.clone();
    vars.insert("APP".to_owned(), app.to_owned());
    vars.insert("CLUSTER".to_owned(), cluster.to_owned());
    vars.extend(
        app_vars
            .iter()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    vars
}

/// What an app keeps of one cluster that no node says.
#[derive(Debug)]
enum Kept<'a> {
    /// A hand-written file every document of which reaches the cluster unchanged: copied, with
    /// the tags of the lifted images taken out.
    Copied {
        file: &'a str,
        bytes: Vec<u8>,
        ids: Vec<String>,
    },
    /// An object as Flux builds it.
    Built { id: String, text: String },
}

/// Two clusters keep the same when they copy the same bytes (from one file, or from files that
/// differed only in image tags) for the same objects, or the same objects as built.
impl PartialEq for Kept<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Copied { bytes, ids, .. },
                Self::Copied {
                    bytes: other_bytes,
                    ids: other_ids,
                    ..
                },
            ) => bytes == other_bytes && ids == other_ids,
            (
                Self::Built { id, text },
                Self::Built {
                    id: other_id,
                    text: other_text,
                },
            ) => id == other_id && text == other_text,
            _ => false,
        }
    }
}

/// The objects not lifted: the hand-written files they come from unchanged copied byte for
/// byte, the others as built; those every cluster gets the same are the app's, the others
/// each cluster's.
pub(super) fn manifests(
    app: &App<'_>,
    lifted_ids: &[ObjectId],
    namespaces: &BTreeSet<String>,
    (cluster_substitutes, substitutes): (&[PerCluster], &[PerCluster]),
    sources: &SourceFiles<'_>,
    images: &BTreeSet<String>,
    lifted: &mut Lifted,
) -> Split {
    let is_apps_namespace = |object: &Object| {
        object.id.group.is_empty()
            && object.id.kind == "Namespace"
            && namespaces.contains(&object.id.name)
    };
    let mut per_cluster: Vec<(String, Vec<Kept<'_>>)> = Vec::new();
    for (cluster, objects) in &app.per_cluster {
        let objects: Vec<BuiltObject> = objects
            .iter()
            .filter(|built| {
                !lifted_ids.contains(&built.object.id) && !is_apps_namespace(&built.object)
            })
            .map(|built| without_tags(built, images))
            .collect();
        let cluster_vars = on(cluster, cluster_substitutes);
        let app_vars = on(cluster, substitutes);
        let vars = spec_vars(&app.name, cluster, &cluster_vars, &app_vars);
        let kept = kept(&objects, &app.namespace, (&vars, images), sources);
        // The cluster variables the files copied for this cluster use.
        let used = lifted.used_cluster_vars.entry(cluster.clone()).or_default();
        for entry in &kept {
            if let Kept::Copied { bytes, .. } = entry {
                let text = String::from_utf8_lossy(bytes);
                let references = crate::substitute::references(&text).unwrap_or_default();
                used.extend(
                    references
                        .into_iter()
                        .map(|reference| reference.name)
                        .filter(|name| {
                            cluster_vars.contains_key(name) && !app_vars.contains_key(name)
                        }),
                );
            }
        }
        per_cluster.push((cluster.clone(), kept));
    }
    let everywhere: Vec<&Kept<'_>> = per_cluster[0]
        .1
        .iter()
        .filter(|entry| per_cluster.iter().all(|(_, list)| list.contains(entry)))
        .collect();
    let mut split = Split::default();
    let app_dir = format!("apps/{}", app.name);
    let paths = write_kept(app, &app_dir, &everywhere, lifted);
    if !paths.is_empty() {
        split.app.push(Node::new("manifests").args(paths));
    }
    for (cluster, list) in &per_cluster {
        let own: Vec<&Kept<'_>> = list
            .iter()
            .filter(|entry| !everywhere.contains(entry))
            .collect();
        let paths = write_kept(app, &format!("{app_dir}/{cluster}"), &own, lifted);
        if !paths.is_empty() {
            split.cluster(cluster, Node::new("manifest").args(paths));
        }
    }
    split
}

/// One cluster's objects of an app, in order: each hand-written file all of whose documents
/// are among them unchanged once, the others as built.
fn kept<'a>(
    objects: &[BuiltObject],
    namespace: &str,
    (vars, images): (&BTreeMap<String, String>, &BTreeSet<String>),
    sources: &'a SourceFiles<'_>,
) -> Vec<Kept<'a>> {
    let written: Vec<Option<Written<'a>>> = objects
        .iter()
        .map(|built| sources.written(&built.object, namespace, vars, images))
        .collect();
    let found: BTreeSet<Written<'a>> = written.iter().flatten().copied().collect();
    let mut copied: BTreeSet<&str> = BTreeSet::new();
    let mut kept = Vec::new();
    for (built, place) in objects.iter().zip(&written) {
        match place {
            Some(place) if sources.covers(place.file, &found) => {
                if copied.insert(place.file) {
                    let ids = objects
                        .iter()
                        .zip(&written)
                        .filter(|(_, other)| other.is_some_and(|other| other.file == place.file))
                        .map(|(built, _)| built.object.id.to_string())
                        .collect();
                    kept.push(Kept::Copied {
                        file: place.file,
                        bytes: sources.copied_bytes(place.file, images),
                        ids,
                    });
                }
            }
            _ => kept.push(Kept::Built {
                id: built.object.id.to_string(),
                text: manifest_text(built),
            }),
        }
    }
    kept
}

/// Writes what an app keeps into `dir` of the spec, and lists it in the report: the copied
/// files under their own names, the objects as built in one file. The paths written.
fn write_kept(app: &App<'_>, dir: &str, entries: &[&Kept<'_>], lifted: &mut Lifted) -> Vec<String> {
    let prefix = format!("{dir}/");
    let mut taken: BTreeSet<String> = lifted
        .files
        .keys()
        .filter_map(|path| path.strip_prefix(&prefix))
        .filter(|rest| !rest.contains('/'))
        .map(str::to_owned)
        .collect();
    let mut paths = Vec::new();
    let mut built: Vec<(&str, &str)> = Vec::new();
    for entry in entries {
        match entry {
            Kept::Copied { file, bytes, ids } => {
                let name = copy_name(file, &taken);
                let path = format!("{prefix}{name}");
                taken.insert(name);
                lifted.copy(&path, bytes);
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                lifted.report.raw(
                    file,
                    listed(&ids),
                    format!("no node says them: copied byte for byte into `{path}`"),
                );
                paths.push(path);
            }
            Kept::Built { id, text } => built.push((id, text)),
        }
    }
    if !built.is_empty() {
        let path = format!("{prefix}{BUILT_FILE}");
        let text = join(built.iter().map(|(_, text)| *text));
        lifted.keep_built(&path, text.as_bytes());
        let ids: Vec<&str> = built.iter().map(|(id, _)| *id).collect();
        lifted.report.raw(
            &app.kustomization,
            listed(&ids),
            format!(
                "no node says them, and no file holds them as Flux applies them: kept as Flux \
                 builds them (comments dropped, variables filled), in `{path}`"
            ),
        );
        paths.push(path);
    }
    paths
}

/// The first few objects of a list, and how many more.
fn listed(ids: &[&str]) -> String {
    let shown: Vec<String> = ids.iter().take(5).map(|id| format!("`{id}`")).collect();
    let more = ids.len().saturating_sub(shown.len());
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{} and {more} more", shown.join(", "))
    }
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

//! The image tags of an app's plain manifests, lifted into `image` nodes with a `version` line
//! per cluster and a default where the clusters agree. The compiled spec gives them back as
//! the `images` of the app's Flux Kustomization, which set the tag of every image of that name
//! in the app's objects; so an image is lifted only when every place it is used on a cluster
//! has the same tag the spec can say, in an object kept as a manifest (a lifted chart's objects
//! are the spec's to write), in files whose `image:` lines can be edited in place.

use std::collections::{BTreeMap, BTreeSet};

use super::apps::App;
use super::sources::SourceFiles;
use crate::build::BuiltObject;
use crate::build::object::ObjectId;
use crate::import::kdl::Node;
use crate::import::lift::images::{references, split_reference, strip_tags, version_of};
use crate::import::lift::version_lines;

/// The images lifted from an app's manifests: their names (whose tags the manifests no longer
/// hold) and their `image` nodes.
#[derive(Debug, Default)]
pub(super) struct Images {
    pub(super) names: BTreeSet<String>,
    pub(super) nodes: Vec<Node>,
}

/// The images of `app` the spec can say. `lifted` are the objects nodes stand for,
/// `chart_nodes` the nodes of its chart (whose `image`s its values say already).
pub(super) fn lift(
    app: &App<'_>,
    lifted: &[ObjectId],
    chart_nodes: &[Node],
    sources: &SourceFiles<'_>,
) -> Images {
    let taken: BTreeSet<&str> = chart_nodes
        .iter()
        .filter(|node| node.name() == "image")
        .map(Node::first_text)
        .collect();
    let mut versions: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut blocked: BTreeSet<&str> = BTreeSet::new();
    for (cluster, objects) in &app.per_cluster {
        for built in objects {
            for reference in references(&built.object.value) {
                match version_of(reference) {
                    Some((name, version)) if !lifted.contains(&built.object.id) => {
                        let list = versions.entry(name).or_default();
                        let entry = (cluster.clone(), version.to_owned());
                        if !list.contains(&entry) {
                            list.push(entry);
                        }
                    }
                    _ => {
                        blocked.insert(split_reference(reference).0);
                    }
                }
            }
        }
    }
    let mut images = Images::default();
    for (name, list) in versions {
        let one_per_cluster = app
            .per_cluster
            .iter()
            .all(|(cluster, _)| list.iter().filter(|(c, _)| c == cluster).count() <= 1);
        if !one_per_cluster
            || blocked.contains(name)
            || taken.contains(name)
            || !sources.editable(name)
        {
            continue;
        }
        images.names.insert(name.to_owned());
        images
            .nodes
            .push(Node::with("image", name).children(version_lines(&list)));
    }
    images
}

/// `built` with the tags of the lifted images dropped (as the compiled spec writes it before
/// kustomize sets them back).
pub(super) fn without_tags(built: &BuiltObject, names: &BTreeSet<String>) -> BuiltObject {
    let mut object = built.object.clone();
    if names.is_empty() || !strip_tags(&mut object.value, names) {
        return BuiltObject {
            object,
            yaml: built.yaml.clone(),
        };
    }
    // Kept with its tag should it not serialise: the spec's `newTag` on its cluster is that
    // same tag, so Flux applies the same object.
    let yaml = object.to_yaml().unwrap_or_else(|_| built.yaml.clone());
    BuiltObject { object, yaml }
}

//! An app's chart in fluxspec's output: the HelmRelease in its base, the OCIRepository or
//! HelmRepository it names, each cluster's version, settings and values patches.

use serde_json::Value;

use super::Tree;
use super::app::SeedApp;
use crate::import::Lifted;
use crate::import::kdl::Node;
use crate::import::lift::helm::{lift_values_images, release_settings, source_settings};
use crate::import::lift::{Split, version_lines};
use crate::import::source::{scalar_text, text_at};

/// The `helm` node of an app with a HelmRelease, with the `image` nodes of the images its
/// cluster values set (`values-path`), and each cluster's `helm` block.
pub(super) fn lift(tree: &Tree<'_>, app: &SeedApp, namespace: &str, lifted: &mut Lifted) -> Split {
    let name = &app.name;
    let mut split = Split::default();
    let Some(release) = tree.document(&format!("apps/{name}/base/helmrelease.yaml")) else {
        return split;
    };
    let base = release.get("spec").cloned().unwrap_or_default();
    let Some(mut helm) = chart_node(tree, app, &base, lifted) else {
        return split;
    };
    let settings: Vec<(String, Value)> = app
        .per_cluster
        .iter()
        .map(|(cluster, _)| {
            let patch = tree.document(&format!("apps/{name}/{cluster}/helmrelease-settings.yaml"));
            let spec = patch.and_then(|patch| patch.get("spec").cloned());
            (cluster.clone(), spec.unwrap_or_else(|| base.clone()))
        })
        .collect();
    let per_cluster: Vec<(String, &Value)> = settings
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), spec))
        .collect();
    let release = release_settings(&per_cluster, &tree.settings.interval, namespace);
    helm = helm.children(release.app);
    for (cluster, nodes) in release.clusters {
        split.cluster(&cluster, Node::new("helm").children(nodes));
    }
    if let Some(values) = base.get("values") {
        let path = format!("apps/{name}/values.yaml");
        lifted.write(&path, yaml(values));
        helm = helm.child(Node::with("values", path));
    }
    let (cluster_values, images) = cluster_values(tree, app);
    for (cluster, values) in cluster_values {
        let path = format!("apps/{name}/values-{cluster}.yaml");
        lifted.write(&path, yaml(&values));
        helm = helm.child(Node::with("values", path).prop("cluster", cluster));
    }
    split.app.push(helm);
    split.app.extend(images);
    split
}

/// `helm URL chart=? { version ...; source { ... } }` from the chart's source and versions.
fn chart_node(tree: &Tree<'_>, app: &SeedApp, base: &Value, lifted: &mut Lifted) -> Option<Node> {
    let name = &app.name;
    if text_at(base, &["chartRef", "kind"]) == Some("OCIRepository") {
        let sources: Vec<(String, Value)> = app
            .per_cluster
            .iter()
            .filter_map(|(cluster, _)| {
                let source = tree.document(&format!("apps/{name}/{cluster}/ocirepository.yaml"))?;
                Some((cluster.clone(), source.get("spec")?.clone()))
            })
            .collect();
        let (_, first) = sources.first()?;
        let versions: Vec<(String, String)> = sources
            .iter()
            .filter_map(|(cluster, spec)| {
                let reference = spec.get("ref")?;
                let version = reference.get("tag").or_else(|| reference.get("semver"))?;
                Some((cluster.clone(), scalar_text(version)?))
            })
            .collect();
        let (source, unmapped) = source_settings(first, true, &tree.settings.interval);
        report_unmapped(
            tree,
            &format!("apps/{name}/{}/ocirepository.yaml", sources[0].0),
            &unmapped,
            lifted,
        );
        let mut node =
            Node::with("helm", text_at(first, &["url"])?).children(version_lines(&versions));
        if !source.is_empty() {
            node = node.child(Node::new("source").children(source));
        }
        return Some(node);
    }
    let chart = text_at(base, &["chart", "spec", "chart"])?;
    let repository_name = text_at(base, &["chart", "spec", "sourceRef", "name"])?;
    let shared = text_at(base, &["chart", "spec", "sourceRef", "namespace"]).is_some();
    let (repository, file) = if shared {
        let repository = tree.shared_repositories.get(repository_name)?.clone();
        (repository, "helm-repositories.yaml".to_owned())
    } else {
        let file = format!("apps/{name}/base/helmrepository.yaml");
        (tree.document(&file)?, file)
    };
    let spec = repository.get("spec")?;
    let versions: Vec<(String, String)> = app
        .per_cluster
        .iter()
        .filter_map(|(cluster, _)| {
            let patch =
                tree.document(&format!("apps/{name}/{cluster}/helmrelease-version.yaml"))?;
            Some((
                cluster.clone(),
                scalar_text(patch.pointer("/spec/chart/spec/version")?)?,
            ))
        })
        .collect();
    let (source, unmapped) = source_settings(spec, false, &tree.settings.interval);
    report_unmapped(tree, &file, &unmapped, lifted);
    let mut node = Node::with("helm", text_at(spec, &["url"])?)
        .prop("chart", chart)
        .children(version_lines(&versions));
    if !source.is_empty() {
        node = node.child(Node::new("source").children(source));
    }
    Some(node)
}

fn report_unmapped(tree: &Tree<'_>, file: &str, unmapped: &[String], lifted: &mut Lifted) {
    for field in unmapped {
        lifted.report.raw(
            &tree.path(file),
            format!("source field `{field}`"),
            "the spec's `source` block has no node for it; not carried over",
        );
    }
}

/// Each cluster's values patch, without the images whose `repository` and `tag` every cluster
/// sets at the same place (lifted into `image ... values-path=` nodes).
fn cluster_values(tree: &Tree<'_>, app: &SeedApp) -> (Vec<(String, Value)>, Vec<Node>) {
    let name = &app.name;
    let mut values: Vec<(String, Value)> = app
        .per_cluster
        .iter()
        .filter_map(|(cluster, _)| {
            let patch = tree.document(&format!("apps/{name}/{cluster}/helmrelease-values.yaml"))?;
            Some((cluster.clone(), patch.pointer("/spec/values")?.clone()))
        })
        .collect();
    let images = if values.len() == app.per_cluster.len() {
        lift_values_images(&mut values, true)
    } else {
        Vec::new()
    };
    values.retain(|(_, values)| values.as_object().is_some_and(|map| !map.is_empty()));
    (values, images)
}

/// A Helm values mapping as the text of a values file.
pub(super) fn yaml(values: &Value) -> Vec<u8> {
    serde_saphyr::to_string(values)
        .unwrap_or_default()
        .into_bytes()
}

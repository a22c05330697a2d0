//! One app of fluxspec's output: its Flux Kustomization on each cluster, its base and its
//! cluster overlays, lifted into an `app` node.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{CLUSTER_FILES, LAYERS, Tree, chart, resources};
use crate::import::Lifted;
use crate::import::kdl::Node;
use crate::import::lift::knobs::{Baseline, ClusterDefaults, flux_knobs};
use crate::import::lift::vars::app_vars;
use crate::import::lift::{Split, version_lines};
use crate::import::source::{scalar_text, string_list, text_at};

/// Files fluxspec writes into an app's base and overlays; the others are the spec's manifests.
const GENERATED_FILES: &[&str] = &[
    "helmrelease.yaml",
    "helmrepository.yaml",
    "ocirepository.yaml",
    "helmrelease-version.yaml",
    "helmrelease-values.yaml",
    "helmrelease-settings.yaml",
];

/// An app as the output shows it: its layer and its Flux Kustomization's `spec` per cluster.
pub(super) struct SeedApp {
    pub(super) name: String,
    pub(super) layer: &'static str,
    pub(super) per_cluster: Vec<(String, Value)>,
}

impl SeedApp {
    /// The components it uses, from the first cluster's overlay and Flux Kustomization, each
    /// with whether it is at the Flux level.
    pub(super) fn components(&self, tree: &Tree<'_>) -> Vec<(String, bool)> {
        let Some((cluster, spec)) = self.per_cluster.first() else {
            return Vec::new();
        };
        let overlay = tree
            .document(&format!("apps/{}/{cluster}/kustomization.yaml", self.name))
            .map(|overlay| string_list(&overlay, "components"))
            .unwrap_or_default();
        let flux = string_list(spec, "components");
        let name = |path: &String| path.rsplit('/').next().map(str::to_owned);
        overlay
            .iter()
            .filter_map(|path| Some((name(path)?, false)))
            .chain(flux.iter().filter_map(|path| Some((name(path)?, true))))
            .collect()
    }

    /// Its `postBuild.substitute` per cluster, without `APP`.
    pub(super) fn substitutes(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.per_cluster
            .iter()
            .map(|(cluster, spec)| {
                let vars = spec
                    .pointer("/postBuild/substitute")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter(|(name, _)| *name != "APP")
                    .map(|(name, value)| (name.clone(), scalar_text(value).unwrap_or_default()))
                    .collect();
                (cluster.clone(), vars)
            })
            .collect()
    }
}

/// Every app, in name order, from the layer kustomizations of each cluster.
pub(super) fn find_apps(tree: &Tree<'_>) -> Vec<SeedApp> {
    let mut apps: BTreeMap<String, SeedApp> = BTreeMap::new();
    for cluster in &tree.clusters {
        for layer in LAYERS {
            let dir = format!("app-flux-kustomizations/{cluster}/{layer}");
            for file in resources(tree, &tree.path(&dir)) {
                if CLUSTER_FILES.contains(&file.as_str()) {
                    continue;
                }
                let Some(kustomization) = tree.document(&format!("{dir}/{file}")) else {
                    continue;
                };
                let name = crate::import::source::name(&kustomization).to_owned();
                let spec = kustomization.get("spec").cloned().unwrap_or_default();
                apps.entry(name.clone())
                    .or_insert_with(|| SeedApp {
                        name,
                        layer,
                        per_cluster: Vec::new(),
                    })
                    .per_cluster
                    .push((cluster.clone(), spec));
            }
        }
    }
    apps.into_values().collect()
}

/// What the app gets without knobs of its own.
pub(super) fn baseline<'a>(
    tree: &'a Tree<'_>,
    app: &SeedApp,
    cluster_defaults: &'a ClusterDefaults,
) -> Baseline<'a> {
    Baseline {
        wait: app.layer == "platform",
        interval: &tree.settings.interval,
        retry_interval: &tree.settings.retry_interval,
        timeout: &tree.settings.timeout,
        cluster_defaults,
    }
}

/// Lifts one app into its `app` node, copying its files into the spec directory.
pub(super) fn lift(
    tree: &Tree<'_>,
    app: &SeedApp,
    components: &BTreeMap<String, Vec<String>>,
    lifted: &mut Lifted,
) {
    let name = &app.name;
    let first = &app.per_cluster[0].1;
    let target = text_at(first, &["targetNamespace"]);
    let release_namespace = tree
        .document(&format!("apps/{name}/base/helmrelease.yaml"))
        .and_then(|release| text_at(&release, &["metadata", "namespace"]).map(str::to_owned));
    let namespace = target.map_or_else(
        || release_namespace.clone().unwrap_or_else(|| name.clone()),
        str::to_owned,
    );
    let namespace = namespace.as_str();
    let mut node = Node::with("app", name.clone());
    if app.layer == "platform" {
        node = node.child(Node::with("layer", "platform"));
    }
    if target.is_none() {
        node = node.child(Node::with("target-namespace", false));
    }
    if namespace != name && (target.is_some() || release_namespace.is_some()) {
        node = node.child(Node::with("namespace", namespace));
    }
    let clusters: Vec<&String> = app.per_cluster.iter().map(|(cluster, _)| cluster).collect();
    if clusters.len() != tree.clusters.len() {
        node = node.child(Node::new("clusters").args(clusters));
    }
    let mut split = dependencies(app);
    node = node.children(std::mem::take(&mut split.app));
    split.app.extend(base_manifests(tree, name, lifted));
    split.extend(chart::lift(tree, app, namespace, lifted));
    split.app.extend(images(app));
    split.app.extend(remotes(tree, app));
    let app_components: Vec<(String, bool, Vec<String>)> = app
        .components(tree)
        .into_iter()
        .map(|(component, flux)| {
            let vars = components.get(&component).cloned().unwrap_or_default();
            (component, flux, vars)
        })
        .collect();
    split.extend(app_vars(&app.substitutes(), &app_components));
    let per_cluster: Vec<(String, &Value)> = app
        .per_cluster
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), spec))
        .collect();
    let baseline = baseline(tree, app, &tree.defaults);
    split.extend(flux_knobs(
        &per_cluster,
        &baseline,
        namespace,
        Some(("app.kubernetes.io/name", name)),
    ));
    for (cluster, _) in &app.per_cluster {
        split.clusters.entry(cluster.clone()).or_default();
        let overlay = overlay_files(tree, name, cluster, lifted);
        split
            .clusters
            .entry(cluster.clone())
            .or_default()
            .splice(0..0, overlay);
    }
    node = node.children(split.app);
    for (cluster, nodes) in split.clusters {
        if !nodes.is_empty() {
            node = node.child(Node::with("cluster", cluster).children(nodes));
        }
    }
    lifted.nodes.push(node);
}

/// `depends-on`: the names every cluster's Flux Kustomization depends on, app-wide, and each
/// cluster's others in its block (the whole list, `replace=#true`, when it lacks one of them).
fn dependencies(app: &SeedApp) -> Split {
    let lists: Vec<(String, Vec<String>)> = app
        .per_cluster
        .iter()
        .map(|(cluster, spec)| {
            let names = spec
                .get("dependsOn")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|entry| text_at(entry, &["name"]).map(str::to_owned))
                .collect();
            (cluster.clone(), names)
        })
        .collect();
    let mut split = Split::default();
    // App-wide: what most clusters depend on.
    let counts = |name: &String| lists.iter().filter(|(_, list)| list.contains(name)).count();
    let mut shared: Vec<String> = Vec::new();
    for name in lists.iter().flat_map(|(_, list)| list) {
        if !shared.contains(name) && 2 * counts(name) > lists.len() {
            shared.push(name.clone());
        }
    }
    if !shared.is_empty() {
        split.app.push(Node::new("depends-on").args(&shared));
    }
    for (cluster, list) in &lists {
        if shared.iter().all(|name| list.contains(name)) {
            let extra: Vec<&String> = list.iter().filter(|name| !shared.contains(name)).collect();
            if !extra.is_empty() {
                split.cluster(cluster, Node::new("depends-on").args(extra));
            }
        } else {
            split.cluster(
                cluster,
                Node::new("depends-on").args(list).prop("replace", true),
            );
        }
    }
    split
}

/// The app's own manifests in its base, copied into `apps/<app>/base/`: one `manifests` line
/// for the directory when the base lists them in name order (as a directory is read), else
/// one per file.
fn base_manifests(tree: &Tree<'_>, app: &str, lifted: &mut Lifted) -> Vec<Node> {
    let base = format!("apps/{app}/base");
    let files: Vec<String> = resources(tree, &tree.path(&base))
        .into_iter()
        .filter(|file| !GENERATED_FILES.contains(&file.as_str()))
        .collect();
    if files.is_empty() {
        return Vec::new();
    }
    let mut directories = false;
    for file in &files {
        directories |= copy_resource(tree, &format!("{base}/{file}"), lifted);
    }
    let mut sorted = files.clone();
    sorted.sort();
    if sorted == files && !directories {
        return vec![Node::with("manifests", base)];
    }
    let mut node = Node::new("manifests");
    for file in files {
        node = node.arg(format!("{base}/{file}"));
    }
    vec![node]
}

/// The cluster's own manifests and patches in its overlay, copied into `apps/<app>/<c>/`.
fn overlay_files(tree: &Tree<'_>, app: &str, cluster: &str, lifted: &mut Lifted) -> Vec<Node> {
    let dir = format!("apps/{app}/{cluster}");
    let Some(overlay) = tree.document(&format!("{dir}/kustomization.yaml")) else {
        return Vec::new();
    };
    let mut nodes = Vec::new();
    for file in string_list(&overlay, "resources") {
        if file == "../base" || GENERATED_FILES.contains(&file.as_str()) || file.contains("://") {
            continue;
        }
        copy_resource(tree, &format!("{dir}/{file}"), lifted);
        nodes.push(Node::with("manifest", format!("{dir}/{file}")));
    }
    for patch in overlay
        .get("patches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(file) = text_at(patch, &["path"]) else {
            continue;
        };
        if GENERATED_FILES.contains(&file) {
            continue;
        }
        copy(tree, &format!("{dir}/{file}"), lifted);
        nodes.push(Node::with("patch", format!("{dir}/{file}")).patch_target(patch));
    }
    nodes
}

/// Copies a resource (a file, or a directory with its own kustomization) into the spec
/// directory at the same relative path; whether it was a directory.
pub(super) fn copy_resource(tree: &Tree<'_>, relative: &str, lifted: &mut Lifted) -> bool {
    let inside: Vec<String> = tree
        .repo
        .paths()
        .filter_map(|path| {
            path.strip_prefix(&tree.path(&format!("{relative}/")))
                .map(str::to_owned)
        })
        .collect();
    if inside.is_empty() {
        copy(tree, relative, lifted);
        return false;
    }
    for file in inside {
        copy(tree, &format!("{relative}/{file}"), lifted);
    }
    true
}

/// The remote bases of the app's overlays: `remote` nodes with a version per cluster.
fn remotes(tree: &Tree<'_>, app: &SeedApp) -> Vec<Node> {
    let mut bases: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (cluster, _) in &app.per_cluster {
        let overlay = tree
            .document(&format!("apps/{}/{cluster}/kustomization.yaml", app.name))
            .map(|overlay| string_list(&overlay, "resources"))
            .unwrap_or_default();
        for resource in overlay.iter().filter(|resource| resource.contains("://")) {
            let Some((target, tag)) = resource.split_once("?ref=") else {
                continue;
            };
            let name = target
                .split_once("://")
                .map_or(target, |(_, rest)| rest)
                .replace("//", "/");
            match bases.iter_mut().find(|(known, _)| *known == name) {
                Some((_, versions)) => versions.push((cluster.clone(), tag.to_owned())),
                None => bases.push((name, vec![(cluster.clone(), tag.to_owned())])),
            }
        }
    }
    bases
        .into_iter()
        .map(|(name, versions)| Node::with("remote", name).children(version_lines(&versions)))
        .collect()
}

/// Copies a file of the output tree into the spec directory at the same relative path.
pub(super) fn copy(tree: &Tree<'_>, relative: &str, lifted: &mut Lifted) {
    if let Some(bytes) = tree.repo.bytes(&tree.path(relative)) {
        lifted.copy(relative, bytes);
    }
}

/// The `image` nodes from the Flux Kustomization's `images` on each cluster.
fn images(app: &SeedApp) -> Vec<Node> {
    let mut names: Vec<String> = Vec::new();
    for (_, spec) in &app.per_cluster {
        for image in spec
            .get("images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = text_at(image, &["name"])
                && !names.iter().any(|known| known == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let versions: Vec<(String, String)> = app
                .per_cluster
                .iter()
                .filter_map(|(cluster, spec)| {
                    let image = spec
                        .get("images")
                        .and_then(Value::as_array)?
                        .iter()
                        .find(|image| text_at(image, &["name"]) == Some(name.as_str()))?;
                    Some((cluster.clone(), scalar_text(image.get("newTag")?)?))
                })
                .collect();
            Node::with("image", name).children(version_lines(&versions))
        })
        .collect()
}

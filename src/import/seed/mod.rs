//! fluxspec's own output (`generated/`): `clusters/<c>/{platform,apps}.yaml`, one Flux
//! Kustomization per app and cluster under `app-flux-kustomizations/<c>/<layer>/`, each app's
//! `apps/<app>/{base,<c>}` and `components/`. Everything in it was written from a spec, so
//! everything lifts back: importing it gives a spec that compiles to the same tree.

mod app;
mod chart;
mod components;

use std::collections::BTreeMap;

use serde_json::Value;

use super::Lifted;
use super::kdl::Node;
use super::lift::knobs::{Baseline, ClusterDefaults, cluster_defaults, defaults_node};
use super::lift::{escape_dollars, most_common};
use super::source::{SourceRepo, scalar_text, string_list, text_at};

/// Files of a layer directory that fluxspec writes for the cluster, not for an app.
const CLUSTER_FILES: &[&str] = &[
    "kustomization.yaml",
    "cluster-configmap.yaml",
    "namespaces.yaml",
    "helm-repositories.yaml",
];

const LAYERS: [&str; 2] = ["platform", "apps"];

/// The directory of the output tree inside the repository (`""` for its root), if the
/// repository is one fluxspec wrote.
pub(super) fn recognise(repo: &SourceRepo) -> Option<String> {
    repo.paths().find_map(|path| {
        let (dir, rest) = match path.split_once("app-flux-kustomizations/") {
            Some((dir, rest)) if dir.is_empty() || dir.ends_with('/') => (dir, rest),
            _ => return None,
        };
        let cluster = rest.split('/').next()?;
        LAYERS
            .iter()
            .all(|layer| repo.exists(&format!("{dir}clusters/{cluster}/{layer}.yaml")))
            .then(|| dir.to_owned())
    })
}

/// What the readers of one output tree share.
struct Tree<'a> {
    repo: &'a SourceRepo,
    /// The output directory's path from the repository root, `""` or ending in `/`.
    dir: String,
    clusters: Vec<String>,
    settings: Settings,
    /// The shared HelmRepositories by name, from every cluster.
    shared_repositories: BTreeMap<String, Value>,
    /// Each cluster's `defaults`.
    defaults: ClusterDefaults,
}

impl Tree<'_> {
    fn path(&self, relative: &str) -> String {
        format!("{}{relative}", self.dir)
    }

    fn document(&self, relative: &str) -> Option<Value> {
        self.repo.document(&self.path(relative))
    }
}

/// The spec's `settings`: what every Flux Kustomization starts from.
struct Settings {
    source: (String, String),
    output_path: String,
    interval: String,
    retry_interval: String,
    timeout: String,
}

/// Lifts the output tree at `dir` into a spec.
pub(super) fn lift(repo: &SourceRepo, dir: String) -> Lifted {
    let clusters: Vec<String> = repo
        .subdirectories(&format!("{dir}clusters"))
        .into_iter()
        .filter(|cluster| {
            LAYERS
                .iter()
                .all(|layer| repo.exists(&format!("{dir}clusters/{cluster}/{layer}.yaml")))
        })
        .collect();
    let mut lifted = Lifted::default();
    let roots: Vec<(String, Vec<Value>)> = clusters
        .iter()
        .map(|cluster| {
            let roots = LAYERS
                .iter()
                .filter_map(|layer| repo.document(&format!("{dir}clusters/{cluster}/{layer}.yaml")))
                .collect();
            (cluster.clone(), roots)
        })
        .collect();
    let mut tree = Tree {
        repo,
        dir,
        clusters,
        settings: Settings {
            source: ("flux-system".to_owned(), "flux-system".to_owned()),
            output_path: "./generated".to_owned(),
            interval: String::new(),
            retry_interval: String::new(),
            timeout: String::new(),
        },
        shared_repositories: BTreeMap::new(),
        defaults: ClusterDefaults::new(),
    };
    let apps = app::find_apps(&tree);
    tree.settings = settings(&roots, &apps);
    tree.shared_repositories = shared_repositories(&tree);
    tree.defaults = defaults(&tree, &apps);
    lifted.nodes.push(settings_node(&tree.settings));
    if let Some(decryption) = decryption(&apps) {
        lifted.nodes.push(Node::new("defaults").child(decryption));
    }
    lifted.nodes.extend(namespaces(&tree, &apps));
    for (cluster, roots) in &roots {
        lifted.nodes.push(cluster_node(&tree, cluster, roots));
    }
    let components = components::lift(&tree, &apps, &mut lifted);
    for app in &apps {
        app::lift(&tree, app, &components, &mut lifted);
    }
    "fluxspec's own output (`generated/`)".clone_into(&mut lifted.report.shape);
    lifted.report.figures.clusters = tree.clusters.len();
    lifted.report.figures.apps = apps.len();
    lifted
}

/// `decryption "sops" secret=...` for every app, when any app's Flux Kustomization decrypts:
/// fluxspec writes it only where an encrypted file is applied.
fn decryption(apps: &[app::SeedApp]) -> Option<Node> {
    let decryption = apps
        .iter()
        .flat_map(|app| &app.per_cluster)
        .find_map(|(_, spec)| spec.get("decryption"))?;
    Some(
        Node::with(
            "decryption",
            text_at(decryption, &["provider"]).unwrap_or("sops"),
        )
        .prop_some("secret", text_at(decryption, &["secretRef", "name"])),
    )
}

/// `namespace` nodes: the labels and annotations of the Namespaces fluxspec wrote, a Namespace
/// written that no app uses, and `create=#false` for one apps use that was not written.
fn namespaces(tree: &Tree<'_>, apps: &[app::SeedApp]) -> Vec<Node> {
    let mut written: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for cluster in &tree.clusters {
        let file = format!("app-flux-kustomizations/{cluster}/platform/namespaces.yaml");
        for namespace in tree.repo.documents(&tree.path(&file)).unwrap_or_default() {
            let name = super::source::name(&namespace).to_owned();
            written
                .entry(name)
                .or_default()
                .push((cluster.clone(), namespace));
        }
    }
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for app in apps {
        for (cluster, spec) in &app.per_cluster {
            if let Some(namespace) = text_at(spec, &["targetNamespace"]) {
                used.entry(namespace.to_owned())
                    .or_default()
                    .push(cluster.clone());
            }
        }
    }
    let mut nodes = Vec::new();
    for (name, objects) in &written {
        let Some((_, first)) = objects.first() else {
            continue;
        };
        let mut node = Node::with("namespace", name.clone());
        let metadata = |field: &str| -> Vec<(String, String)> {
            first
                .pointer(&format!("/metadata/{field}"))
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(key, _)| *key != "kustomize.toolkit.fluxcd.io/prune")
                .map(|(key, value)| (key.clone(), scalar_text(value).unwrap_or_default()))
                .collect()
        };
        for (key, value) in metadata("labels") {
            node = node.child(Node::with("label", key).arg(value));
        }
        for (key, value) in metadata("annotations") {
            node = node.child(Node::with("annotation", key).arg(value));
        }
        let requested = objects.iter().any(|(cluster, _)| {
            !used
                .get(name)
                .is_some_and(|clusters| clusters.contains(cluster))
        });
        if !node.children.is_empty() || requested {
            nodes.push(node);
        }
    }
    for name in used.keys().filter(|name| !written.contains_key(*name)) {
        nodes.push(Node::with("namespace", name.clone()).prop("create", false));
    }
    nodes
}

/// Each cluster's `defaults`: the knobs most of its apps share.
fn defaults(tree: &Tree<'_>, apps: &[app::SeedApp]) -> ClusterDefaults {
    let none = ClusterDefaults::new();
    let apps: Vec<(Baseline<'_>, Vec<(String, &Value)>)> = apps
        .iter()
        .map(|app| {
            let specs = app
                .per_cluster
                .iter()
                .map(|(cluster, spec)| (cluster.clone(), spec))
                .collect();
            (app::baseline(tree, app, &none), specs)
        })
        .collect();
    cluster_defaults(&apps)
}

/// The settings: the source and output path the root Kustomizations name, and the timings most
/// Flux Kustomizations have (fluxspec's defaults among equals).
fn settings(roots: &[(String, Vec<Value>)], apps: &[app::SeedApp]) -> Settings {
    let mut specs: Vec<&Value> = roots
        .iter()
        .flat_map(|(_, roots)| roots.iter().filter_map(|root| root.get("spec")))
        .collect();
    specs.extend(
        apps.iter()
            .flat_map(|app| app.per_cluster.iter().map(|(_, ks)| ks)),
    );
    let timing = |field: &str, default: &str| {
        let values: Vec<(String, String)> = std::iter::once((String::new(), default.to_owned()))
            .chain(specs.iter().filter_map(|spec| {
                text_at(spec, &[field]).map(|value| (String::new(), value.to_owned()))
            }))
            .collect();
        most_common(&values).map_or_else(|| default.to_owned(), |(value, _)| value)
    };
    let first_root = roots.iter().find_map(|(_, roots)| roots.first());
    let source = first_root.map_or_else(
        || ("flux-system".to_owned(), "flux-system".to_owned()),
        |root| {
            let name = text_at(root, &["spec", "sourceRef", "name"]).unwrap_or("flux-system");
            let namespace =
                text_at(root, &["spec", "sourceRef", "namespace"]).unwrap_or("flux-system");
            (name.to_owned(), namespace.to_owned())
        },
    );
    let output_path = first_root
        .and_then(|root| text_at(root, &["spec", "path"]))
        .and_then(|path| path.split_once("/app-flux-kustomizations/"))
        .map_or_else(|| "./generated".to_owned(), |(output, _)| output.to_owned());
    Settings {
        source,
        output_path,
        interval: timing("interval", "1h"),
        retry_interval: timing("retryInterval", "2m"),
        timeout: timing("timeout", "5m"),
    }
}

fn settings_node(settings: &Settings) -> Node {
    Node::new("settings")
        .child(
            Node::with("source", settings.source.0.clone())
                .prop("namespace", settings.source.1.clone()),
        )
        .child(Node::with("output-path", settings.output_path.clone()))
        .child(Node::with("interval", settings.interval.clone()))
        .child(Node::with(
            "retry-interval",
            settings.retry_interval.clone(),
        ))
        .child(Node::with("timeout", settings.timeout.clone()))
}

/// A cluster: its variables from `cluster-config`, its root Kustomizations' timings and
/// suspended layers.
fn cluster_node(tree: &Tree<'_>, cluster: &str, roots: &[Value]) -> Node {
    let mut node = Node::with("cluster", cluster);
    let configmap = tree.document(&format!(
        "app-flux-kustomizations/{cluster}/platform/cluster-configmap.yaml"
    ));
    if let Some(data) = configmap
        .as_ref()
        .and_then(|configmap| configmap.get("data"))
        .and_then(Value::as_object)
    {
        for (name, value) in data {
            if name != "CLUSTER" {
                let value = scalar_text(value).unwrap_or_default();
                node = node.child(Node::with("var", name.clone()).arg(escape_dollars(&value)));
            }
        }
    }
    let settings = &tree.settings;
    if let Some(spec) = roots.first().and_then(|root| root.get("spec")) {
        for (field, knob, default) in [
            ("interval", "interval", &settings.interval),
            ("retryInterval", "retry-interval", &settings.retry_interval),
            ("timeout", "timeout", &settings.timeout),
        ] {
            if let Some(value) = text_at(spec, &[field]).filter(|value| value != default) {
                node = node.child(Node::with(knob, value));
            }
        }
    }
    if let Some(defaults) = defaults_node(&tree.defaults, cluster) {
        node = node.child(defaults);
    }
    let suspended: Vec<&str> = LAYERS
        .iter()
        .zip(roots)
        .filter(|(_, root)| root.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true))
        .map(|(layer, _)| *layer)
        .collect();
    if !suspended.is_empty() {
        let mut suspend = Node::new("suspend");
        for layer in suspended {
            suspend = suspend.arg(layer);
        }
        node = node.child(suspend);
    }
    node
}

/// The HelmRepositories several apps share, from each cluster's `helm-repositories.yaml`.
fn shared_repositories(tree: &Tree<'_>) -> BTreeMap<String, Value> {
    let mut repositories = BTreeMap::new();
    for cluster in &tree.clusters {
        let path = tree.path(&format!(
            "app-flux-kustomizations/{cluster}/platform/helm-repositories.yaml"
        ));
        for repository in tree.repo.documents(&path).unwrap_or_default() {
            let name = super::source::name(&repository).to_owned();
            repositories.entry(name).or_insert(repository);
        }
    }
    repositories
}

/// The resources a kustomization.yaml lists, or none.
fn resources(tree: &Tree<'_>, dir: &str) -> Vec<String> {
    tree.document(&format!("{dir}/kustomization.yaml"))
        .map(|kustomization| string_list(&kustomization, "resources"))
        .unwrap_or_default()
}

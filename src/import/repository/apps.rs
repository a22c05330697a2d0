//! The apps of a built repository: one per Flux Kustomization and namespace it fills, with the
//! objects each cluster gets, the knobs and dependencies of its Flux Kustomization, and its
//! chart lifted where the spec can say it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::ClusterEntry;
use super::chart::{self, ChartLift};
use super::component_patches::ComponentPatches;
use super::components::Components;
use super::images;
use super::manifests::{manifests, namespace_nodes};
use super::sources::SourceFiles;
use super::vars::{ClusterVars, cluster_vars, declare_cluster_vars};
use crate::build::object::{Object, ObjectId};
use crate::build::{BuiltObject, ClusterBuild};
use crate::import::compare::is_bootstrap;
use crate::import::kdl::Node;
use crate::import::lift::knobs::{Baseline, ClusterDefaults, flux_knobs};
use crate::import::lift::vars::app_vars;
use crate::import::lift::{Split, most_common};
use crate::import::source::{SourceRepo, text_at};
use crate::import::{Lifted, dns_label};

/// Flux Kustomization fields the built objects already hold (so they are not knobs), or that
/// the spec writes itself.
const BUILT_FIELDS: &[&str] = &[
    "commonMetadata",
    "components",
    "images",
    "patches",
    "postBuild",
    "path",
    "sourceRef",
    "targetNamespace",
    "prune",
    "dependsOn",
    "interval",
    "retryInterval",
    "timeout",
    "wait",
    "healthChecks",
    "healthCheckExprs",
    "namePrefix",
    "nameSuffix",
];

/// One app: the objects of one Flux Kustomization in one namespace, on each cluster.
pub(super) struct App<'a> {
    pub(super) name: String,
    pub(super) namespace: String,
    /// The Flux Kustomization, `namespace/name`.
    pub(super) kustomization: String,
    pub(super) per_cluster: Vec<(String, Vec<&'a BuiltObject>)>,
    /// The Flux Kustomization's `spec` on each cluster.
    pub(super) specs: Vec<(String, Value)>,
}

/// Lifts every cluster's build into settings, clusters and apps, the components of `patched`
/// with their patches; with the components of `patched` some app could not use, and why.
pub(super) fn lift(
    repo: &SourceRepo,
    builds: &[(ClusterEntry, ClusterBuild)],
    patched: ComponentPatches,
) -> (Lifted, BTreeMap<String, String>) {
    let mut lifted = Lifted::default();
    let mut apps = find_apps(builds, &mut lifted);
    name_apps(&mut apps);
    let namespaces: BTreeSet<String> = apps.iter().map(|app| app.namespace.clone()).collect();
    let settings = Timings::of(&apps);
    lifted.nodes.push(settings.node());
    // The Namespaces of the apps, as the repository applies them: their labels and annotations.
    let applied_namespaces: Vec<(String, Vec<&Object>)> = builds
        .iter()
        .map(|(cluster, build)| {
            let objects = build
                .kustomizations
                .iter()
                .flat_map(|kustomization| &kustomization.objects)
                .map(|built| &built.object)
                .filter(|object| {
                    object.id.group.is_empty()
                        && object.id.kind == "Namespace"
                        && namespaces.contains(&object.id.name)
                })
                .collect();
            (cluster.name.clone(), objects)
        })
        .collect();
    let (global, local) = namespace_nodes(&applied_namespaces);
    lifted.nodes.extend(global);
    for (cluster, build) in builds {
        let own = local
            .iter()
            .filter(|(name, _)| *name == cluster.name)
            .map(|(_, node)| node.clone());
        lifted
            .nodes
            .push(Node::with("cluster", cluster.name.clone()).children(own));
        for warning in &build.warnings {
            let (file, line) = written_at(repo, &cluster.path, warning)
                .unwrap_or_else(|| (cluster.path.clone(), 0));
            lifted.report.mistake(
                &file,
                line,
                format!("{warning} (cluster `{}`)", cluster.name),
            );
        }
    }
    let dependencies = dependencies(&apps);
    let platform = platform_apps(&dependencies);
    let mut charts = chart::lift_all(&apps, &settings.interval, &patched, &mut lifted);
    let sources = SourceFiles::index(repo);
    let cluster_vars = cluster_vars(builds);
    let mut components = Components::new(patched);
    for app in &apps {
        let layer = if platform.contains(&app.name) {
            "platform"
        } else {
            "apps"
        };
        let context = Context {
            layer,
            dependencies: &dependencies,
            namespaces: &namespaces,
            timings: &settings,
            cluster_count: builds.len(),
            sources: &sources,
            cluster_vars: &cluster_vars,
        };
        let node = app_node(
            app,
            charts.remove(&app.name),
            &context,
            &mut components,
            &mut lifted,
        );
        lifted.nodes.push(node);
    }
    declare_cluster_vars(&cluster_vars, &mut lifted);
    lifted.report.figures.apps = apps.len();
    (lifted, components.unused_patches())
}

/// Where the object a build warning names first (`` `Kind/namespace/name` ``) is written; for
/// a variable nothing sets (`` uses `${VAR}` ``), the line that uses it.
fn written_at(repo: &SourceRepo, near: &str, warning: &str) -> Option<(String, usize)> {
    let mut quoted = warning.split('`').skip(1).step_by(2);
    let id = quoted.next()?;
    let mut parts = id.split('/');
    let kind = parts.next()?;
    let name = parts.next_back()?;
    let variable = quoted
        .next()
        .filter(|_| warning.contains("` uses `${"))
        .and_then(|used| used.strip_prefix("${"))
        .and_then(|used| used.strip_suffix('}'));
    match variable {
        Some(variable) => repo.locate_use(near, kind, variable),
        None => repo.locate(near, kind, name),
    }
}

/// The apps of every cluster, keyed by Flux Kustomization and namespace, in apply order.
fn find_apps<'a>(builds: &'a [(ClusterEntry, ClusterBuild)], lifted: &mut Lifted) -> Vec<App<'a>> {
    let mut apps: Vec<App<'a>> = Vec::new();
    for (cluster, build) in builds {
        let specs: BTreeMap<String, &Value> = build
            .kustomizations
            .iter()
            .flat_map(|kustomization| &kustomization.objects)
            .filter(|built| {
                built
                    .object
                    .is("kustomize.toolkit.fluxcd.io", "Kustomization")
            })
            .map(|built| {
                let id = format!(
                    "{}/{}",
                    built.object.id.namespace.as_deref().unwrap_or_default(),
                    built.object.id.name
                );
                (id, built.object.value.get("spec").unwrap_or(&Value::Null))
            })
            .collect();
        // An object two Flux Kustomizations apply (a mistake, reported) goes to the first.
        let mut seen: BTreeSet<&ObjectId> = BTreeSet::new();
        for kustomization in &build.kustomizations {
            let id = format!("{}/{}", kustomization.namespace, kustomization.name);
            let spec = specs.get(&id).copied().cloned().unwrap_or_default();
            let objects: Vec<&BuiltObject> = kustomization
                .objects
                .iter()
                .filter(|built| {
                    !built
                        .object
                        .is("kustomize.toolkit.fluxcd.io", "Kustomization")
                })
                .filter(|built| !is_bootstrap(&built.object))
                .filter(|built| seen.insert(&built.object.id))
                .collect();
            let main = text_at(&spec, &["targetNamespace"])
                .map(str::to_owned)
                .or_else(|| {
                    let namespaces: Vec<(String, String)> = objects
                        .iter()
                        .filter_map(|built| {
                            Some((String::new(), built.object.id.namespace.clone()?))
                        })
                        .collect();
                    most_common(&namespaces).map(|(namespace, _)| namespace)
                });
            let Some(main) = main else {
                if !objects.is_empty() {
                    lifted.report.raw(
                        &id,
                        format!("{} cluster-scoped object(s)", objects.len()),
                        "a Flux Kustomization with no namespace at all: left out (the spec's apps have one)",
                    );
                }
                continue;
            };
            let mut groups: BTreeMap<String, Vec<&BuiltObject>> = BTreeMap::new();
            for built in objects {
                let namespace = built
                    .object
                    .id
                    .namespace
                    .clone()
                    .unwrap_or_else(|| main.clone());
                groups.entry(namespace).or_default().push(built);
            }
            for (namespace, objects) in groups {
                let index = apps
                    .iter()
                    .position(|app| app.kustomization == id && app.namespace == namespace)
                    .unwrap_or_else(|| {
                        apps.push(App {
                            name: String::new(),
                            namespace: namespace.clone(),
                            kustomization: id.clone(),
                            per_cluster: Vec::new(),
                            specs: Vec::new(),
                        });
                        apps.len() - 1
                    });
                let app = &mut apps[index];
                app.per_cluster.push((cluster.name.clone(), objects));
                app.specs.push((cluster.name.clone(), spec.clone()));
            }
        }
    }
    apps
}

/// Names each app: after its one HelmRelease (the spec names a chart's HelmRelease after its
/// app), else after its Flux Kustomization, with the namespace when that fills several.
fn name_apps(apps: &mut [App<'_>]) {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let split: BTreeSet<String> = apps
        .iter()
        .filter(|app| {
            apps.iter()
                .filter(|other| other.kustomization == app.kustomization)
                .count()
                > 1
        })
        .map(|app| app.kustomization.clone())
        .collect();
    for app in apps.iter_mut() {
        let releases: BTreeSet<&str> = app
            .per_cluster
            .iter()
            .flat_map(|(_, objects)| objects.iter())
            .filter(|built| built.object.is("helm.toolkit.fluxcd.io", "HelmRelease"))
            .map(|built| built.object.id.name.as_str())
            .collect();
        // The bootstrap Kustomization keeps its name; what it applies besides is an app.
        let kustomization = match app.kustomization.rsplit('/').next().unwrap_or_default() {
            "flux-system" => "flux-system-objects",
            name => name,
        };
        let mut name = match releases.iter().next() {
            Some(release) if releases.len() == 1 => dns_label(release),
            _ if split.contains(&app.kustomization) => {
                dns_label(&format!("{kustomization}-{}", app.namespace))
            }
            _ => dns_label(kustomization),
        };
        if taken.contains(&name) {
            name = dns_label(&format!("{name}-{}", app.namespace));
        }
        let base = name.clone();
        let mut counter = 2;
        while taken.contains(&name) {
            name = format!("{base}-{counter}");
            counter += 1;
        }
        taken.insert(name.clone());
        app.name = name;
    }
}

/// Each app's dependencies: the apps of the Flux Kustomizations its own depends on.
fn dependencies(apps: &[App<'_>]) -> BTreeMap<String, Vec<String>> {
    apps.iter()
        .map(|app| {
            let mut needed: Vec<String> = Vec::new();
            for (_, spec) in app.specs.iter().take(1) {
                let (namespace, _) = app.kustomization.split_once('/').unwrap_or_default();
                for entry in spec
                    .get("dependsOn")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = text_at(entry, &["name"]).unwrap_or_default();
                    let other_namespace = text_at(entry, &["namespace"]).unwrap_or(namespace);
                    let id = format!("{other_namespace}/{name}");
                    let clusters: BTreeSet<&String> =
                        app.per_cluster.iter().map(|(c, _)| c).collect();
                    for other in apps.iter().filter(|other| other.kustomization == id) {
                        let runs_everywhere = clusters
                            .iter()
                            .all(|cluster| other.per_cluster.iter().any(|(c, _)| c == *cluster));
                        if runs_everywhere
                            && other.name != app.name
                            && !needed.contains(&other.name)
                        {
                            needed.push(other.name.clone());
                        }
                    }
                }
            }
            needed.sort();
            (app.name.clone(), needed)
        })
        .collect()
}

/// The apps something depends on, directly or not: the platform layer.
fn platform_apps(dependencies: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
    let mut platform: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<&String> = dependencies.values().flatten().collect();
    while let Some(name) = queue.pop() {
        if platform.insert(name.clone()) {
            queue.extend(dependencies.get(name).into_iter().flatten());
        }
    }
    platform
}

/// The timings most Flux Kustomizations have: the spec's `settings`.
struct Timings {
    interval: String,
    retry_interval: String,
    timeout: String,
}

impl Timings {
    fn of(apps: &[App<'_>]) -> Self {
        let timing = |field: &str, default: &str| {
            let values: Vec<(String, String)> =
                std::iter::once((String::new(), default.to_owned()))
                    .chain(
                        apps.iter()
                            .flat_map(|app| &app.specs)
                            .filter_map(|(_, spec)| {
                                text_at(spec, &[field])
                                    .map(|value| (String::new(), value.to_owned()))
                            }),
                    )
                    .collect();
            most_common(&values).map_or_else(|| default.to_owned(), |(value, _)| value)
        };
        Self {
            interval: timing("interval", "1h"),
            retry_interval: timing("retryInterval", "2m"),
            timeout: timing("timeout", "5m"),
        }
    }

    fn node(&self) -> Node {
        Node::new("settings")
            .child(Node::with("interval", self.interval.clone()))
            .child(Node::with("retry-interval", self.retry_interval.clone()))
            .child(Node::with("timeout", self.timeout.clone()))
    }
}

/// What every app's node is written with.
struct Context<'a> {
    layer: &'a str,
    dependencies: &'a BTreeMap<String, Vec<String>>,
    namespaces: &'a BTreeSet<String>,
    timings: &'a Timings,
    cluster_count: usize,
    sources: &'a SourceFiles<'a>,
    cluster_vars: &'a ClusterVars,
}

fn app_node(
    app: &App<'_>,
    chart: Option<ChartLift>,
    context: &Context<'_>,
    components: &mut Components,
    lifted: &mut Lifted,
) -> Node {
    let Context {
        layer,
        dependencies,
        namespaces,
        timings,
        cluster_count,
        sources,
        cluster_vars: _,
    } = *context;
    let mut node = Node::with("app", app.name.clone());
    if layer == "platform" {
        node = node.child(Node::with("layer", "platform"));
    }
    if app.namespace != app.name {
        node = node.child(Node::with("namespace", app.namespace.clone()));
    }
    if app.per_cluster.len() != cluster_count {
        node =
            node.child(Node::new("clusters").args(app.per_cluster.iter().map(|(c, _)| c.clone())));
    }
    if let Some(needed) = dependencies
        .get(&app.name)
        .filter(|needed| !needed.is_empty())
    {
        node = node.child(Node::new("depends-on").args(needed));
    }
    let mut split = Split::default();
    let mut lifted_ids = chart
        .as_ref()
        .map(|lift| lift.objects.clone())
        .unwrap_or_default();
    let substitutes = app.substitutes();
    let cluster_substitutes = app.cluster_substitutes(context.cluster_vars);
    let used = components.lift(
        app,
        (&cluster_substitutes, &substitutes),
        &lifted_ids,
        sources,
        lifted,
    );
    split.app.extend(used.nodes);
    lifted_ids.extend(used.objects);
    let chart_nodes = chart.as_ref().map_or(&[][..], |lift| &lift.split.app);
    let images = images::lift(app, &lifted_ids, chart_nodes, sources);
    split.app.extend(images.nodes);
    if let Some(lift) = chart {
        for (path, bytes) in lift.files {
            lifted.write(&path, bytes);
        }
        split.extend(lift.split);
    }
    split.extend(app_vars(&substitutes, &[]));
    split.extend(manifests(
        app,
        &lifted_ids,
        namespaces,
        (&cluster_substitutes, &substitutes),
        sources,
        &images.names,
        lifted,
    ));
    let per_cluster: Vec<(String, &Value)> = app
        .specs
        .iter()
        .map(|(c, spec)| (c.clone(), spec))
        .collect();
    let cleaned: Vec<(String, Value)> = per_cluster
        .iter()
        .map(|(cluster, spec)| (cluster.clone(), knob_fields(spec)))
        .collect();
    let cleaned: Vec<(String, &Value)> =
        cleaned.iter().map(|(c, spec)| (c.clone(), spec)).collect();
    let baseline = Baseline {
        wait: layer == "platform",
        interval: &timings.interval,
        retry_interval: &timings.retry_interval,
        timeout: &timings.timeout,
        cluster_defaults: &ClusterDefaults::new(),
    };
    split.extend(flux_knobs(&cleaned, &baseline, &app.namespace, None));
    report_fields(app, lifted);
    node = node.children(split.app);
    for (cluster, nodes) in split.clusters {
        if !nodes.is_empty() {
            node = node.child(Node::with("cluster", cluster).children(nodes));
        }
    }
    node
}

/// The fields of a Flux Kustomization `spec` that are knobs here: the others are in the built
/// objects already.
fn knob_fields(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(map) = spec.as_object_mut() {
        for field in [
            "patches",
            "commonMetadata",
            "images",
            "components",
            "postBuild",
        ] {
            map.remove(field);
        }
    }
    spec
}

/// The Flux Kustomization fields the spec does not carry over, once per Flux Kustomization.
fn report_fields(app: &App<'_>, lifted: &mut Lifted) {
    let Some((_, spec)) = app.specs.first() else {
        return;
    };
    let Some(map) = spec.as_object() else { return };
    for (field, value) in map {
        let default = matches!(
            (field.as_str(), value),
            ("prune", Value::Bool(true)) | ("force" | "suspend", Value::Bool(false))
        );
        if BUILT_FIELDS.contains(&field.as_str()) || default {
            continue;
        }
        let what = format!("Flux Kustomization field `{field}`");
        if !lifted
            .report
            .raw
            .iter()
            .any(|raw| raw.file == app.kustomization && raw.what == what)
        {
            lifted.report.raw(
                &app.kustomization,
                what,
                "the spec has no knob for it; not carried over",
            );
        }
    }
}

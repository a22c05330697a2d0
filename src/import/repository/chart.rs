//! The chart of a built app, lifted into a `helm` node when the spec can write the same objects:
//! one HelmRelease named after the app, in its namespace, with no metadata of its own, whose
//! source (an OCIRepository, or a HelmRepository) is the app's and named after it, with only
//! settings the spec has nodes for. Its values become values files; images in them
//! (`repository` and `tag`, as app-template writes them) become `image` nodes with a
//! `values-path`, so their tags are `version` lines too. `lift_all` lifts every app's chart and
//! keeps as built those the spec cannot say together (a `dependsOn` on a release kept as built, a
//! chart a lifted component patches).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::apps::App;
use super::component_patches::{ComponentPatches, patching_charts};

use crate::build::BuiltObject;
use crate::build::object::{Object, ObjectId};
use crate::import::Lifted;
use crate::import::kdl::Node;
use crate::import::lift::helm::{lift_values_images, release_settings, source_settings, yaml_text};
use crate::import::lift::{Split, version_lines};
use crate::import::source::{scalar_text, text_at};

/// A chart lifted: the nodes, the objects they stand for (left out of the manifests), the
/// values files they name, and the HelmReleases (name, namespace) its release depends on, which
/// must be lifted too for the spec to say it.
pub(super) struct ChartLift {
    pub(super) split: Split,
    pub(super) objects: Vec<ObjectId>,
    pub(super) files: Vec<(String, Vec<u8>)>,
    pub(super) depends_on: Vec<(String, String)>,
}

/// One cluster's HelmRelease and its chart's source.
struct Chart<'a> {
    cluster: &'a str,
    release: &'a Object,
    source: &'a Object,
}

/// Lifts the app's chart, or says in the report why it stays a manifest.
pub(super) fn lift(
    app: &str,
    namespace: &str,
    per_cluster: &[(String, Vec<&BuiltObject>)],
    interval: &str,
    lifted: &mut Lifted,
) -> Option<ChartLift> {
    let mut releases = Vec::new();
    for (cluster, objects) in per_cluster {
        let found: Vec<&Object> = objects
            .iter()
            .map(|built| &built.object)
            .filter(|object| object.is("helm.toolkit.fluxcd.io", "HelmRelease"))
            .collect();
        let [release] = found.as_slice() else {
            return None;
        };
        match release_of(app, namespace, cluster, release, objects) {
            Ok(release) => releases.push(release),
            Err(why) => {
                lifted.report.raw(
                    &format!("HelmRelease {namespace}/{}", release.id.name),
                    "a HelmRelease and its source, kept as built",
                    why,
                );
                return None;
            }
        }
    }
    let mut helm = chart_node(app, namespace, &releases, interval, lifted)?;
    let first = releases.first()?;
    let specs: Vec<(String, Value)> = releases
        .iter()
        .map(|release| {
            (
                release.cluster.to_owned(),
                release
                    .release
                    .value
                    .get("spec")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    let per_cluster_specs: Vec<(String, &Value)> =
        specs.iter().map(|(c, spec)| (c.clone(), spec)).collect();
    let settings = release_settings(&per_cluster_specs, interval, namespace);
    helm = helm.children(settings.app);
    let mut split = Split::default();
    for (cluster, nodes) in settings.clusters {
        split.cluster(&cluster, Node::new("helm").children(nodes));
    }
    let Some((values, images, files)) = values(app, &specs) else {
        lifted.report.raw(
            &format!("HelmRelease {namespace}/{app}"),
            "a HelmRelease and its source, kept as built",
            "its values hold a `${...}` Flux could not fill from the repository (a Secret's)",
        );
        return None;
    };
    helm = helm.children(values);
    split.app.push(helm);
    split.app.extend(images);
    let mut objects: Vec<ObjectId> = Vec::new();
    for release in &releases {
        for id in [&release.release.id, &release.source.id] {
            if !objects.contains(id) {
                objects.push(id.clone());
            }
        }
    }
    let depends_on = first
        .release
        .value
        .pointer("/spec/dependsOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let name = text_at(entry, &["name"])?.to_owned();
            let other = text_at(entry, &["namespace"])
                .unwrap_or(namespace)
                .to_owned();
            Some((name, other))
        })
        .collect();
    Some(ChartLift {
        split,
        objects,
        files,
        depends_on,
    })
}

/// `helm URL chart=? { version ...; source { ... } }`, when the source is the same on every
/// cluster but for the version, and the spec has a node for each of its settings.
fn chart_node(
    app: &str,
    namespace: &str,
    releases: &[Chart<'_>],
    interval: &str,
    lifted: &mut Lifted,
) -> Option<Node> {
    let first = releases.first()?;
    let oci = first.source.id.kind == "OCIRepository";
    let url = first.source.str_at(&["spec", "url"])?.to_owned();
    let (source, unmapped) = source_settings(first.source.value.get("spec")?, oci, interval);
    let same_source = releases.iter().all(|release| {
        let mut spec = release
            .source
            .value
            .get("spec")
            .cloned()
            .unwrap_or_default();
        let mut first_spec = first.source.value.get("spec").cloned().unwrap_or_default();
        for spec in [&mut spec, &mut first_spec] {
            if let Some(map) = spec.as_object_mut() {
                map.remove("ref");
            }
        }
        spec == first_spec
    });
    if !unmapped.is_empty() || !same_source {
        lifted.report.raw(
            &format!("HelmRelease {namespace}/{app}"),
            "a HelmRelease and its source, kept as built",
            if same_source {
                format!(
                    "the source's {} has no node in the spec",
                    unmapped.join(", ")
                )
            } else {
                "its source differs between clusters beyond the version".to_owned()
            },
        );
        return None;
    }
    let versions: Vec<(String, String)> = releases
        .iter()
        .filter_map(|release| Some((release.cluster.to_owned(), version(release, oci)?)))
        .collect();
    if versions.len() != releases.len() {
        return None;
    }
    let mut helm = Node::with("helm", url);
    if !oci {
        let chart = first.release.str_at(&["spec", "chart", "spec", "chart"])?;
        helm = helm.prop("chart", chart);
    }
    helm = helm.children(version_lines(&versions));
    if !source.is_empty() {
        helm = helm.child(Node::new("source").children(source));
    }
    Some(helm)
}

/// The HelmRelease and its source on one cluster, if the spec can write them.
fn release_of<'a>(
    app: &str,
    namespace: &str,
    cluster: &'a str,
    release: &'a Object,
    objects: &'a [&'a BuiltObject],
) -> Result<Chart<'a>, String> {
    if release.id.name != app || release.id.namespace.as_deref() != Some(namespace) {
        return Err(
            "the spec names a chart's HelmRelease after its app, in its namespace".to_owned(),
        );
    }
    if !only_name(&release.value) {
        return Err("it has labels or annotations of its own".to_owned());
    }
    let spec = release.value.get("spec").unwrap_or(&Value::Null);
    let (kind, name, reference_namespace) = if let Some(reference) = spec.get("chartRef") {
        (
            text_at(reference, &["kind"]).unwrap_or_default(),
            text_at(reference, &["name"]).unwrap_or_default(),
            text_at(reference, &["namespace"]),
        )
    } else {
        let chart = spec.pointer("/chart/spec").unwrap_or(&Value::Null);
        let known = chart.as_object().is_some_and(|map| {
            map.keys()
                .all(|key| matches!(key.as_str(), "chart" | "version" | "sourceRef"))
        });
        if !known {
            return Err("its `chart.spec` has fields the spec has no node for".to_owned());
        }
        (
            text_at(chart, &["sourceRef", "kind"]).unwrap_or_default(),
            text_at(chart, &["sourceRef", "name"]).unwrap_or_default(),
            text_at(chart, &["sourceRef", "namespace"]),
        )
    };
    if !matches!(kind, "OCIRepository" | "HelmRepository")
        || name != app
        || reference_namespace.is_some_and(|ns| ns != namespace)
    {
        return Err(format!(
            "its chart comes from {kind} `{name}`, not a source of its own named after it"
        ));
    }
    let source = objects
        .iter()
        .map(|built| &built.object)
        .find(|object| object.id.kind == kind && object.id.name == app)
        .ok_or_else(|| format!("its {kind} is applied by another Flux Kustomization"))?;
    if !only_name(&source.value) {
        return Err(format!("its {kind} has labels or annotations of its own"));
    }
    if kind == "OCIRepository" {
        let reference = source.value.pointer("/spec/ref").and_then(Value::as_object);
        if !reference.is_some_and(|map| {
            map.len() == 1 && (map.contains_key("tag") || map.contains_key("semver"))
        }) {
            return Err(
                "its OCIRepository is pinned by other than one tag or SemVer range".to_owned(),
            );
        }
    }
    Ok(Chart {
        cluster,
        release,
        source,
    })
}

fn only_name(value: &Value) -> bool {
    value
        .get("metadata")
        .and_then(Value::as_object)
        .is_some_and(|metadata| {
            metadata
                .keys()
                .all(|key| key == "name" || key == "namespace")
        })
}

fn version(release: &Chart<'_>, oci: bool) -> Option<String> {
    if oci {
        let reference = release.source.value.pointer("/spec/ref")?;
        return scalar_text(reference.get("tag").or_else(|| reference.get("semver"))?);
    }
    scalar_text(release.release.value.pointer("/spec/chart/spec/version")?)
}

/// Values files (one for every cluster when they agree, else one per cluster) and the images
/// their values name, lifted out of them; `None` when the values still hold a `${`.
type Values = (Vec<Node>, Vec<Node>, Vec<(String, Vec<u8>)>);

fn values(app: &str, specs: &[(String, Value)]) -> Option<Values> {
    let mut values: Vec<(String, Value)> = specs
        .iter()
        .map(|(cluster, spec)| {
            (
                cluster.clone(),
                spec.get("values").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let images = lift_values_images(&mut values, false);
    let mut nodes = Vec::new();
    let mut files = Vec::new();
    let agree = values.iter().all(|(_, value)| *value == values[0].1);
    for (cluster, value) in &values {
        if value.as_object().is_none_or(serde_json::Map::is_empty) {
            continue;
        }
        let (path, node) = if agree {
            let path = format!("apps/{app}/values.yaml");
            (path.clone(), Node::with("values", path))
        } else {
            let path = format!("apps/{app}/values-{cluster}.yaml");
            (
                path.clone(),
                Node::with("values", path).prop("cluster", cluster.clone()),
            )
        };
        let text = yaml_text(value) + "\n";
        if text.contains("${") {
            return None;
        }
        files.push((path, text.into_bytes()));
        nodes.push(node);
        if agree {
            break;
        }
    }
    Some((nodes, images, files))
}

/// The charts the spec can say: lifted one by one, then those whose release depends on a
/// HelmRelease that stays a manifest are kept as built too, until none is left.
/// An app a component patches the chart of keeps it as built, before that patch.
pub(super) fn lift_all(
    apps: &[App<'_>],
    interval: &str,
    patched: &ComponentPatches,
    lifted: &mut Lifted,
) -> BTreeMap<String, ChartLift> {
    let patched_charts: Vec<&App<'_>> = apps
        .iter()
        .filter(|app| {
            let Some(dir) = app
                .specs
                .iter()
                .find_map(|(_, spec)| patching_charts(patched, spec))
            else {
                return false;
            };
            let mut objects = app.per_cluster.iter().flat_map(|(_, objects)| objects);
            if objects.any(|built| built.object.is("helm.toolkit.fluxcd.io", "HelmRelease")) {
                lifted.report.raw(
                    &format!("HelmRelease {}/{}", app.namespace, app.name),
                    "a HelmRelease and its source, kept as built",
                    format!(
                        "component `{dir}` patches it, with a patch the HelmRelease the spec \
                         writes might not take: kept as built before that patch"
                    ),
                );
            }
            true
        })
        .collect();
    let mut charts: BTreeMap<String, ChartLift> = apps
        .iter()
        .filter(|app| !patched_charts.iter().any(|kept| kept.name == app.name))
        .filter_map(|app| {
            let lift = lift(
                &app.name,
                &app.namespace,
                &app.per_cluster,
                interval,
                lifted,
            )?;
            Some((app.name.clone(), lift))
        })
        .collect();
    loop {
        let releases: BTreeSet<(String, String)> = apps
            .iter()
            .filter(|app| charts.contains_key(&app.name))
            .map(|app| (app.name.clone(), app.namespace.clone()))
            .collect();
        let stranded: Vec<(String, String)> = charts
            .iter()
            .filter_map(|(name, lift)| {
                let missing = lift
                    .depends_on
                    .iter()
                    .find(|needed| !releases.contains(*needed))?;
                Some((name.clone(), format!("{}/{}", missing.1, missing.0)))
            })
            .collect();
        if stranded.is_empty() {
            return charts;
        }
        for (name, missing) in stranded {
            let namespace = apps
                .iter()
                .find(|app| app.name == name)
                .map_or("", |app| app.namespace.as_str());
            lifted.report.raw(
                &format!("HelmRelease {namespace}/{name}"),
                "a HelmRelease and its source, kept as built",
                format!(
                    "its `dependsOn` names HelmRelease `{missing}`, which the spec does not write"
                ),
            );
            charts.remove(&name);
        }
    }
}

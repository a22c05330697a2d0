//! `fluxspec graph`: the order in which Flux reconciles each cluster, as Mermaid or Graphviz.
//!
//! Per cluster, up to two layers: the `platform-<cluster>` root Kustomization and the
//! `apps-<cluster>` one, which depends on it; a layer without apps on the cluster is left out
//! (an empty box says nothing, and Mermaid draws it badly). Each app sits in its layer; an arrow goes from what
//! Flux reconciles first to what waits for it (a layer to the next, an app to the apps that
//! depend on it), and a dashed arrow from each component to the apps that use it. Works from
//! the resolved [`Model`]; the output is deterministic (clusters, apps and edges in name order).

use std::io::{self, Write};

use crate::model::{App, Cluster, Layer, Model};
use crate::select::{self, SelectError};

/// The clusters to draw: the one asked for, or all of them.
pub(crate) fn clusters<'a>(
    model: &'a Model,
    only: Option<&str>,
) -> Result<Vec<&'a Cluster>, SelectError> {
    if let Some(name) = only {
        select::clusters(model, &[name.to_owned()])?;
    }
    Ok(model
        .clusters
        .iter()
        .filter(|cluster| only.is_none_or(|name| cluster.name == name))
        .collect())
}

/// What one cluster's graph holds, computed once for both formats.
struct ClusterGraph<'a> {
    cluster: &'a Cluster,
    /// Per layer with apps, whether it is suspended and its apps on the cluster, in name order.
    layers: Vec<(Layer, bool, Vec<&'a App>)>,
    /// Components used in this cluster, in name order.
    components: Vec<&'a str>,
    /// `dependency -> app`, in (app, dependency) order.
    depends_on: Vec<(&'a str, &'a str)>,
    /// `component -> app`, in (app, component) order.
    uses: Vec<(&'a str, &'a str)>,
}

fn cluster_graph<'a>(model: &'a Model, cluster: &'a Cluster) -> ClusterGraph<'a> {
    let deployed: Vec<(&App, &crate::model::Deployment)> = model
        .apps
        .iter()
        .filter_map(|app| {
            app.deployments
                .iter()
                .find(|deployment| deployment.cluster == cluster.name)
                .map(|deployment| (app, deployment))
        })
        .collect();
    let layers = Layer::ALL
        .into_iter()
        .map(|layer| {
            let suspended = match layer {
                Layer::Platform => cluster.suspend_platform,
                Layer::Apps => cluster.suspend_apps,
            };
            let apps = deployed
                .iter()
                .filter(|(app, _)| app.layer == layer)
                .map(|(app, _)| *app)
                .collect();
            (layer, suspended, apps)
        })
        .filter(|(_, _, apps): &(Layer, bool, Vec<&App>)| !apps.is_empty())
        .collect();
    let mut components: Vec<&str> = deployed
        .iter()
        .flat_map(|(_, deployment)| {
            deployment
                .components
                .iter()
                .chain(&deployment.flux_components)
                .map(String::as_str)
        })
        .collect();
    components.sort_unstable();
    components.dedup();
    let depends_on = deployed
        .iter()
        .flat_map(|(app, deployment)| {
            deployment
                .depends_on
                .iter()
                .map(|dependency| (dependency.as_str(), app.name.as_str()))
        })
        .collect();
    let uses = deployed
        .iter()
        .flat_map(|(app, deployment)| {
            deployment
                .components
                .iter()
                .chain(&deployment.flux_components)
                .map(|component| (component.as_str(), app.name.as_str()))
        })
        .collect();
    ClusterGraph {
        cluster,
        layers,
        components,
        depends_on,
        uses,
    }
}

impl ClusterGraph<'_> {
    /// Whether both layers are drawn, so the arrow from one to the other is.
    fn has_both_layers(&self) -> bool {
        self.layers.len() == Layer::ALL.len()
    }
}

fn layer_label(layer: Layer, cluster: &str, suspended: bool) -> String {
    let suspended = if suspended { " (suspended)" } else { "" };
    format!("{}-{cluster}{suspended}", layer.as_str())
}

/// A Mermaid identifier for a name. Names are DNS labels (`[a-z0-9-]`), so mapping `-` to `_` is
/// one-to-one and `__` can separate the parts; the parts keep Mermaid keywords (`end`) out of
/// identifiers.
fn mermaid_id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| part.replace('-', "_"))
        .collect::<Vec<_>>()
        .join("__")
}

/// A Mermaid flowchart: a subgraph per cluster, nested subgraphs per layer.
pub(crate) fn write_mermaid(
    out: &mut impl Write,
    model: &Model,
    clusters: &[&Cluster],
) -> io::Result<()> {
    writeln!(out, "flowchart LR")?;
    for cluster in clusters {
        let graph = cluster_graph(model, cluster);
        let name = graph.cluster.name.as_str();
        let cluster_id = mermaid_id(&[name]);
        writeln!(out, "    subgraph {cluster_id}[\"cluster {name}\"]")?;
        writeln!(out, "        direction LR")?;
        for (layer, suspended, apps) in &graph.layers {
            writeln!(
                out,
                "        subgraph {}[\"{}\"]",
                mermaid_id(&[name, "layer", layer.as_str()]),
                layer_label(*layer, name, *suspended)
            )?;
            for app in apps {
                writeln!(
                    out,
                    "            {}[\"{}\"]",
                    mermaid_id(&[name, "app", &app.name]),
                    app.name
                )?;
            }
            writeln!(out, "        end")?;
        }
        for component in &graph.components {
            writeln!(
                out,
                "        {}{{{{\"{component}\"}}}}",
                mermaid_id(&[name, "component", component])
            )?;
        }
        writeln!(out, "    end")?;
        if graph.has_both_layers() {
            writeln!(
                out,
                "    {} --> {}",
                mermaid_id(&[name, "layer", "platform"]),
                mermaid_id(&[name, "layer", "apps"])
            )?;
        }
        for (dependency, app) in &graph.depends_on {
            writeln!(
                out,
                "    {} --> {}",
                mermaid_id(&[name, "app", dependency]),
                mermaid_id(&[name, "app", app])
            )?;
        }
        for (component, app) in &graph.uses {
            writeln!(
                out,
                "    {} -.-> {}",
                mermaid_id(&[name, "component", component]),
                mermaid_id(&[name, "app", app])
            )?;
        }
    }
    Ok(())
}

/// A Graphviz digraph: a cluster subgraph per cluster, nested ones per layer. Each layer holds an
/// invisible anchor node for the layer-to-layer edge to start and end at (`compound` clips it at
/// the boxes' borders).
pub(crate) fn write_dot(
    out: &mut impl Write,
    model: &Model,
    clusters: &[&Cluster],
) -> io::Result<()> {
    writeln!(out, "digraph fluxspec {{")?;
    writeln!(out, "    compound=true;")?;
    writeln!(out, "    rankdir=LR;")?;
    writeln!(out, "    node [shape=box];")?;
    for cluster in clusters {
        let graph = cluster_graph(model, cluster);
        let name = graph.cluster.name.as_str();
        writeln!(out, "    subgraph \"cluster_{name}\" {{")?;
        writeln!(out, "        label=\"cluster {name}\";")?;
        for (layer, suspended, apps) in &graph.layers {
            let label = layer_label(*layer, name, *suspended);
            let layer = layer.as_str();
            writeln!(out, "        subgraph \"cluster_{name}/{layer}\" {{")?;
            writeln!(out, "            label=\"{label}\";")?;
            writeln!(
                out,
                "            \"{name}/layer/{layer}\" [shape=point, style=invis];"
            )?;
            for app in apps {
                writeln!(
                    out,
                    "            \"{name}/app/{}\" [label=\"{}\"];",
                    app.name, app.name
                )?;
            }
            writeln!(out, "        }}")?;
        }
        for component in &graph.components {
            writeln!(
                out,
                "        \"{name}/component/{component}\" [label=\"{component}\", shape=hexagon];"
            )?;
        }
        writeln!(out, "    }}")?;
        if graph.has_both_layers() {
            writeln!(
                out,
                "    \"{name}/layer/platform\" -> \"{name}/layer/apps\" [ltail=\"cluster_{name}/platform\", lhead=\"cluster_{name}/apps\"];"
            )?;
        }
        for (dependency, app) in &graph.depends_on {
            writeln!(
                out,
                "    \"{name}/app/{dependency}\" -> \"{name}/app/{app}\";"
            )?;
        }
        for (component, app) in &graph.uses {
            writeln!(
                out,
                "    \"{name}/component/{component}\" -> \"{name}/app/{app}\" [style=dashed];"
            )?;
        }
    }
    writeln!(out, "}}")
}

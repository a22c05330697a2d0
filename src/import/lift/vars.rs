//! An app's `postBuild.substitute` variables per cluster, as app-wide `var`s, the values it gives
//! its components, and per-cluster `var`s.

use std::collections::{BTreeMap, BTreeSet};

use super::{Split, escape_dollars, split_single};
use crate::import::kdl::Node;

/// The variables of one app on each cluster (the names fluxspec sets itself already left out),
/// split into the components' values and `var`s. `components` are the app's components, each
/// with whether it is used at the Flux level and the variable names it declares.
pub(crate) fn app_vars(
    per_cluster: &[(String, BTreeMap<String, String>)],
    components: &[(String, bool, Vec<String>)],
) -> Split {
    let mut split = Split::default();
    let component_vars: BTreeSet<&str> = components
        .iter()
        .flat_map(|(_, _, vars)| vars.iter().map(String::as_str))
        .collect();
    for (component, flux, vars) in components {
        let mut node = Node::with("component", component.clone());
        if *flux {
            node = node.prop("level", "flux");
        }
        for var in vars {
            let (app, others) = split_single(&values_of(per_cluster, var), None);
            node = node.prop(var, escape_dollars(&app.unwrap_or_default()));
            for (cluster, value) in others {
                split.cluster(&cluster, var_node(var, &value));
            }
        }
        split.app.push(node);
    }
    let names: BTreeSet<&str> = per_cluster
        .iter()
        .flat_map(|(_, vars)| vars.keys().map(String::as_str))
        .filter(|name| !component_vars.contains(name))
        .collect();
    for name in names {
        let values = values_of(per_cluster, name);
        if values.len() == per_cluster.len() {
            let (app, others) = split_single(&values, None);
            if let Some(value) = app {
                split.app.push(var_node(name, &value));
            }
            for (cluster, value) in others {
                split.cluster(&cluster, var_node(name, &value));
            }
        } else {
            for (cluster, value) in values {
                split.cluster(&cluster, var_node(name, &value));
            }
        }
    }
    split
}

fn values_of(
    per_cluster: &[(String, BTreeMap<String, String>)],
    name: &str,
) -> Vec<(String, String)> {
    per_cluster
        .iter()
        .filter_map(|(cluster, vars)| vars.get(name).map(|value| (cluster.clone(), value.clone())))
        .collect()
}

pub(crate) fn var_node(name: &str, value: &str) -> Node {
    Node::with("var", name).arg(escape_dollars(value))
}

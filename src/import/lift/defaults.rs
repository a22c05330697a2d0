//! The spec-wide `defaults { helm { ... } }`: a HelmRelease setting every chart of the spec has,
//! written once with the value most of them share; the apps with that value lose their own
//! line, the others keep theirs (an app's setting replaces the default). A setting some chart
//! lacks is never lifted: the default would give it one.

use crate::import::kdl::Node;

/// `helm` children that are not HelmRelease settings a default can carry, or that add to a
/// default rather than replace it.
const NOT_DEFAULTS: &[&str] = &[
    "version",
    "values",
    "source",
    "release-name",
    "depends-on",
    "values-from",
];

/// Moves the HelmRelease settings every `app`'s `helm` shares into a `defaults` node.
pub(crate) fn lift_helm_defaults(nodes: &mut Vec<Node>) {
    let settings: Vec<Vec<(String, Node)>> =
        nodes.iter().filter_map(helm_of).map(settings_of).collect();
    if settings.len() < 2 {
        return;
    }
    let mut lifted: Vec<(String, Node)> = Vec::new();
    for (key, _) in &settings[0] {
        let values: Vec<&Node> = settings
            .iter()
            .filter_map(|list| list.iter().find(|(k, _)| k == key).map(|(_, node)| node))
            .collect();
        if values.len() != settings.len() {
            continue;
        }
        let (common, count) = values
            .iter()
            .map(|value| {
                (
                    *value,
                    values.iter().filter(|other| *other == value).count(),
                )
            })
            .max_by_key(|(_, count)| *count)
            .expect("at least two values");
        if count >= 2 {
            lifted.push((key.clone(), common.clone()));
        }
    }
    if lifted.is_empty() {
        return;
    }
    for node in nodes.iter_mut() {
        if let Some(helm) = helm_of_mut(node) {
            remove_lifted(helm, &lifted);
        }
    }
    let mut helm = Node::new("helm");
    let mut groups: Vec<(String, Node)> = Vec::new();
    for (key, node) in lifted {
        match key.split_once('/') {
            Some((group, _)) => match groups.iter_mut().find(|(name, _)| name == group) {
                Some((_, parent)) => parent.children.push(node),
                None => groups.push((group.to_owned(), Node::new(group).child(node))),
            },
            None => helm = helm.child(node),
        }
    }
    helm = helm.children(groups.into_iter().map(|(_, node)| node));
    // Into the spec-wide `defaults` when there is one already (a spec may have one).
    let existing = nodes
        .iter_mut()
        .find(|node| node.name() == "defaults" && node.is_bare());
    if let Some(defaults) = existing {
        defaults.children.push(helm);
    } else {
        let position = nodes
            .iter()
            .position(|node| node.name() != "settings")
            .unwrap_or(0);
        nodes.insert(position, Node::new("defaults").child(helm));
    }
}

fn helm_of(node: &Node) -> Option<&Node> {
    (node.name() == "app")
        .then(|| node.children.iter().find(|child| child.name() == "helm"))
        .flatten()
}

fn helm_of_mut(node: &mut Node) -> Option<&mut Node> {
    if node.name() != "app" {
        return None;
    }
    node.children
        .iter_mut()
        .find(|child| child.name() == "helm")
}

/// The settings of a `helm` node by key: `timeout`, `install/retries`, `spec-field postRenderers`.
fn settings_of(helm: &Node) -> Vec<(String, Node)> {
    let mut settings = Vec::new();
    for child in &helm.children {
        match child.name() {
            name if NOT_DEFAULTS.contains(&name) => {}
            group @ ("install" | "upgrade") => {
                for setting in &child.children {
                    settings.push((format!("{group}/{}", setting.name()), setting.clone()));
                }
            }
            "spec-field" => {
                settings.push((format!("spec-field {}", child.first_text()), child.clone()));
            }
            name => settings.push((name.to_owned(), child.clone())),
        }
    }
    settings
}

fn remove_lifted(helm: &mut Node, lifted: &[(String, Node)]) {
    let is_lifted = |key: String, node: &Node| lifted.iter().any(|(k, n)| *k == key && n == node);
    helm.children.retain_mut(|child| match child.name() {
        name if NOT_DEFAULTS.contains(&name) => true,
        group @ ("install" | "upgrade") => {
            let group = group.to_owned();
            child
                .children
                .retain(|setting| !is_lifted(format!("{group}/{}", setting.name()), setting));
            !child.children.is_empty()
        }
        "spec-field" => !is_lifted(format!("spec-field {}", child.first_text()), child),
        name => !is_lifted(name.to_owned(), child),
    });
}

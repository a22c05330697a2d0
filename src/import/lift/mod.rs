//! Lifting what each cluster applies into spec nodes, whatever the repository's shape: the shape
//! readers ([`super::seed`], [`super::overlays`], [`super::app_dirs`]) find, per app and cluster,
//! the Flux Kustomization, the HelmRelease and its source; these functions turn the per-cluster
//! values into app-wide nodes where the clusters agree and `cluster` block nodes where they do
//! not, so the spec says each thing once.

pub(super) mod defaults;
pub(super) mod helm;
pub(super) mod images;
pub(super) mod knobs;
pub(super) mod vars;

use std::collections::BTreeMap;

use super::kdl::Node;

/// Nodes for the app as a whole and for each cluster's block.
#[derive(Debug, Default)]
pub(super) struct Split {
    pub(super) app: Vec<Node>,
    pub(super) clusters: BTreeMap<String, Vec<Node>>,
}

impl Split {
    pub(super) fn cluster(&mut self, cluster: &str, node: Node) {
        self.clusters
            .entry(cluster.to_owned())
            .or_default()
            .push(node);
    }

    pub(super) fn extend(&mut self, other: Split) {
        self.app.extend(other.app);
        for (cluster, nodes) in other.clusters {
            self.clusters.entry(cluster).or_default().extend(nodes);
        }
    }
}

/// The value most clusters have (the first cluster's among equals), and how many have it.
pub(super) fn most_common<T: PartialEq + Clone>(values: &[(String, T)]) -> Option<(T, usize)> {
    let mut best: Option<(T, usize)> = None;
    for (_, value) in values {
        let count = values.iter().filter(|(_, other)| other == value).count();
        if best.as_ref().is_none_or(|(_, most)| count > *most) {
            best = Some((value.clone(), count));
        }
    }
    best
}

/// One value per cluster as the spec says it: an app-wide value where the clusters agree (none
/// when it is `baseline`, what the spec gives anyway), and the clusters that differ.
pub(super) fn split_single<T: PartialEq + Clone>(
    values: &[(String, T)],
    baseline: Option<&T>,
) -> (Option<T>, Vec<(String, T)>) {
    let Some((common, _)) = most_common(values) else {
        return (None, Vec::new());
    };
    // The baseline wins a tie, so an equal split writes the fewest lines.
    let common = match baseline {
        Some(baseline)
            if values.iter().filter(|(_, v)| v == baseline).count()
                == values.iter().filter(|(_, v)| *v == common).count() =>
        {
            baseline.clone()
        }
        _ => common,
    };
    let others = values
        .iter()
        .filter(|(_, value)| *value != common)
        .cloned()
        .collect();
    let app = (baseline != Some(&common)).then_some(common);
    (app, others)
}

/// `version` lines for one chart or image: a default where clusters agree (when at least two
/// do, or there is one cluster), a line per cluster that differs.
pub(super) fn version_lines(values: &[(String, String)]) -> Vec<Node> {
    let Some((common, count)) = most_common(values) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let with_default = count > 1 || values.len() == 1;
    if with_default {
        lines.push(Node::with("version", common.clone()));
    }
    for (cluster, value) in values {
        if !with_default || *value != common {
            lines.push(Node::with("version", value.clone()).prop("cluster", cluster.clone()));
        }
    }
    lines
}

/// A Flux variable value as the spec writes it: fluxspec resolves `${...}` in `var` values, so
/// a literal `$` is written `$$`.
pub(super) fn escape_dollars(value: &str) -> String {
    value.replace('$', "$$")
}

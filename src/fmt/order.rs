//! The canonical order of child nodes in each block of a spec.
//!
//! Nodes are stably sorted by the position of their name in their block's list, so nodes with
//! the same name (the `app`s of a spec, the `version` lines of a chart) keep the order the user
//! gave them. The lists read top-down the way a spec is read: what a thing is and where it runs,
//! what it is made of, how Flux runs it, then per-cluster exceptions last.

use crate::parse::known_children;

/// Which block a node sits in: decides the order of its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    Top,
    Settings,
    Cluster,
    Component,
    App,
    AppCluster,
    Helm,
    Image,
    Remote,
    Defaults,
    DefaultsHelm,
    DefaultsSource,
    Namespace,
    /// Inside a node fluxspec has no children for (the spec would not compile).
    Other,
}

// Two blocks read in another order than the parser lists their children (its lists also order
// its help messages); the test below keeps both lists to the same names.

/// The settings in the order of an app's `helm`, `source` first as there.
const DEFAULTS_HELM: &[&str] = &[
    "source",
    "interval",
    "timeout",
    "install",
    "upgrade",
    "drift-detection",
    "max-history",
    "values-from",
    "suspend",
    "spec-field",
];
const APP: &[&str] = &[
    "layer",
    "namespace",
    "target-namespace",
    "clusters",
    "depends-on",
    "manifests",
    "helm",
    "image",
    "remote",
    "component",
    "var",
    "wait",
    "interval",
    "retry-interval",
    "timeout",
    "health-check",
    "health-check-expr",
    "inline-patch",
    "label",
    "deletion-policy",
    "force",
    "decryption",
    "substitute-from",
    "cluster",
];

impl Context {
    fn order(self) -> &'static [&'static str] {
        match self {
            // Where the parser's list is already in reading order, it is the order.
            Context::Top => known_children(None),
            Context::Settings => known_children(Some("settings")),
            Context::Cluster => known_children(Some("cluster")),
            Context::Component => known_children(Some("component")),
            Context::App => APP,
            Context::AppCluster => known_children(Some("app cluster")),
            Context::Helm => known_children(Some("helm")),
            Context::Image => known_children(Some("image")),
            Context::Remote => known_children(Some("remote")),
            Context::Defaults => known_children(Some("defaults")),
            Context::DefaultsHelm => DEFAULTS_HELM,
            Context::DefaultsSource => known_children(Some("defaults source")),
            Context::Namespace => known_children(Some("namespace")),
            Context::Other => &[],
        }
    }

    /// The context of the children of a node named `name` in this context.
    pub(super) fn child(self, name: &str) -> Context {
        match (self, name) {
            (Context::Top, "settings") => Context::Settings,
            (Context::Top, "cluster") => Context::Cluster,
            (Context::Top, "component") => Context::Component,
            (Context::Top, "app") => Context::App,
            (Context::App, "cluster") => Context::AppCluster,
            (Context::App, "helm") => Context::Helm,
            (Context::App, "image") => Context::Image,
            (Context::App, "remote") => Context::Remote,
            (Context::Top | Context::Cluster, "defaults") => Context::Defaults,
            (Context::Defaults, "helm") => Context::DefaultsHelm,
            (Context::DefaultsHelm, "source") => Context::DefaultsSource,
            (Context::Top | Context::Cluster, "namespace") => Context::Namespace,
            _ => Context::Other,
        }
    }

    /// Where a node named `name` goes in this block; unknown names go last.
    pub(super) fn rank(self, name: &str) -> usize {
        let order = self.order();
        order
            .iter()
            .position(|known| *known == name)
            .unwrap_or(order.len())
    }

    /// The properties, in order, of the nodes that have one canonical form because Renovate's
    /// patterns read them: `version "X" cluster="c"` and the `helm` and `image` lines that head
    /// them. `None` for every other node.
    pub(super) fn canonical_props(self, name: &str) -> Option<&'static [&'static str]> {
        match (self, name) {
            (Context::Helm | Context::Image | Context::Remote, "version") => Some(&["cluster"]),
            (Context::App, "remote") => Some(&[]),
            (Context::App, "helm") => Some(&["chart"]),
            (Context::App, "image") => Some(&["values-path"]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::Context;
    use crate::parse::known_children;

    /// The formatter must know every node the parser accepts, and no other: a node missing here
    /// would silently sink to the end of its block.
    #[test]
    fn orders_list_exactly_the_nodes_the_parser_accepts() {
        for (context, parent) in [
            (Context::Top, None),
            (Context::Settings, Some("settings")),
            (Context::Cluster, Some("cluster")),
            (Context::Component, Some("component")),
            (Context::App, Some("app")),
            (Context::AppCluster, Some("app cluster")),
            (Context::Helm, Some("helm")),
            (Context::Image, Some("image")),
            (Context::Remote, Some("remote")),
            (Context::Defaults, Some("defaults")),
            (Context::DefaultsHelm, Some("defaults helm")),
            (Context::DefaultsSource, Some("defaults source")),
            (Context::Namespace, Some("namespace")),
        ] {
            let ours: BTreeSet<&str> = context.order().iter().copied().collect();
            let parser: BTreeSet<&str> = known_children(parent).iter().copied().collect();
            assert_eq!(ours, parser, "{context:?}");
            assert_eq!(
                ours.len(),
                context.order().len(),
                "{context:?} has a duplicate"
            );
        }
    }

    #[test]
    fn children_contexts_follow_the_language() {
        assert_eq!(
            Context::Top.child("app").child("cluster"),
            Context::AppCluster
        );
        assert_eq!(Context::Top.child("cluster"), Context::Cluster);
        assert_eq!(Context::Top.child("app").child("image"), Context::Image);
        assert_eq!(Context::Top.child("helm"), Context::Other);
        assert_eq!(
            Context::Helm.canonical_props("version"),
            Some(&["cluster"][..])
        );
        assert_eq!(Context::App.canonical_props("helm"), Some(&["chart"][..]));
        assert_eq!(Context::App.canonical_props("version"), None);
        assert_eq!(Context::App.rank("layer"), 0);
        assert_eq!(Context::App.rank("no-such-node"), APP_LEN);
    }

    const APP_LEN: usize = super::APP.len();
}

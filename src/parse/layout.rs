//! `settings { layout { ... } }`: the order of cluster and layer under
//! `app-flux-kustomizations/`, and the names of the root Kustomizations and the cluster
//! ConfigMap. What the values mean is `resolve`'s.

use kdl::KdlNode;

use super::reader::{Props, Reader, children, name};
use super::syntax::LayoutSettings;

pub(super) const LAYOUT: &[&str] = &[
    "app-flux-kustomizations",
    "root-kustomization",
    "cluster-config",
];

pub(super) fn read_layout(reader: &mut Reader, node: &KdlNode) -> LayoutSettings {
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    let mut layout = LayoutSettings {
        span: reader.name_span(node),
        app_flux_kustomizations: None,
        root_kustomization: None,
        cluster_config: None,
    };
    for child in children(node) {
        let (slot, expected) = match name(child) {
            "app-flux-kustomizations" => (
                &mut layout.app_flux_kustomizations,
                "\"<cluster>/<layer>\" or \"<layer>/<cluster>\"",
            ),
            "root-kustomization" => (
                &mut layout.root_kustomization,
                "a name with {layer} and {cluster}, such as \"{layer}-{cluster}\"",
            ),
            "cluster-config" => (&mut layout.cluster_config, "a ConfigMap name"),
            _ => {
                reader.unknown_node(child, "layout", LAYOUT);
                continue;
            }
        };
        reader.shape(child, Some(1), &Props::Only(&[]), false);
        let value = reader.required_arg(child, 0, expected);
        reader.once(slot, value, child);
    }
    layout
}

//! The `namespace` node, spec-wide and in a `cluster` block: a Namespace fluxspec writes (with
//! its labels and annotations), or one it must not write (`create=#false`).

use kdl::KdlNode;

use super::knobs::read_var;
use super::reader::{Props, Reader, children, name};
use super::syntax::Namespace;

pub(super) const NAMESPACE: &[&str] = &["label", "annotation"];

pub(super) fn read_namespace(reader: &mut Reader, node: &KdlNode) -> Option<Namespace> {
    let node = &*reader.props_as_children(node, &[], NAMESPACE);
    reader.shape(node, Some(1), &Props::Only(&["create"]), true);
    let namespace_name = reader.required_arg(node, 0, "the namespace's name");
    let create = reader.bool_prop(node, "create");
    let mut labels = Vec::new();
    let mut annotations = Vec::new();
    for child in children(node) {
        match name(child) {
            "label" => labels.extend(read_var(reader, child)),
            "annotation" => annotations.extend(read_var(reader, child)),
            _ => reader.unknown_node(child, "namespace", NAMESPACE),
        }
    }
    Some(Namespace {
        name: namespace_name?,
        create,
        labels,
        annotations,
    })
}

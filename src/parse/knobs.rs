//! The pieces several nodes share: `var`, the timings, the Flux Kustomization knobs (`wait`,
//! health checks, inline patches, labels, deletion policy, force, decryption, extra
//! substitution sources) and patch targets.

use kdl::KdlNode;

use super::reader::{Props, Reader, children, name};
use super::syntax::{
    Decryption, HealthCheck, HealthCheckExpr, InlinePatch, Knobs, Spanned, SubstituteFrom, Target,
    Timings, Var,
};

// No `namespace`: objects have none when overlay patches run (Flux sets `targetNamespace`
// afterwards), so a namespace selector would silently match nothing.
pub(crate) const TARGET_PROPS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "label-selector",
    "annotation-selector",
];

/// Reads `interval`, `retry-interval` and `timeout`; returns false for any other node.
pub(super) fn read_timing(reader: &mut Reader, node: &KdlNode, timings: &mut Timings) -> bool {
    let slot = match name(node) {
        "interval" => &mut timings.interval,
        "retry-interval" => &mut timings.retry_interval,
        "timeout" => &mut timings.timeout,
        _ => return false,
    };
    reader.shape(node, Some(1), &Props::Only(&[]), false);
    let value = reader.required_arg(node, 0, "a duration such as \"5m\"");
    reader.once(slot, value, node);
    true
}

pub(super) fn read_var(reader: &mut Reader, node: &KdlNode) -> Option<Var> {
    reader.shape(node, Some(2), &Props::Only(&[]), false);
    let name = reader.required_arg(node, 0, "a name");
    let value = reader.required_arg(node, 1, "a value");
    Some(Var {
        name: name?,
        value: value?,
    })
}

pub(super) fn read_target(reader: &mut Reader, node: &KdlNode) -> Target {
    Target {
        group: reader.prop(node, "group"),
        version: reader.prop(node, "version"),
        kind: reader.prop(node, "kind"),
        name: reader.prop(node, "name"),
        label_selector: reader.prop(node, "label-selector"),
        annotation_selector: reader.prop(node, "annotation-selector"),
    }
}

/// Reads a Flux Kustomization knob into `knobs`; returns false for any other node.
pub(super) fn read_knob(reader: &mut Reader, node: &KdlNode, knobs: &mut Knobs) -> bool {
    if read_timing(reader, node, &mut knobs.timings) {
        return true;
    }
    match name(node) {
        "wait" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.bool_arg(node);
            reader.once(&mut knobs.wait, value, node);
        }
        "health-check" => {
            reader.shape(
                node,
                Some(0),
                &Props::Only(&["api-version", "kind", "name", "namespace"]),
                false,
            );
            let kind = reader.required_prop(node, "kind");
            let check_name = reader.required_prop(node, "name");
            if let (Some(kind), Some(name)) = (kind, check_name) {
                knobs.health_checks.push(HealthCheck {
                    api_version: reader.prop(node, "api-version"),
                    kind,
                    name,
                    namespace: reader.prop(node, "namespace"),
                });
            }
        }
        "health-check-expr" => {
            reader.shape(
                node,
                Some(0),
                &Props::Only(&["api-version", "kind", "current", "failed", "in-progress"]),
                false,
            );
            let api_version = reader.required_prop(node, "api-version");
            let kind = reader.required_prop(node, "kind");
            let current = reader.required_prop(node, "current");
            if let (Some(api_version), Some(kind), Some(current)) = (api_version, kind, current) {
                knobs.health_check_exprs.push(HealthCheckExpr {
                    api_version,
                    kind,
                    current,
                    failed: reader.prop(node, "failed"),
                    in_progress: reader.prop(node, "in-progress"),
                });
            }
        }
        "inline-patch" => {
            reader.shape(node, Some(1), &Props::Only(TARGET_PROPS), false);
            let patch = reader.required_arg(node, 0, "the patch as a YAML string");
            let target = read_target(reader, node);
            knobs
                .inline_patches
                .extend(patch.map(|patch| InlinePatch { patch, target }));
        }
        "label" => knobs.labels.extend(read_var(reader, node)),
        "deletion-policy" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.required_arg(
                node,
                0,
                "\"MirrorPrune\", \"Delete\", \"WaitForTermination\" or \"Orphan\"",
            );
            reader.once(&mut knobs.deletion_policy, value, node);
        }
        "force" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.bool_arg(node);
            reader.once(&mut knobs.force, value, node);
        }
        "decryption" => {
            reader.shape(node, Some(1), &Props::Only(&["secret"]), false);
            let provider = reader.required_arg(node, 0, "the provider, \"sops\"");
            let secret = reader.prop(node, "secret");
            let span = reader.name_span(node);
            let value = provider.map(|provider| Spanned {
                value: Decryption { provider, secret },
                span,
            });
            reader.once(&mut knobs.decryption, value, node);
        }
        "substitute-from" => knobs
            .substitute_from
            .extend(read_substitute_from(reader, node)),
        _ => return false,
    }
    true
}

/// `substitute-from "Secret" "name" optional=#true { var "NAME" }`.
fn read_substitute_from(reader: &mut Reader, node: &KdlNode) -> Option<SubstituteFrom> {
    reader.shape(node, Some(2), &Props::Only(&["optional"]), true);
    let kind = reader.required_arg(node, 0, "\"Secret\" or \"ConfigMap\"");
    let source_name = reader.required_arg(node, 1, "the object's name");
    let optional = reader.bool_prop(node, "optional");
    let mut vars = Vec::new();
    for child in children(node) {
        if name(child) == "var" {
            reader.shape(child, None, &Props::Only(&[]), false);
            vars.extend(reader.string_args(child, "the names of the variables it provides"));
        } else {
            reader.unknown_node(child, "substitute-from", &["var"]);
        }
    }
    Some(SubstituteFrom {
        kind: kind?,
        name: source_name?,
        optional,
        vars,
    })
}

//! The `defaults` block: at the top level (spec-wide, or for one layer with `layer=`) and in a
//! `cluster`. It holds the knobs of an app's Flux Kustomization and a `helm` block of HelmRelease
//! settings and `source` settings, read by the same readers as an app's, so one vocabulary
//! serves both. What a default means, and its precedence, is `resolve`'s.

use kdl::KdlNode;

use super::Error;
use super::helm::{read_setting, read_single};
use super::knobs::read_knob;
use super::reader::{Props, Reader, children, name};
use super::syntax::{Defaults, SourceSettings};
use crate::suggest::did_you_mean;
use crate::text::comma_list;

pub(super) const DEFAULTS: &[&str] = &[
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
    "helm",
];
/// A `defaults` block's `helm`: the HelmRelease settings, and the `source` settings every kind
/// of chart source has.
pub(super) const DEFAULTS_HELM: &[&str] = &[
    "interval",
    "timeout",
    "install",
    "upgrade",
    "drift-detection",
    "max-history",
    "values-from",
    "suspend",
    "spec-field",
    "source",
];
pub(super) const DEFAULTS_SOURCE: &[&str] = &["interval", "secret-ref", "provider"];

/// Reads a `defaults` node; `layer=` is allowed at the top level only.
pub(super) fn read_defaults(reader: &mut Reader, node: &KdlNode, top_level: bool) -> Defaults {
    let props: &[&str] = if top_level { &["layer"] } else { &[] };
    reader.shape(node, Some(0), &Props::Only(props), true);
    let mut defaults = Defaults {
        span: reader.name_span(node),
        layer: reader.prop(node, "layer"),
        knobs: super::syntax::Knobs::default(),
        helm: super::syntax::HelmSettings::default(),
        source: SourceSettings::default(),
    };
    let mut helm_seen = None;
    for child in children(node) {
        if read_knob(reader, child, &mut defaults.knobs) {
            continue;
        }
        if name(child) == "helm" {
            if let Some(first) = helm_seen {
                reader.duplicate_node(child, first);
            }
            helm_seen = Some(reader.name_span(child));
            read_defaults_helm(reader, child, &mut defaults);
        } else {
            unknown_default(reader, child, "defaults", DEFAULTS);
        }
    }
    defaults
}

fn read_defaults_helm(reader: &mut Reader, node: &KdlNode, defaults: &mut Defaults) {
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    for child in children(node) {
        if read_setting(reader, child, &mut defaults.helm) {
            continue;
        }
        if name(child) == "source" {
            reader.shape(child, Some(0), &Props::Only(&[]), true);
            for setting in children(child) {
                let source = &mut defaults.source;
                match name(setting) {
                    "interval" => read_single(
                        reader,
                        setting,
                        &mut source.interval,
                        "a duration such as \"1h\"",
                    ),
                    "secret-ref" => {
                        read_single(reader, setting, &mut source.secret_ref, "a Secret's name");
                    }
                    "provider" => read_single(
                        reader,
                        setting,
                        &mut source.provider,
                        "\"generic\", \"aws\", \"azure\" or \"gcp\"",
                    ),
                    _ => unknown_default(reader, setting, "source", DEFAULTS_SOURCE),
                }
            }
        } else {
            unknown_default(reader, child, "helm", DEFAULTS_HELM);
        }
    }
}

/// A node a `defaults` block has no knob for.
fn unknown_default(reader: &mut Reader, node: &KdlNode, parent: &str, allowed: &[&str]) {
    let node_name = name(node);
    reader.errors.push(Error::UnknownDefault {
        name: crate::suggest::shown(node_name),
        parent: parent.to_owned(),
        span: reader.name_span(node),
        help: did_you_mean(node_name, allowed.iter().copied()).unwrap_or_else(|| {
            format!(
                "a default is a knob an app takes; `{parent}` in `defaults` accepts {}",
                comma_list(allowed)
            )
        }),
    });
}

#[cfg(test)]
mod tests {
    use super::DEFAULTS_HELM;
    use crate::parse::helm::HELM_SETTINGS;

    /// A `defaults` block's `helm` takes every setting a cluster block's `helm` takes.
    #[test]
    fn defaults_helm_takes_every_cluster_helm_setting() {
        for setting in HELM_SETTINGS {
            assert!(DEFAULTS_HELM.contains(setting), "{setting}");
        }
    }
}

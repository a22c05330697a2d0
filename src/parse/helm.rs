//! The `helm` node of an app (its chart, versions, values, HelmRelease settings and `source`
//! settings) and the settings-only `helm` block of an app's cluster block.

use kdl::KdlNode;

use super::reader::{Props, Reader, children, name};
use super::syntax::{
    Helm, HelmSettings, LayerSelector, OidcIdentity, ReleaseDependency, Remediation,
    SourceSettings, Spanned, SpecField, ValuesFile, ValuesFrom, Verify, Version,
};

/// What an app's cluster block's `helm { ... }` accepts: the settings that may differ per
/// cluster.
pub(super) const HELM_SETTINGS: &[&str] = &[
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
pub(super) const HELM: &[&str] = &[
    "version",
    "values",
    "release-name",
    "depends-on",
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
const INSTALL: &[&str] = &["retries", "remediate-last-failure"];
const UPGRADE: &[&str] = &["retries", "remediate-last-failure", "strategy"];
const SOURCE: &[&str] = &[
    "interval",
    "secret-ref",
    "provider",
    "type",
    "layer-selector",
    "verify",
];
const VERIFY: &[&str] = &["match-oidc-identity"];

pub(super) fn read_versions(reader: &mut Reader, node: &KdlNode, versions: &mut Vec<Version>) {
    reader.shape(node, Some(1), &Props::Only(&["cluster"]), false);
    let value = reader.required_arg(node, 0, "a version");
    let cluster = reader.prop(node, "cluster");
    versions.extend(value.map(|value| Version { value, cluster }));
}

/// One string argument, given once.
pub(super) fn read_single(
    reader: &mut Reader,
    node: &KdlNode,
    slot: &mut Option<Spanned<String>>,
    what: &'static str,
) {
    reader.shape(node, Some(1), &Props::Only(&[]), false);
    let value = reader.required_arg(node, 0, what);
    reader.once(slot, value, node);
}

pub(super) fn read_helm(reader: &mut Reader, node: &KdlNode) -> Option<Helm> {
    let node = &*reader.props_as_children(node, &["chart"], HELM);
    reader.shape(node, Some(1), &Props::Only(&["chart"]), true);
    let url = reader.required_arg(node, 0, "the chart's URL (oci:// or https://)");
    let chart = reader.prop(node, "chart");
    let mut versions = Vec::new();
    let mut values = Vec::new();
    let mut release_name = None;
    let mut depends_on = Vec::new();
    let mut settings = HelmSettings::default();
    let mut source = None;
    for child in children(node) {
        if read_setting(reader, child, &mut settings) {
            continue;
        }
        match name(child) {
            "version" => read_versions(reader, child, &mut versions),
            "values" => {
                reader.shape(child, Some(1), &Props::Only(&["cluster"]), false);
                let path = reader.required_arg(child, 0, "a values file");
                let cluster = reader.prop(child, "cluster");
                values.extend(path.map(|path| ValuesFile { path, cluster }));
            }
            "release-name" => {
                read_single(reader, child, &mut release_name, "the Helm release's name");
            }
            "depends-on" => {
                reader.shape(child, Some(1), &Props::Only(&["namespace"]), false);
                let app = reader.required_arg(child, 0, "the name of an app with a `helm` block");
                let namespace = reader.prop(child, "namespace");
                depends_on.extend(app.map(|app| ReleaseDependency { app, namespace }));
            }
            "source" => {
                let read = read_source(reader, child);
                if let Some((first, _)) = &source {
                    reader.duplicate_node(child, *first);
                } else {
                    source = Some((reader.name_span(child), read));
                }
            }
            _ => reader.unknown_node(child, "helm", HELM),
        }
    }
    Some(Helm {
        span: reader.name_span(node),
        url: url?,
        chart,
        versions,
        values,
        release_name,
        depends_on,
        settings,
        source: source.map(|(_, source)| source).unwrap_or_default(),
    })
}

/// The cluster block's `helm { ... }`: settings only, no chart.
pub(super) fn read_cluster_helm(reader: &mut Reader, node: &KdlNode) -> HelmSettings {
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    let mut settings = HelmSettings::default();
    for child in children(node) {
        if !read_setting(reader, child, &mut settings) {
            reader.unknown_node(child, "helm", HELM_SETTINGS);
        }
    }
    settings
}

/// Reads a HelmRelease setting into `settings`; returns false for any other node.
pub(super) fn read_setting(
    reader: &mut Reader,
    node: &KdlNode,
    settings: &mut HelmSettings,
) -> bool {
    match name(node) {
        "interval" => read_single(
            reader,
            node,
            &mut settings.interval,
            "a duration such as \"5m\"",
        ),
        "timeout" => read_single(
            reader,
            node,
            &mut settings.timeout,
            "a duration such as \"5m\"",
        ),
        "drift-detection" => read_single(
            reader,
            node,
            &mut settings.drift_detection,
            "\"enabled\", \"warn\" or \"disabled\"",
        ),
        "install" | "upgrade" => {
            let upgrade = name(node) == "upgrade";
            let remediation =
                read_remediation(reader, node, if upgrade { UPGRADE } else { INSTALL });
            let slot = if upgrade {
                &mut settings.upgrade
            } else {
                &mut settings.install
            };
            if let Some(first) = slot {
                reader.duplicate_node(node, first.span);
            } else {
                *slot = Some(remediation);
            }
        }
        "max-history" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.int_arg(node);
            reader.once(&mut settings.max_history, value, node);
        }
        "suspend" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.bool_arg(node);
            reader.once(&mut settings.suspend, value, node);
        }
        "values-from" => {
            reader.shape(
                node,
                Some(2),
                &Props::Only(&["key", "target-path", "optional"]),
                false,
            );
            let kind = reader.required_arg(node, 0, "\"ConfigMap\" or \"Secret\"");
            let object = reader.required_arg(node, 1, "the object's name");
            let key = reader.prop(node, "key");
            let target_path = reader.prop(node, "target-path");
            let optional = reader.bool_prop(node, "optional");
            if let (Some(kind), Some(object)) = (kind, object) {
                settings.values_from.push(ValuesFrom {
                    kind,
                    name: object,
                    key,
                    target_path,
                    optional,
                });
            }
        }
        "spec-field" => {
            reader.shape(node, Some(2), &Props::Only(&[]), false);
            let field = reader.required_arg(node, 0, "a HelmRelease spec field's name");
            let value = reader.required_arg(node, 1, "the field's value as YAML or JSON");
            if let (Some(field), Some(value)) = (field, value) {
                settings.spec_fields.push(SpecField { name: field, value });
            }
        }
        _ => return false,
    }
    true
}

fn read_remediation(reader: &mut Reader, node: &KdlNode, allowed: &[&str]) -> Remediation {
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    let parent = name(node).to_owned();
    let mut remediation = Remediation {
        span: reader.name_span(node),
        retries: None,
        remediate_last_failure: None,
        strategy: None,
    };
    for child in children(node) {
        match name(child) {
            "retries" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.int_arg(child);
                reader.once(&mut remediation.retries, value, child);
            }
            "remediate-last-failure" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.bool_arg(child);
                reader.once(&mut remediation.remediate_last_failure, value, child);
            }
            "strategy" if allowed.contains(&"strategy") => read_single(
                reader,
                child,
                &mut remediation.strategy,
                "\"rollback\" or \"uninstall\"",
            ),
            _ => reader.unknown_node(child, &parent, allowed),
        }
    }
    remediation
}

fn read_source(reader: &mut Reader, node: &KdlNode) -> SourceSettings {
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    let mut source = SourceSettings::default();
    for child in children(node) {
        match name(child) {
            "interval" => read_single(
                reader,
                child,
                &mut source.interval,
                "a duration such as \"1h\"",
            ),
            "secret-ref" => read_single(reader, child, &mut source.secret_ref, "a Secret's name"),
            "provider" => read_single(
                reader,
                child,
                &mut source.provider,
                "\"generic\", \"aws\", \"azure\" or \"gcp\"",
            ),
            "type" => read_single(
                reader,
                child,
                &mut source.repository_type,
                "\"default\" or \"oci\"",
            ),
            "layer-selector" => {
                reader.shape(
                    child,
                    Some(0),
                    &Props::Only(&["media-type", "operation"]),
                    false,
                );
                let selector = LayerSelector {
                    span: reader.name_span(child),
                    media_type: reader.prop(child, "media-type"),
                    operation: reader.prop(child, "operation"),
                };
                if let Some(first) = &source.layer_selector {
                    reader.duplicate_node(child, first.span);
                } else {
                    source.layer_selector = Some(selector);
                }
            }
            "verify" => {
                let verify = read_verify(reader, child);
                if let Some(first) = &source.verify {
                    reader.duplicate_node(child, first.span);
                } else {
                    source.verify = Some(verify);
                }
            }
            _ => reader.unknown_node(child, "source", SOURCE),
        }
    }
    source
}

fn read_verify(reader: &mut Reader, node: &KdlNode) -> Verify {
    reader.shape(
        node,
        Some(0),
        &Props::Only(&["provider", "secret-ref"]),
        true,
    );
    let mut identities = Vec::new();
    for child in children(node) {
        if name(child) == "match-oidc-identity" {
            reader.shape(child, Some(0), &Props::Only(&["issuer", "subject"]), false);
            let issuer = reader.required_prop(child, "issuer");
            let subject = reader.required_prop(child, "subject");
            if let (Some(issuer), Some(subject)) = (issuer, subject) {
                identities.push(OidcIdentity { issuer, subject });
            }
        } else {
            reader.unknown_node(child, "verify", VERIFY);
        }
    }
    Verify {
        span: reader.name_span(node),
        provider: reader.prop(node, "provider"),
        secret_ref: reader.prop(node, "secret-ref"),
        identities,
    }
}

//! Versions a patch of the spec overrides: a cluster block's `patch` file or an `inline-patch`
//! that sets the chart version the spec pins (an OCI chart's `OCIRepository` `ref.tag` or
//! `ref.semver`, a Helm repository chart's `HelmRelease` `spec.chart.spec.version`). Patches come
//! after fluxspec's own in the overlay, so Flux applies the patch's version: a warning with both
//! places, and the model keeps the patched version for `versions`.
//!
//! Image tags need no such check: kustomize runs its images transformer (the Flux
//! Kustomization's `images`) after every patch of the same kustomization, so a patch's tag for an
//! image the spec pins is replaced by the spec's.

use std::collections::BTreeMap;

use miette::SourceSpan;
use serde_json::Value;

use crate::model::{ChartVersion, Target};
use crate::parse::syntax;

use super::manifests::parse_documents;
use super::{Resolver, Warning};

/// A patch as the spec names it: its text, the span naming it, and where it is for messages.
pub(super) struct PatchText {
    /// `path` of a patch file, or `inline-patch` for one in the spec.
    pub(super) location: String,
    pub(super) text: String,
    pub(super) span: SourceSpan,
    pub(super) target: Option<Target>,
}

/// One override found, before it is reported once for every cluster it affects.
pub(super) struct Override {
    field: &'static str,
    patched: String,
    pinned: String,
    location: String,
    version_span: SourceSpan,
    patch_span: SourceSpan,
    cluster: String,
}

/// A field that holds a chart's version: the kind of object, the JSON pointer, and its name in
/// messages.
struct VersionField {
    kind: &'static str,
    pointer: &'static str,
    shown: &'static str,
}

const OCI_FIELDS: [VersionField; 2] = [
    VersionField {
        kind: "OCIRepository",
        pointer: "/spec/ref/tag",
        shown: "the OCIRepository's `ref.tag`",
    },
    VersionField {
        kind: "OCIRepository",
        pointer: "/spec/ref/semver",
        shown: "the OCIRepository's `ref.semver`",
    },
];
const REPOSITORY_FIELDS: [VersionField; 1] = [VersionField {
    kind: "HelmRelease",
    pointer: "/spec/chart/spec/version",
    shown: "the HelmRelease's `spec.chart.spec.version`",
}];

impl Resolver {
    /// Finds the patches on `cluster` that set the app's chart version, marks the version as
    /// patched and returns each override for [`Self::report_overrides`].
    pub(super) fn chart_overrides(
        app: &syntax::App,
        cluster: &str,
        version: &mut ChartVersion,
        patches: &[PatchText],
    ) -> Vec<Override> {
        let Some(helm) = &app.helm else {
            return Vec::new();
        };
        let Some(line) = pinned_line(&helm.versions, cluster) else {
            return Vec::new();
        };
        let fields: &[VersionField] = if helm.url.value.starts_with("oci://") {
            &OCI_FIELDS
        } else {
            &REPOSITORY_FIELDS
        };
        let mut found = Vec::new();
        for patch in patches {
            for (field, patched) in patched_versions(patch, &app.name.value, fields) {
                version.patched = Some(patched.clone());
                let location = match line_of(&patch.text, &patched) {
                    Some(line) if patch.location != "inline-patch" => {
                        format!("{}:{line}", patch.location)
                    }
                    _ => patch.location.clone(),
                };
                found.push(Override {
                    field,
                    patched,
                    pinned: line.value.value.clone(),
                    location,
                    version_span: line.value.span,
                    patch_span: patch.span,
                    cluster: cluster.to_owned(),
                });
            }
        }
        found
    }

    /// Warns once per (version line, patch, value), naming every cluster it affects.
    pub(super) fn report_overrides(&mut self, app: &str, overrides: Vec<Override>) {
        let mut grouped: BTreeMap<(usize, usize, String), (Override, Vec<String>)> =
            BTreeMap::new();
        for found in overrides {
            let key = (
                found.version_span.offset(),
                found.patch_span.offset(),
                found.patched.clone(),
            );
            let cluster = found.cluster.clone();
            grouped
                .entry(key)
                .or_insert_with(|| (found, Vec::new()))
                .1
                .push(cluster);
        }
        for (found, clusters) in grouped.into_values() {
            self.warnings.push(Warning::VersionOverriddenByPatch {
                app: app.to_owned(),
                field: found.field,
                clusters: clusters
                    .iter()
                    .map(|cluster| format!("`{cluster}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                patched: found.patched,
                pinned: found.pinned,
                location: found.location,
                version: found.version_span,
                patch: found.patch_span,
            });
        }
    }
}

/// The `version` line that gives `cluster` its version: its own, else the default.
fn pinned_line<'a>(versions: &'a [syntax::Version], cluster: &str) -> Option<&'a syntax::Version> {
    versions
        .iter()
        .find(|line| {
            line.cluster
                .as_ref()
                .is_some_and(|name| name.as_str() == cluster)
        })
        .or_else(|| versions.iter().find(|line| line.cluster.is_none()))
}

/// The versions `patch` sets in the fields of `fields` on the app's object (named `app`):
/// strategic merge documents by their kind and name (or the target's), JSON 6902 operations
/// (`add`, `replace`) by the target's.
fn patched_versions(
    patch: &PatchText,
    app: &str,
    fields: &[VersionField],
) -> Vec<(&'static str, String)> {
    let Ok(documents) = parse_documents(&patch.text) else {
        return Vec::new();
    };
    let target = patch.target.as_ref();
    let selects = |kind: Option<&str>, name: Option<&str>, field: &VersionField| {
        let kind = kind.or_else(|| target.and_then(|target| target.kind.as_deref()));
        let name = name.or_else(|| target.and_then(|target| target.name.as_deref()));
        kind == Some(field.kind) && name.is_none_or(|name| name == app)
    };
    let mut found = Vec::new();
    for document in &documents {
        for field in fields {
            match document {
                Value::Array(operations) if selects(None, None, field) => {
                    for operation in operations {
                        let op = operation.get("op").and_then(Value::as_str);
                        let pointer = operation.get("path").and_then(Value::as_str);
                        if matches!(op, Some("add" | "replace"))
                            && pointer == Some(field.pointer)
                            && let Some(value) = operation.get("value").and_then(Value::as_str)
                        {
                            found.push((field.shown, value.to_owned()));
                        }
                    }
                }
                Value::Object(_) => {
                    let kind = document.get("kind").and_then(Value::as_str);
                    let name = document.pointer("/metadata/name").and_then(Value::as_str);
                    if selects(kind, name, field)
                        && let Some(value) = document.pointer(field.pointer).and_then(Value::as_str)
                    {
                        found.push((field.shown, value.to_owned()));
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// The first line (from 1) of `text` whose value after a `:` is `value`, quoted or not.
fn line_of(text: &str, value: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.split_once(':').is_some_and(|(_, rest)| {
                let rest = rest.trim();
                rest == value || rest.trim_matches(['"', '\'']) == value
            })
        })
        .map(|index| index + 1)
}

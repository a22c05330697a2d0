//! The Flux Kustomization knobs an app and its cluster blocks set (`wait`, timings, health
//! checks, inline patches, labels), checked for what Kubernetes and Flux would reject, and the
//! patch targets they and patch files name.

use crate::model::{FluxKnobs, HealthCheck, HealthCheckExpr, InlinePatch, Target};
use crate::parse::syntax::{self, Spanned};
use crate::substitute;

use super::manifests;
use super::{Error, Resolver, rules};

impl Resolver {
    pub(super) fn knobs(&mut self, knobs: &syntax::Knobs, namespace: &str, flux: &mut FluxKnobs) {
        if let Some(wait) = &knobs.wait {
            flux.wait = wait.value;
        }
        flux.timings = self.timings(&knobs.timings, &flux.timings);
        for check in &knobs.health_checks {
            self.health_check_names(
                check.api_version.as_ref(),
                &check.kind,
                Some(&check.name),
                check.namespace.as_ref(),
            );
            flux.health_checks.push(HealthCheck {
                api_version: check.api_version.as_ref().map(|value| value.value.clone()),
                kind: check.kind.value.clone(),
                name: check.name.value.clone(),
                namespace: check
                    .namespace
                    .as_ref()
                    .map_or_else(|| namespace.to_owned(), |value| value.value.clone()),
            });
        }
        for expr in &knobs.health_check_exprs {
            self.health_check_names(Some(&expr.api_version), &expr.kind, None, None);
            flux.health_check_exprs.push(HealthCheckExpr {
                api_version: expr.api_version.value.clone(),
                kind: expr.kind.value.clone(),
                current: expr.current.value.clone(),
                failed: expr.failed.as_ref().map(|value| value.value.clone()),
                in_progress: expr.in_progress.as_ref().map(|value| value.value.clone()),
            });
        }
        for patch in &knobs.inline_patches {
            self.inline_patch(&patch.patch);
            flux.inline_patches.push(InlinePatch {
                patch: patch.patch.value.clone(),
                target: target(&patch.target),
            });
        }
        self.labels(&knobs.labels);
        flux.labels.extend(
            knobs
                .labels
                .iter()
                .map(|label| (label.name.value.clone(), label.value.value.clone())),
        );
        self.kustomization_knobs(knobs, flux);
    }

    /// Checks `label KEY VALUE` lines: each key once, keys and values as Kubernetes takes them.
    pub(super) fn labels(&mut self, labels: &[syntax::Var]) {
        self.unique("label", labels.iter().map(|label| &label.name));
        for label in labels {
            self.label_key("label key", &label.name);
            if !rules::is_label_value(&label.value.value) {
                self.invalid_name(
                    "label value",
                    &label.value,
                    "a label value is empty or at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
                );
            }
        }
    }

    /// Checks a label or annotation key (`what`): both have the same syntax.
    pub(super) fn label_key(&mut self, what: &'static str, key: &Spanned<String>) {
        if !rules::is_label_key(&key.value) {
            self.invalid_name(
                what,
                key,
                "a label key is `name` or `prefix/name`: the name at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit; the prefix a DNS subdomain",
            );
        }
    }

    /// The names in a health check Kubernetes would reject.
    fn health_check_names(
        &mut self,
        api_version: Option<&Spanned<String>>,
        kind: &Spanned<String>,
        name: Option<&Spanned<String>>,
        namespace: Option<&Spanned<String>>,
    ) {
        if let Some(api_version) = api_version
            && !rules::is_api_version(&api_version.value)
        {
            self.invalid_name(
                "API version",
                api_version,
                "an API version is `v1` or `<group>/<version>`, such as `apps/v1`",
            );
        }
        if !rules::is_kind(&kind.value) {
            self.invalid_name(
                "kind",
                kind,
                "a kind is letters and digits, such as `Deployment`",
            );
        }
        if let Some(name) = name
            && !rules::is_object_name(&name.value)
        {
            self.invalid_name(
                "object name",
                name,
                "a Kubernetes object name is at most 253 characters, without `/` or `%`",
            );
        }
        if let Some(namespace) = namespace {
            self.dns_label("namespace", namespace);
        }
    }

    /// An inline patch must be one YAML document, and Flux does not substitute it.
    fn inline_patch(&mut self, patch: &Spanned<String>) {
        match manifests::parse_documents(&patch.value) {
            Ok(documents) if documents.len() != 1 => {
                self.errors.push(Error::InvalidInlinePatch {
                    reason: format!("it holds {} documents", documents.len()),
                    span: patch.span,
                });
            }
            Ok(_) => {}
            Err(reason) => self.errors.push(Error::InvalidInlinePatch {
                reason,
                span: patch.span,
            }),
        }
        if let Ok(references) = substitute::references(&patch.value)
            && let Some(first) = references.first()
        {
            self.errors.push(Error::InlinePatchVariable {
                reference: format!("${{{}}}", first.name),
                span: patch.span,
            });
        }
    }
}

/// The model's target of a patch; `None` when the spec gives no criterion.
pub(super) fn target(target: &syntax::Target) -> Option<Target> {
    let text = |value: &Option<Spanned<String>>| value.as_ref().map(|value| value.value.clone());
    let target = Target {
        group: text(&target.group),
        version: text(&target.version),
        kind: text(&target.kind),
        name: text(&target.name),
        label_selector: text(&target.label_selector),
        annotation_selector: text(&target.annotation_selector),
    };
    (target != Target::default()).then_some(target)
}

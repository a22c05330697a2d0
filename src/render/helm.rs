//! The Flux objects of a chart, filled from the model: the HelmRelease's settings, and its
//! source, an OCIRepository or a HelmRepository (an app's own or a shared one).

use super::SOURCE;
use super::objects::{
    DriftDetection, HelmReleaseSpec, HelmRepositorySpec, LayerSelector, Metadata, NameRef, Object,
    OciRef, OciRepositorySpec, OidcIdentity, ReleaseAction, ReleaseDependency, Remediation,
    ValuesReference, Verify,
};
use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{self, ChartVersion, OciSettings, ReleaseSettings, RepositorySettings};

/// A HelmRelease spec with `settings` and nothing else (no chart, no values). A typed `install`,
/// `upgrade` or `driftDetection` is written into the `spec-field` of its name when there is one
/// (resolve dropped the typed keys a stronger `spec-field` sets), rather than as a second key.
pub(super) fn release_spec(settings: &ReleaseSettings) -> HelmReleaseSpec {
    let mut extra = settings.extra.clone();
    let action = |remediation: &model::Remediation| {
        (*remediation != model::Remediation::default()).then(|| ReleaseAction {
            remediation: Remediation {
                remediate_last_failure: remediation.remediate_last_failure,
                retries: remediation.retries,
                strategy: remediation.strategy.clone(),
            },
        })
    };
    HelmReleaseSpec {
        depends_on: settings
            .depends_on
            .iter()
            .map(|dependency| ReleaseDependency {
                name: dependency.name.clone(),
                namespace: dependency.namespace.clone(),
            })
            .collect(),
        drift_detection: into_extra(
            &mut extra,
            "driftDetection",
            settings
                .drift_detection
                .as_ref()
                .map(|mode| DriftDetection { mode: mode.clone() }),
        ),
        install: into_extra(&mut extra, "install", action(&settings.install)),
        interval: Some(settings.interval.clone()),
        max_history: settings.max_history,
        release_name: settings.release_name.clone(),
        suspend: settings.suspend,
        timeout: settings.timeout.clone(),
        upgrade: into_extra(&mut extra, "upgrade", action(&settings.upgrade)),
        values_from: settings
            .values_from
            .iter()
            .map(|values| ValuesReference {
                kind: values.kind.clone(),
                name: values.name.clone(),
                optional: values.optional,
                target_path: values.target_path.clone(),
                values_key: values.key.clone(),
            })
            .collect(),
        extra,
        ..HelmReleaseSpec::default()
    }
}

/// `typed`, or `None` once merged into the `spec-field` `name` of `extra` if there is one (the
/// typed keys over the field's).
fn into_extra<T: Serialize>(
    extra: &mut BTreeMap<String, serde_json::Value>,
    name: &str,
    typed: Option<T>,
) -> Option<T> {
    let (Some(typed), Some(field)) = (&typed, extra.get_mut(name)) else {
        return typed;
    };
    // These structs of strings, numbers and booleans always serialise.
    merge(
        field,
        serde_json::to_value(typed).expect("typed settings serialise"),
    );
    None
}

/// Writes `over` into `base`: objects key by key, anything else replaced.
fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

fn secret(name: Option<&String>) -> Option<NameRef> {
    name.map(|name| NameRef { name: name.clone() })
}

/// The OCIRepository `name` at `tag`.
pub(super) fn oci_repository(
    name: &str,
    url: &str,
    version: &ChartVersion,
    settings: &OciSettings,
) -> Object<OciRepositorySpec> {
    Object {
        api_version: SOURCE,
        kind: "OCIRepository",
        metadata: Metadata {
            name: name.to_owned(),
            ..Metadata::default()
        },
        spec: Some(OciRepositorySpec {
            interval: settings.interval.clone(),
            layer_selector: LayerSelector {
                media_type: settings.media_type.clone(),
                operation: settings.operation.clone(),
            },
            provider: settings.provider.clone(),
            // A range is resolved by source-controller (`ref.semver`); a version is pinned.
            reference: if version.is_range {
                OciRef {
                    semver: Some(version.text.clone()),
                    tag: None,
                }
            } else {
                OciRef {
                    semver: None,
                    tag: Some(version.text.clone()),
                }
            },
            secret_ref: secret(settings.secret_ref.as_ref()),
            url: url.to_owned(),
            verify: settings.verify.as_ref().map(|verify| Verify {
                match_oidc_identity: verify
                    .identities
                    .iter()
                    .map(|(issuer, subject)| OidcIdentity {
                        issuer: issuer.clone(),
                        subject: subject.clone(),
                    })
                    .collect(),
                provider: verify.provider.clone(),
                secret_ref: secret(verify.secret_ref.as_ref()),
            }),
        }),
    }
}

/// The HelmRepository `name` (in `namespace`, or the one kustomize and Flux give it).
pub(super) fn helm_repository(
    name: &str,
    namespace: Option<&str>,
    url: &str,
    settings: &RepositorySettings,
) -> Object<HelmRepositorySpec> {
    Object {
        api_version: SOURCE,
        kind: "HelmRepository",
        metadata: Metadata {
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            ..Metadata::default()
        },
        spec: Some(HelmRepositorySpec {
            interval: settings.interval.clone(),
            provider: settings.provider.clone(),
            secret_ref: secret(settings.secret_ref.as_ref()),
            repository_type: settings.repository_type.clone(),
            url: url.to_owned(),
        }),
    }
}

//! The Flux objects of a chart, filled from the model: the HelmRelease's settings, and its
//! source, an OCIRepository or a HelmRepository (an app's own or a shared one).

use super::SOURCE;
use super::objects::{
    DriftDetection, HelmReleaseSpec, HelmRepositorySpec, LayerSelector, Metadata, NameRef, Object,
    OciRef, OciRepositorySpec, OidcIdentity, ReleaseAction, ReleaseDependency, Remediation,
    ValuesReference, Verify,
};
use crate::model::{self, ChartVersion, OciSettings, ReleaseSettings, RepositorySettings};

/// A HelmRelease spec with `settings` and nothing else (no chart, no values).
pub(super) fn release_spec(settings: &ReleaseSettings) -> HelmReleaseSpec {
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
        drift_detection: settings
            .drift_detection
            .as_ref()
            .map(|mode| DriftDetection { mode: mode.clone() }),
        install: action(&settings.install),
        interval: Some(settings.interval.clone()),
        max_history: settings.max_history,
        release_name: settings.release_name.clone(),
        suspend: settings.suspend,
        timeout: settings.timeout.clone(),
        upgrade: action(&settings.upgrade),
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
        extra: settings.extra.clone(),
        ..HelmReleaseSpec::default()
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

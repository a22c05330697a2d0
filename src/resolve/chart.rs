//! An app's chart: where Flux fetches it from, an OCI repository (`oci://`, the chart in the
//! URL) or a Helm repository (`https://` with `chart=`, or `oci://` with `chart=` and
//! `type "oci"`), checked as Flux and Helm would, with the source's settings (`source { ... }`).

use miette::SourceSpan;

use crate::model::{ChartSource, OciSettings, RepositoryRef, RepositorySettings, Verify};
use crate::parse::syntax::{self, Spanned};

use super::{Error, Resolver, rules};

/// The OCIRepository's default interval: chart tags rarely move.
const OCI_INTERVAL: &str = "15m";
const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
pub(super) const PROVIDERS: &[&str] = &["generic", "aws", "azure", "gcp"];
const REPOSITORY_TYPES: &[&str] = &["default", "oci"];
const LAYER_OPERATIONS: &[&str] = &["copy", "extract"];
const VERIFY_PROVIDERS: &[&str] = &["cosign", "notation"];

impl Resolver {
    /// The chart's source; `interval` is the default interval of a HelmRepository, `defaults`
    /// the source settings of the `defaults` blocks (checked already), for those the app leaves
    /// out.
    pub(super) fn chart(
        &mut self,
        helm: &syntax::Helm,
        interval: &str,
        defaults: &syntax::SourceSettings,
    ) -> Option<ChartSource> {
        let url = &helm.url;
        let invalid =
            |reason: &str, span: SourceSpan, value: &str, help: &str| Error::InvalidChart {
                value: value.to_owned(),
                reason: reason.to_owned(),
                span,
                help: help.to_owned(),
            };
        let oci_repository = helm
            .source
            .repository_type
            .as_ref()
            .is_some_and(|kind| kind.value == "oci");
        if let Some(reference) = url.value.strip_prefix("oci://")
            && !oci_repository
        {
            if let Some(chart) = &helm.chart {
                self.errors.push(invalid(
                    "an oci:// URL names the chart itself",
                    chart.span,
                    &format!("chart=\"{}\"", chart.value),
                    "remove `chart=` (or, for a HelmRepository of type oci, add `source { type \"oci\" }`)",
                ));
            }
            if let Some(reason) = rules::repository_problem(reference, true) {
                self.errors.push(invalid(
                    reason,
                    url.span,
                    &url.value,
                    "an OCI chart URL is `oci://<registry>/<path>/<chart>`, the version in `version`",
                ));
            }
            Some(ChartSource::Oci {
                url: url.value.clone(),
                settings: self.oci_settings(&helm.source, defaults),
            })
        } else if url.value.starts_with("https://") || oci_repository {
            let problem = match url.value.strip_prefix("oci://") {
                Some(reference) => rules::repository_problem(reference, true),
                None => rules::https_url_problem(&url.value),
            };
            if oci_repository && !url.value.starts_with("oci://") {
                self.errors.push(invalid(
                    "a HelmRepository of type oci needs an oci:// URL",
                    url.span,
                    &url.value,
                    "write the registry as `oci://<registry>/<path>`, or remove `type \"oci\"`",
                ));
            } else if let Some(reason) = problem {
                self.errors.push(invalid(
                    reason,
                    url.span,
                    &url.value,
                    "a Helm repository URL is `https://<host>/<path>`, as `helm repo add` takes it",
                ));
            }
            let Some(chart) = &helm.chart else {
                self.errors.push(invalid(
                    "a Helm repository needs the chart's name",
                    helm.span,
                    &url.value,
                    "name the chart in the repository: `helm \"https://...\" chart=\"name\"`",
                ));
                return None;
            };
            if !rules::is_chart_name(&chart.value) {
                self.errors.push(invalid(
                    "not a chart name",
                    chart.span,
                    &chart.value,
                    "a chart name is letters, digits, `-`, `_` and `.`, as `helm search repo` lists it",
                ));
            }
            Some(ChartSource::Repository {
                url: url.value.clone(),
                chart: chart.value.clone(),
                repository: RepositoryRef::Own(self.repository_settings(
                    &helm.source,
                    interval,
                    defaults,
                )),
            })
        } else {
            let advice = if url.value.starts_with("http://") {
                "Flux fetches charts over `https://` (or `oci://`): use the repository's https URL"
            } else {
                "use `oci://registry/path/chart` or an `https://` Helm repository with `chart=`"
            };
            self.errors.push(invalid(
                "it is neither `oci://` nor `https://`",
                url.span,
                &url.value,
                advice,
            ));
            None
        }
    }

    fn oci_settings(
        &mut self,
        source: &syntax::SourceSettings,
        defaults: &syntax::SourceSettings,
    ) -> OciSettings {
        if let Some(kind) = &source.repository_type {
            self.choice("HelmRepository type", kind, REPOSITORY_TYPES);
            self.not_for_source(
                "type",
                "an OCIRepository",
                kind.span,
                "`type` is a HelmRepository's: for an oci:// chart with `type \"oci\"`, name the chart with `chart=`",
            );
        }
        let selector = source.layer_selector.as_ref();
        let media_type = selector.and_then(|selector| selector.media_type.as_ref());
        let operation = selector
            .and_then(|selector| selector.operation.as_ref())
            .map(|operation| self.choice("layer operation", operation, LAYER_OPERATIONS));
        OciSettings {
            interval: self.duration(
                source.interval.as_ref(),
                defaults
                    .interval
                    .as_ref()
                    .map_or(OCI_INTERVAL, Spanned::as_str),
            ),
            secret_ref: self
                .secret_ref(source.secret_ref.as_ref())
                .or_else(|| text(defaults.secret_ref.as_ref())),
            provider: source
                .provider
                .as_ref()
                .map(|provider| self.choice("provider", provider, PROVIDERS))
                .or_else(|| text(defaults.provider.as_ref())),
            media_type: media_type
                .map_or_else(|| HELM_CHART_LAYER.to_owned(), |media| media.value.clone()),
            operation: operation.unwrap_or_else(|| "copy".to_owned()),
            verify: source.verify.as_ref().map(|verify| self.verify(verify)),
        }
    }

    fn verify(&mut self, verify: &syntax::Verify) -> Verify {
        let provider = verify.provider.as_ref().map_or_else(
            || "cosign".to_owned(),
            |provider| self.choice("verification provider", provider, VERIFY_PROVIDERS),
        );
        if verify.secret_ref.is_none() && verify.identities.is_empty() && provider == "cosign" {
            self.errors.push(Error::InvalidHelmSetting {
                what: "verification",
                value: "verify".to_owned(),
                span: verify.span,
                help: "name the public keys with `secret-ref=\"...\"`, or for keyless signatures add `match-oidc-identity issuer=\"...\" subject=\"...\"`".to_owned(),
            });
        }
        for identity in &verify.identities {
            for pattern in [&identity.issuer, &identity.subject] {
                if regex::Regex::new(&pattern.value).is_err() {
                    self.errors.push(Error::InvalidHelmSetting {
                        what: "regular expression",
                        value: crate::suggest::shown(&pattern.value),
                        span: pattern.span,
                        help: "Flux matches the certificate's issuer and subject with a Go regular expression".to_owned(),
                    });
                }
            }
        }
        Verify {
            provider,
            secret_ref: self.secret_ref(verify.secret_ref.as_ref()),
            identities: verify
                .identities
                .iter()
                .map(|identity| {
                    (
                        identity.issuer.value.clone(),
                        identity.subject.value.clone(),
                    )
                })
                .collect(),
        }
    }

    fn repository_settings(
        &mut self,
        source: &syntax::SourceSettings,
        interval: &str,
        defaults: &syntax::SourceSettings,
    ) -> RepositorySettings {
        let repository_type = source
            .repository_type
            .as_ref()
            .map(|kind| self.choice("HelmRepository type", kind, REPOSITORY_TYPES))
            .filter(|kind| kind != "default");
        if let Some(selector) = &source.layer_selector {
            self.not_for_source(
                "layer-selector",
                "a HelmRepository",
                selector.span,
                "a layer selector is an OCIRepository's: use an `oci://` chart URL without `chart=`",
            );
        }
        if let Some(verify) = &source.verify {
            self.not_for_source(
                "verify",
                "a HelmRepository",
                verify.span,
                "Flux verifies OCIRepository artifacts: use an `oci://` chart URL without `chart=`",
            );
        }
        let provider = source
            .provider
            .as_ref()
            .map(|provider| self.choice("provider", provider, PROVIDERS));
        if let Some(given) = &source.provider
            && repository_type.is_none()
        {
            self.not_for_source(
                "provider",
                "an https HelmRepository",
                given.span,
                "a provider logs in to a cloud OCI registry: it applies to an `oci://` chart",
            );
        }
        // A provider logs in to a cloud OCI registry: a default one skips https repositories.
        let provider = provider.or_else(|| {
            repository_type
                .is_some()
                .then(|| text(defaults.provider.as_ref()))
                .flatten()
        });
        RepositorySettings {
            interval: self.duration(
                source.interval.as_ref(),
                defaults.interval.as_ref().map_or(interval, Spanned::as_str),
            ),
            secret_ref: self
                .secret_ref(source.secret_ref.as_ref())
                .or_else(|| text(defaults.secret_ref.as_ref())),
            provider,
            repository_type,
        }
    }

    pub(super) fn secret_ref(&mut self, name: Option<&Spanned<String>>) -> Option<String> {
        let name = name?;
        if !rules::is_dns_subdomain(&name.value) {
            self.invalid_name(
                "Secret name",
                name,
                "the Secret's name, in the source's namespace: lowercase letters, digits, `-` and `.`",
            );
        }
        Some(name.value.clone())
    }

    fn not_for_source(
        &mut self,
        setting: &'static str,
        source_kind: &'static str,
        span: SourceSpan,
        help: &'static str,
    ) {
        self.errors.push(Error::SourceSettingMismatch {
            setting,
            source_kind,
            span,
            help,
        });
    }
}

fn text(value: Option<&Spanned<String>>) -> Option<String> {
    value.map(|value| value.value.clone())
}

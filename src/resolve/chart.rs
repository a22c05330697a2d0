//! An app's chart: where Flux fetches it from, an OCI repository (`oci://`, the chart in the
//! URL) or a Helm repository (`https://` with `chart=`), checked as Flux and Helm would.

use miette::SourceSpan;

use crate::model::ChartSource;
use crate::parse::syntax;

use super::{Error, Resolver, rules};

impl Resolver {
    pub(super) fn chart(&mut self, helm: &syntax::Helm) -> Option<ChartSource> {
        let url = &helm.url;
        let invalid =
            |reason: &str, span: SourceSpan, value: &str, help: &str| Error::InvalidChart {
                value: value.to_owned(),
                reason: reason.to_owned(),
                span,
                help: help.to_owned(),
            };
        if let Some(reference) = url.value.strip_prefix("oci://") {
            if let Some(chart) = &helm.chart {
                self.errors.push(invalid(
                    "an oci:// URL names the chart itself",
                    chart.span,
                    &format!("chart=\"{}\"", chart.value),
                    "remove `chart=`",
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
            })
        } else if url.value.starts_with("https://") {
            if let Some(reason) = rules::https_url_problem(&url.value) {
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
}

//! Versions: the `version` lines of each chart and image (their syntax as an image tag, an OCI
//! chart tag or a Helm repository chart version; one default; one per cluster), and the version
//! each cluster gets.

use std::collections::BTreeMap;

use miette::SourceSpan;

use crate::parse::syntax::{self, Spanned};
use crate::suggest::shown;

use super::app::Placement;
use super::version_range::is_version_range;
use super::{Error, Resolver, remotes, rules};

/// How a version is read: an image tag, an OCI chart tag, or a Helm repository chart version.
#[derive(Debug, Clone, Copy)]
enum VersionKind {
    Image,
    GitTag,
    OciChart,
    RepositoryChart,
}

/// What a chart version may be.
const CHART_HELP: &str = "a chart version is one SemVer version, such as `1.2.3`, `v1.2.3` or `1.2.3-rc.1`, or a range Flux resolves, such as `>=1.0.0 <2.0.0`, `1.x`, `~1.2`, `^1.2` or `*`";

impl Resolver {
    /// Checks the `version` lines of each chart and image: syntax, one default, one per cluster,
    /// clusters the app runs on.
    pub(super) fn version_lines(&mut self, app: &syntax::App, placement: &Placement<'_>) {
        let chart_kind = app.helm.as_ref().map(|helm| {
            if helm.url.value.starts_with("oci://") {
                VersionKind::OciChart
            } else {
                VersionKind::RepositoryChart
            }
        });
        let versioned = app
            .helm
            .iter()
            .zip(chart_kind)
            .map(|(helm, kind)| (helm.versions.as_slice(), kind))
            .chain(
                app.images
                    .iter()
                    .map(|image| (image.versions.as_slice(), VersionKind::Image)),
            )
            .chain(
                app.remotes
                    .iter()
                    .map(|remote| (remote.versions.as_slice(), VersionKind::GitTag)),
            );
        self.remote_bases(app);
        for (versions, kind) in versioned {
            let mut default: Option<SourceSpan> = None;
            let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
            for version in versions {
                self.version_syntax(&version.value, kind);
                match &version.cluster {
                    None => {
                        if let Some(first) = default {
                            self.errors.push(Error::DuplicateVersion {
                                what: "the default version".to_owned(),
                                span: version.value.span,
                                first,
                            });
                        }
                        default = Some(version.value.span);
                    }
                    Some(cluster) => {
                        if let Some(first) = seen.get(cluster.as_str()) {
                            self.errors.push(Error::DuplicateVersion {
                                what: format!("the version for cluster `{}`", cluster.value),
                                span: cluster.span,
                                first: *first,
                            });
                        } else {
                            seen.insert(cluster.as_str(), cluster.span);
                        }
                        self.cluster_ref(placement, cluster);
                    }
                }
            }
        }
    }

    fn version_syntax(&mut self, version: &Spanned<String>, kind: VersionKind) {
        let text = version.value.as_str();
        let problem = match kind {
            VersionKind::Image if !rules::is_image_tag(text) => {
                // `1.27.0+build.1` is one version (Masterminds reads it as `=1.27.0+build.1`).
                if is_version_range(text) && !rules::is_chart_version(text) {
                    self.errors.push(Error::ImageVersionRange {
                        value: shown(text),
                        span: version.span,
                    });
                    return;
                }
                Some((
                    "image tag",
                    "a tag is letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`), optionally pinned with `@sha256:<digest>`",
                ))
            }
            VersionKind::GitTag if !remotes::is_git_tag(text) => Some((
                "Git tag",
                "a tag is printable characters without spaces, `?`, `&`, `#`, `%`, `~`, `^`, `:` or `\\`",
            )),
            VersionKind::OciChart if text.contains('+') && rules::is_chart_version(text) => Some((
                "chart version",
                "OCI tags cannot hold `+`: Helm pushes a chart `1.2.3+build` as the tag `1.2.3_build`; write that",
            )),
            VersionKind::OciChart | VersionKind::RepositoryChart
                if !is_exact_chart_version(matches!(kind, VersionKind::OciChart), text)
                    && !is_version_range(text) =>
            {
                Some(("chart version", CHART_HELP))
            }
            _ => None,
        };
        if let Some((what, help)) = problem {
            self.errors.push(Error::InvalidVersion {
                what,
                value: shown(&version.value),
                span: version.span,
                help: help.to_owned(),
            });
        }
    }

    /// The version of a chart or image (`versioned`) on `cluster`: its own, else the default.
    pub(super) fn version_for(
        &mut self,
        app: &str,
        cluster: &str,
        versioned: &Spanned<String>,
        versions: &[syntax::Version],
    ) -> Option<String> {
        let pick = versions
            .iter()
            .find(|version| {
                version
                    .cluster
                    .as_ref()
                    .is_some_and(|name| name.as_str() == cluster)
            })
            .or_else(|| versions.iter().find(|version| version.cluster.is_none()));
        if pick.is_none() {
            self.errors.push(Error::MissingVersion {
                app: app.to_owned(),
                cluster: cluster.to_owned(),
                span: versioned.span,
            });
        }
        pick.map(|version| version.value.value.clone())
    }
}

/// Whether a chart version is one version rather than a range: for an `oci://` chart (`oci`)
/// an OCI tag (`_` for SemVer's `+`), else a Helm repository chart's version.
pub(crate) fn is_exact_chart_version(oci: bool, text: &str) -> bool {
    if oci {
        rules::is_oci_tag(text) && rules::is_chart_version(&text.replacen('_', "+", 1))
    } else {
        rules::is_chart_version(text)
    }
}

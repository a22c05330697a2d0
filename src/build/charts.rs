//! The chart each HelmRelease installs, which `build` describes rather than renders (that needs
//! the network): from the OCIRepository or HelmRepository among the objects built.

use super::object::Object;
use super::{BuiltKustomization, HelmChart};

/// Each HelmRelease and its chart: from the OCIRepository its `chartRef` names, or from
/// `spec.chart.spec` and the HelmRepository that names.
pub(super) fn helm_charts(built: &[BuiltKustomization]) -> Vec<HelmChart> {
    let objects: Vec<&Object> = built
        .iter()
        .flat_map(|kustomization| &kustomization.objects)
        .map(|item| &item.object)
        .collect();
    let source = |kind: &str, name: Option<&str>, namespace: Option<&str>| {
        objects.iter().copied().find(|object| {
            object.is("source.toolkit.fluxcd.io", kind)
                && Some(object.id.name.as_str()) == name
                && object.id.namespace.as_deref() == namespace
        })
    };
    let mut charts = Vec::new();
    for kustomization in built {
        for release in kustomization
            .objects
            .iter()
            .map(|item| &item.object)
            .filter(|object| object.is("helm.toolkit.fluxcd.io", "HelmRelease"))
        {
            let at = |path: &[&str]| release.str_at(path);
            let (chart, repository, version) = if let Some(kind) = at(&["spec", "chartRef", "kind"])
            {
                let name = at(&["spec", "chartRef", "name"]);
                let namespace =
                    at(&["spec", "chartRef", "namespace"]).or(release.id.namespace.as_deref());
                match source(kind, name, namespace) {
                    Some(repository) => (
                        repository.str_at(&["spec", "url"]).unwrap_or("").to_owned(),
                        None,
                        ["tag", "semver", "digest"]
                            .iter()
                            .find_map(|key| repository.str_at(&["spec", "ref", key])),
                    ),
                    None => (
                        format!("{kind} `{}` (not built)", name.unwrap_or("")),
                        None,
                        None,
                    ),
                }
            } else {
                let source_ref = |key: &str| at(&["spec", "chart", "spec", "sourceRef", key]);
                let repository = source(
                    source_ref("kind").unwrap_or("HelmRepository"),
                    source_ref("name"),
                    source_ref("namespace").or(release.id.namespace.as_deref()),
                );
                (
                    at(&["spec", "chart", "spec", "chart"])
                        .unwrap_or("")
                        .to_owned(),
                    Some(
                        repository
                            .and_then(|repository| repository.str_at(&["spec", "url"]))
                            .unwrap_or("(source not built)")
                            .to_owned(),
                    ),
                    at(&["spec", "chart", "spec", "version"]),
                )
            };
            charts.push(HelmChart {
                release: release.id.clone(),
                kustomization: kustomization.name.clone(),
                chart,
                repository,
                version: version.map(str::to_owned),
            });
        }
    }
    charts
}

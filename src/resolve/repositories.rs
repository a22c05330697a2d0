//! HelmRepositories several apps share: apps whose charts come from one Helm repository URL
//! get one HelmRepository per cluster, in the source namespace with the platform layer, instead
//! of one each. They must agree on the repository's settings.

use std::collections::BTreeMap;

use miette::SourceSpan;

use crate::model::{App, ChartSource, RepositoryRef, RepositorySettings, SharedRepository};
use crate::parse::syntax;

use super::{Error, Resolver};

/// The longest object name the shared repository gets (a DNS label, as Flux's artifact paths
/// and events read best).
const NAME_MAX: usize = 63;

/// A name for the repository at `url`: its host and path in lowercase letters, digits and `-`
/// (`https://charts.example.com/stable` -> `charts-example-com-stable`).
fn repository_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut name = String::new();
    for character in rest.chars() {
        if character.is_ascii_alphanumeric() {
            name.push(character.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name: String = name.trim_matches('-').chars().take(NAME_MAX).collect();
    while name.ends_with('-') {
        name.pop();
    }
    name
}

impl Resolver {
    /// Points every app of a URL more than one app names at one shared HelmRepository, and
    /// returns those repositories, sorted by name.
    pub(super) fn share_repositories(
        &mut self,
        spec: &syntax::Spec,
        apps: &mut [App],
    ) -> Vec<SharedRepository> {
        let mut by_url: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, app) in apps.iter().enumerate() {
            if let Some(ChartSource::Repository { url, .. }) =
                app.chart.as_ref().map(|chart| &chart.source)
            {
                by_url.entry(url.clone()).or_default().push(index);
            }
        }
        let span_of = |name: &str| -> SourceSpan {
            self.app_index
                .get(name)
                .and_then(|&position| spec.apps.get(position))
                .and_then(|app| app.helm.as_ref())
                .map_or(SourceSpan::from(0..0), |helm| helm.url.span)
        };
        let mut shared = Vec::new();
        for (url, users) in by_url.into_iter().filter(|(_, users)| users.len() > 1) {
            let name = repository_name(&url);
            let mut first: Option<(String, RepositorySettings)> = None;
            let mut clusters: Vec<String> = Vec::new();
            for &index in &users {
                let app = &mut apps[index];
                clusters.extend(app.deployments.iter().map(|d| d.cluster.clone()));
                let Some(ChartSource::Repository { repository, .. }) =
                    app.chart.as_mut().map(|chart| &mut chart.source)
                else {
                    continue;
                };
                let RepositoryRef::Own(settings) =
                    std::mem::replace(repository, RepositoryRef::Shared(name.clone()))
                else {
                    continue;
                };
                match &first {
                    None => first = Some((app.name.clone(), settings)),
                    Some((first_app, first_settings)) if *first_settings != settings => {
                        self.errors.push(Error::ConflictingRepository {
                            url: url.clone(),
                            app: app.name.clone(),
                            first_app: first_app.clone(),
                            span: span_of(&app.name),
                            first: span_of(first_app),
                        });
                    }
                    Some(_) => {}
                }
            }
            clusters.sort();
            clusters.dedup();
            if let Some((_, settings)) = first {
                shared.push(SharedRepository {
                    name,
                    url,
                    settings,
                    clusters,
                });
            }
        }
        shared.sort_by(|a, b| a.name.cmp(&b.name));
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::repository_name;

    #[test]
    fn names_come_from_host_and_path() {
        assert_eq!(
            repository_name("https://bjw-s-labs.github.io/helm-charts/"),
            "bjw-s-labs-github-io-helm-charts"
        );
        assert_eq!(
            repository_name("oci://ghcr.io/Org/charts"),
            "ghcr-io-org-charts"
        );
        assert!(repository_name(&format!("https://{}.example", "a-".repeat(60))).len() <= 63);
    }
}

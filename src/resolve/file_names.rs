//! The names of the files fluxspec copies into the directories it writes (an app's base and
//! overlays): each name once, and none of the files fluxspec writes in that same directory. A
//! name is taken only where fluxspec writes it: `helmrelease.yaml` is free in the base of an app
//! without a chart, `ocirepository.yaml` in an overlay of a chart from a Helm repository.
//! (A component's directory is checked when it is read: fluxspec writes only its
//! `kustomization.yaml`.)

use crate::layout;
use crate::model::{App, ChartSource, Deployment, RepositoryRef};
use crate::parse::syntax;

use super::Resolver;

impl Resolver {
    /// Checks the names of the files each app copies into its base and overlays.
    pub(super) fn copied_file_names(&mut self, spec: &syntax::Spec, apps: &[App]) {
        for app in apps {
            let Some(node) = self.spec_app(spec, &app.name) else {
                continue;
            };
            let span = node
                .manifests
                .first()
                .map_or(node.name.span, |path| path.span);
            self.no_collisions(&app.base_manifests, &written_in_base(app), span);
            for deployment in &app.deployments {
                let Some(block) = node
                    .per_cluster
                    .iter()
                    .find(|block| block.name.value == deployment.cluster)
                else {
                    continue;
                };
                let files = deployment
                    .manifests
                    .iter()
                    .chain(deployment.patches.iter().map(|patch| &patch.file));
                let written = written_in_overlay(app, deployment);
                self.no_collisions(files, &written, block.name.span);
            }
        }
    }
}

/// The files fluxspec writes in an app's base (as `render` writes them).
fn written_in_base(app: &App) -> Vec<&'static str> {
    let mut written = vec![layout::KUSTOMIZATION_FILE];
    if let Some(chart) = &app.chart {
        written.push(layout::HELM_RELEASE_FILE);
        if let ChartSource::Repository {
            repository: RepositoryRef::Own(_),
            ..
        } = chart.source
        {
            written.push(layout::HELM_REPOSITORY_FILE);
        }
    }
    written
}

/// The files fluxspec writes in an app's overlay on one cluster (as `render` writes them).
fn written_in_overlay(app: &App, deployment: &Deployment) -> Vec<&'static str> {
    let mut written = vec![layout::KUSTOMIZATION_FILE];
    if let (Some(chart), Some(_)) = (&app.chart, &deployment.chart_version) {
        written.push(match chart.source {
            ChartSource::Oci { .. } => layout::OCI_REPOSITORY_FILE,
            ChartSource::Repository { .. } => layout::HELM_RELEASE_VERSION_FILE,
        });
    }
    if deployment.release.is_some() {
        written.push(layout::HELM_RELEASE_SETTINGS_FILE);
    }
    if deployment.values.is_some() {
        written.push(layout::HELM_RELEASE_VALUES_FILE);
    }
    written
}

//! An app's base, shared by its clusters: the app's manifests, copied, and for a chart its
//! HelmRelease with its settings (and HelmRepository, for a chart from a Helm repository no
//! other app shares).

use super::objects::{
    HelmChartTemplate, HelmChartTemplateSpec, HelmReleaseSpec, Metadata, Object, SourceRef,
};
use super::{HELM_RELEASE, Renderer, Schema, helm, kustomization};
use crate::kustomize_dir;
use crate::layout;
use crate::model::{App, ChartSource, RepositoryRef};

impl Renderer<'_> {
    pub(super) fn app_base(&mut self, app: &App) {
        let about = format!("app `{}`", app.name);
        let base = layout::app_base_dir(&app.name);
        let mut resources = kustomize_dir::resources(&app.base_manifests);
        for file in &app.base_manifests {
            (self.emit)(layout::file_in(&base, &file.name), file.bytes.clone());
        }
        if let Some(chart) = &app.chart {
            let (chart_template, chart_ref) = match &chart.source {
                ChartSource::Oci { .. } => (
                    None,
                    Some(SourceRef {
                        kind: "OCIRepository",
                        name: app.name.clone(),
                        namespace: None,
                    }),
                ),
                ChartSource::Repository {
                    url,
                    chart,
                    repository,
                } => {
                    let source_ref = match repository {
                        RepositoryRef::Own(settings) => {
                            let object = helm::helm_repository(
                                &app.name,
                                app.own_namespace().as_deref(),
                                url,
                                settings,
                            );
                            self.write(
                                layout::file_in(&base, layout::HELM_REPOSITORY_FILE),
                                &about,
                                |documents| {
                                    documents
                                        .add(Schema::Flux("helmrepository-source-v1"), &object);
                                },
                            );
                            resources.push(layout::HELM_REPOSITORY_FILE.to_owned());
                            SourceRef {
                                kind: "HelmRepository",
                                name: app.name.clone(),
                                namespace: None,
                            }
                        }
                        RepositoryRef::Shared(name) => SourceRef {
                            kind: "HelmRepository",
                            name: name.clone(),
                            namespace: Some(self.model.settings.source_namespace.clone()),
                        },
                    };
                    (
                        Some(HelmChartTemplate {
                            spec: HelmChartTemplateSpec {
                                chart: Some(chart.clone()),
                                source_ref: Some(source_ref),
                                version: None,
                            },
                        }),
                        None,
                    )
                }
            };
            let release = Object {
                api_version: HELM_RELEASE,
                kind: "HelmRelease",
                metadata: Metadata {
                    name: app.name.clone(),
                    namespace: app.own_namespace(),
                    ..Metadata::default()
                },
                spec: Some(HelmReleaseSpec {
                    chart: chart_template,
                    chart_ref,
                    values: chart.base_values.clone(),
                    ..helm::release_spec(&chart.release)
                }),
            };
            self.write(
                layout::file_in(&base, layout::HELM_RELEASE_FILE),
                &about,
                |documents| documents.add(Schema::Flux("helmrelease-helm-v2"), &release),
            );
            resources.push(layout::HELM_RELEASE_FILE.to_owned());
        }
        self.write(
            layout::file_in(&base, layout::KUSTOMIZATION_FILE),
            &about,
            |documents| {
                documents.add(
                    Schema::Kustomization,
                    &kustomization(resources, Vec::new(), Vec::new()),
                );
            },
        );
    }
}

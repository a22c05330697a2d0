//! An app's overlay for one cluster: the base, the cluster's chart version (an OCIRepository at
//! its tag or `semver` range, or a HelmRelease patch), settings and values patches, components
//! and own manifests and patches.

use super::objects::{
    FilePatch, HelmChartTemplate, HelmChartTemplateSpec, HelmReleaseSpec, Metadata, Object,
};
use super::{HELM_RELEASE, Renderer, Schema, helm, kustomization, target};
use crate::kustomize_dir;
use crate::layout;
use crate::model::{App, ChartSource, Deployment};

impl Renderer<'_> {
    /// A `HelmRelease` patch: only the fields an overlay changes.
    fn helm_release_patch(app: &App, spec: HelmReleaseSpec) -> Object<HelmReleaseSpec> {
        Object {
            api_version: HELM_RELEASE,
            kind: "HelmRelease",
            metadata: Metadata {
                name: app.name.clone(),
                namespace: app.own_namespace(),
                ..Metadata::default()
            },
            spec: Some(spec),
        }
    }

    /// The overlay's chart pin: an OCIRepository at the cluster's tag, or a patch of the
    /// HelmRelease's chart version for a Helm repository.
    fn chart_overlay(
        &mut self,
        app: &App,
        deployment: &Deployment,
        resources: &mut Vec<String>,
        patches: &mut Vec<FilePatch>,
    ) {
        let about = format!("app `{}`, cluster `{}`", app.name, deployment.cluster);
        let overlay = layout::app_overlay_dir(&app.name, &deployment.cluster);
        if let (Some(chart), Some(version)) = (&app.chart, &deployment.chart_version) {
            match &chart.source {
                ChartSource::Oci { url, settings } => {
                    let mut repository = helm::oci_repository(&app.name, url, version, settings);
                    repository.metadata.namespace = app.own_namespace();
                    self.write(
                        layout::file_in(&overlay, layout::OCI_REPOSITORY_FILE),
                        &about,
                        |documents| {
                            documents.add(Schema::Flux("ocirepository-source-v1"), &repository);
                        },
                    );
                    resources.push(layout::OCI_REPOSITORY_FILE.to_owned());
                }
                ChartSource::Repository { .. } => {
                    let patch = Self::helm_release_patch(
                        app,
                        HelmReleaseSpec {
                            chart: Some(HelmChartTemplate {
                                spec: HelmChartTemplateSpec {
                                    chart: None,
                                    source_ref: None,
                                    version: Some(version.text.clone()),
                                },
                            }),
                            ..HelmReleaseSpec::default()
                        },
                    );
                    self.write(
                        layout::file_in(&overlay, layout::HELM_RELEASE_VERSION_FILE),
                        &about,
                        |documents| documents.add(Schema::Flux("helmrelease-helm-v2"), &patch),
                    );
                    patches.push(FilePatch {
                        path: layout::HELM_RELEASE_VERSION_FILE.to_owned(),
                        target: None,
                    });
                }
            }
        }
    }

    pub(super) fn app_overlay(&mut self, app: &App, deployment: &Deployment) {
        let about = format!("app `{}`, cluster `{}`", app.name, deployment.cluster);
        let overlay = layout::app_overlay_dir(&app.name, &deployment.cluster);
        let mut resources = vec![layout::base_from_overlay()];
        let mut patches = Vec::new();
        self.chart_overlay(app, deployment, &mut resources, &mut patches);
        if let Some(settings) = &deployment.release {
            let patch = Self::helm_release_patch(app, helm::release_spec(settings));
            self.write(
                layout::file_in(&overlay, layout::HELM_RELEASE_SETTINGS_FILE),
                &about,
                |documents| documents.add(Schema::Flux("helmrelease-helm-v2"), &patch),
            );
            patches.push(FilePatch {
                path: layout::HELM_RELEASE_SETTINGS_FILE.to_owned(),
                target: None,
            });
        }
        if let Some(values) = &deployment.values {
            let patch = Self::helm_release_patch(
                app,
                HelmReleaseSpec {
                    values: Some(values.clone()),
                    ..HelmReleaseSpec::default()
                },
            );
            self.write(
                layout::file_in(&overlay, layout::HELM_RELEASE_VALUES_FILE),
                &about,
                |documents| documents.add(Schema::Flux("helmrelease-helm-v2"), &patch),
            );
            patches.push(FilePatch {
                path: layout::HELM_RELEASE_VALUES_FILE.to_owned(),
                target: None,
            });
        }
        for file in &deployment.manifests {
            (self.emit)(layout::file_in(&overlay, &file.name), file.bytes.clone());
        }
        resources.extend(kustomize_dir::resources(&deployment.manifests));
        resources.extend(
            deployment
                .remotes
                .iter()
                .map(|(base, tag)| kustomize_dir::remote_target(base, tag)),
        );
        for patch in &deployment.patches {
            (self.emit)(
                layout::file_in(&overlay, &patch.file.name),
                patch.file.bytes.clone(),
            );
            patches.push(FilePatch {
                path: patch.file.name.clone(),
                target: target(patch.target.as_ref()),
            });
        }
        let components = deployment
            .components
            .iter()
            .map(|component| layout::component_from_overlay(component))
            .collect();
        self.write(
            layout::file_in(&overlay, layout::KUSTOMIZATION_FILE),
            &about,
            |documents| {
                documents.add(
                    Schema::Kustomization,
                    &kustomization(resources, components, patches),
                );
            },
        );
    }
}

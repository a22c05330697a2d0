//! An app's Flux Kustomization on one cluster, in the directory of its layer under
//! `app-flux-kustomizations/`: it applies the app's overlay with the cluster's variables and
//! the app's own.

use super::objects::{
    CommonMetadata, Decryption, FluxKustomizationSpec, HealthCheck, HealthCheckExpr, ImageTag,
    InlinePatch, Metadata, NameRef, Object, PostBuild, SubstituteFrom,
};
use super::{FLUX_KUSTOMIZATION, Renderer, Schema, target};
use crate::layout;
use crate::model::{self, App, Deployment};

impl Renderer<'_> {
    pub(super) fn app_flux_kustomization(&mut self, app: &App, deployment: &Deployment) {
        let flux = &deployment.flux;
        let labels = deployment.common_labels(&self.model.settings, &app.name);
        let mut object = Object {
            api_version: FLUX_KUSTOMIZATION,
            kind: "Kustomization",
            metadata: Metadata {
                name: app.name.clone(),
                namespace: Some(self.model.settings.source_namespace.clone()),
                ..Metadata::default()
            },
            spec: Some(FluxKustomizationSpec {
                common_metadata: (!labels.is_empty()).then_some(CommonMetadata { labels }),
                components: deployment
                    .flux_components
                    .iter()
                    .map(|component| layout::component_from_overlay(component))
                    .collect(),
                decryption: decryption(flux.decryption.as_ref()),
                deletion_policy: flux.deletion_policy.clone(),
                depends_on: deployment
                    .depends_on
                    .iter()
                    .map(|name| NameRef { name: name.clone() })
                    .collect(),
                force: flux.force,
                health_check_exprs: flux
                    .health_check_exprs
                    .iter()
                    .map(|expr| HealthCheckExpr {
                        api_version: expr.api_version.clone(),
                        current: expr.current.clone(),
                        failed: expr.failed.clone(),
                        in_progress: expr.in_progress.clone(),
                        kind: expr.kind.clone(),
                    })
                    .collect(),
                health_checks: flux
                    .health_checks
                    .iter()
                    .map(|check| HealthCheck {
                        api_version: check.api_version.clone(),
                        kind: check.kind.clone(),
                        name: check.name.clone(),
                        namespace: check.namespace.clone(),
                    })
                    .collect(),
                images: deployment
                    .images
                    .iter()
                    .filter(|(name, _)| {
                        app.chart
                            .as_ref()
                            .is_none_or(|chart| !chart.values_images.contains(*name))
                    })
                    .map(|(name, tag)| ImageTag {
                        name: name.clone(),
                        new_tag: tag.clone(),
                    })
                    .collect(),
                interval: flux.timings.interval.clone(),
                patches: flux
                    .inline_patches
                    .iter()
                    .map(|patch| InlinePatch {
                        patch: patch.patch.clone(),
                        target: target(patch.target.as_ref()),
                    })
                    .collect(),
                path: self
                    .layout
                    .flux_path(&layout::app_overlay_dir(&app.name, &deployment.cluster)),
                post_build: Some(self.post_build(deployment)),
                prune: true,
                retry_interval: flux.timings.retry_interval.clone(),
                source_ref: self.source_ref(),
                suspend: flux.suspend,
                target_namespace: app.target_namespace.then(|| app.namespace.clone()),
                timeout: flux.timings.timeout.clone(),
                wait: flux.wait,
            }),
        };
        self.write(
            layout::file_in(
                &self
                    .layout
                    .app_flux_kustomizations_dir(&deployment.cluster, app.layer),
                &layout::app_flux_kustomization_file(&app.name),
            ),
            &format!("app `{}`, cluster `{}`", app.name, deployment.cluster),
            |documents| {
                documents.add_root_applied(
                    Schema::Flux("kustomization-kustomize-v1"),
                    &mut object,
                    |object| &mut object.metadata,
                );
            },
        );
    }

    /// The app's variables, after the cluster's ConfigMap and the spec's other sources.
    fn post_build(&self, deployment: &Deployment) -> PostBuild {
        let cluster_config = SubstituteFrom {
            kind: "ConfigMap".to_owned(),
            name: self.layout.cluster_config_name().to_owned(),
            optional: false,
        };
        let others = deployment
            .flux
            .substitute_from
            .iter()
            .map(|source| SubstituteFrom {
                kind: source.kind.clone(),
                name: source.name.clone(),
                optional: source.optional,
            });
        PostBuild {
            substitute: deployment.substitute.clone(),
            substitute_from: std::iter::once(cluster_config).chain(others).collect(),
        }
    }
}

/// `spec.decryption`, with the Secret of the key when the spec names one.
fn decryption(decryption: Option<&model::Decryption>) -> Option<Decryption> {
    decryption.map(|decryption| Decryption {
        provider: decryption.provider.clone(),
        secret_ref: decryption
            .secret
            .as_ref()
            .map(|name| NameRef { name: name.clone() }),
    })
}

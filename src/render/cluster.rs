//! A cluster's files: the root Flux Kustomizations in its entry directory, and under
//! `app-flux-kustomizations/` the kustomization of each layer, the cluster's ConfigMap of
//! variables, its Namespaces and the HelmRepositories apps share.

use super::objects::{ConfigMap, FluxKustomizationSpec, Metadata, NameRef, Object, PostBuild};
use super::{FLUX_KUSTOMIZATION, Renderer, Schema, helm, kustomization};
use crate::layout;
use crate::model::{Cluster, Layer, Model, SharedRepository};

impl Renderer<'_> {
    pub(super) fn cluster(&mut self, cluster: &Cluster) {
        let about = format!("cluster `{}`", cluster.name);
        for layer in Layer::ALL {
            self.root_kustomization(cluster, layer, &about);
            self.layer_kustomization(cluster, layer, &about);
        }
        self.cluster_platform_extras(cluster, &about);
    }

    /// The root Flux Kustomization of a layer, in the cluster's entry directory: it applies the
    /// layer's directory under `app-flux-kustomizations/` with the cluster's variables.
    fn root_kustomization(&mut self, cluster: &Cluster, layer: Layer, about: &str) {
        let name = self.layout.root_kustomization_name(&cluster.name, layer);
        let depends_on = match layer {
            Layer::Platform => Vec::new(),
            Layer::Apps => vec![NameRef {
                name: self
                    .layout
                    .root_kustomization_name(&cluster.name, Layer::Platform),
            }],
        };
        let suspend = match layer {
            Layer::Platform => cluster.suspend_platform,
            Layer::Apps => cluster.suspend_apps,
        };
        let object = Object {
            api_version: FLUX_KUSTOMIZATION,
            kind: "Kustomization",
            metadata: Metadata {
                name,
                namespace: Some(self.model.settings.source_namespace.clone()),
                ..Metadata::default()
            },
            spec: Some(FluxKustomizationSpec {
                components: Vec::new(),
                common_metadata: None,
                decryption: None,
                deletion_policy: None,
                depends_on,
                force: false,
                health_check_exprs: Vec::new(),
                health_checks: Vec::new(),
                images: Vec::new(),
                interval: cluster.timings.interval.clone(),
                patches: Vec::new(),
                path: self.layout.flux_path(
                    &self
                        .layout
                        .app_flux_kustomizations_dir(&cluster.name, layer),
                ),
                post_build: Some(PostBuild {
                    substitute: cluster.vars.clone(),
                    substitute_from: Vec::new(),
                }),
                prune: true,
                retry_interval: cluster.timings.retry_interval.clone(),
                source_ref: self.source_ref(),
                suspend,
                target_namespace: None,
                timeout: cluster.timings.timeout.clone(),
                wait: true,
            }),
        };
        self.write(
            layout::root_kustomization_file(&cluster.name, layer),
            about,
            |documents| documents.add(Schema::Flux("kustomization-kustomize-v1"), &object),
        );
    }

    /// What a layer's root applies on a cluster: the Flux Kustomization of each of its apps there,
    /// and on the platform layer the cluster's ConfigMap and Namespaces first.
    fn layer_kustomization(&mut self, cluster: &Cluster, layer: Layer, about: &str) {
        let mut resources: Vec<String> = self
            .model
            .apps
            .iter()
            .filter(|app| {
                app.layer == layer && app.deployments.iter().any(|d| d.cluster == cluster.name)
            })
            .map(|app| layout::app_flux_kustomization_file(&app.name))
            .collect();
        if layer == Layer::Platform {
            let mut first = vec![
                layout::CLUSTER_CONFIG_MAP_FILE.to_owned(),
                layout::NAMESPACES_FILE.to_owned(),
            ];
            if shared_repositories_on(self.model, cluster).next().is_some() {
                first.push(layout::SHARED_HELM_REPOSITORIES_FILE.to_owned());
            }
            resources.splice(0..0, first);
        }
        let object = kustomization(resources, Vec::new(), Vec::new());
        self.write(
            layout::file_in(
                &self
                    .layout
                    .app_flux_kustomizations_dir(&cluster.name, layer),
                layout::KUSTOMIZATION_FILE,
            ),
            about,
            |documents| documents.add(Schema::Kustomization, &object),
        );
    }

    /// The cluster's `ConfigMap` of variables and the Namespaces its apps run in, both applied by
    /// the platform root before any app.
    fn cluster_platform_extras(&mut self, cluster: &Cluster, about: &str) {
        let platform_dir = self
            .layout
            .app_flux_kustomizations_dir(&cluster.name, Layer::Platform);
        let mut config_map = ConfigMap {
            api_version: "v1",
            kind: "ConfigMap",
            metadata: Metadata {
                name: self.layout.cluster_config_name().to_owned(),
                namespace: Some(self.model.settings.source_namespace.clone()),
                ..Metadata::default()
            },
            data: cluster.vars.clone(),
        };
        self.write(
            layout::file_in(&platform_dir, layout::CLUSTER_CONFIG_MAP_FILE),
            about,
            |documents| {
                documents.add_root_applied(
                    Schema::Kubernetes("configmap-v1"),
                    &mut config_map,
                    |config_map| &mut config_map.metadata,
                );
            },
        );

        self.write(
            layout::file_in(&platform_dir, layout::NAMESPACES_FILE),
            about,
            |documents| {
                for namespace in &cluster.namespaces {
                    let mut annotations = namespace.annotations.clone();
                    // Deleting an app must not delete a namespace other apps may share.
                    annotations.insert(
                        "kustomize.toolkit.fluxcd.io/prune".to_owned(),
                        "disabled".to_owned(),
                    );
                    let mut object: Object<()> = Object {
                        api_version: "v1",
                        kind: "Namespace",
                        metadata: Metadata {
                            name: namespace.name.clone(),
                            labels: namespace.labels.clone(),
                            annotations,
                            ..Metadata::default()
                        },
                        spec: None,
                    };
                    documents.add_root_applied(
                        Schema::Kubernetes("namespace-v1"),
                        &mut object,
                        |object| &mut object.metadata,
                    );
                }
            },
        );

        let model = self.model;
        let namespace = model.settings.source_namespace.as_str();
        if shared_repositories_on(model, cluster).next().is_some() {
            self.write(
                layout::file_in(&platform_dir, layout::SHARED_HELM_REPOSITORIES_FILE),
                about,
                |documents| {
                    for shared in shared_repositories_on(model, cluster) {
                        let mut object = helm::helm_repository(
                            &shared.name,
                            Some(namespace),
                            &shared.url,
                            &shared.settings,
                        );
                        documents.add_root_applied(
                            Schema::Flux("helmrepository-source-v1"),
                            &mut object,
                            |object| &mut object.metadata,
                        );
                    }
                },
            );
        }
    }
}

/// The shared HelmRepositories an app on `cluster` uses.
fn shared_repositories_on<'a>(
    model: &'a Model,
    cluster: &'a Cluster,
) -> impl Iterator<Item = &'a SharedRepository> {
    model
        .shared_repositories
        .iter()
        .filter(move |shared| shared.clusters.contains(&cluster.name))
}

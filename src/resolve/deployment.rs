//! One app on one cluster: the [`Deployment`] the model holds. Starts from what the app
//! declares once ([`AppBasis`]), picks the cluster's versions and values, applies the app's and
//! the cluster block's knobs, variables, patches and manifests (the overlay), resolves the
//! app's values against the cluster's variables, and checks Flux's substitution of the result.

use std::collections::BTreeMap;
use std::rc::Rc;

use miette::SourceSpan;

use crate::model::{
    ChartVersion, Deployment, FluxKnobs, Layer, OverlayPatch, ReleaseSettings, Timings,
};
use crate::parse::syntax;

use super::Resolver;
use super::defaults::Chain;
use super::dependencies::cluster_depends_on;
use super::helm_settings::ClusterRelease;
use super::knobs::target;
use super::manifests::{Doc, Manifest};
use super::overrides::{Override, PatchText};
use super::reading::{FileKind, ParsedFile, ParsedPatch};
use super::substitution::BuildParts;
use super::versions::is_exact_chart_version;

/// What an app declares once, shared by its deployments on every cluster.
pub(super) struct AppBasis {
    pub(super) layer: Layer,
    pub(super) namespace: String,
    /// The components it uses in its overlay, sorted.
    pub(super) components: Vec<String>,
    /// The components its Flux Kustomization lists, sorted.
    pub(super) flux_components: Vec<String>,
    /// The app-level variables: `APP`, its components' and its own.
    pub(super) substitute: BTreeMap<String, String>,
    /// Where each app-level value is written, to resolve its references per cluster.
    pub(super) value_at: BTreeMap<String, SourceSpan>,
    /// The base's parsed files, the generated HelmRelease with the base values among them.
    pub(super) base: Vec<ParsedFile>,
    /// The HelmRelease's settings on every cluster, for an app with a chart.
    pub(super) release: Option<ReleaseSettings>,
    /// What `release` starts from before the app's own settings, for a cluster's `defaults`.
    pub(super) release_start: Option<ReleaseSettings>,
    /// The settings' Flux Kustomization timings, which knobs and defaults change.
    pub(super) timings: Timings,
    /// The chart's values on every cluster, under the cluster's.
    pub(super) base_values: Option<serde_json::Value>,
}

/// The parsed files of one app's overlay on one cluster.
#[derive(Default)]
pub(super) struct Overlay {
    pub(super) resources: Vec<ParsedFile>,
    pub(super) patches: Vec<ParsedPatch>,
    /// Every patch of the app on this cluster, files and inline, as text.
    pub(super) texts: Vec<PatchText>,
}

/// An app's values file for one cluster: its node in the spec, its content (with the images
/// that live in the values written in) and its text.
struct ClusterValues<'a> {
    node: Option<&'a syntax::ValuesFile>,
    content: Option<serde_json::Value>,
    text: Option<Rc<str>>,
}

impl Resolver {
    /// The app's values for `cluster`, with the images that live in the values written in.
    fn cluster_values<'a>(
        &mut self,
        app: &'a syntax::App,
        basis: &AppBasis,
        cluster: &str,
        images: &BTreeMap<String, String>,
    ) -> ClusterValues<'a> {
        let values_node = app.helm.as_ref().and_then(|helm| {
            helm.values.iter().find(|values| {
                values
                    .cluster
                    .as_ref()
                    .is_some_and(|name| name.as_str() == cluster)
            })
        });
        let (mut values, values_text) = values_node
            .and_then(|values| self.values(&values.path))
            .map(|values| (values.content, values.text))
            .unzip();
        self.values_images(
            app,
            cluster,
            basis.base_values.as_ref(),
            images,
            &mut values,
        );
        ClusterValues {
            node: values_node,
            content: values,
            text: values_text,
        }
    }

    /// The app's deployment on `cluster`, whose variables are `cluster_vars`.
    pub(super) fn deployment(
        &mut self,
        app: &syntax::App,
        basis: &AppBasis,
        defaults: &Chain<'_>,
        cluster: &str,
        cluster_vars: Option<&BTreeMap<String, String>>,
        overrides: &mut Vec<Override>,
    ) -> Deployment {
        let block = app
            .per_cluster
            .iter()
            .find(|block| block.name.as_str() == cluster);
        let chart_version = app.helm.as_ref().and_then(|helm| {
            let text = self.version_for(&app.name.value, cluster, &helm.url, &helm.versions)?;
            let oci = helm.url.value.starts_with("oci://");
            Some(ChartVersion {
                is_range: !is_exact_chart_version(oci, &text),
                text,
                patched: None,
            })
        });
        let images = app
            .images
            .iter()
            .filter_map(|image| {
                self.version_for(&app.name.value, cluster, &image.name, &image.versions)
                    .map(|tag| (image.name.value.clone(), tag))
            })
            .collect();
        let ClusterValues {
            node: values_node,
            content: values,
            text: values_text,
        } = self.cluster_values(app, basis, cluster, &images);
        let release = basis
            .release
            .as_ref()
            .zip(basis.release_start.as_ref())
            .zip(app.helm.as_ref());
        let release = release.and_then(|((app_wide, start), helm)| {
            let layers = ClusterRelease {
                defaults: defaults.cluster,
                app: &helm.settings,
                block: block.and_then(|block| block.helm.as_ref()),
            };
            self.cluster_release_settings(app_wide, start, &layers)
                .map(Box::new)
        });
        let mut deployment = Deployment {
            cluster: cluster.to_owned(),
            chart_version,
            values,
            images,
            release,
            depends_on: depends_on(app, cluster),
            components: basis.components.clone(),
            flux_components: basis.flux_components.clone(),
            remotes: self.remotes_for(app, cluster),
            patches: Vec::new(),
            manifests: Vec::new(),
            substitute: basis.substitute.clone(),
            flux: FluxKnobs::new(basis.layer == Layer::Platform, basis.timings.clone()),
        };
        let overlay = self.overlay(
            app,
            block,
            &defaults.all(),
            &basis.namespace,
            &mut deployment,
        );
        self.record_applied(app, &basis.base, &overlay, cluster);
        if let Some(version) = &mut deployment.chart_version {
            overrides.extend(Self::chart_overrides(app, cluster, version, &overlay.texts));
        }
        let mut spans = basis.value_at.clone();
        spans.extend(
            block
                .iter()
                .flat_map(|block| &block.vars)
                .map(|var| (var.name.value.clone(), var.value.span)),
        );
        self.resolve_app_values(cluster, &mut deployment.substitute, &spans, cluster_vars);
        // The cluster's values reach the HelmRelease as a patch.
        let values_patch = values_node.map(|node| ParsedFile {
            span: node.path.span,
            manifest: Rc::new(Manifest::generated(
                node.path.value.clone(),
                Doc::generated("HelmRelease", &app.name.value, deployment.values.as_ref()),
                values_text.as_deref().unwrap_or_default(),
            )),
        });
        let applied: Vec<&ParsedFile> = basis.base.iter().chain(&overlay.resources).collect();
        self.decryption(app, &applied, &mut deployment);
        let parts = BuildParts {
            base: &basis.base,
            overlay: &overlay,
            values_patch: values_patch.as_ref(),
        };
        self.check_substitution(app, &parts, &deployment, cluster_vars);
        deployment
    }

    /// Completes a deployment with the app's knobs and its cluster block, if any; returns the
    /// overlay's parsed manifests and patches.
    fn overlay(
        &mut self,
        app: &syntax::App,
        block: Option<&syntax::AppCluster>,
        defaults: &[&syntax::Defaults],
        namespace: &str,
        deployment: &mut Deployment,
    ) -> Overlay {
        let mut overlay = Overlay::default();
        self.apply_default_knobs(defaults, namespace, &mut deployment.flux);
        for block in defaults {
            overlay.texts.extend(inline_patches(&block.knobs));
        }
        self.knobs(&app.knobs, namespace, &mut deployment.flux);
        overlay.texts.extend(inline_patches(&app.knobs));
        let Some(block) = block else {
            return overlay;
        };
        self.knobs(&block.knobs, namespace, &mut deployment.flux);
        overlay.texts.extend(inline_patches(&block.knobs));
        if let Some(suspend) = &block.suspend {
            deployment.flux.suspend = suspend.value;
        }
        for var in &block.vars {
            self.var_name(&var.name);
        }
        self.unique("variable", block.vars.iter().map(|var| &var.name));
        deployment.substitute.extend(
            block
                .vars
                .iter()
                .map(|var| (var.name.value.clone(), var.value.value.clone())),
        );
        for patch in &block.patches {
            let read = self.read_manifests(&patch.path, FileKind::Patches);
            for (file, manifest) in read.files.iter().zip(&read.manifests) {
                overlay.texts.push(PatchText {
                    location: manifest.path.clone(),
                    text: String::from_utf8_lossy(&file.bytes).into_owned(),
                    span: patch.path.span,
                    target: target(&patch.target),
                });
            }
            for file in read.files {
                deployment.patches.push(OverlayPatch {
                    file,
                    target: target(&patch.target),
                });
            }
            let target = target(&patch.target);
            overlay
                .patches
                .extend(read.manifests.into_iter().map(|manifest| ParsedPatch {
                    file: ParsedFile {
                        span: patch.path.span,
                        manifest,
                    },
                    target: target.clone(),
                }));
        }
        for path in &block.manifests {
            let read = self.read_manifests(path, FileKind::Resources);
            deployment.manifests.extend(read.files);
            overlay
                .resources
                .extend(read.manifests.into_iter().map(|manifest| ParsedFile {
                    span: path.span,
                    manifest,
                }));
        }
        overlay
    }
}

/// The apps the app depends on on `cluster`, sorted, each once.
fn depends_on(app: &syntax::App, cluster: &str) -> Vec<String> {
    let mut names: Vec<String> = cluster_depends_on(app, cluster)
        .into_iter()
        .map(|name| name.value.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The inline patches of a knobs block, as text.
fn inline_patches(knobs: &syntax::Knobs) -> impl Iterator<Item = PatchText> + '_ {
    knobs.inline_patches.iter().map(|patch| PatchText {
        location: "inline-patch".to_owned(),
        text: patch.patch.value.clone(),
        span: patch.patch.span,
        target: target(&patch.target),
    })
}

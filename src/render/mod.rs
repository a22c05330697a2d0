//! Stage 3: [`Model`] -> output files: [`render`] collects them into a [`FileTree`], and
//! [`render_each`] hands them one by one to a consumer (`sync`'s planner) while it drops the model
//! app by app, so a large compile never holds the model and the whole output at once.
//!
//! Pure: no disk, no clock, no environment. The same model gives the same bytes on every machine.
//! Every YAML object is a serde struct from [`objects`]; files copied from the spec are emitted
//! byte for byte. Every path comes from [`crate::layout`].
//!
//! This file holds the entry point, the [`Renderer`] that writes each file with its header, and
//! the helpers the others share. One file per part of the output: [`cluster`] (the roots in a
//! cluster's entry directory, each layer's kustomization, the ConfigMap and Namespaces),
//! [`component`], and per app [`base`], [`overlay`] (one per cluster) and
//! [`flux_kustomization`] (one per cluster).

mod base;
mod cluster;
mod component;
mod flux_kustomization;
mod helm;
mod objects;
mod overlay;

use serde::Serialize;

use crate::layout::Layout;
use crate::model::{self, App, Model};
use crate::tree::FileTree;
use objects::{FilePatch, Kustomization, Metadata, SourceRef, Target};

const FLUX_KUSTOMIZATION: &str = "kustomize.toolkit.fluxcd.io/v1";
const HELM_RELEASE: &str = "helm.toolkit.fluxcd.io/v2";
const SOURCE: &str = "source.toolkit.fluxcd.io/v1";
const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// `yaml-language-server` schema URLs, so editors validate what they open.
mod schema {
    const FLUX: &str = "https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main";
    const KUBERNETES: &str = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/master-standalone-strict";
    pub(super) const KUSTOMIZATION: &str = "https://json.schemastore.org/kustomization";

    pub(super) fn flux(file: &str) -> String {
        format!("{FLUX}/{file}.json")
    }

    pub(super) fn kubernetes(file: &str) -> String {
        format!("{KUBERNETES}/{file}.json")
    }
}

/// Renders the whole output tree. `spec_label` names the spec file in every header
/// (`spec/homelab.kdl`).
pub(crate) fn render(model: &Model, spec_label: &str) -> FileTree {
    let mut tree = FileTree::default();
    let mut emit = |path, contents| tree.insert(path, contents);
    let mut renderer = Renderer::new(model, spec_label, &mut emit);
    renderer.clusters_and_components();
    for app in &model.apps {
        renderer.app(app);
    }
    tree
}

/// Renders every file of `model` and hands each to `emit` (path, contents), in an order that
/// depends on the model alone, each path once; `spec_label` as for [`render`]. Each app's part of
/// the model is dropped once its files are out, so the memory it held serves the files that
/// follow.
pub(crate) fn render_each(
    mut model: Model,
    spec_label: &str,
    emit: &mut dyn FnMut(String, Vec<u8>),
) {
    // The clusters' kustomizations list every app, so they are rendered with the apps in place.
    Renderer::new(&model, spec_label, emit).clusters_and_components();
    let apps = std::mem::take(&mut model.apps);
    let mut renderer = Renderer::new(&model, spec_label, emit);
    for app in apps {
        renderer.app(&app);
    }
}

struct Renderer<'a> {
    model: &'a Model,
    layout: Layout<'a>,
    spec_label: &'a str,
    /// Where each rendered file goes.
    emit: &'a mut dyn FnMut(String, Vec<u8>),
}

fn to_yaml(object: &impl Serialize) -> String {
    // Our objects are structs of strings, bools, string-keyed maps and JSON values, all of which
    // YAML can represent, so serialization cannot fail.
    serde_saphyr::to_string(object).expect("output objects always serialize to YAML")
}

/// One YAML document: the object serialized, preceded by its schema line.
fn document(schema: &str, object: &impl Serialize) -> String {
    format!(
        "---\n# yaml-language-server: $schema={schema}\n{}",
        to_yaml(object)
    )
}

fn kustomization(
    resources: Vec<String>,
    components: Vec<String>,
    patches: Vec<FilePatch>,
) -> Kustomization {
    Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources,
        components,
        patches,
    }
}

fn target(target: Option<&model::Target>) -> Option<Target> {
    target.map(|target| Target {
        group: target.group.clone(),
        version: target.version.clone(),
        kind: target.kind.clone(),
        name: target.name.clone(),
        label_selector: target.label_selector.clone(),
        annotation_selector: target.annotation_selector.clone(),
    })
}

/// Objects under `app-flux-kustomizations/` are applied by a root Kustomization that substitutes
/// the cluster's variables. fluxspec has already resolved them, so an object holding a `$` opts out
/// of that substitution rather than have it rewrite `$$` or `${...}` in user values.
fn opt_out_of_root_substitution(metadata: &mut Metadata, yaml: &str) {
    if yaml.contains('$') {
        metadata
            .annotations
            .insert(SUBSTITUTE_ANNOTATION.to_owned(), "disabled".to_owned());
    }
}

impl<'a> Renderer<'a> {
    fn new(
        model: &'a Model,
        spec_label: &'a str,
        emit: &'a mut dyn FnMut(String, Vec<u8>),
    ) -> Self {
        Self {
            model,
            layout: Layout::new(&model.settings),
            spec_label,
            emit,
        }
    }

    /// Every file but the apps': each cluster's, then each component's.
    fn clusters_and_components(&mut self) {
        for cluster in &self.model.clusters {
            self.cluster(cluster);
        }
        for component in &self.model.components {
            self.component(component);
        }
    }

    fn header(&self, about: &str) -> String {
        format!(
            "# Generated by fluxspec from {} ({about}). Do not edit: change the spec and run `fluxspec compile`.\n",
            self.spec_label
        )
    }

    fn write(&mut self, path: String, about: &str, documents: &[String]) {
        let header = self.header(about);
        // Sized up front: growing by doubling left up to half of every file's buffer unused, and
        // a cold compile holds every file until it writes them.
        let mut text =
            String::with_capacity(header.len() + documents.iter().map(String::len).sum::<usize>());
        text.push_str(&header);
        for document in documents {
            text.push_str(document);
        }
        (self.emit)(path, text.into_bytes());
    }

    fn source_ref(&self) -> SourceRef {
        SourceRef {
            kind: "GitRepository",
            name: self.model.settings.source_name.clone(),
            namespace: Some(self.model.settings.source_namespace.clone()),
        }
    }

    /// An app's base, and on each of its clusters its overlay and Flux Kustomization.
    fn app(&mut self, app: &App) {
        self.app_base(app);
        for deployment in &app.deployments {
            self.app_overlay(app, deployment);
            self.app_flux_kustomization(app, deployment);
        }
    }
}

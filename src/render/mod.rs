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

/// The `yaml-language-server` schema of a document, so editors validate what they open.
#[derive(Clone, Copy)]
enum Schema {
    /// A Flux CRD's schema, by file name: `kustomization-kustomize-v1`.
    Flux(&'static str),
    /// A built-in Kubernetes kind's schema, by file name: `namespace-v1`.
    Kubernetes(&'static str),
    /// kustomize's `kustomization.yaml`.
    Kustomization,
}

impl Schema {
    /// Appends the schema's URL to `text`, piece by piece rather than formatted into a new string.
    fn push_url(self, text: &mut String) {
        const FLUX: &str = "https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main";
        const KUBERNETES: &str = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/master-standalone-strict";
        match self {
            Schema::Flux(file) | Schema::Kubernetes(file) => {
                text.push_str(if matches!(self, Schema::Flux(_)) {
                    FLUX
                } else {
                    KUBERNETES
                });
                text.push('/');
                text.push_str(file);
                text.push_str(".json");
            }
            Schema::Kustomization => text.push_str("https://json.schemastore.org/kustomization"),
        }
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

/// The YAML documents of one file, each serialized straight into the file's text.
struct Documents<'t> {
    text: &'t mut String,
}

impl Documents<'_> {
    /// Appends one YAML document: its schema line, then the object.
    fn add(&mut self, schema: Schema, object: &impl Serialize) {
        self.schema_line(schema);
        self.object(object);
    }

    /// Appends one YAML document of an object applied under `app-flux-kustomizations/`, by a
    /// root Kustomization that substitutes the cluster's variables. fluxspec has already
    /// resolved them, so an object holding a `$` opts out of that substitution rather than have
    /// it rewrite `$$` or `${...}` in user values. `metadata` is the object's metadata.
    fn add_root_applied<O: Serialize>(
        &mut self,
        schema: Schema,
        object: &mut O,
        metadata: impl FnOnce(&mut O) -> &mut Metadata,
    ) {
        self.schema_line(schema);
        // Serialized once, and again only in the rare case it holds a `$`.
        let start = self.text.len();
        self.object(object);
        if self.text[start..].contains('$') {
            self.text.truncate(start);
            metadata(object)
                .annotations
                .insert(SUBSTITUTE_ANNOTATION.to_owned(), "disabled".to_owned());
            self.object(object);
        }
    }

    fn schema_line(&mut self, schema: Schema) {
        self.text.push_str("---\n# yaml-language-server: $schema=");
        schema.push_url(self.text);
        self.text.push('\n');
    }

    fn object(&mut self, object: &impl Serialize) {
        // Our objects are structs of strings, bools, string-keyed maps and JSON values, all of
        // which YAML can represent, and writing to a `String` cannot fail, so serialization
        // cannot fail.
        serde_saphyr::to_fmt_writer(self.text, object)
            .expect("output objects always serialize to YAML");
    }
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

    /// Writes the file at `path`: its header, saying what it is `about`, then the YAML
    /// `documents`.
    fn write(&mut self, path: String, about: &str, documents: impl FnOnce(&mut Documents<'_>)) {
        let mut text = String::new();
        for piece in [
            "# Generated by fluxspec from ",
            self.spec_label,
            " (",
            about,
            "). Do not edit: change the spec and run `fluxspec compile`.\n",
        ] {
            text.push_str(piece);
        }
        documents(&mut Documents { text: &mut text });
        // Growing by doubling leaves up to half of the buffer unused, and a cold compile holds
        // every file until it writes them. (A buffer reused from file to file, copied out at
        // its exact size, saved a little more CPU but raised peak RSS by 3 MB at 10 000 apps.)
        text.shrink_to_fit();
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

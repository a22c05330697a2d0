//! The `app` node and what it holds: its chart (`helm`), images and their versions, and its
//! per-cluster blocks.

use kdl::KdlNode;
use miette::SourceSpan;

use super::helm::{read_cluster_helm, read_helm, read_versions};
use super::knobs::{TARGET_PROPS, read_knob, read_target, read_var};
use super::reader::{Props, Reader, children, name};
use super::syntax::{App, AppCluster, ComponentUse, FilePatch, Image, Knobs, Spanned};

pub(super) const APP: &[&str] = &[
    "layer",
    "namespace",
    "target-namespace",
    "clusters",
    "depends-on",
    "manifests",
    "component",
    "var",
    "helm",
    "image",
    "cluster",
    "wait",
    "interval",
    "retry-interval",
    "timeout",
    "health-check",
    "health-check-expr",
    "inline-patch",
    "label",
];
pub(super) const APP_CLUSTER: &[&str] = &[
    "patch",
    "manifest",
    "var",
    "wait",
    "interval",
    "retry-interval",
    "timeout",
    "health-check",
    "health-check-expr",
    "inline-patch",
    "label",
    "helm",
];
pub(super) const IMAGE: &[&str] = &["version"];

fn read_image(reader: &mut Reader, node: &KdlNode) -> Option<Image> {
    let node = &*reader.props_as_children(node, &["values-path"], IMAGE);
    reader.shape(node, Some(1), &Props::Only(&["values-path"]), true);
    let image_name = reader.required_arg(node, 0, "the image's name");
    let values_path = reader.prop(node, "values-path");
    let mut versions = Vec::new();
    for child in children(node) {
        match name(child) {
            "version" => read_versions(reader, child, &mut versions),
            _ => reader.unknown_node(child, "image", IMAGE),
        }
    }
    Some(Image {
        name: image_name?,
        values_path,
        versions,
    })
}

fn read_app_cluster(reader: &mut Reader, node: &KdlNode) -> Option<AppCluster> {
    let node = &*reader.props_as_children(node, &[], APP_CLUSTER);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let cluster_name = reader.required_arg(node, 0, "the cluster's name");
    let mut patches = Vec::new();
    let mut manifests = Vec::new();
    let mut vars = Vec::new();
    let mut knobs = Knobs::default();
    let mut helm = None;
    let mut helm_span: Option<SourceSpan> = None;
    for child in children(node) {
        if read_knob(reader, child, &mut knobs) {
            continue;
        }
        match name(child) {
            "patch" => {
                reader.shape(child, Some(1), &Props::Only(TARGET_PROPS), false);
                let path = reader.required_arg(child, 0, "a patch file");
                let target = read_target(reader, child);
                patches.extend(path.map(|path| FilePatch { path, target }));
            }
            "manifest" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                manifests.extend(reader.string_args(child, "a file or directory"));
            }
            "var" => vars.extend(read_var(reader, child)),
            "helm" => {
                let settings = read_cluster_helm(reader, child);
                if let Some(first) = helm_span {
                    reader.duplicate_node(child, first);
                } else {
                    helm_span = Some(reader.name_span(child));
                    helm = Some(settings);
                }
            }
            _ => reader.unknown_node(child, "cluster", APP_CLUSTER),
        }
    }
    Some(AppCluster {
        name: cluster_name?,
        patches,
        manifests,
        vars,
        knobs,
        helm,
    })
}

pub(super) fn read_app(reader: &mut Reader, node: &KdlNode) -> Option<App> {
    let node = &*reader.props_as_children(node, &[], APP);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let app_name = reader.required_arg(node, 0, "the app's name");
    let mut app = App {
        name: app_name.clone().unwrap_or(Spanned {
            value: String::new(),
            span: reader.name_span(node),
        }),
        layer: None,
        namespace: None,
        target_namespace: None,
        clusters: None,
        clusters_span: None,
        depends_on: Vec::new(),
        manifests: Vec::new(),
        components: Vec::new(),
        vars: Vec::new(),
        helm: None,
        images: Vec::new(),
        knobs: Knobs::default(),
        per_cluster: Vec::new(),
    };
    let mut helm_span: Option<SourceSpan> = None;
    for child in children(node) {
        if read_knob(reader, child, &mut app.knobs) {
            continue;
        }
        match name(child) {
            "layer" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.required_arg(child, 0, "\"platform\" or \"apps\"");
                reader.once(&mut app.layer, value, child);
            }
            "namespace" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.required_arg(child, 0, "a namespace");
                reader.once(&mut app.namespace, value, child);
            }
            "target-namespace" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.bool_arg(child);
                reader.once(&mut app.target_namespace, value, child);
            }
            "clusters" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                // No name at all parks the app: it is deployed nowhere (a warning).
                let names = reader.strings(child);
                if let Some(first) = app.clusters_span {
                    reader.duplicate_node(child, first);
                } else {
                    app.clusters_span = Some(reader.name_span(child));
                    app.clusters = Some(names);
                }
            }
            "depends-on" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                app.depends_on
                    .extend(reader.string_args(child, "one or more app names"));
            }
            "manifests" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                app.manifests
                    .extend(reader.string_args(child, "one or more files or directories"));
            }
            "component" => {
                reader.shape(child, Some(1), &Props::Any, false);
                let component = reader.required_arg(child, 0, "a component name");
                let values = reader.props_as_vars(child);
                app.components
                    .extend(component.map(|name| ComponentUse { name, values }));
            }
            "var" => app.vars.extend(read_var(reader, child)),
            "helm" => {
                let helm = read_helm(reader, child);
                if let Some(first) = helm_span {
                    reader.duplicate_node(child, first);
                } else {
                    helm_span = Some(reader.name_span(child));
                    app.helm = helm;
                }
            }
            "image" => app.images.extend(read_image(reader, child)),
            "cluster" => app.per_cluster.extend(read_app_cluster(reader, child)),
            _ => reader.unknown_node(child, "app", APP),
        }
    }
    app_name.map(|_| app)
}

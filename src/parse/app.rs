//! The `app` node and what it holds: its chart (`helm`), images and their versions, and its
//! per-cluster blocks.

use kdl::KdlNode;
use miette::SourceSpan;

use super::helm::{read_cluster_helm, read_helm, read_versions};
use super::knobs::{TARGET_PROPS, read_knob, read_target, read_var};
use super::reader::{Props, Reader, children, name};
use super::syntax::{App, AppCluster, ComponentUse, FilePatch, Image, Knobs, Remote, Spanned};

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
    "remote",
    "cluster",
    "wait",
    "interval",
    "retry-interval",
    "timeout",
    "health-check",
    "health-check-expr",
    "inline-patch",
    "label",
    "deletion-policy",
    "force",
    "decryption",
    "substitute-from",
];
pub(super) const APP_CLUSTER: &[&str] = &[
    "patch",
    "manifest",
    "var",
    "depends-on",
    "suspend",
    "wait",
    "interval",
    "retry-interval",
    "timeout",
    "health-check",
    "health-check-expr",
    "inline-patch",
    "label",
    "deletion-policy",
    "force",
    "decryption",
    "substitute-from",
    "helm",
];
pub(super) const IMAGE: &[&str] = &["version"];
pub(super) const REMOTE: &[&str] = &["version"];

fn read_remote(reader: &mut Reader, node: &KdlNode) -> Option<Remote> {
    let node = &*reader.props_as_children(node, &[], REMOTE);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let url = reader.required_arg(node, 0, "a remote base, `github.com/owner/repo/directory`");
    let mut versions = Vec::new();
    for child in children(node) {
        match name(child) {
            "version" => read_versions(reader, child, &mut versions),
            _ => reader.unknown_node(child, "remote", REMOTE),
        }
    }
    Some(Remote {
        url: url?,
        versions,
    })
}

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
    let mut depends_on = Vec::new();
    let mut depends_on_replace = None;
    let mut suspend = None;
    for child in children(node) {
        if read_knob(reader, child, &mut knobs) {
            continue;
        }
        match name(child) {
            "depends-on" => {
                reader.shape(child, None, &Props::Only(&["replace"]), false);
                let replace = reader.bool_prop(child, "replace");
                if replace.is_some_and(|replace| replace.value) {
                    depends_on_replace.get_or_insert(reader.name_span(child));
                    // `depends-on replace=#true` alone: no dependency on this cluster.
                    depends_on.extend(reader.strings(child));
                } else {
                    depends_on.extend(reader.string_args(child, "one or more app names"));
                }
            }
            "suspend" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.bool_arg(child);
                reader.once(&mut suspend, value, child);
            }
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
        depends_on,
        depends_on_replace,
        suspend,
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
        remotes: Vec::new(),
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
                let mut values = reader.props_as_vars(child);
                // `level` chooses where the component applies; every other property is a
                // variable of the component.
                let level = values
                    .iter()
                    .position(|value| value.name.value == "level")
                    .map(|at| values.remove(at).value);
                app.components.extend(component.map(|name| ComponentUse {
                    name,
                    level,
                    values,
                }));
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
            "remote" => app.remotes.extend(read_remote(reader, child)),
            "cluster" => app.per_cluster.extend(read_app_cluster(reader, child)),
            _ => reader.unknown_node(child, "app", APP),
        }
    }
    app_name.map(|_| app)
}

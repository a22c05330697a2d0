//! The top-level nodes but `app`: `settings`, `cluster` and `component`, and the loop that
//! reads a chunk's nodes into the [`Spec`].

use kdl::{KdlDocument, KdlNode};
use miette::SourceSpan;

use super::app::read_app;
use super::defaults::read_defaults;
use super::knobs::{TARGET_PROPS, read_target, read_timing, read_var};
use super::layout::read_layout;
use super::namespace::read_namespace;
use super::reader::{Props, Reader, children, name};
use super::syntax::{
    Cluster, Component, ComponentVar, Defaults, FilePatch, Settings, Spec, Timings,
};

pub(super) const TOP_LEVEL: &[&str] = &[
    "settings",
    "defaults",
    "namespace",
    "cluster",
    "component",
    "app",
];
pub(super) const SETTINGS: &[&str] = &[
    "source",
    "output-path",
    "layout",
    "interval",
    "retry-interval",
    "timeout",
    "name-label",
];
pub(super) const CLUSTER: &[&str] = &[
    "var",
    "suspend",
    "interval",
    "retry-interval",
    "timeout",
    "defaults",
    "namespace",
];
pub(super) const COMPONENT: &[&str] = &["path", "var", "patch", "component"];

/// Reads the top-level nodes of one chunk into `spec`; `settings_span` remembers a `settings`
/// node across chunks.
pub(super) fn read_spec(
    reader: &mut Reader,
    document: &KdlDocument,
    spec: &mut Spec,
    settings_span: &mut Option<SourceSpan>,
) {
    for node in document.nodes() {
        match name(node) {
            "settings" => {
                if let Some(first) = *settings_span {
                    reader.duplicate_node(node, first);
                } else {
                    *settings_span = Some(reader.name_span(node));
                    spec.settings = Some(read_settings(reader, node));
                }
            }
            "defaults" => spec.defaults.push(read_defaults(reader, node, true)),
            "namespace" => spec.namespaces.extend(read_namespace(reader, node)),
            "cluster" => spec.clusters.extend(read_cluster(reader, node)),
            "component" => spec.components.extend(read_component(reader, node)),
            "app" => spec.apps.extend(read_app(reader, node)),
            _ => reader.unknown_node(node, "the spec", TOP_LEVEL),
        }
    }
}

fn read_settings(reader: &mut Reader, node: &KdlNode) -> Settings {
    let node = &*reader.props_as_children(node, &[], SETTINGS);
    reader.shape(node, Some(0), &Props::Only(&[]), true);
    let mut settings = Settings::default();
    for child in children(node) {
        if read_timing(reader, child, &mut settings.timings) {
            continue;
        }
        match name(child) {
            "source" => {
                reader.shape(child, Some(1), &Props::Only(&["namespace"]), false);
                let value = reader.required_arg(child, 0, "the GitRepository's name");
                reader.once(&mut settings.source_name, value, child);
                settings.source_namespace = reader.prop(child, "namespace");
            }
            "output-path" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.required_arg(child, 0, "a path such as \"./generated\"");
                reader.once(&mut settings.output_path, value, child);
            }
            "name-label" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.bool_arg(child);
                reader.once(&mut settings.name_label, value, child);
            }
            "layout" => {
                let layout = read_layout(reader, child);
                if let Some(first) = &settings.layout {
                    reader.duplicate_node(child, first.span);
                } else {
                    settings.layout = Some(layout);
                }
            }
            _ => reader.unknown_node(child, "settings", SETTINGS),
        }
    }
    settings
}

fn read_cluster(reader: &mut Reader, node: &KdlNode) -> Option<Cluster> {
    let node = &*reader.props_as_children(node, &[], CLUSTER);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let cluster_name = reader.required_arg(node, 0, "the cluster's name");
    let mut vars = Vec::new();
    let mut suspend = Vec::new();
    let mut timings = Timings::default();
    let mut defaults: Option<Defaults> = None;
    let mut namespaces = Vec::new();
    for child in children(node) {
        if read_timing(reader, child, &mut timings) {
            continue;
        }
        match name(child) {
            "var" => vars.extend(read_var(reader, child)),
            "suspend" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                suspend.extend(reader.string_args(child, "a layer: \"platform\" or \"apps\""));
            }
            "defaults" => {
                let read = read_defaults(reader, child, false);
                if let Some(first) = &defaults {
                    reader.duplicate_node(child, first.span);
                } else {
                    defaults = Some(read);
                }
            }
            "namespace" => namespaces.extend(read_namespace(reader, child)),
            _ => reader.unknown_node(child, "cluster", CLUSTER),
        }
    }
    Some(Cluster {
        name: cluster_name?,
        vars,
        suspend,
        timings,
        defaults,
        namespaces,
    })
}

fn read_component(reader: &mut Reader, node: &KdlNode) -> Option<Component> {
    let node = &*reader.props_as_children(node, &[], COMPONENT);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let component_name = reader.required_arg(node, 0, "the component's name");
    let mut path = None;
    let mut vars = Vec::new();
    let mut patches = Vec::new();
    let mut uses = Vec::new();
    for child in children(node) {
        match name(child) {
            "patch" => {
                reader.shape(child, Some(1), &Props::Only(TARGET_PROPS), false);
                let path = reader.required_arg(child, 0, "a patch file");
                let target = read_target(reader, child);
                patches.extend(path.map(|path| FilePatch { path, target }));
            }
            "component" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                uses.extend(reader.required_arg(child, 0, "a component name"));
            }
            "path" => {
                reader.shape(child, Some(1), &Props::Only(&[]), false);
                let value = reader.required_arg(child, 0, "a directory under the spec directory");
                reader.once(&mut path, value, child);
            }
            "var" => {
                reader.shape(child, Some(1), &Props::Only(&["default"]), false);
                let var_name = reader.required_arg(child, 0, "a variable name");
                let default = reader.prop(child, "default");
                vars.extend(var_name.map(|name| ComponentVar { name, default }));
            }
            _ => reader.unknown_node(child, "component", COMPONENT),
        }
    }
    Some(Component {
        name: component_name?,
        path,
        vars,
        patches,
        uses,
    })
}

//! Stage 1: KDL text -> spanned [`syntax::Spec`].
//!
//! Checks the shape of every node (known names, argument counts, property names, value types) and
//! nothing else: whether a named cluster or file exists is `resolve`'s business. Reads no files.
//!
//! The `kdl` crate recurses per nesting level and per error it recovers from; [`split`] bounds
//! both, but the bound is still deeper than a 2 MiB thread stack holds in a debug build, so
//! callers run this on a large stack, as `compile` does.

mod reader;
mod split;
pub(crate) mod syntax;

use kdl::{KdlDocument, KdlNode};
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::suggest::shown;

use reader::{Props, Reader, children, name};
use split::Refusal;
use syntax::{
    App, AppCluster, Cluster, Component, ComponentUse, ComponentVar, FilePatch, HealthCheck,
    HealthCheckExpr, Helm, Image, InlinePatch, Knobs, Settings, Spanned, Spec, Target, Timings,
    ValuesFile, Var, Version,
};

/// A mistake in the shape of the spec.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error("{message}")]
    #[diagnostic(code("fluxspec::kdl-syntax"))]
    Syntax {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },
    #[error("unknown node `{name}` in `{parent}`")]
    #[diagnostic(code("fluxspec::unknown-node"))]
    UnknownNode {
        name: String,
        parent: String,
        #[label("unknown node")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("unknown property `{name}` on `{node}`")]
    #[diagnostic(code("fluxspec::unknown-property"))]
    UnknownProperty {
        name: String,
        node: String,
        #[label("unknown property")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("property `{name}` is given twice")]
    #[diagnostic(code("fluxspec::duplicate-property"))]
    DuplicateProperty {
        name: String,
        #[label("second `{name}`")]
        span: SourceSpan,
    },
    #[error("too many arguments to `{node}`")]
    #[diagnostic(code("fluxspec::unexpected-argument"), help("remove this argument"))]
    UnexpectedArgument {
        node: String,
        #[label("unexpected argument")]
        span: SourceSpan,
    },
    #[error("`{node}` takes no children block")]
    #[diagnostic(
        code("fluxspec::unexpected-children"),
        help("remove the `{{ ... }}` block")
    )]
    UnexpectedChildren {
        node: String,
        #[label("unexpected block")]
        span: SourceSpan,
    },
    #[error("`{node}` needs {what}")]
    #[diagnostic(code("fluxspec::missing-argument"))]
    MissingArgument {
        node: String,
        what: &'static str,
        #[label("missing {what}")]
        span: SourceSpan,
    },
    #[error("`{node}` needs the property `{name}`")]
    #[diagnostic(code("fluxspec::missing-property"))]
    MissingProperty {
        node: String,
        name: &'static str,
        #[label("add `{name}=...`")]
        span: SourceSpan,
    },
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code("fluxspec::wrong-type"))]
    WrongType {
        expected: &'static str,
        found: &'static str,
        #[label("expected {expected}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("blocks nest deeper than {max} levels")]
    #[diagnostic(
        code("fluxspec::too-deep"),
        help("a spec nests at most four levels (`app {{ cluster {{ ... }} }}`): close the blocks")
    )]
    TooDeep {
        max: usize,
        #[label("one level too deep")]
        span: SourceSpan,
    },
    #[error("this node is {len} bytes long; the limit is {max}")]
    #[diagnostic(
        code("fluxspec::node-too-long"),
        help("move long inline text (an `inline-patch`) into a file and reference it")
    )]
    NodeTooLong {
        len: usize,
        max: usize,
        #[label("this node")]
        span: SourceSpan,
    },
    #[error("`{name}` is a child node of `{node}`, not a property")]
    #[diagnostic(code("fluxspec::property-for-child"))]
    PropertyForChild {
        name: String,
        node: String,
        #[label("a property")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    /// No label: the snippet would print the line, and the character, raw.
    #[error("line {line}, column {column}: the spec holds `{shown}`, a character KDL forbids")]
    #[diagnostic(
        code("fluxspec::forbidden-character"),
        help(
            "control and bidirectional characters can make a line read differently from what it holds: delete it (in a string that really needs it, write the escape `{shown}`)"
        )
    )]
    ForbiddenCharacter {
        line: usize,
        column: usize,
        /// The character as an escape, `\u{202e}`.
        shown: String,
    },
    #[error("`{name}` is given twice")]
    #[diagnostic(code("fluxspec::duplicate-node"), help("keep one of them"))]
    DuplicateNode {
        name: String,
        #[label("second `{name}`")]
        span: SourceSpan,
        #[label("first given here")]
        first: SourceSpan,
    },
}

const TOP_LEVEL: &[&str] = &["settings", "cluster", "component", "app"];
const SETTINGS: &[&str] = &[
    "source",
    "output-path",
    "interval",
    "retry-interval",
    "timeout",
];
const CLUSTER: &[&str] = &["var", "suspend", "interval", "retry-interval", "timeout"];
const COMPONENT: &[&str] = &["path", "var"];
const APP: &[&str] = &[
    "layer",
    "namespace",
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
const APP_CLUSTER: &[&str] = &[
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
];
const HELM: &[&str] = &["version", "values"];
const IMAGE: &[&str] = &["version"];
// No `namespace`: objects have none when overlay patches run (Flux sets `targetNamespace`
// afterwards), so a namespace selector would silently match nothing.
const TARGET_PROPS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "label-selector",
    "annotation-selector",
];

/// The child nodes the parser accepts under `parent` (`None`: the top level; `"app cluster"`: a
/// `cluster` block inside an `app`), so `fmt` can check it knows each of them.
#[cfg(test)]
pub(crate) fn known_children(parent: Option<&str>) -> &'static [&'static str] {
    match parent {
        None => TOP_LEVEL,
        Some("settings") => SETTINGS,
        Some("cluster") => CLUSTER,
        Some("component") => COMPONENT,
        Some("app") => APP,
        Some("app cluster") => APP_CLUSTER,
        Some("helm") => HELM,
        Some("image") => IMAGE,
        Some(_) => &[],
    }
}

/// What parsing found: the spec as far as it could be read, and every error in it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) spec: Spec,
    pub(crate) errors: Vec<Error>,
    /// False when some text could not be read at all (a KDL syntax error, input refused as too
    /// deep or too long): `spec` then lacks nodes, and checking its meaning would report errors
    /// that are not there.
    pub(crate) complete: bool,
}

#[cfg(test)]
impl Parsed {
    /// The spec, or its errors: for tests that need a valid spec.
    pub(crate) fn into_result(self) -> Result<Spec, Vec<Error>> {
        if self.errors.is_empty() {
            Ok(self.spec)
        } else {
            Err(self.errors)
        }
    }
}

/// The most characters KDL forbids that one run reports.
const MAX_FORBIDDEN_SHOWN: usize = 10;

/// The characters KDL v2 forbids in a document (controls but whitespace and newlines, the
/// bidirectional controls, a byte order mark after the start), with line and column.
fn forbidden_characters(source: &str) -> Vec<Error> {
    let mut errors = Vec::new();
    for (number, line) in source.split('\n').enumerate() {
        for (column, c) in line.chars().enumerate() {
            let forbidden = matches!(
                c,
                '\u{0}'..='\u{8}'
                    | '\u{e}'..='\u{1f}'
                    | '\u{7f}'
                    | '\u{200e}'..='\u{200f}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
            ) || (c == '\u{feff}' && (number, column) != (0, 0));
            if forbidden && errors.len() < MAX_FORBIDDEN_SHOWN {
                errors.push(Error::ForbiddenCharacter {
                    line: number + 1,
                    column: column + 1,
                    shown: shown(&c.to_string()),
                });
            }
        }
    }
    errors
}

/// Parses spec text into its syntax tree, collecting every error.
pub(crate) fn parse(source: &str) -> Parsed {
    // Refused before parsing: the parser's messages would quote the line, character included.
    let forbidden = forbidden_characters(source);
    if !forbidden.is_empty() {
        return Parsed {
            spec: Spec::default(),
            errors: forbidden,
            complete: false,
        };
    }
    let split = split::split(source);
    let mut errors: Vec<Error> = split
        .refused
        .iter()
        .map(|refusal| match *refusal {
            Refusal::TooDeep { at } => Error::TooDeep {
                max: split::MAX_DEPTH,
                span: at,
            },
            Refusal::TooLong { at, len } => Error::NodeTooLong {
                len,
                max: split::MAX_CHUNK_BYTES,
                span: at,
            },
        })
        .collect();
    let mut reader = Reader::default();
    let mut spec = Spec::default();
    let mut settings_span = None;
    let mut complete = split.refused.is_empty();
    for range in split.chunks {
        reader.offset = range.start;
        match KdlDocument::parse(source.get(range).unwrap_or_default()) {
            Ok(document) => read_spec(&mut reader, &document, &mut spec, &mut settings_span),
            Err(error) => {
                complete = false;
                let mut keywords = Vec::new();
                for diagnostic in error.diagnostics {
                    let span = reader.at(diagnostic.span);
                    let text = source
                        .get(span.offset()..span.offset() + span.len())
                        .unwrap_or_default()
                        .trim();
                    // KDL v1 wrote `true`, `false` and `null` bare; v2 needs `#`. The parser
                    // reports such a word several ways: once, with the fix, is enough.
                    if let Some(keyword) = ["true", "false", "null"]
                        .into_iter()
                        .find(|keyword| text == *keyword)
                    {
                        if !keywords.contains(&span) {
                            keywords.push(span);
                            reader.errors.push(Error::Syntax {
                                message: format!("`{keyword}` is not a KDL v2 value"),
                                label: format!("write `#{keyword}`"),
                                span,
                                help: Some(format!(
                                    "KDL v2 writes booleans and null with a `#`: `#true`, `#false`, `#null` (a bare `{keyword}` was KDL v1); a string is quoted: `\"{keyword}\"`"
                                )),
                            });
                        }
                        continue;
                    }
                    reader.errors.push(Error::Syntax {
                        message: diagnostic
                            .message
                            .unwrap_or_else(|| "invalid KDL".to_owned()),
                        label: diagnostic.label.unwrap_or_else(|| "here".to_owned()),
                        span,
                        help: diagnostic.help,
                    });
                }
            }
        }
    }
    errors.extend(reader.errors);
    Parsed {
        spec,
        errors,
        complete,
    }
}

/// Reads the top-level nodes of one chunk into `spec`; `settings_span` remembers a `settings`
/// node across chunks.
fn read_spec(
    reader: &mut Reader,
    document: &KdlDocument,
    spec: &mut Spec,
    settings_span: &mut Option<SourceSpan>,
) {
    for node in document.nodes() {
        match name(node) {
            "settings" => {
                if let Some(first) = *settings_span {
                    reader.errors.push(Error::DuplicateNode {
                        name: "settings".to_owned(),
                        span: reader.name_span(node),
                        first,
                    });
                } else {
                    *settings_span = Some(reader.name_span(node));
                    spec.settings = Some(read_settings(reader, node));
                }
            }
            "cluster" => spec.clusters.extend(read_cluster(reader, node)),
            "component" => spec.components.extend(read_component(reader, node)),
            "app" => spec.apps.extend(read_app(reader, node)),
            _ => reader.unknown_node(node, "the spec", TOP_LEVEL),
        }
    }
}

/// Reads `interval`, `retry-interval` and `timeout`; returns false for any other node.
fn read_timing(reader: &mut Reader, node: &KdlNode, timings: &mut Timings) -> bool {
    let slot = match name(node) {
        "interval" => &mut timings.interval,
        "retry-interval" => &mut timings.retry_interval,
        "timeout" => &mut timings.timeout,
        _ => return false,
    };
    reader.shape(node, Some(1), &Props::Only(&[]), false);
    let value = reader.required_arg(node, 0, "a duration such as \"5m\"");
    reader.once(slot, value, node);
    true
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
            _ => reader.unknown_node(child, "settings", SETTINGS),
        }
    }
    settings
}

fn read_var(reader: &mut Reader, node: &KdlNode) -> Option<Var> {
    reader.shape(node, Some(2), &Props::Only(&[]), false);
    let name = reader.required_arg(node, 0, "a name");
    let value = reader.required_arg(node, 1, "a value");
    Some(Var {
        name: name?,
        value: value?,
    })
}

fn read_cluster(reader: &mut Reader, node: &KdlNode) -> Option<Cluster> {
    let node = &*reader.props_as_children(node, &[], CLUSTER);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let cluster_name = reader.required_arg(node, 0, "the cluster's name");
    let mut vars = Vec::new();
    let mut suspend = Vec::new();
    let mut timings = Timings::default();
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
            _ => reader.unknown_node(child, "cluster", CLUSTER),
        }
    }
    Some(Cluster {
        name: cluster_name?,
        vars,
        suspend,
        timings,
    })
}

fn read_component(reader: &mut Reader, node: &KdlNode) -> Option<Component> {
    let node = &*reader.props_as_children(node, &[], COMPONENT);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let component_name = reader.required_arg(node, 0, "the component's name");
    let mut path = None;
    let mut vars = Vec::new();
    for child in children(node) {
        match name(child) {
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
    })
}

fn read_target(reader: &mut Reader, node: &KdlNode) -> Target {
    Target {
        group: reader.prop(node, "group"),
        version: reader.prop(node, "version"),
        kind: reader.prop(node, "kind"),
        name: reader.prop(node, "name"),
        label_selector: reader.prop(node, "label-selector"),
        annotation_selector: reader.prop(node, "annotation-selector"),
    }
}

/// Reads a Flux Kustomization knob into `knobs`; returns false for any other node.
fn read_knob(reader: &mut Reader, node: &KdlNode, knobs: &mut Knobs) -> bool {
    if read_timing(reader, node, &mut knobs.timings) {
        return true;
    }
    match name(node) {
        "wait" => {
            reader.shape(node, Some(1), &Props::Only(&[]), false);
            let value = reader.bool_arg(node);
            reader.once(&mut knobs.wait, value, node);
        }
        "health-check" => {
            reader.shape(
                node,
                Some(0),
                &Props::Only(&["api-version", "kind", "name", "namespace"]),
                false,
            );
            let kind = reader.required_prop(node, "kind");
            let check_name = reader.required_prop(node, "name");
            if let (Some(kind), Some(name)) = (kind, check_name) {
                knobs.health_checks.push(HealthCheck {
                    api_version: reader.prop(node, "api-version"),
                    kind,
                    name,
                    namespace: reader.prop(node, "namespace"),
                });
            }
        }
        "health-check-expr" => {
            reader.shape(
                node,
                Some(0),
                &Props::Only(&["api-version", "kind", "current", "failed", "in-progress"]),
                false,
            );
            let api_version = reader.required_prop(node, "api-version");
            let kind = reader.required_prop(node, "kind");
            let current = reader.required_prop(node, "current");
            if let (Some(api_version), Some(kind), Some(current)) = (api_version, kind, current) {
                knobs.health_check_exprs.push(HealthCheckExpr {
                    api_version,
                    kind,
                    current,
                    failed: reader.prop(node, "failed"),
                    in_progress: reader.prop(node, "in-progress"),
                });
            }
        }
        "inline-patch" => {
            reader.shape(node, Some(1), &Props::Only(TARGET_PROPS), false);
            let patch = reader.required_arg(node, 0, "the patch as a YAML string");
            let target = read_target(reader, node);
            knobs
                .inline_patches
                .extend(patch.map(|patch| InlinePatch { patch, target }));
        }
        "label" => knobs.labels.extend(read_var(reader, node)),
        _ => return false,
    }
    true
}

fn read_versions(reader: &mut Reader, node: &KdlNode, versions: &mut Vec<Version>) {
    reader.shape(node, Some(1), &Props::Only(&["cluster"]), false);
    let value = reader.required_arg(node, 0, "a version");
    let cluster = reader.prop(node, "cluster");
    versions.extend(value.map(|value| Version { value, cluster }));
}

fn read_helm(reader: &mut Reader, node: &KdlNode) -> Option<Helm> {
    let node = &*reader.props_as_children(node, &["chart"], HELM);
    reader.shape(node, Some(1), &Props::Only(&["chart"]), true);
    let url = reader.required_arg(node, 0, "the chart's URL (oci:// or https://)");
    let chart = reader.prop(node, "chart");
    let mut versions = Vec::new();
    let mut values = Vec::new();
    for child in children(node) {
        match name(child) {
            "version" => read_versions(reader, child, &mut versions),
            "values" => {
                reader.shape(child, Some(1), &Props::Only(&["cluster"]), false);
                let path = reader.required_arg(child, 0, "a values file");
                let cluster = reader.prop(child, "cluster");
                values.extend(path.map(|path| ValuesFile { path, cluster }));
            }
            _ => reader.unknown_node(child, "helm", HELM),
        }
    }
    Some(Helm {
        span: reader.name_span(node),
        url: url?,
        chart,
        versions,
        values,
    })
}

fn read_image(reader: &mut Reader, node: &KdlNode) -> Option<Image> {
    let node = &*reader.props_as_children(node, &[], IMAGE);
    reader.shape(node, Some(1), &Props::Only(&[]), true);
    let image_name = reader.required_arg(node, 0, "the image's name");
    let mut versions = Vec::new();
    for child in children(node) {
        match name(child) {
            "version" => read_versions(reader, child, &mut versions),
            _ => reader.unknown_node(child, "image", IMAGE),
        }
    }
    Some(Image {
        name: image_name?,
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
            _ => reader.unknown_node(child, "cluster", APP_CLUSTER),
        }
    }
    Some(AppCluster {
        name: cluster_name?,
        patches,
        manifests,
        vars,
        knobs,
    })
}

fn read_app(reader: &mut Reader, node: &KdlNode) -> Option<App> {
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
            "clusters" => {
                reader.shape(child, None, &Props::Only(&[]), false);
                // No name at all parks the app: it is deployed nowhere (a warning).
                let names = reader.strings(child);
                if let Some(first) = app.clusters_span {
                    reader.errors.push(Error::DuplicateNode {
                        name: "clusters".to_owned(),
                        span: reader.name_span(child),
                        first,
                    });
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
                    reader.errors.push(Error::DuplicateNode {
                        name: "helm".to_owned(),
                        span: reader.name_span(child),
                        first,
                    });
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

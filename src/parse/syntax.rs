//! The spanned syntax tree of a spec: what the KDL says, shaped but not yet checked for meaning.
//!
//! Every value keeps the [`SourceSpan`] it came from so later stages can point at it. Nothing here
//! knows about other nodes: references between clusters, apps and components are plain names
//! until `resolve` checks them.

use miette::SourceSpan;

/// A value and the span of the source text it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: SourceSpan,
}

impl Spanned<String> {
    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }
}

#[derive(Debug, Default)]
pub(crate) struct Spec {
    pub(crate) settings: Option<Settings>,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) components: Vec<Component>,
    pub(crate) apps: Vec<App>,
}

#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub(crate) source_name: Option<Spanned<String>>,
    pub(crate) source_namespace: Option<Spanned<String>>,
    pub(crate) output_path: Option<Spanned<String>>,
    pub(crate) timings: Timings,
}

/// Durations shared by settings, clusters and apps.
#[derive(Debug, Default, Clone)]
pub(crate) struct Timings {
    pub(crate) interval: Option<Spanned<String>>,
    pub(crate) retry_interval: Option<Spanned<String>>,
    pub(crate) timeout: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) name: Spanned<String>,
    pub(crate) vars: Vec<Var>,
    pub(crate) suspend: Vec<Spanned<String>>,
    pub(crate) timings: Timings,
}

/// `var NAME VALUE`, `label KEY VALUE` and the `NAME=VALUE` properties of a component use.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub(crate) name: Spanned<String>,
    pub(crate) value: Spanned<String>,
}

#[derive(Debug)]
pub(crate) struct Component {
    pub(crate) name: Spanned<String>,
    pub(crate) path: Option<Spanned<String>>,
    pub(crate) vars: Vec<ComponentVar>,
}

#[derive(Debug)]
pub(crate) struct ComponentVar {
    pub(crate) name: Spanned<String>,
    pub(crate) default: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct App {
    pub(crate) name: Spanned<String>,
    pub(crate) layer: Option<Spanned<String>>,
    pub(crate) namespace: Option<Spanned<String>>,
    pub(crate) clusters: Option<Vec<Spanned<String>>>,
    /// The `clusters` node's name, when there is one.
    pub(crate) clusters_span: Option<SourceSpan>,
    pub(crate) depends_on: Vec<Spanned<String>>,
    pub(crate) manifests: Vec<Spanned<String>>,
    pub(crate) components: Vec<ComponentUse>,
    pub(crate) vars: Vec<Var>,
    pub(crate) helm: Option<Helm>,
    pub(crate) images: Vec<Image>,
    pub(crate) knobs: Knobs,
    pub(crate) per_cluster: Vec<AppCluster>,
}

#[derive(Debug)]
pub(crate) struct ComponentUse {
    pub(crate) name: Spanned<String>,
    pub(crate) values: Vec<Var>,
}

#[derive(Debug)]
pub(crate) struct Helm {
    /// The `helm` node itself, for errors about the chart as a whole.
    pub(crate) span: SourceSpan,
    pub(crate) url: Spanned<String>,
    pub(crate) chart: Option<Spanned<String>>,
    pub(crate) versions: Vec<Version>,
    pub(crate) values: Vec<ValuesFile>,
}

#[derive(Debug)]
pub(crate) struct ValuesFile {
    pub(crate) path: Spanned<String>,
    pub(crate) cluster: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) name: Spanned<String>,
    pub(crate) versions: Vec<Version>,
}

/// `version "X"` (every cluster) or `version "X" cluster="c"` (one cluster).
#[derive(Debug)]
pub(crate) struct Version {
    pub(crate) value: Spanned<String>,
    pub(crate) cluster: Option<Spanned<String>>,
}

/// Flux Kustomization fields that an app sets for all its clusters or for one.
#[derive(Debug, Default)]
pub(crate) struct Knobs {
    pub(crate) wait: Option<Spanned<bool>>,
    pub(crate) timings: Timings,
    pub(crate) health_checks: Vec<HealthCheck>,
    pub(crate) health_check_exprs: Vec<HealthCheckExpr>,
    pub(crate) inline_patches: Vec<InlinePatch>,
    pub(crate) labels: Vec<Var>,
}

#[derive(Debug)]
pub(crate) struct HealthCheck {
    pub(crate) api_version: Option<Spanned<String>>,
    pub(crate) kind: Spanned<String>,
    pub(crate) name: Spanned<String>,
    pub(crate) namespace: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct HealthCheckExpr {
    pub(crate) api_version: Spanned<String>,
    pub(crate) kind: Spanned<String>,
    pub(crate) current: Spanned<String>,
    pub(crate) failed: Option<Spanned<String>>,
    pub(crate) in_progress: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct InlinePatch {
    pub(crate) patch: Spanned<String>,
    pub(crate) target: Target,
}

/// A kustomize patch selector; every field optional.
#[derive(Debug, Default)]
pub(crate) struct Target {
    pub(crate) group: Option<Spanned<String>>,
    pub(crate) version: Option<Spanned<String>>,
    pub(crate) kind: Option<Spanned<String>>,
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) label_selector: Option<Spanned<String>>,
    pub(crate) annotation_selector: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct AppCluster {
    pub(crate) name: Spanned<String>,
    pub(crate) patches: Vec<FilePatch>,
    pub(crate) manifests: Vec<Spanned<String>>,
    pub(crate) vars: Vec<Var>,
    pub(crate) knobs: Knobs,
}

#[derive(Debug)]
pub(crate) struct FilePatch {
    pub(crate) path: Spanned<String>,
    pub(crate) target: Target,
}

//! The resolved model: a spec whose every reference is checked, every default applied and every
//! referenced file read. `render` turns it into files without being able to fail.
//!
//! Collections are sorted by name, so the output does not depend on the order of the spec.

use std::collections::BTreeMap;

#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) settings: Settings,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) components: Vec<Component>,
    pub(crate) apps: Vec<App>,
}

#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) source_name: String,
    pub(crate) source_namespace: String,
    /// The output directory's path in the Git repository, `./generated`, without a trailing `/`.
    pub(crate) output_path: String,
    pub(crate) timings: Timings,
}

#[derive(Debug, Clone)]
pub(crate) struct Timings {
    pub(crate) interval: String,
    pub(crate) retry_interval: String,
    pub(crate) timeout: String,
}

#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) name: String,
    /// The cluster's variables, `CLUSTER` included.
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) suspend_platform: bool,
    pub(crate) suspend_apps: bool,
    pub(crate) timings: Timings,
}

/// A file read from the spec directory, emitted byte for byte at `name` (relative to the
/// directory it is copied into).
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) files: Vec<SourceFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Layer {
    Platform,
    Apps,
}

impl Layer {
    pub(crate) const ALL: [Layer; 2] = [Layer::Platform, Layer::Apps];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Layer::Platform => "platform",
            Layer::Apps => "apps",
        }
    }
}

#[derive(Debug)]
pub(crate) struct App {
    pub(crate) name: String,
    pub(crate) layer: Layer,
    pub(crate) namespace: String,
    pub(crate) base_manifests: Vec<SourceFile>,
    pub(crate) chart: Option<Chart>,
    /// One per cluster the app runs on, sorted by cluster name.
    pub(crate) deployments: Vec<Deployment>,
}

#[derive(Debug)]
pub(crate) struct Chart {
    pub(crate) source: ChartSource,
    pub(crate) base_values: Option<serde_json::Value>,
}

#[derive(Debug)]
pub(crate) enum ChartSource {
    /// `oci://...`: an `OCIRepository` per cluster, pinned by tag.
    Oci { url: String },
    /// `https://...`: one `HelmRepository`, the chart version pinned per cluster.
    Repository { url: String, chart: String },
}

/// An app in one cluster.
#[derive(Debug)]
pub(crate) struct Deployment {
    pub(crate) cluster: String,
    pub(crate) chart_version: Option<ChartVersion>,
    pub(crate) values: Option<serde_json::Value>,
    /// Image name -> tag.
    pub(crate) images: BTreeMap<String, String>,
    pub(crate) depends_on: Vec<String>,
    pub(crate) components: Vec<String>,
    pub(crate) patches: Vec<OverlayPatch>,
    pub(crate) manifests: Vec<SourceFile>,
    /// `postBuild.substitute`: `APP`, component values, app variables.
    pub(crate) substitute: BTreeMap<String, String>,
    pub(crate) flux: FluxKnobs,
}

/// A chart's version on one cluster, as the spec writes it.
#[derive(Debug, Clone)]
pub(crate) struct ChartVersion {
    /// One version, or a SemVer range Flux resolves (`>=1.0.0 <2.0.0`).
    pub(crate) text: String,
    pub(crate) is_range: bool,
    /// The version a patch of the spec sets instead, which is what Flux applies.
    pub(crate) patched: Option<String>,
}

#[derive(Debug)]
pub(crate) struct OverlayPatch {
    pub(crate) file: SourceFile,
    pub(crate) target: Option<Target>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) group: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) label_selector: Option<String>,
    pub(crate) annotation_selector: Option<String>,
}

/// Fields of an app's Flux Kustomization in one cluster.
#[derive(Debug)]
pub(crate) struct FluxKnobs {
    pub(crate) wait: bool,
    pub(crate) timings: Timings,
    pub(crate) health_checks: Vec<HealthCheck>,
    pub(crate) health_check_exprs: Vec<HealthCheckExpr>,
    pub(crate) inline_patches: Vec<InlinePatch>,
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub(crate) struct HealthCheck {
    pub(crate) api_version: Option<String>,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: String,
}

#[derive(Debug, Clone)]
pub(crate) struct HealthCheckExpr {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) current: String,
    pub(crate) failed: Option<String>,
    pub(crate) in_progress: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct InlinePatch {
    pub(crate) patch: String,
    pub(crate) target: Option<Target>,
}

//! The resolved model: a spec whose every reference is checked, every default applied and every
//! referenced file read. `render` turns it into files without being able to fail.
//!
//! Collections are sorted by name, so the output does not depend on the order of the spec.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) settings: Settings,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) components: Vec<Component>,
    pub(crate) apps: Vec<App>,
    /// The HelmRepositories several apps share, each emitted once per cluster, sorted by name.
    pub(crate) shared_repositories: Vec<SharedRepository>,
    /// The SOPS-encrypted files the spec applies, by their paths relative to the spec directory:
    /// `fluxspec renovate` hides them from Renovate, whose edits would break their MAC.
    pub(crate) encrypted_files: BTreeSet<String>,
}

/// A HelmRepository that several apps name (same URL, same settings): emitted once per cluster
/// any of them runs on, in the source namespace, with the platform layer.
#[derive(Debug)]
pub(crate) struct SharedRepository {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) settings: RepositorySettings,
    /// The clusters one of its apps runs on, sorted.
    pub(crate) clusters: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) source_name: String,
    pub(crate) source_namespace: String,
    /// The output directory's path in the Git repository, `./generated`, without a trailing `/`.
    pub(crate) output_path: String,
    pub(crate) timings: Timings,
    /// Whether each app's `commonMetadata` labels its objects `app.kubernetes.io/name: <app>`.
    pub(crate) name_label: bool,
    pub(crate) layout: LayoutSettings,
}

/// The parts of the output layout the spec chooses (`settings { layout }`).
#[derive(Debug, Clone)]
pub(crate) struct LayoutSettings {
    /// `app-flux-kustomizations/<layer>/<cluster>` rather than `<cluster>/<layer>`.
    pub(crate) layer_first: bool,
    /// The root Kustomizations' name, with `{layer}` and `{cluster}`.
    pub(crate) root_kustomization: String,
    /// The cluster ConfigMap's name.
    pub(crate) cluster_config: String,
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
    /// The Namespaces the platform root applies on the cluster, sorted by name.
    pub(crate) namespaces: Vec<Namespace>,
}

/// A Namespace fluxspec writes, with the labels and annotations the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Namespace {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
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
    /// Patches of the objects of the kustomization that uses the component.
    pub(crate) patches: Vec<OverlayPatch>,
    /// The components it uses, sorted.
    pub(crate) components: Vec<String>,
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
    /// Where the app's namespaced objects go, or (without `target_namespace`) fluxspec's own.
    pub(crate) namespace: String,
    /// Whether its Flux Kustomizations set `targetNamespace` (`target-namespace #false`: no).
    pub(crate) target_namespace: bool,
    /// Whether anything of the app lives in `namespace`, so that it needs the Namespace.
    pub(crate) uses_namespace: bool,
    pub(crate) base_manifests: Vec<SourceFile>,
    pub(crate) chart: Option<Chart>,
    /// One per cluster the app runs on, sorted by cluster name.
    pub(crate) deployments: Vec<Deployment>,
}

impl App {
    /// The namespace fluxspec writes into the metadata of the objects it generates for the app:
    /// none when its Flux Kustomization sets `targetNamespace`, which puts them there.
    pub(crate) fn own_namespace(&self) -> Option<String> {
        (!self.target_namespace).then(|| self.namespace.clone())
    }
}

#[derive(Debug)]
pub(crate) struct Chart {
    pub(crate) source: ChartSource,
    pub(crate) base_values: Option<serde_json::Value>,
    /// The images whose tags are set in the chart's values (`values-path`), not by kustomize.
    pub(crate) values_images: BTreeSet<String>,
    /// The HelmRelease's settings on every cluster (a cluster block may change some).
    pub(crate) release: ReleaseSettings,
}

#[derive(Debug)]
pub(crate) enum ChartSource {
    /// `oci://...`: an `OCIRepository` per cluster, pinned by tag.
    Oci { url: String, settings: OciSettings },
    /// `https://...` (or `oci://` with `type "oci"`): a `HelmRepository`, the chart version
    /// pinned per cluster.
    Repository {
        url: String,
        chart: String,
        repository: RepositoryRef,
    },
}

/// Where an app's HelmRepository is: its own, in its base, or one shared with other apps.
#[derive(Debug)]
pub(crate) enum RepositoryRef {
    Own(RepositorySettings),
    /// The name of a [`SharedRepository`].
    Shared(String),
}

/// `OCIRepository` fields besides the URL and the tag.
#[derive(Debug)]
pub(crate) struct OciSettings {
    pub(crate) interval: String,
    pub(crate) secret_ref: Option<String>,
    pub(crate) provider: Option<String>,
    pub(crate) media_type: String,
    pub(crate) operation: String,
    pub(crate) verify: Option<Verify>,
}

/// Cosign or Notation verification of an OCI artifact.
#[derive(Debug)]
pub(crate) struct Verify {
    pub(crate) provider: String,
    pub(crate) secret_ref: Option<String>,
    /// `(issuer, subject)` regular expressions of keyless signatures.
    pub(crate) identities: Vec<(String, String)>,
}

/// `HelmRepository` fields besides the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepositorySettings {
    pub(crate) interval: String,
    pub(crate) secret_ref: Option<String>,
    pub(crate) provider: Option<String>,
    /// `oci`, or `None` for the default.
    pub(crate) repository_type: Option<String>,
}

/// HelmRelease fields fluxspec sets besides the chart and values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReleaseSettings {
    pub(crate) release_name: Option<String>,
    pub(crate) depends_on: Vec<ReleaseRef>,
    pub(crate) interval: String,
    pub(crate) timeout: Option<String>,
    pub(crate) install: Remediation,
    pub(crate) upgrade: Remediation,
    pub(crate) drift_detection: Option<String>,
    pub(crate) max_history: Option<i64>,
    pub(crate) values_from: Vec<ValuesFrom>,
    pub(crate) suspend: Option<bool>,
    /// `spec-field`s: spec field name -> value, checked against the HelmRelease schema.
    pub(crate) extra: BTreeMap<String, serde_json::Value>,
}

/// Another app's HelmRelease; `namespace` when it is not the depending app's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReleaseRef {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

/// An install or upgrade remediation; every field optional (Flux's defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Remediation {
    pub(crate) retries: Option<i64>,
    pub(crate) remediate_last_failure: Option<bool>,
    pub(crate) strategy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValuesFrom {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) key: Option<String>,
    pub(crate) target_path: Option<String>,
    pub(crate) optional: Option<bool>,
}

/// An app in one cluster.
#[derive(Debug)]
pub(crate) struct Deployment {
    pub(crate) cluster: String,
    pub(crate) chart_version: Option<ChartVersion>,
    pub(crate) values: Option<serde_json::Value>,
    /// Image name -> tag.
    pub(crate) images: BTreeMap<String, String>,
    /// The HelmRelease's settings here, when the cluster block changes the app's. Boxed: most
    /// deployments have none, and inline they were a third of every deployment's size.
    pub(crate) release: Option<Box<ReleaseSettings>>,
    pub(crate) depends_on: Vec<String>,
    /// The components the overlay's kustomization.yaml lists, sorted.
    pub(crate) components: Vec<String>,
    /// The components the Flux Kustomization lists (`spec.components`), sorted.
    pub(crate) flux_components: Vec<String>,
    /// Remote kustomize bases (`github.com/owner/repo/dir`) -> the Git tag here.
    pub(crate) remotes: BTreeMap<String, String>,
    pub(crate) patches: Vec<OverlayPatch>,
    pub(crate) manifests: Vec<SourceFile>,
    /// `postBuild.substitute`: `APP`, component values, app variables.
    pub(crate) substitute: BTreeMap<String, String>,
    pub(crate) flux: FluxKnobs,
}

/// The label each app's `commonMetadata` gives its objects unless `name-label #false`.
pub(crate) const NAME_LABEL: &str = "app.kubernetes.io/name";

impl Deployment {
    /// The labels the app's Flux Kustomization here sets on every object (`commonMetadata`):
    /// `app.kubernetes.io/name` (unless the settings turn it off), then the app's `label`s.
    pub(crate) fn common_labels(&self, settings: &Settings, app: &str) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        if settings.name_label {
            labels.insert(NAME_LABEL.to_owned(), app.to_owned());
        }
        labels.extend(self.flux.labels.clone());
        labels
    }
}

/// A chart's version on one cluster, as the spec writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// `MirrorPrune`, `Delete`, `WaitForTermination` or `Orphan`; `None` for Flux's default.
    pub(crate) deletion_policy: Option<String>,
    pub(crate) force: bool,
    /// Set only where the app applies a SOPS-encrypted file.
    pub(crate) decryption: Option<Decryption>,
    /// Sources of variables after the cluster's ConfigMap.
    pub(crate) substitute_from: Vec<SubstituteSource>,
    pub(crate) suspend: bool,
}

impl FluxKnobs {
    /// Knobs with nothing set but `wait` and the timings.
    pub(crate) fn new(wait: bool, timings: Timings) -> Self {
        FluxKnobs {
            wait,
            timings,
            health_checks: Vec::new(),
            health_check_exprs: Vec::new(),
            inline_patches: Vec::new(),
            labels: BTreeMap::new(),
            deletion_policy: None,
            force: false,
            decryption: None,
            substitute_from: Vec::new(),
            suspend: false,
        }
    }
}

/// `spec.decryption`: provider `sops`, with the Secret holding the key, or the controller's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decryption {
    pub(crate) provider: String,
    pub(crate) secret: Option<String>,
}

/// A `postBuild.substituteFrom` source besides the cluster's ConfigMap, with the variables the
/// spec says it provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubstituteSource {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) optional: bool,
    pub(crate) vars: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct HealthCheck {
    pub(crate) api_version: Option<String>,
    pub(crate) kind: String,
    pub(crate) name: String,
    /// `None` for a cluster-scoped object (`namespace=""`).
    pub(crate) namespace: Option<String>,
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

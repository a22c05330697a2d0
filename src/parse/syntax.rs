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
    /// The top-level `defaults` blocks: spec-wide, or for one layer.
    pub(crate) defaults: Vec<Defaults>,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) components: Vec<Component>,
    pub(crate) apps: Vec<App>,
    /// The spec-wide `namespace` nodes.
    pub(crate) namespaces: Vec<Namespace>,
}

/// `namespace "monitoring" create=#false { label K V; annotation K V }`, spec-wide or in a
/// `cluster` block.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub(crate) name: Spanned<String>,
    pub(crate) create: Option<Spanned<bool>>,
    pub(crate) labels: Vec<Var>,
    pub(crate) annotations: Vec<Var>,
}

#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub(crate) source_name: Option<Spanned<String>>,
    pub(crate) source_namespace: Option<Spanned<String>>,
    pub(crate) output_path: Option<Spanned<String>>,
    pub(crate) timings: Timings,
    /// `name-label #false`: no `app.kubernetes.io/name` label in the apps' `commonMetadata`.
    pub(crate) name_label: Option<Spanned<bool>>,
    pub(crate) layout: Option<LayoutSettings>,
}

/// `layout { ... }` in `settings`.
#[derive(Debug)]
pub(crate) struct LayoutSettings {
    /// The `layout` node's name.
    pub(crate) span: SourceSpan,
    /// `"<cluster>/<layer>"` or `"<layer>/<cluster>"`.
    pub(crate) app_flux_kustomizations: Option<Spanned<String>>,
    /// A name with `{layer}` and `{cluster}`.
    pub(crate) root_kustomization: Option<Spanned<String>>,
    pub(crate) cluster_config: Option<Spanned<String>>,
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
    pub(crate) defaults: Option<Defaults>,
    /// The cluster's own `namespace` nodes, over the spec-wide ones.
    pub(crate) namespaces: Vec<Namespace>,
}

/// `defaults { ... }`: knobs every app in its scope starts from (the spec, one layer with
/// `layer=`, or a cluster).
#[derive(Debug)]
pub(crate) struct Defaults {
    /// The `defaults` node's name.
    pub(crate) span: SourceSpan,
    pub(crate) layer: Option<Spanned<String>>,
    pub(crate) knobs: Knobs,
    pub(crate) helm: HelmSettings,
    /// `helm { source { ... } }`: `interval`, `secret-ref` and `provider` only.
    pub(crate) source: SourceSettings,
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
    /// `patch "file" kind=...`: patches of the objects of the app that uses the component.
    pub(crate) patches: Vec<FilePatch>,
    /// `component "name"`: the other components this one uses (kustomize `components:`).
    pub(crate) uses: Vec<Spanned<String>>,
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
    /// `target-namespace #false`: no `targetNamespace`, the objects keep their own namespaces.
    pub(crate) target_namespace: Option<Spanned<bool>>,
    pub(crate) clusters: Option<Vec<Spanned<String>>>,
    /// The `clusters` node's name, when there is one.
    pub(crate) clusters_span: Option<SourceSpan>,
    pub(crate) depends_on: Vec<Spanned<String>>,
    pub(crate) manifests: Vec<Spanned<String>>,
    pub(crate) components: Vec<ComponentUse>,
    pub(crate) vars: Vec<Var>,
    pub(crate) helm: Option<Helm>,
    pub(crate) images: Vec<Image>,
    pub(crate) remotes: Vec<Remote>,
    pub(crate) knobs: Knobs,
    pub(crate) per_cluster: Vec<AppCluster>,
}

#[derive(Debug)]
pub(crate) struct ComponentUse {
    pub(crate) name: Spanned<String>,
    /// `level="flux"` or `level="overlay"` (the default).
    pub(crate) level: Option<Spanned<String>>,
    pub(crate) values: Vec<Var>,
}

/// `remote "github.com/owner/repo/dir" { version "v1" ... }`: a remote kustomize base at a Git
/// tag per cluster.
#[derive(Debug)]
pub(crate) struct Remote {
    pub(crate) url: Spanned<String>,
    pub(crate) versions: Vec<Version>,
}

#[derive(Debug)]
pub(crate) struct Helm {
    /// The `helm` node itself, for errors about the chart as a whole.
    pub(crate) span: SourceSpan,
    pub(crate) url: Spanned<String>,
    pub(crate) chart: Option<Spanned<String>>,
    pub(crate) versions: Vec<Version>,
    pub(crate) values: Vec<ValuesFile>,
    pub(crate) release_name: Option<Spanned<String>>,
    /// `depends-on` inside `helm`: the HelmRelease's own `dependsOn`.
    pub(crate) depends_on: Vec<ReleaseDependency>,
    pub(crate) settings: HelmSettings,
    pub(crate) source: SourceSettings,
}

/// HelmRelease fields an app sets for all its clusters (in `helm`) or for one (in the cluster
/// block's `helm`).
#[derive(Debug, Default)]
pub(crate) struct HelmSettings {
    pub(crate) interval: Option<Spanned<String>>,
    pub(crate) timeout: Option<Spanned<String>>,
    pub(crate) install: Option<Remediation>,
    pub(crate) upgrade: Option<Remediation>,
    pub(crate) drift_detection: Option<Spanned<String>>,
    pub(crate) max_history: Option<Spanned<i128>>,
    pub(crate) values_from: Vec<ValuesFrom>,
    pub(crate) suspend: Option<Spanned<bool>>,
    pub(crate) spec_fields: Vec<SpecField>,
}

/// `install { ... }` or `upgrade { ... }`: the action's remediation.
#[derive(Debug)]
pub(crate) struct Remediation {
    pub(crate) span: SourceSpan,
    pub(crate) retries: Option<Spanned<i128>>,
    pub(crate) remediate_last_failure: Option<Spanned<bool>>,
    /// `upgrade` only.
    pub(crate) strategy: Option<Spanned<String>>,
}

/// `values-from "Secret" "name" key="..." target-path="..." optional=#true`.
#[derive(Debug)]
pub(crate) struct ValuesFrom {
    pub(crate) kind: Spanned<String>,
    pub(crate) name: Spanned<String>,
    pub(crate) key: Option<Spanned<String>>,
    pub(crate) target_path: Option<Spanned<String>>,
    pub(crate) optional: Option<Spanned<bool>>,
}

/// `depends-on "app" namespace="ns"` in `helm`.
#[derive(Debug)]
pub(crate) struct ReleaseDependency {
    pub(crate) app: Spanned<String>,
    pub(crate) namespace: Option<Spanned<String>>,
}

/// `spec-field "name" "<YAML or JSON>"`: any other HelmRelease spec field.
#[derive(Debug)]
pub(crate) struct SpecField {
    pub(crate) name: Spanned<String>,
    pub(crate) value: Spanned<String>,
}

/// `source { ... }` in `helm`: the chart source's settings.
#[derive(Debug, Default)]
pub(crate) struct SourceSettings {
    pub(crate) interval: Option<Spanned<String>>,
    pub(crate) secret_ref: Option<Spanned<String>>,
    pub(crate) provider: Option<Spanned<String>>,
    /// HelmRepository `type`.
    pub(crate) repository_type: Option<Spanned<String>>,
    pub(crate) layer_selector: Option<LayerSelector>,
    pub(crate) verify: Option<Verify>,
}

#[derive(Debug)]
pub(crate) struct LayerSelector {
    pub(crate) span: SourceSpan,
    pub(crate) media_type: Option<Spanned<String>>,
    pub(crate) operation: Option<Spanned<String>>,
}

/// `verify provider="cosign" secret-ref="..." { match-oidc-identity issuer=... subject=... }`.
#[derive(Debug)]
pub(crate) struct Verify {
    pub(crate) span: SourceSpan,
    pub(crate) provider: Option<Spanned<String>>,
    pub(crate) secret_ref: Option<Spanned<String>>,
    pub(crate) identities: Vec<OidcIdentity>,
}

#[derive(Debug)]
pub(crate) struct OidcIdentity {
    pub(crate) issuer: Spanned<String>,
    pub(crate) subject: Spanned<String>,
}

#[derive(Debug)]
pub(crate) struct ValuesFile {
    pub(crate) path: Spanned<String>,
    pub(crate) cluster: Option<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) name: Spanned<String>,
    /// Where a chart's values hold the image (`controllers.main.containers.app.image`): a map
    /// whose `repository` and `tag` the spec sets per cluster.
    pub(crate) values_path: Option<Spanned<String>>,
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
    pub(crate) deletion_policy: Option<Spanned<String>>,
    pub(crate) force: Option<Spanned<bool>>,
    pub(crate) decryption: Option<Spanned<Decryption>>,
    pub(crate) substitute_from: Vec<SubstituteFrom>,
}

/// `decryption "sops" secret="sops-age"`: how kustomize-controller decrypts the SOPS-encrypted
/// files an app applies; without `secret`, with the controller's own key.
#[derive(Debug, Clone)]
pub(crate) struct Decryption {
    pub(crate) provider: Spanned<String>,
    pub(crate) secret: Option<Spanned<String>>,
}

/// `substitute-from "Secret" "name" optional=#true { var "NAME" }`: another source of
/// variables, and the variables it provides.
#[derive(Debug, Clone)]
pub(crate) struct SubstituteFrom {
    pub(crate) kind: Spanned<String>,
    pub(crate) name: Spanned<String>,
    pub(crate) optional: Option<Spanned<bool>>,
    pub(crate) vars: Vec<Spanned<String>>,
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
    /// The cluster block's `helm { ... }`.
    pub(crate) helm: Option<HelmSettings>,
    /// `depends-on` in the cluster block: added to the app's, or in place of them.
    pub(crate) depends_on: Vec<Spanned<String>>,
    /// The first `depends-on ... replace=#true`: the block's list replaces the app's.
    pub(crate) depends_on_replace: Option<SourceSpan>,
    /// `suspend #true`: the app's Flux Kustomization on this cluster is suspended.
    pub(crate) suspend: Option<Spanned<bool>>,
}

#[derive(Debug)]
pub(crate) struct FilePatch {
    pub(crate) path: Spanned<String>,
    pub(crate) target: Target,
}

//! The YAML objects fluxspec emits, as serde structs.
//!
//! Field order is output order: `spec` fields are alphabetical as in hand-written Flux repos, and
//! kustomization.yaml keeps kustomize's conventional order. Empty lists and unset options are
//! left out rather than written as `[]` or `null`.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Object<Spec> {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) spec: Option<Spec>,
}

#[derive(Serialize, Default)]
pub(super) struct Metadata {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) labels: BTreeMap<String, String>,
}

/// `kustomize.toolkit.fluxcd.io/v1` `Kustomization` spec.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[expect(
    clippy::struct_excessive_bools,
    reason = "`force`, `prune`, `suspend` and `wait` are fields of Flux's Kustomization spec"
)]
pub(super) struct FluxKustomizationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) common_metadata: Option<CommonMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) decryption: Option<Decryption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) deletion_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) components: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) depends_on: Vec<NameRef>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) force: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) health_check_exprs: Vec<HealthCheckExpr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) health_checks: Vec<HealthCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) images: Vec<ImageTag>,
    pub(super) interval: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) patches: Vec<InlinePatch>,
    pub(super) path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) post_build: Option<PostBuild>,
    pub(super) prune: bool,
    pub(super) retry_interval: String,
    pub(super) source_ref: SourceRef,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) suspend: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target_namespace: Option<String>,
    pub(super) timeout: String,
    pub(super) wait: bool,
}

/// `spec.decryption`: the provider and the Secret holding the key, if not the controller's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Decryption {
    pub(super) provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_ref: Option<NameRef>,
}

#[derive(Serialize)]
pub(super) struct CommonMetadata {
    pub(super) labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub(super) struct NameRef {
    pub(super) name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HealthCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) api_version: Option<String>,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HealthCheckExpr {
    pub(super) api_version: String,
    pub(super) current: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) failed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) in_progress: Option<String>,
    pub(super) kind: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImageTag {
    pub(super) name: String,
    pub(super) new_tag: String,
}

#[derive(Serialize)]
pub(super) struct InlinePatch {
    pub(super) patch: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target: Option<Target>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) label_selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) annotation_selector: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostBuild {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) substitute: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) substitute_from: Vec<SubstituteFrom>,
}

#[derive(Serialize)]
pub(super) struct SubstituteFrom {
    pub(super) kind: String,
    pub(super) name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) optional: bool,
}

#[derive(Serialize)]
pub(super) struct SourceRef {
    pub(super) kind: &'static str,
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
}

/// `helm.toolkit.fluxcd.io/v2` `HelmRelease` spec, or a patch of one.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct HelmReleaseSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) chart: Option<HelmChartTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) chart_ref: Option<SourceRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) depends_on: Vec<ReleaseDependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) drift_detection: Option<DriftDetection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) install: Option<ReleaseAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_history: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) release_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suspend: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) upgrade: Option<ReleaseAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) values: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) values_from: Vec<ValuesReference>,
    /// The `spec-field`s, checked against the schema when the spec was resolved.
    #[serde(flatten)]
    pub(super) extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize)]
pub(super) struct ReleaseDependency {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) namespace: Option<String>,
}

#[derive(Serialize)]
pub(super) struct DriftDetection {
    pub(super) mode: String,
}

/// `install` or `upgrade`: fluxspec sets only its remediation.
#[derive(Serialize)]
pub(super) struct ReleaseAction {
    pub(super) remediation: Remediation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Remediation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remediate_last_failure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) strategy: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValuesReference {
    pub(super) kind: String,
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) optional: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) values_key: Option<String>,
}

#[derive(Serialize)]
pub(super) struct HelmChartTemplate {
    pub(super) spec: HelmChartTemplateSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HelmChartTemplateSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) chart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) source_ref: Option<SourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<String>,
}

/// `source.toolkit.fluxcd.io/v1` `OCIRepository` spec.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OciRepositorySpec {
    pub(super) interval: String,
    pub(super) layer_selector: LayerSelector,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) provider: Option<String>,
    #[serde(rename = "ref")]
    pub(super) reference: OciRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_ref: Option<NameRef>,
    pub(super) url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) verify: Option<Verify>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LayerSelector {
    pub(super) media_type: String,
    pub(super) operation: String,
}

/// `ref`: a `tag`, or a `semver` range the source-controller resolves to the newest match.
#[derive(Serialize)]
pub(super) struct OciRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) semver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tag: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Verify {
    #[serde(rename = "matchOIDCIdentity", skip_serializing_if = "Vec::is_empty")]
    pub(super) match_oidc_identity: Vec<OidcIdentity>,
    pub(super) provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_ref: Option<NameRef>,
}

#[derive(Serialize)]
pub(super) struct OidcIdentity {
    pub(super) issuer: String,
    pub(super) subject: String,
}

/// `source.toolkit.fluxcd.io/v1` `HelmRepository` spec.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HelmRepositorySpec {
    pub(super) interval: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_ref: Option<NameRef>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) repository_type: Option<String>,
    pub(super) url: String,
}

/// A `v1` `ConfigMap`; it has `data` where other objects have `spec`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigMap {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) metadata: Metadata,
    pub(super) data: BTreeMap<String, String>,
}

/// A kustomize `kustomization.yaml`, a `Kustomization` or a `Component`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Kustomization {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) components: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) patches: Vec<FilePatch>,
}

#[derive(Serialize)]
pub(super) struct FilePatch {
    pub(super) path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target: Option<Target>,
}

//! Namespaces as `namespace` nodes, apps without `targetNamespace`, the `name-label` setting and
//! the file names fluxspec reserves only where it writes them (issue 15), through the binary on
//! specs in temporary directories. Their diagnostics are cases in `tests/cases/`.

mod common;

use std::fs;
use std::path::Path;

const CLUSTER_ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n";

fn read(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path)).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

#[test]
fn namespace_nodes_label_namespaces_per_cluster_and_opt_out() {
    let (_temp, out) = common::compile_clean(
        r#"
namespace "monitoring" {
    label "pod-security.kubernetes.io/enforce" "privileged"
    label "team" "ops"
    annotation "owner" "${OWNER}"
}
namespace "kube-system" create=#false
namespace "external"
cluster "dev" {
    namespace "monitoring" {
        label "pod-security.kubernetes.io/enforce" "baseline"
    }
    namespace "external" create=#false
}
cluster "prod"
app "prometheus" {
    namespace "monitoring"
}
app "metrics-server" {
    namespace "kube-system"
}
"#,
        &[],
    );
    let dev = read(&out, "app-flux-kustomizations/dev/platform/namespaces.yaml");
    let prod = read(
        &out,
        "app-flux-kustomizations/prod/platform/namespaces.yaml",
    );
    // The cluster's node wins key by key; the spec-wide labels it does not name stay.
    assert!(
        dev.contains("pod-security.kubernetes.io/enforce: baseline"),
        "{dev}"
    );
    assert!(dev.contains("team: ops"), "{dev}");
    assert!(
        prod.contains("pod-security.kubernetes.io/enforce: privileged"),
        "{prod}"
    );
    // A `$` in an annotation is not the root Kustomization's to substitute.
    assert!(prod.contains("owner: ${OWNER}"), "{prod}");
    assert!(
        prod.contains("kustomize.toolkit.fluxcd.io/substitute: disabled"),
        "{prod}"
    );
    // Never written where `create=#false`, though an app uses it; written though no app uses it.
    for text in [&dev, &prod] {
        assert!(!text.contains("name: kube-system"), "{text}");
        assert!(
            text.contains("kustomize.toolkit.fluxcd.io/prune: disabled"),
            "{text}"
        );
    }
    assert!(prod.contains("name: external"), "{prod}");
    assert!(!dev.contains("name: external"), "{dev}");
}

#[test]
fn an_app_without_target_namespace_keeps_its_objects_namespaces() {
    let (_temp, out) = common::compile_clean(
        r#"
settings {
    name-label #false
}
cluster "dev"
app "rbac" {
    target-namespace #false
    manifests "apps/rbac"
}
app "web" {
    namespace "shop"
    target-namespace #false
    helm "oci://ghcr.io/stefanprodan/charts/podinfo" {
        version "6.7.1"
    }
}
"#,
        &[("apps/rbac/clusterrole.yaml", CLUSTER_ROLE)],
    );
    let rbac = read(&out, "app-flux-kustomizations/dev/apps/rbac.yaml");
    assert!(!rbac.contains("targetNamespace"), "{rbac}");
    // `name-label #false`: no commonMetadata at all, as the app has no `label` either.
    assert!(!rbac.contains("commonMetadata"), "{rbac}");
    // What fluxspec writes for the chart names its namespace itself.
    let release = read(&out, "apps/web/base/helmrelease.yaml");
    assert!(release.contains("namespace: shop"), "{release}");
    let source = read(&out, "apps/web/dev/ocirepository.yaml");
    assert!(source.contains("namespace: shop"), "{source}");
    // The chart lives in `shop`, so it is written; `rbac` has nothing in a namespace.
    let namespaces = read(&out, "app-flux-kustomizations/dev/platform/namespaces.yaml");
    assert!(namespaces.contains("name: shop"), "{namespaces}");
    assert!(!namespaces.contains("name: rbac"), "{namespaces}");
}

/// Regression (issue 15): `helmrelease.yaml` and `ocirepository.yaml` were refused in every
/// app, even where fluxspec writes no such file.
#[test]
fn a_file_name_is_taken_only_where_fluxspec_writes_it() {
    let config_map = |name: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{}}\n")
    };
    let (_temp, out) = common::compile_clean(
        r#"
cluster "dev"
app "notes" {
    manifests "apps/notes"
}
app "web" {
    manifests "apps/web/ocirepository.yaml"
    helm "oci://ghcr.io/stefanprodan/charts/podinfo" {
        version "6.7.1"
    }
}
"#,
        &[
            ("apps/notes/helmrelease.yaml", &config_map("notes")),
            ("apps/web/ocirepository.yaml", &config_map("web-extra")),
        ],
    );
    assert!(read(&out, "apps/notes/base/helmrelease.yaml").contains("kind: ConfigMap"));
    // In the base: fluxspec writes the OCIRepository in each overlay.
    assert!(read(&out, "apps/web/base/ocirepository.yaml").contains("web-extra"));
    assert!(read(&out, "apps/web/dev/ocirepository.yaml").contains("kind: OCIRepository"));
}

/// Regression: a component naming its objects `${APP}` (onedr0p/home-ops' kopiur backup) is
/// one object per app once Flux substitutes, not one object applied twice.
#[test]
fn a_component_object_named_by_a_variable_is_one_object_per_app() {
    let (_temp, out) = common::compile_clean(
        r#"
cluster "dev"
component "backup"
app "alpha" {
    namespace "media"
    component "backup"
}
app "beta" {
    namespace "media"
    component "backup"
}
"#,
        &[(
            "components/backup/pvc.yaml",
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${APP}\nspec:\n  resources:\n    requests:\n      storage: 1Gi\n",
        )],
    );
    assert!(read(&out, "components/backup/pvc.yaml").contains("name: ${APP}"));
}

/// A `health-check` with `namespace=""` names no namespace, for a cluster-scoped kind (a
/// ClusterIssuer); without `namespace=` it names the app's.
#[test]
fn a_health_check_with_an_empty_namespace_names_none() {
    let (_temp, out) = common::compile_clean(
        r#"
cluster "dev"
app "issuers" {
    manifests "issuer.yaml"
    health-check api-version="cert-manager.io/v1" kind="ClusterIssuer" name="letsencrypt" namespace=""
    health-check api-version="v1" kind="ConfigMap" name="settings"
}
"#,
        &[(
            "issuer.yaml",
            "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec: {}\n",
        )],
    );
    let flux = read(&out, "app-flux-kustomizations/dev/apps/issuers.yaml");
    assert!(
        flux.contains(
            "  healthChecks:\n  - apiVersion: cert-manager.io/v1\n    kind: ClusterIssuer\n    name: letsencrypt\n  - apiVersion: v1\n    kind: ConfigMap\n    name: settings\n    namespace: issuers\n"
        ),
        "{flux}"
    );
}

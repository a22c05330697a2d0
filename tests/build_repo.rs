//! `fluxspec build --repo` on real Flux repositories (`tests/import/repos/`, see its README) and
//! on fluxspec's own output: per cluster, the objects Flux applies, the Flux Kustomization that
//! applies each, every HelmRelease's chart and version, and what was not rendered.
//!
//! Each snapshot was checked against the repository's files by hand (see the notes by each test).

mod common;

use std::path::Path;

use serde_json::Value;

/// Runs `fluxspec build --repo <dir> --path <entry> --format json` with the pinned kubectl.
fn build(dir: &Path, entry: &str) -> (Vec<Value>, String) {
    let run = common::finish(
        common::fluxspec(common::repo_root())
            .env("PATH", common::path_with("kubectl"))
            .arg("build")
            .arg("--repo")
            .arg(dir)
            .args(["--path", entry, "--format", "json"]),
    );
    run.expect_code(0);
    let objects: Value = serde_json::from_str(&run.stdout).expect("build prints JSON");
    let Value::Array(objects) = objects else {
        panic!("build --format json prints an array");
    };
    (objects, run.stderr.clone())
}

/// One line per object (`kustomization kind namespace/name`, with a HelmRelease's chart and
/// version), then the summary's lines about what was not rendered or read.
fn listing(objects: &[Value], stderr: &str) -> String {
    let text = |value: &Value, path: &[&str]| {
        path.iter()
            .try_fold(value, |value, key| value.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut lines = Vec::new();
    for entry in objects {
        let object = &entry["object"];
        let chart = if text(entry, &["kind"]) == "HelmRelease" {
            format!(" chart={}", chart(objects, object))
        } else {
            String::new()
        };
        lines.push(format!(
            "{} {} {}/{}{chart}",
            text(entry, &["kustomization"]),
            text(entry, &["kind"]),
            text(entry, &["namespace"]),
            text(entry, &["name"]),
        ));
    }
    lines.extend(
        stderr
            .lines()
            .filter(|line| line.starts_with("  `"))
            .map(str::to_owned),
    );
    lines.join("\n")
}

/// `name@version` of a HelmRelease's chart, from `spec.chart.spec` or the OCIRepository its
/// `chartRef` names.
fn chart(objects: &[Value], release: &Value) -> String {
    if let Some(reference) = release.pointer("/spec/chartRef") {
        let namespace = reference
            .get("namespace")
            .or_else(|| release.pointer("/metadata/namespace"));
        let source = objects.iter().map(|entry| &entry["object"]).find(|object| {
            object.get("kind") == reference.get("kind")
                && object.pointer("/metadata/name") == reference.get("name")
                && object.pointer("/metadata/namespace") == namespace
        });
        return match source {
            Some(source) => format!(
                "{}@{}",
                source
                    .pointer("/spec/url")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                ["tag", "semver", "digest"]
                    .iter()
                    .find_map(|key| source.pointer(&format!("/spec/ref/{key}")))
                    .and_then(Value::as_str)
                    .unwrap_or("latest")
            ),
            None => "(source not built)".to_owned(),
        };
    }
    format!(
        "{}@{}",
        release
            .pointer("/spec/chart/spec/chart")
            .and_then(Value::as_str)
            .unwrap_or(""),
        release
            .pointer("/spec/chart/spec/version")
            .and_then(Value::as_str)
            .unwrap_or("latest")
    )
}

fn vendored(name: &str) -> std::path::PathBuf {
    common::repo_root().join("tests/import/repos").join(name)
}

/// fluxcd/flux2-kustomize-helm-example: the Kustomizations build from the `ExternalArtifact`s
/// its `ArtifactGenerator` makes; staging's podinfo has the staging values patch (chart
/// `>=1.0.0-alpha`, `test.enable: false`, host `podinfo.staging`) and its ClusterIssuer the
/// staging ACME server.
#[test]
fn flux2_kustomize_helm_example() {
    for cluster in ["staging", "production"] {
        let (objects, stderr) = build(
            &vendored("flux2-kustomize-helm-example"),
            &format!("clusters/{cluster}"),
        );
        let find = |kind: &str, name: &str| {
            objects
                .iter()
                .find(|entry| entry["kind"] == kind && entry["name"] == name)
                .map_or_else(
                    || panic!("no {kind} {name} on {cluster}"),
                    |entry| entry["object"].clone(),
                )
        };
        let podinfo = find("HelmRelease", "podinfo");
        let issuer = find("ClusterIssuer", "letsencrypt");
        let host = format!("podinfo.{cluster}");
        assert_eq!(
            podinfo.pointer("/spec/values/httpRoute/hostnames/0"),
            Some(&Value::from(host))
        );
        let server = issuer.pointer("/spec/acme/server").and_then(Value::as_str);
        assert_eq!(
            server.is_some_and(|server| server.contains("staging")),
            cluster == "staging"
        );
        insta::assert_snapshot!(
            format!("flux2_kustomize_helm_example_{cluster}"),
            listing(&objects, &stderr)
        );
    }
}

/// onedr0p/home-ops: `cluster-apps` applies each namespace directory (a kustomization Flux
/// generates for `kubernetes/apps`), whose `ks.yaml` files are the apps' Kustomizations, with
/// the root's patches over every child (the HelmRelease defaults), components (kopiur,
/// zeroscaler) and `${APP}` substitution.
#[test]
fn onedr0p_home_ops() {
    let (objects, stderr) = build(&vendored("onedr0p-home-ops"), "kubernetes/flux/cluster");
    // The root's patch over child Kustomizations reached the HelmReleases they apply.
    let plex = objects
        .iter()
        .find(|entry| entry["kind"] == "HelmRelease" && entry["name"] == "plex")
        .expect("plex is built");
    assert_eq!(
        plex["object"].pointer("/spec/upgrade/strategy/name"),
        Some(&Value::from("RemediateOnFailure"))
    );
    assert!(!serde_json::to_string(&objects).unwrap().contains("${APP}"));
    insta::assert_snapshot!(listing(&objects, &stderr));
}

/// joryirving/home-ops: three clusters sharing `kubernetes/apps/base`, the cluster name from the
/// `cluster-info` ConfigMap (`substituteFrom`) passed down by the root's patch; utility's
/// `acars` substitutes from two Secrets, reported as not read.
#[test]
fn joryirving_home_ops() {
    for cluster in ["main", "test", "utility"] {
        let (objects, stderr) = build(
            &vendored("joryirving-home-ops"),
            &format!("kubernetes/clusters/{cluster}"),
        );
        // The root Kustomization's own patch says `${CLUSTER}`: the entry substitutes nothing.
        let substituted: Vec<&Value> = objects
            .iter()
            .filter(|entry| entry["kustomization"] != "flux-system/flux-system")
            .collect();
        let text = serde_json::to_string(&substituted).unwrap();
        assert!(!text.contains("${CLUSTER}"), "{cluster}");
        assert!(
            text.contains(&format!("\"CLUSTER\":\"{cluster}\"")),
            "{cluster}"
        );
        insta::assert_snapshot!(
            format!("joryirving_home_ops_{cluster}"),
            listing(&objects, &stderr)
        );
    }
}

/// fluxspec's own output, built as any repository, applies the same objects as `build
/// --cluster` builds from the spec.
#[test]
fn generated_tree_builds_as_the_spec_does() {
    let repository = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::generated_dir(),
        &repository.path().join("generated"),
    );
    for cluster in ["dev", "prod"] {
        let (from_repository, _) =
            build(repository.path(), &format!("generated/clusters/{cluster}"));
        let run = common::finish(
            common::fluxspec(common::repo_root())
                .env("PATH", common::path_with("kubectl"))
                .args(["build", "--spec", "spec/homelab.kdl", "--cluster", cluster])
                .args(["--format", "json"]),
        );
        run.expect_code(0);
        let from_spec: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
        let key = |entry: &Value| {
            (
                entry["kustomization"].to_string(),
                entry["kind"].to_string(),
                entry["namespace"].to_string(),
                entry["name"].to_string(),
            )
        };
        let mut repository_objects: Vec<_> = from_repository
            .iter()
            .map(|entry| (key(entry), entry["object"].clone()))
            .collect();
        let mut spec_objects: Vec<_> = from_spec
            .iter()
            .map(|entry| (key(entry), entry["object"].clone()))
            .collect();
        repository_objects.sort_by(|a, b| a.0.cmp(&b.0));
        spec_objects.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(!spec_objects.is_empty());
        assert_eq!(repository_objects, spec_objects, "cluster {cluster}");
    }
}

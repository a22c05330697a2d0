//! `fluxspec diff` in a Git repository holding a copy of the example spec: a one-line edit of a
//! cluster variable lists exactly the objects it changes, in every format, and the working tree
//! and the index are left as they were.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=fluxspec",
            "-c",
            "user.email=fluxspec@example.com",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("git prints UTF-8")
}

/// A Git repository whose one commit is a copy of `spec/`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "--message", "example"]);
    dir
}

/// Replaces the one line of `spec/homelab.kdl` that contains `old`.
fn edit_spec(dir: &Path, old: &str, new: &str) {
    let spec = dir.join("spec/homelab.kdl");
    let text = fs::read_to_string(&spec).expect("read spec");
    assert_eq!(text.matches(old).count(), 1, "`{old}` is not on one line");
    fs::write(&spec, text.replace(old, new)).expect("write spec");
}

/// Runs `fluxspec diff` in `dir`, with the pinned kubectl.
fn diff(dir: &Path, args: &[&str]) -> common::Run {
    common::finish(
        common::fluxspec(dir)
            .env("PATH", common::path_with("kubectl"))
            .args(["diff", "--spec", "spec/homelab.kdl"])
            .args(args),
    )
}

/// The stdout of a `diff` that must succeed.
fn success(run: &common::Run) -> String {
    run.expect_code(0).stdout.clone()
}

/// What changes in prod when its `STORAGE_CLASS` changes, from where spec/ uses the variable:
/// the cluster-config ConfigMap and both root Kustomizations' `postBuild.substitute` hold it
/// (every cluster `var` goes to both); `apps/grafana/values.yaml` puts it in grafana's
/// HelmRelease values; `components/cnpg-database/cluster.yaml` in the CNPG Cluster of each app
/// using the component (miniflux, paperless); `apps/paperless/base/pvc.yaml` in paperless's PVC.
const STORAGE_CLASS_CHANGES: [&str; 7] = [
    "ConfigMap/flux-system/cluster-config",
    "Kustomization/flux-system/platform-prod",
    "Kustomization/flux-system/apps-prod",
    "HelmRelease/grafana/grafana",
    "Cluster/miniflux/miniflux-db",
    "Cluster/paperless/paperless-db",
    "PersistentVolumeClaim/paperless/paperless-data",
];

fn expected() -> BTreeSet<String> {
    STORAGE_CLASS_CHANGES
        .iter()
        .map(|id| (*id).to_owned())
        .collect()
}

#[test]
fn a_cluster_variable_edit_lists_exactly_the_objects_it_changes() {
    let repository = repository();
    let dir = repository.path();
    edit_spec(
        dir,
        r#"var "STORAGE_CLASS" "ceph-block""#,
        r#"var "STORAGE_CLASS" "ceph-rbd""#,
    );
    let head = git(dir, &["rev-parse", "HEAD"]);
    let status = git(dir, &["status", "--porcelain"]);

    // JSON, every cluster: dev unchanged, prod changed exactly there.
    let json: Value = serde_json::from_str(&success(&diff(dir, &["--format", "json"])))
        .expect("diff --format json prints JSON");
    assert_eq!(json["against"], "HEAD");
    let clusters = json["clusters"].as_array().expect("clusters");
    let names: Vec<&str> = clusters
        .iter()
        .filter_map(|c| c["cluster"].as_str())
        .collect();
    assert_eq!(names, ["dev", "prod"]);
    assert_eq!(
        clusters[0]["objects"],
        Value::Array(Vec::new()),
        "dev changed"
    );
    let prod = &clusters[1];
    assert_eq!(
        (&prod["changed"], &prod["added"], &prod["removed"]),
        (&7.into(), &0.into(), &0.into())
    );
    let mut changed = BTreeSet::new();
    for object in prod["objects"].as_array().expect("objects") {
        assert_eq!(object["status"], "changed", "{object}");
        let diff = object["diff"].as_str().expect("a diff");
        let line = |sign: char, value: &str| {
            diff.lines()
                .any(|line| line.starts_with(sign) && line.ends_with(value))
        };
        assert!(line('-', "ceph-block") && line('+', "ceph-rbd"), "{diff}");
        changed.insert(object["id"].as_str().expect("an id").to_owned());
    }
    assert_eq!(changed, expected());

    // Text: one `~` line per changed object.
    let text = success(&diff(dir, &["--cluster", "prod"]));
    let listed: BTreeSet<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("~ "))
        .map(|rest| rest.split_whitespace().next().unwrap_or(rest).to_owned())
        .collect();
    assert_eq!(listed, expected());
    assert!(
        text.starts_with("cluster `prod`: 7 changed, 0 added, 0 removed\n"),
        "{text}"
    );

    // Markdown: one collapsed section per object, and the whole comment as reviewed.
    let markdown = success(&diff(dir, &["--cluster", "prod", "--format", "markdown"]));
    let sections: BTreeSet<String> = markdown
        .lines()
        .filter_map(|line| line.strip_prefix("<details><summary>changed <code>"))
        .filter_map(|rest| rest.split_once("</code>"))
        .map(|(id, _)| id.to_owned())
        .collect();
    assert_eq!(sections, expected());
    insta::assert_snapshot!("diff_storage_class_prod_markdown", markdown);

    // Git plumbing only: HEAD, the index and the working tree are as they were.
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(dir, &["status", "--porcelain"]), status);
    assert_eq!(status, " M spec/homelab.kdl\n");
}

#[test]
fn no_edit_no_changes() {
    let repository = repository();
    let output = success(&diff(repository.path(), &["--format", "markdown"]));
    assert!(
        output.contains("| `dev` | 0 | 0 | 0 |") && output.contains("| `prod` | 0 | 0 | 0 |"),
        "{output}"
    );
    assert!(!output.contains("<details>"), "{output}");
}

#[test]
fn an_unknown_revision_is_an_error() {
    let repository = repository();
    let run = diff(repository.path(), &["--against", "no-such-branch"]);
    let stderr = &run.expect_code(2).stderr;
    assert!(
        stderr.contains("`no-such-branch` is not a commit"),
        "{stderr}"
    );
}

#[test]
fn an_app_added_since_the_revision_is_all_added() {
    let repository = repository();
    let dir = repository.path();
    // A new plain-manifest app on dev only: its Namespace (applied by the platform root), its
    // Flux Kustomization (applied by the apps root) and its objects are added.
    fs::create_dir_all(dir.join("spec/apps/guestbook")).expect("mkdir");
    fs::write(
        dir.join("spec/apps/guestbook/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  domain: ${CLUSTER_DOMAIN}\n",
    )
    .expect("write manifest");
    let spec = dir.join("spec/homelab.kdl");
    let mut text = fs::read_to_string(&spec).expect("read spec");
    text.push_str(
        "\napp \"guestbook\" {\n    clusters \"dev\"\n    manifests \"apps/guestbook/configmap.yaml\"\n}\n",
    );
    fs::write(&spec, text).expect("write spec");

    let json: Value =
        serde_json::from_str(&success(&diff(dir, &["--format", "json"]))).expect("JSON");
    let dev = &json["clusters"][0];
    let added: BTreeSet<(String, String)> = dev["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|object| {
            assert_eq!(object["status"], "added", "{object}");
            (
                object["id"].as_str().unwrap_or("").to_owned(),
                object["kustomization"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let pair = |id: &str, kustomization: &str| (id.to_owned(), kustomization.to_owned());
    assert_eq!(
        added,
        BTreeSet::from([
            pair("Namespace/guestbook", "platform-dev"),
            pair("Kustomization/flux-system/guestbook", "apps-dev"),
            pair("ConfigMap/guestbook/guestbook", "guestbook"),
        ])
    );
    let config_map = dev["objects"]
        .as_array()
        .and_then(|objects| objects.iter().find(|o| o["kind"] == "ConfigMap"))
        .expect("the ConfigMap");
    assert!(
        config_map["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+  domain: dev.home.arpa")),
        "{config_map}"
    );
    assert_eq!(
        json["clusters"][1]["objects"],
        Value::Array(Vec::new()),
        "prod changed"
    );
}

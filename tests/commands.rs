//! The rough edges of the commands a new user meets first (issue 13), run as the real binary on
//! the starter spec of `fluxspec init`: podinfo's chart at 6.9.1 by default and 6.9.2 on dev,
//! whoami's image at v1.11.0 everywhere, every app in the apps layer.

mod common;

use std::fs;
use std::path::Path;

fn starter() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    common::run(temp.path(), &["init"]).expect_code(0);
    temp
}

fn spec(root: &Path) -> String {
    fs::read_to_string(root.join("spec/homelab.kdl")).expect("read spec")
}

fn set_spec(root: &Path, text: &str) {
    fs::write(root.join("spec/homelab.kdl"), text).expect("write spec");
}

#[track_caller]
fn run(root: &Path, args: &[&str], code: i32) -> common::Run {
    let output = common::run(root, args);
    output.expect_code(code);
    output
}

// Issue 13: `versions` sorted its columns by name, not as the spec declares the clusters.
#[test]
fn versions_columns_follow_the_spec() {
    let temp = starter();
    let root = temp.path();
    // `zeta` is declared first and sorts last.
    set_spec(root, &spec(root).replace("\"dev\"", "\"zeta\""));
    let table = run(root, &["versions"], 0).stdout.clone();
    let header = table.lines().next().expect("a header");
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["APP", "KIND", "NAME", "zeta", "prod", "DRIFT"]
    );
    assert!(table.contains("zeta ahead"), "{table}");
    let markdown = run(root, &["versions", "--format", "markdown"], 0)
        .stdout
        .clone();
    assert!(
        markdown.starts_with("| app | kind | name | zeta | prod | drift |"),
        "{markdown}"
    );
}

// Issue 13: `versions --drift` without drift printed a bare header.
#[test]
fn versions_drift_without_drift_says_so() {
    let temp = starter();
    let output = run(temp.path(), &["versions", "--drift", "--app", "whoami"], 0);
    assert_eq!(
        output.stdout.clone(),
        "no drift: dev and prod run the same versions\n"
    );
}

// Issue 13: `promote --all` downgraded a cluster without a word.
#[test]
fn promote_all_refuses_a_downgrade_unless_allowed() {
    let temp = starter();
    let root = temp.path();
    let before = spec(root);
    let output = run(
        root,
        &["promote", "--all", "--from", "prod", "--to", "dev"],
        2,
    );
    let stderr = output.stderr.clone();
    assert!(
        stderr.contains("fluxspec::promote-downgrade")
            && stderr.contains("chart `podinfo` of `podinfo`: 6.9.2 -> 6.9.1")
            && stderr.contains("--allow-downgrade"),
        "{stderr}"
    );
    assert_eq!(spec(root), before);

    let output = run(
        root,
        &[
            "promote",
            "--all",
            "--allow-downgrade",
            "--from",
            "prod",
            "--to",
            "dev",
        ],
        0,
    );
    let stdout = output.stdout.clone();
    assert!(
        stdout
            .contains("promoted chart `podinfo` of `podinfo` on dev: 6.9.2 -> 6.9.1 (a downgrade)"),
        "{stdout}"
    );
    run(root, &["check"], 0);
}

// Issue 13: promoting to the last cluster behind left a per-cluster line on every cluster and
// a default nobody used.
#[test]
fn promote_leaves_one_default_line_when_every_cluster_agrees() {
    let temp = starter();
    let root = temp.path();
    run(
        root,
        &["promote", "--all", "--from", "dev", "--to", "prod"],
        0,
    );
    let text = spec(root);
    let podinfo_versions: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with("version \"6.9"))
        .collect();
    assert_eq!(podinfo_versions.len(), 1, "{text}");
    assert!(
        podinfo_versions[0].contains("version \"6.9.2\"")
            && !podinfo_versions[0].contains("cluster="),
        "{text}"
    );
    run(root, &["check"], 0);
    let drift = run(root, &["versions", "--drift"], 0).stdout;
    assert!(drift.starts_with("no drift"), "{drift}");
}

// Issue 13: `check` on a stale tree did not say what to do.
#[test]
fn check_on_a_stale_tree_ends_with_the_fix() {
    let temp = starter();
    let root = temp.path();
    set_spec(root, &spec(root).replace("6.9.1", "6.9.0"));
    let output = run(root, &["check"], 1);
    assert!(output.stdout.clone().contains("+    tag: \"6.9.0\""));
    let stderr = output.stderr.clone();
    assert_eq!(
        stderr.lines().last(),
        Some("`generated` is not what the spec compiles to; run `fluxspec compile`"),
        "{stderr}"
    );
    let elsewhere = run(
        root.join("spec").as_path(),
        &["check", "--stat", "--spec", "homelab.kdl"],
        1,
    );
    assert!(
        elsewhere
            .stderr
            .clone()
            .ends_with("run `fluxspec compile --spec homelab.kdl`\n"),
        "{}",
        elsewhere.stderr.clone()
    );
}

/// The `--- a/...` lines of a diff.
fn diff_headers(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|line| line.starts_with("--- ") || line.starts_with("+++ "))
        .collect()
}

// Issue 13: `compile` showed output paths from the output directory, `promote` from the
// repository root.
#[test]
fn compile_and_promote_show_the_same_diff_headers() {
    let temp = starter();
    let root = temp.path();
    let promote = run(
        root,
        &[
            "promote",
            "podinfo",
            "--from",
            "dev",
            "--to",
            "prod",
            "--dry-run",
        ],
        0,
    )
    .stdout;
    // The same change, made by hand.
    set_spec(
        root,
        &spec(root).replace("version \"6.9.1\"", "version \"6.9.2\""),
    );
    let compile = run(root, &["compile", "--dry-run"], 0).stdout;
    let output_headers = |diff| {
        diff_headers(diff)
            .into_iter()
            .filter(|line| !line.ends_with("spec/homelab.kdl"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        output_headers(&compile),
        [
            "--- a/generated/apps/podinfo/prod/ocirepository.yaml",
            "+++ b/generated/apps/podinfo/prod/ocirepository.yaml"
        ]
    );
    assert_eq!(output_headers(&promote), output_headers(&compile));
    assert!(
        diff_headers(&promote).contains(&"--- a/spec/homelab.kdl"),
        "{promote}"
    );
}

// Issue 13: a spec's warnings came back from `versions` and `promote`; only `compile` and
// `check` show them.
#[test]
fn versions_promote_and_graph_do_not_repeat_warnings() {
    let temp = starter();
    let root = temp.path();
    set_spec(
        root,
        &spec(root).replacen(
            "cluster \"dev\" {",
            "cluster \"dev\" {\n    var \"UNUSED\" \"1\"",
            1,
        ),
    );
    let compile = run(root, &["compile", "--quiet"], 0);
    assert!(
        compile
            .stderr
            .clone()
            .contains("fluxspec::unused-cluster-var"),
        "{}",
        compile.stderr.clone()
    );
    for args in [
        &["versions"][..],
        &["graph"],
        &[
            "promote",
            "--all",
            "--from",
            "dev",
            "--to",
            "prod",
            "--dry-run",
        ],
    ] {
        let output = run(root, args, 0);
        assert_eq!(output.stderr.clone(), "", "{args:?}");
    }
}

// Issue 13: `graph` drew an empty platform layer for a cluster with only apps.
#[test]
fn graph_draws_no_empty_layer() {
    let temp = starter();
    let root = temp.path();
    for format in ["mermaid", "dot"] {
        let graph = run(root, &["graph", "--format", format], 0).stdout;
        assert!(!graph.contains("platform"), "{graph}");
        assert!(
            graph.contains("apps-dev") && graph.contains("apps-prod"),
            "{graph}"
        );
    }
}

// Issue 13: the README promised `renovate --check` prints the diff; it printed one line.
#[test]
fn renovate_check_prints_the_diff() {
    let temp = starter();
    let root = temp.path();
    run(root, &["renovate", "--write"], 0);
    run(root, &["renovate", "--check"], 0);
    let config = root.join("renovate.json");
    let current = fs::read_to_string(&config).expect("read renovate.json");
    let edited = current.replacen("\"prod\"", "\"qa\"", 1);
    assert_ne!(edited, current, "renovate.json gates prod");
    fs::write(&config, &edited).expect("edit renovate.json");
    let output = run(root, &["renovate", "--check"], 1);
    let stdout = output.stdout.clone();
    assert!(
        stdout.starts_with("--- a/renovate.json\n+++ b/renovate.json\n@@ ")
            && stdout.contains("\n-")
            && stdout.contains("\"qa\"")
            && stdout.contains("\"prod\""),
        "{stdout}"
    );
    assert!(
        output
            .stderr
            .clone()
            .contains("run `fluxspec renovate --write`")
    );
}

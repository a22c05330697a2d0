//! `versions`, `promote` and `graph` on the example spec, run as the real binary.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Run;

use kdl::{KdlDocument, KdlNode};

const SPEC: &str = "spec/homelab.kdl";

/// Runs fluxspec in `dir` with `args`, colours off.
fn fluxspec(dir: &Path, args: &[&str]) -> Run {
    common::finish(common::fluxspec(dir).arg("--color=never").args(args))
}

/// Runs fluxspec in the repository and returns its stdout, failing unless it exits with `code`.
#[track_caller]
fn run_in_repo(args: &[&str], code: i32) -> String {
    let run = fluxspec(common::repo_root(), args);
    run.expect_code(code);
    run.stdout
}

// The three snapshots were checked line by line against spec/homelab.kdl: each app's default
// `version` and its `cluster="dev"`/`cluster="prod"` lines, it-tools on dev only, and the apps
// without a chart or image (cert-manager-issuers, grafana-dashboards) absent.
#[test]
fn versions_table() {
    insta::assert_snapshot!(run_in_repo(&["versions"], 0));
}

#[test]
fn versions_markdown() {
    insta::assert_snapshot!(run_in_repo(&["versions", "--format", "markdown"], 0));
}

#[test]
fn versions_json() {
    let json = run_in_repo(&["versions", "--format", "json"], 0);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("versions --format json");
    assert_eq!(parsed["clusters"], serde_json::json!(["dev", "prod"]));
    insta::assert_snapshot!(json);
}

/// Text of a node's first argument.
fn arg(node: &KdlNode) -> Option<&str> {
    node.entries()
        .iter()
        .find(|entry| entry.name().is_none())
        .and_then(|entry| entry.value().as_string())
}

fn prop<'a>(node: &'a KdlNode, name: &str) -> Option<&'a str> {
    node.entries()
        .iter()
        .find(|entry| entry.name().is_some_and(|key| key.value() == name))
        .and_then(|entry| entry.value().as_string())
}

fn children(node: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    node.children().into_iter().flat_map(KdlDocument::nodes)
}

/// `(app, chart or image)` of every versioned thing whose clusters run different versions, read
/// from the spec with the kdl crate alone: each cluster's own `version` line, else the default,
/// over the clusters the app runs on (its `clusters` line, else all). Charts are named as
/// `versions` names them: `chart=`, else the OCI URL's last segment.
fn drifting_in_spec(text: &str) -> BTreeSet<(String, String)> {
    let document = KdlDocument::parse(text).expect("the example spec is KDL");
    let all_clusters: Vec<&str> = document
        .nodes()
        .iter()
        .filter(|node| node.name().value() == "cluster")
        .filter_map(arg)
        .collect();
    let mut drifting = BTreeSet::new();
    for app in document
        .nodes()
        .iter()
        .filter(|node| node.name().value() == "app")
    {
        let app_name = arg(app).expect("apps have names");
        let clusters: Vec<&str> = children(app)
            .find(|child| child.name().value() == "clusters")
            .map_or_else(
                || all_clusters.clone(),
                |node| {
                    node.entries()
                        .iter()
                        .filter_map(|entry| entry.value().as_string())
                        .collect()
                },
            );
        for thing in children(app) {
            let name = match thing.name().value() {
                "helm" => prop(thing, "chart")
                    .map_or_else(|| arg(thing).and_then(|url| url.rsplit('/').next()), Some),
                "image" | "remote" => arg(thing),
                _ => continue,
            }
            .expect("charts, images and remote bases have names");
            let versions: Vec<&KdlNode> = children(thing)
                .filter(|child| child.name().value() == "version")
                .collect();
            let effective: BTreeSet<&str> = clusters
                .iter()
                .filter_map(|cluster| {
                    let own = versions
                        .iter()
                        .find(|version| prop(version, "cluster") == Some(cluster));
                    let default = versions
                        .iter()
                        .find(|version| prop(version, "cluster").is_none());
                    own.or(default).copied().and_then(arg)
                })
                .collect();
            if effective.len() > 1 {
                drifting.insert((app_name.to_owned(), name.to_owned()));
            }
        }
    }
    drifting
}

/// `(app, name)` of each row of `versions --format json` output.
fn rows(json: &str) -> BTreeSet<(String, String)> {
    let parsed: serde_json::Value = serde_json::from_str(json).expect("versions --format json");
    parsed["rows"]
        .as_array()
        .expect("rows is an array")
        .iter()
        .map(|row| {
            (
                row["app"].as_str().expect("app").to_owned(),
                row["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

#[test]
fn drift_lists_exactly_the_rows_whose_versions_differ() {
    let text = fs::read_to_string(common::repo_root().join(SPEC)).expect("the example spec");
    let expected = drifting_in_spec(&text);
    assert!(
        !expected.is_empty(),
        "the example spec should show some drift"
    );
    let json = run_in_repo(&["versions", "--drift", "--format", "json"], 0);
    assert_eq!(rows(&json), expected);
    // And the rows left out are exactly the others.
    let all = rows(&run_in_repo(&["versions", "--format", "json"], 0));
    assert!(all.is_superset(&expected) && all.len() > expected.len());
}

#[test]
fn docs_show_the_current_versions_table() {
    let docs = fs::read_to_string(common::repo_root().join("docs/versions.md")).unwrap();
    let shown = docs
        .split_once("$ fluxspec versions\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(table, _)| table)
        .expect("docs/versions.md shows `fluxspec versions`");
    assert_eq!(shown, run_in_repo(&["versions"], 0));
}

#[test]
fn fail_on_drift_exits_1_only_with_drift() {
    run_in_repo(&["versions", "--fail-on-drift"], 1);
    run_in_repo(
        &["versions", "--fail-on-drift", "--app", "metrics-server"],
        0,
    );
    // One cluster compared: nothing to drift from.
    run_in_repo(&["versions", "--fail-on-drift", "--cluster", "prod"], 0);
}

#[test]
fn unknown_filter_names_are_errors_with_a_suggestion() {
    let run = fluxspec(common::repo_root(), &["versions", "--cluster", "prdo"]);
    let stderr = &run.expect_code(2).stderr;
    assert!(stderr.contains("did you mean `prod`?"), "{stderr}");
}

/// A copy of `spec/` and `generated/` in a temp directory, to promote in.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp directory");
        for tree in ["spec", "generated"] {
            common::copy_tree(&common::repo_root().join(tree), &dir.path().join(tree));
        }
        Sandbox { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn spec(&self) -> String {
        fs::read_to_string(self.path().join(SPEC)).expect("the spec")
    }

    fn set_spec(&self, text: &str) {
        fs::write(self.path().join(SPEC), text).expect("write the spec");
    }

    fn run(&self, args: &[&str]) -> Run {
        fluxspec(self.path(), args)
    }

    /// Every file under the sandbox, by path, with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        common::files_under(self.path(), |_| true)
            .expect("walk the sandbox")
            .into_iter()
            .map(|file| {
                let bytes = fs::read(&file).unwrap();
                (file, bytes)
            })
            .collect()
    }

    /// The versions of `app`'s rows on every cluster, via `versions --format json`.
    #[track_caller]
    fn versions(&self, app: &str) -> Vec<serde_json::Value> {
        let run = self.run(&["versions", "--app", app, "--format", "json"]);
        let parsed: serde_json::Value = serde_json::from_str(&run.expect_code(0).stdout).unwrap();
        parsed["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["versions"].clone())
            .collect()
    }

    #[track_caller]
    fn assert_check_passes(&self) {
        self.run(&["check"]).expect_code(0);
    }
}

/// The byte range of the one line of `text` that contains `needle`, its newline included.
fn line_of(text: &str, needle: &str) -> std::ops::Range<usize> {
    assert_eq!(text.matches(needle).count(), 1, "`{needle}` is on one line");
    let at = text.find(needle).unwrap();
    let start = text[..at].rfind('\n').map_or(0, |index| index + 1);
    let end = at + text[at..].find('\n').unwrap() + 1;
    start..end
}

#[track_caller]
fn promote(sandbox: &Sandbox, args: &[&str]) -> String {
    let run = sandbox.run(args);
    run.expect_code(0);
    run.stdout
}

// grafana: prod uses the default `9.2.1`, dev has its own line. Once prod runs dev's version every
// cluster agrees, so promote leaves one line: the default takes `10.5.14` and dev's line goes
// (issue 13; the unit tests cover the insertion of a target line when a third cluster keeps the
// default). A comment after a closing brace, which the kdl crate's to_string() would drop, is
// added first to show every other byte survives.
#[test]
fn promote_to_agreement_leaves_one_default_line_and_keeps_every_other_byte() {
    let sandbox = Sandbox::new();
    let original = sandbox.spec();
    let commented = original.replacen(
        "        values \"apps/grafana/values-prod.yaml\" cluster=\"prod\"\n    }\n",
        "        values \"apps/grafana/values-prod.yaml\" cluster=\"prod\"\n    }   // end of the chart\n",
        1,
    );
    assert_ne!(
        commented, original,
        "the grafana block is where the test expects it"
    );
    sandbox.set_spec(&commented);
    sandbox.run(&["compile", "-q"]).expect_code(0);
    assert_ne!(
        sandbox.versions("grafana")[0]["dev"],
        sandbox.versions("grafana")[0]["prod"]
    );

    let printed = promote(
        &sandbox,
        &["promote", "grafana", "--from", "dev", "--to", "prod"],
    );

    let dev_line = line_of(&commented, "version \"10.5.14\" cluster=\"dev\"");
    let default_line = line_of(&commented, "version \"9.2.1\"");
    assert_eq!(
        default_line.end, dev_line.start,
        "the default line comes right before dev's"
    );
    let expected = format!(
        "{}        version \"10.5.14\"\n{}",
        &commented[..default_line.start],
        &commented[dev_line.end..]
    );
    assert_eq!(sandbox.spec(), expected);
    let versions = sandbox.versions("grafana");
    assert_eq!(
        versions,
        [serde_json::json!({"dev": "10.5.14", "prod": "10.5.14"})]
    );
    assert!(
        printed.contains(
            "-        version \"9.2.1\"\n-        version \"10.5.14\" cluster=\"dev\"\n+        version \"10.5.14\"\n"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("+++ b/generated/apps/grafana/prod/ocirepository.yaml"),
        "{printed}"
    );
    sandbox.assert_check_passes();
}

// local-path-provisioner: a remote base is promoted like a chart: prod takes dev's tag, the two
// lines become one default, and prod's overlay lists the remote target at the new ref.
#[test]
fn promote_copies_a_remote_base_tag() {
    let sandbox = Sandbox::new();
    let original = sandbox.spec();
    let printed = promote(
        &sandbox,
        &[
            "promote",
            "local-path-provisioner",
            "--from",
            "dev",
            "--to",
            "prod",
        ],
    );
    let expected = original.replacen(
        "        version \"v0.0.31\"\n        version \"v0.0.32\" cluster=\"dev\"\n",
        "        version \"v0.0.32\"\n",
        1,
    );
    assert_ne!(
        expected, original,
        "the remote block is where the test expects it"
    );
    assert_eq!(sandbox.spec(), expected);
    assert!(
        printed
            .contains("+- https://github.com/rancher/local-path-provisioner//deploy?ref=v0.0.32"),
        "{printed}"
    );
    sandbox.assert_check_passes();
}

// cloudnative-pg: both clusters have their own line and no default, so prod's value is replaced.
#[test]
fn promote_replaces_the_targets_value() {
    let sandbox = Sandbox::new();
    let original = sandbox.spec();
    promote(
        &sandbox,
        &["promote", "cloudnative-pg", "--from", "dev", "--to", "prod"],
    );
    let prod_line = line_of(&original, "version \"0.26.0\" cluster=\"prod\"");
    let expected = format!(
        "{}{}{}",
        &original[..prod_line.start],
        original[prod_line.clone()].replace("\"0.26.0\"", "\"0.27.1\""),
        &original[prod_line.end..]
    );
    assert_eq!(sandbox.spec(), expected);
    assert_eq!(
        sandbox.versions("cloudnative-pg"),
        [serde_json::json!({"dev": "0.27.1", "prod": "0.27.1"})]
    );
    sandbox.assert_check_passes();
}

// cert-manager from dev to prod: dev's version is a range, copied as written; every cluster then
// agrees, so one default line holds it.
#[test]
fn promote_copies_a_range() {
    let sandbox = Sandbox::new();
    let original = sandbox.spec();
    promote(
        &sandbox,
        &["promote", "cert-manager", "--from", "dev", "--to", "prod"],
    );
    let default_line = line_of(&original, "version \"v1.18.2\"");
    let dev_line = line_of(&original, "version \">=1.19.1 <1.20.0\" cluster=\"dev\"");
    assert_eq!(
        default_line.end, dev_line.start,
        "the two lines follow each other"
    );
    let expected = format!(
        "{}{}{}",
        &original[..default_line.start],
        original[default_line].replace("\"v1.18.2\"", "\">=1.19.1 <1.20.0\""),
        &original[dev_line.end..]
    );
    assert_eq!(sandbox.spec(), expected);
    assert_eq!(
        sandbox.versions("cert-manager"),
        [serde_json::json!({"dev": ">=1.19.1 <1.20.0", "prod": ">=1.19.1 <1.20.0"})]
    );
    sandbox.assert_check_passes();
}

// cert-manager from prod to dev: prod uses the default, so dev's own line goes and dev falls
// back to the default.
#[test]
fn promote_removes_an_override_when_the_source_uses_the_default() {
    let sandbox = Sandbox::new();
    let original = sandbox.spec();
    promote(
        &sandbox,
        &["promote", "cert-manager", "--from", "prod", "--to", "dev"],
    );
    let dev_line = line_of(&original, "version \">=1.19.1 <1.20.0\" cluster=\"dev\"");
    let expected = format!(
        "{}{}",
        &original[..dev_line.start],
        &original[dev_line.end..]
    );
    assert_eq!(sandbox.spec(), expected);
    assert_eq!(
        sandbox.versions("cert-manager"),
        [serde_json::json!({"dev": "v1.18.2", "prod": "v1.18.2"})]
    );
    sandbox.assert_check_passes();
}

#[test]
fn promote_dry_run_writes_nothing() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let printed = promote(
        &sandbox,
        &[
            "promote",
            "--all",
            "--from",
            "dev",
            "--to",
            "prod",
            "--dry-run",
        ],
    );
    assert!(printed.contains("would promote"), "{printed}");
    assert!(sandbox.snapshot() == before, "--dry-run changed files");
}

#[test]
fn promote_without_drift_says_so_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    let printed = promote(
        &sandbox,
        &["promote", "metrics-server", "--from", "dev", "--to", "prod"],
    );
    assert!(printed.contains("nothing to promote"), "{printed}");
    assert!(
        sandbox.snapshot() == before,
        "a no-op promote changed files"
    );
}

#[test]
fn promote_unknown_app_or_cluster_is_an_error_with_a_suggestion() {
    let sandbox = Sandbox::new();
    let before = sandbox.snapshot();
    for (args, suggestion) in [
        (
            ["promote", "grafan", "--from", "dev", "--to", "prod"],
            "did you mean `grafana`?",
        ),
        (
            ["promote", "grafana", "--from", "dev", "--to", "prdo"],
            "did you mean `prod`?",
        ),
        (
            ["promote", "grafana", "--from", "deb", "--to", "prod"],
            "did you mean `dev`?",
        ),
    ] {
        let run = sandbox.run(&args);
        let stderr = &run.expect_code(2).stderr;
        assert!(stderr.contains(suggestion), "{args:?}: {stderr}");
    }
    assert!(
        sandbox.snapshot() == before,
        "a failed promote changed files"
    );
}

// Checked by hand against spec/homelab.kdl: per cluster, the platform-layer apps, then the apps
// layer (it-tools on dev only), each `depends-on` as an arrow from the dependency, each
// component use as a dashed arrow.
#[test]
fn graph_mermaid() {
    insta::assert_snapshot!(run_in_repo(&["graph", "--format", "mermaid"], 0));
}

#[test]
fn graph_dot_renders_with_graphviz() {
    let dot_tool = common::tool("dot");
    let dot = run_in_repo(&["graph", "--format", "dot"], 0);
    let mut child = Command::new(dot_tool)
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run graphviz's `dot` ({error}) after scripts/install-test-tools.sh")
        });
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), dot.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dot -Tsvg:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = String::from_utf8_lossy(&output.stdout);
    // Graphviz writes `-` in SVG text as `&#45;`.
    assert!(svg.contains("<svg") && svg.contains("issuers"), "{svg}");
    assert!(
        output.stderr.is_empty(),
        "dot warned:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// A patch that overrides a pinned chart version: `versions` shows the spec's version with the
// patch's beside it, in every format, and drift is between the versions Flux applies.
#[test]
fn versions_marks_a_version_a_patch_overrides() {
    let case = common::repo_root().join("tests/cases/version-overridden-by-patch");
    let versions = |format: &str| {
        let run = fluxspec(
            &case,
            &["versions", "--spec", "homelab.kdl", "--format", format],
        );
        run.expect_code(0);
        run.stdout
    };
    assert_eq!(
        versions("table"),
        "APP      KIND   NAME     dev                            prod                           DRIFT\n\
         podinfo  chart  podinfo  6.9.1                          6.9.1 (patch: 6.0.0)           dev ahead\n\
         web      chart  web      >=1.2.0 <2.0.0 (patch: 1.0.0)  >=1.2.0 <2.0.0 (patch: 1.0.0)\n"
    );
    let markdown = versions("markdown");
    assert!(
        markdown.contains(
            "| podinfo | chart | `podinfo` | `6.9.1` | `6.9.1 (patch: 6.0.0)` | **dev ahead** |"
        ),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_str(&versions("json")).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows[0]["overridden"], serde_json::json!({"prod": "6.0.0"}));
    assert_eq!(
        rows[1]["overridden"],
        serde_json::json!({"dev": "1.0.0", "prod": "1.0.0"})
    );
}

//! `fluxspec import` of the real repositories vendored in `tests/import/repos/` (one per shape
//! issue 16 names): the import succeeds, its `--verify` finds 0 missing, 0 extra and 0 version
//! differences on every cluster, the spec compiles without warnings and `check` is clean after
//! the compile. What verify still finds is in each repository's snapshot, every line explained
//! in `tests/import/README.md`, with the figures the import prints and the mistakes it found in
//! the source (an object two Flux Kustomizations apply, at the file and line that write it).
//! And `build --repo` lists, per cluster, the same objects as the import's verify reads from
//! the repository (those it compares and those it leaves out, with why).

mod common;

use std::path::Path;

use std::collections::BTreeSet;

use common::{Run, finish, fluxspec};
use serde_json::Value;

/// Imports `tests/import/repos/<name>` into `into`.
fn import(name: &str, into: &Path) -> Run {
    let repo = common::repo_root().join("tests/import/repos").join(name);
    finish(
        fluxspec(into)
            .env("PATH", common::path_with("kubectl"))
            .args(["import", repo.to_str().expect("UTF-8 path"), "--into", "."])
            .arg("--show-objects"),
    )
}

/// `Kind/namespace/name` of every object `build --repo` prints for the cluster at `entry`.
fn built_objects(name: &str, entry: &str) -> BTreeSet<String> {
    let repo = common::repo_root().join("tests/import/repos").join(name);
    let run = finish(
        fluxspec(common::repo_root())
            .env("PATH", common::path_with("kubectl"))
            .arg("build")
            .arg("--repo")
            .arg(&repo)
            .args(["--path", entry, "--format", "json"]),
    );
    run.expect_code(0);
    let objects: Vec<Value> = serde_json::from_str(&run.stdout).expect("build prints JSON");
    objects
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
            match text("namespace").as_str() {
                "" => format!("{}/{}", text("kind"), text("name")),
                namespace => format!("{}/{namespace}/{}", text("kind"), text("name")),
            }
        })
        .collect()
}

/// Per cluster, the objects verify read from the repository (`  object: ` and `  not compared: `
/// lines after its `verify: <cluster>:` line) against those `build --repo` lists: the same set,
/// or the test fails. Returns one line per cluster, with what verify left out.
fn same_objects_as_build(name: &str, stderr: &str, clusters: &[(&str, &str)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (cluster, entry) in clusters {
        let (mut compared, mut left_out) = (BTreeSet::new(), Vec::new());
        let prefix = format!("verify: {cluster}: ");
        for line in stderr
            .lines()
            .skip_while(|line| !line.starts_with(&prefix))
            .skip(1)
            .take_while(|line| line.starts_with("  "))
        {
            if let Some(id) = line.strip_prefix("  object: ") {
                compared.insert(id.to_owned());
            } else if let Some(rest) = line.strip_prefix("  not compared: ") {
                left_out.push(rest.to_owned());
            }
        }
        let verified: BTreeSet<String> = compared
            .iter()
            .cloned()
            .chain(
                left_out
                    .iter()
                    .filter_map(|rest| rest.rsplit_once(" (").map(|(id, _)| id.to_owned())),
            )
            .collect();
        let built = built_objects(name, entry);
        assert!(!built.is_empty(), "{cluster}");
        assert_eq!(
            built.difference(&verified).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{cluster}: built by `build --repo` but not read by verify"
        );
        assert_eq!(
            verified.difference(&built).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{cluster}: read by verify but not built by `build --repo`"
        );
        let kustomizations = left_out
            .iter()
            .filter(|rest| rest.ends_with(" (a Flux Kustomization)"))
            .count();
        lines.push(format!(
            "{cluster} ({entry}): build --repo lists {} objects, verify reads the same {}: \
             {} compared, {kustomizations} Flux Kustomizations not compared",
            built.len(),
            verified.len(),
            compared.len(),
        ));
        lines.extend(
            left_out
                .iter()
                .filter(|rest| !rest.ends_with(" (a Flux Kustomization)"))
                .map(|rest| format!("  not compared: {rest}")),
        );
    }
    lines
}

/// Every file the report says was copied byte for byte is its source file, byte for byte.
/// Returns a line counting them, and those keeping `yaml-language-server` headers and
/// `# renovate:` comments.
fn copies_are_byte_for_byte(name: &str, report: &str, spec: &Path) -> String {
    let repo = common::repo_root().join("tests/import/repos").join(name);
    let (mut copied, mut headers, mut renovate) = (0, 0, 0);
    for line in report.lines() {
        let Some((_, into)) = line.split_once("copied byte for byte into `") else {
            continue;
        };
        let into = into.split('`').next().expect("a path");
        let source = line.split('`').nth(1).expect("the source file");
        let original = std::fs::read(repo.join(source)).expect("the source file");
        let copy = std::fs::read(spec.join(into)).expect("the copy");
        assert!(original == copy, "{into} is not {source} byte for byte");
        let text = String::from_utf8_lossy(&copy);
        copied += 1;
        headers += usize::from(text.contains("# yaml-language-server:"));
        renovate += usize::from(text.contains("# renovate:"));
    }
    format!(
        "{copied} files copied byte for byte, {headers} with a yaml-language-server header, \
         {renovate} with # renovate: lines"
    )
}

fn check_repository(name: &str, clusters: &[(&str, &str)]) {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let run = import(name, root);
    run.expect_code(0);
    let verify: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("verify: ") || line.starts_with("  "))
        .filter(|line| !line.starts_with("  object: ") && !line.starts_with("  not compared: "))
        .collect();
    let build = same_objects_as_build(name, &run.stderr, clusters);
    for line in verify.iter().filter(|line| line.starts_with("verify: ")) {
        assert!(
            line.contains(" 0 missing, 0 extra, 0 version differences"),
            "{line}\n{}",
            run.stderr
        );
    }
    common::run(root, &["compile", "--deny-warnings"]).expect_code(0);
    common::run(root, &["check"]).expect_code(0);
    let summary = run.stdout.lines().nth(1).unwrap_or_default();
    // The mistakes the import found in the source, each with its file and line.
    let report = std::fs::read_to_string(root.join("spec/import-report.md")).expect("the report");
    let copies = copies_are_byte_for_byte(name, &report, &root.join("spec"));
    let mistakes: Vec<&str> = report
        .lines()
        .skip_while(|line| !line.starts_with("## Mistakes"))
        .take_while(|line| !line.starts_with("## Kept raw"))
        .collect();
    insta::assert_snapshot!(
        name,
        format!(
            "{summary}\n{copies}\n{}\n\n{}\n\n## build --repo\n\n{}",
            verify.join("\n"),
            mistakes.join("\n"),
            build.join("\n")
        )
    );
}

#[test]
fn flux2_kustomize_helm_example_imports_faithfully() {
    check_repository(
        "flux2-kustomize-helm-example",
        &[
            ("production", "clusters/production"),
            ("staging", "clusters/staging"),
        ],
    );
}

#[test]
fn onedr0p_home_ops_imports_faithfully() {
    check_repository(
        "onedr0p-home-ops",
        &[("cluster", "kubernetes/flux/cluster")],
    );
}

#[test]
fn joryirving_home_ops_imports_faithfully() {
    check_repository(
        "joryirving-home-ops",
        &[
            ("main", "kubernetes/clusters/main"),
            ("test", "kubernetes/clusters/test"),
            ("utility", "kubernetes/clusters/utility"),
        ],
    );
}

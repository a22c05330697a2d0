//! `fluxspec import` of the real repositories vendored in `tests/import/repos/` (one per shape
//! issue 16 names): the import succeeds, its `--verify` finds 0 missing, 0 extra and 0 version
//! differences on every cluster, the spec compiles without warnings and `check` is clean after
//! the compile. What verify still finds is in each repository's snapshot, every line explained
//! in `tests/import/README.md`, with the figures the import prints and the mistakes it found in
//! the source (an object two Flux Kustomizations apply, at the file and line that write it).

mod common;

use std::path::Path;

use common::{Run, finish, fluxspec};

/// Imports `tests/import/repos/<name>` into `into`.
fn import(name: &str, into: &Path) -> Run {
    let repo = common::repo_root().join("tests/import/repos").join(name);
    finish(
        fluxspec(into)
            .env("PATH", common::path_with("kubectl"))
            .args(["import", repo.to_str().expect("UTF-8 path"), "--into", "."]),
    )
}

fn check_repository(name: &str) {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let run = import(name, root);
    run.expect_code(0);
    let verify: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("verify: ") || line.starts_with("  "))
        .collect();
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
    let mistakes: Vec<&str> = report
        .lines()
        .skip_while(|line| !line.starts_with("## Mistakes"))
        .take_while(|line| !line.starts_with("## Kept raw"))
        .collect();
    insta::assert_snapshot!(
        name,
        format!(
            "{summary}\n{}\n\n{}",
            verify.join("\n"),
            mistakes.join("\n")
        )
    );
}

#[test]
fn flux2_kustomize_helm_example_imports_faithfully() {
    check_repository("flux2-kustomize-helm-example");
}

#[test]
fn onedr0p_home_ops_imports_faithfully() {
    check_repository("onedr0p-home-ops");
}

#[test]
fn joryirving_home_ops_imports_faithfully() {
    check_repository("joryirving-home-ops");
}

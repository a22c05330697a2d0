//! The command line's safety guarantees, run as the real binary: an exit status survives a reader
//! that leaves early (`fluxspec check | head -1`), a closed stderr never panics, and the output
//! directory is where the spec's `output-path` says, never inside the spec directory.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A repository made by `fluxspec init` in a fresh temp dir: a spec whose clusters drift
/// (podinfo runs 6.9.2 on dev, 6.9.1 on prod) and its compiled output.
fn starter() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let init = common::run(temp.path(), &["init"]);
    init.expect_code(0);
    temp
}

/// Makes the output stale: podinfo's default version changes.
fn make_stale(root: &Path) {
    let spec = root.join("spec/homelab.kdl");
    let text = fs::read_to_string(&spec).expect("read spec");
    let edited = text.replacen("version \"6.9.1\"", "version \"6.9.0\"", 1);
    assert_ne!(
        text, edited,
        "the starter has podinfo's `version \"6.9.1\"`"
    );
    fs::write(&spec, edited).expect("write spec");
}

/// Which of the child's streams is a pipe whose reader has gone before it writes anything.
#[derive(Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
    Both,
}

/// Runs fluxspec in `dir` with the chosen streams connected to a pipe whose read end is closed
/// before the process starts, so every write to them fails with `EPIPE` (a `| head -1` that has
/// already left). The other stream is captured.
fn run_with_closed(dir: &Path, closed: Closed, args: &[&str]) -> Output {
    let closed_pipe = || {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        Stdio::from(writer)
    };
    let mut command = common::fluxspec(dir);
    command.env("NO_COLOR", "1").args(args);
    match closed {
        Closed::Stdout => command.stdout(closed_pipe()).stderr(Stdio::piped()),
        Closed::Stderr => command.stdout(Stdio::piped()).stderr(closed_pipe()),
        Closed::Both => command.stdout(closed_pipe()).stderr(closed_pipe()),
    };
    command.output().expect("run fluxspec")
}

#[track_caller]
fn assert_code(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// Regression (issue 13, must fix 3): `check | head -1` exited 0 on a stale tree.
#[test]
fn check_on_a_stale_tree_exits_1_when_the_reader_leaves() {
    let temp = starter();
    make_stale(temp.path());
    for closed in [Closed::Stdout, Closed::Both] {
        let output = run_with_closed(temp.path(), closed, &["check"]);
        assert_code(&output, 1, "check of a stale tree with a closed stdout");
    }
    let output = run_with_closed(temp.path(), Closed::Stdout, &["check", "--stat"]);
    assert_code(
        &output,
        1,
        "check --stat of a stale tree with a closed stdout",
    );
}

// Regression (issue 13, must fix 3): `versions --fail-on-drift | head` exited 0 on drift.
#[test]
fn versions_fail_on_drift_exits_1_when_the_reader_leaves() {
    let temp = starter();
    for format in ["table", "markdown", "json"] {
        let output = run_with_closed(
            temp.path(),
            Closed::Stdout,
            &["versions", "--fail-on-drift", "--format", format],
        );
        assert_code(&output, 1, "versions --fail-on-drift with a closed stdout");
    }
}

// Regression (issue 13, must fix 3): `fmt --check | head` exited 0 on an unformatted spec.
#[test]
fn fmt_check_exits_1_when_the_reader_leaves() {
    let temp = starter();
    let spec = temp.path().join("spec/homelab.kdl");
    let text = fs::read_to_string(&spec).expect("read spec");
    fs::write(&spec, text.replace("\n    ", "\n      ")).expect("write spec");
    let output = run_with_closed(temp.path(), Closed::Stdout, &["fmt", "--check"]);
    assert_code(
        &output,
        1,
        "fmt --check of an unformatted spec with a closed stdout",
    );
}

// Regression (issue 13, must fix 3): `compile 2>&1 | head -1` on a spec with errors panicked
// (exit 101) writing the report to the closed stderr.
#[test]
fn a_closed_stderr_never_panics() {
    let temp = starter();
    let spec = temp.path().join("spec/homelab.kdl");
    let text = fs::read_to_string(&spec).expect("read spec");
    fs::write(&spec, format!("{text}\nbogus-node \"x\"\n")).expect("write spec");
    for closed in [Closed::Stderr, Closed::Both] {
        for command in [&["compile"][..], &["check"], &["versions"], &["graph"]] {
            let output = run_with_closed(temp.path(), closed, command);
            assert_code(&output, 2, "a spec with errors and a closed stderr");
        }
    }
}

// Regression (issue 13, must fix 3): the same through a shell, as CI runs it.
#[test]
fn pipefail_sees_the_status_through_head() {
    let temp = starter();
    make_stale(temp.path());
    let script = format!(
        "'{bin}' check | head -c 1 >/dev/null; '{bin}' check | true",
        bin = common::FLUXSPEC
    );
    for line in script.split("; ") {
        let output = Command::new("bash")
            .args(["-o", "pipefail", "-c", line])
            .current_dir(temp.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run bash");
        assert_code(&output, 1, line);
    }
}

/// A miette report's text with its line wrapping undone.
fn unwrapped(report: &str) -> String {
    report
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every file under `dir`, relative, sorted; empty when `dir` does not exist.
fn files(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new();
    }
    common::files_under(dir, |_| true)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|path| {
            path.strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string()
        })
        .collect()
}

// Regression (issue 13, must fix 4): `--out` inside the spec directory was accepted, and the next
// compile read the output as the spec's manifests.
#[test]
fn an_output_directory_inside_the_spec_directory_is_refused() {
    let temp = starter();
    let before = files(&temp.path().join("spec"));
    for out in ["spec/generated", "spec/apps/out"] {
        for command in [&["compile", "--out", out][..], &["check", "--out", out]] {
            let output = common::run(temp.path(), command);
            output.expect_code(2);
            let stderr = unwrapped(&output.stderr.clone());
            assert!(
                stderr.contains("fluxspec::unsafe-output")
                    && stderr.contains("inside the spec directory"),
                "{command:?}: {stderr}"
            );
        }
    }
    assert_eq!(files(&temp.path().join("spec")), before);
}

// Regression (issue 13, must fix 4): the default `--out` was `generated` in the working
// directory, whatever `output-path` said, so the Flux paths pointed nowhere.
#[test]
fn the_default_output_directory_follows_output_path() {
    let temp = starter();
    let root = temp.path();
    fs::remove_dir_all(root.join("generated")).expect("remove generated");
    let spec = root.join("spec/homelab.kdl");
    let text_before = fs::read_to_string(&spec).expect("read spec");
    let edited = text_before.replacen(
        "output-path \"./generated\"",
        "output-path \"./deploy/flux\"",
        1,
    );
    assert_ne!(edited, text_before, "the starter sets output-path");
    fs::write(&spec, edited).expect("write spec");

    // From the repository root and from inside the spec directory, the same place.
    common::run(root, &["compile", "--quiet"]).expect_code(0);
    assert!(!root.join("generated").exists());
    let apps = fs::read_to_string(root.join("deploy/flux/clusters/dev/apps.yaml"))
        .expect("the output is at output-path");
    assert!(apps.contains("path: ./deploy/flux/"), "{apps}");
    common::run(&root.join("spec"), &["check", "--spec", "homelab.kdl"]).expect_code(0);
    common::run(root, &["check", "--out", "deploy/flux"]).expect_code(0);
}

// Regression (issue 13, must fix 4): an explicit `--out` elsewhere than `output-path` wrote a
// tree whose Flux paths point nowhere.
#[test]
fn an_out_that_disagrees_with_output_path_is_an_error_naming_both() {
    let temp = starter();
    let root = temp.path();
    for command in [
        &["compile", "--out", "elsewhere"][..],
        &["check", "--out", "elsewhere"],
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "prod",
            "--all",
            "--out",
            "elsewhere",
        ],
    ] {
        let output = common::run(root, command);
        output.expect_code(2);
        let stderr = unwrapped(&output.stderr.clone());
        assert!(
            stderr.contains("fluxspec::output-path-mismatch")
                && stderr.contains("elsewhere")
                && stderr.contains("./generated"),
            "{command:?}: {stderr}"
        );
    }
    assert!(!root.join("elsewhere").exists());
}

// Regression (issue 13, must fix 4): the repository root is the spec's Git root, so a spec in a
// subdirectory of a repository compiles to `output-path` from the top.
#[test]
fn the_repository_root_is_the_git_root() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    fs::create_dir(root.join(".git")).expect("a .git directory");
    let project = root.join("infra/home");
    fs::create_dir_all(&project).expect("project dir");
    common::run(&project, &["init"]).expect_code(0);
    assert_eq!(files(&project.join("generated")), Vec::<String>::new());
    assert!(root.join("generated/clusters/dev/apps.yaml").is_file());
    // Flux reaches it from the repository root, where `output-path` starts.
    common::run(root, &["check", "--spec", "infra/home/spec/homelab.kdl"]).expect_code(0);
}

// Regression (issue 13, must fix 4): after `init DIR` from elsewhere, commands run from there
// looked for the output in the working directory.
#[test]
fn init_of_another_directory_works_from_anywhere() {
    let temp = tempfile::tempdir().expect("temp dir");
    let cwd = temp.path();
    common::run(cwd, &["init", "some/dir"]).expect_code(0);
    assert!(
        cwd.join("some/dir/generated/clusters/dev/apps.yaml")
            .is_file()
    );
    assert!(!cwd.join("generated").exists());
    let check = common::run(cwd, &["check", "--spec", "some/dir/spec/homelab.kdl"]);
    check.expect_code(0);
}

//! The command line's safety guarantees, run as the real binary: an exit status survives a reader
//! that leaves early (`fluxspec check | head -1`), a closed stderr never panics, and the output
//! directory is where the spec's `output-path` says, never inside the spec directory.

#[allow(dead_code)] // this test uses some of the helpers
mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::text;

/// A repository made by `fluxspec init` in a fresh temp dir: a spec whose clusters drift
/// (podinfo runs 6.9.2 on dev, 6.9.1 on prod) and its compiled output.
fn starter() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let init = support::fluxspec(temp.path(), &["init"]);
    support::assert_exit(&init, 0);
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
    let mut command = Command::new(env!("CARGO_BIN_EXE_fluxspec"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(args);
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
        text(&output.stdout),
        text(&output.stderr)
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
        bin = env!("CARGO_BIN_EXE_fluxspec")
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

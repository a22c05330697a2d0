//! Inputs that are not regular files: a named pipe (FIFO) as the spec or as a values file, a
//! symlink to `/dev/zero`, a socket, a directory given as the spec. Each used to hang or read
//! until memory ran out; each must be refused with a message that says what the path is and what
//! to do. Such files cannot be committed, so each test makes its own in a temp directory.
//!
//! Every run is killed after [`TIMEOUT`], so a regression fails instead of hanging the suite.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Run;

const TIMEOUT: Duration = Duration::from_secs(20);

/// `fluxspec --color never compile --spec <spec> --out <temp>/generated`, in `dir`, killed
/// after [`TIMEOUT`]: the exit status and both streams, as the diagnostics snapshots show them.
fn compile_with_timeout(dir: &Path, spec: &str) -> String {
    let mut child = common::fluxspec(dir)
        .args(["--color", "never", "compile", "--spec", spec, "--out"])
        .arg(dir.join("generated"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run fluxspec: {error}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("cannot wait for fluxspec") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fluxspec still ran after {TIMEOUT:?}: it blocked on a special file");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The streams are short (one diagnostic); the child has exited, so they are complete.
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)
        .expect("cannot read stdout");
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("cannot read stderr");
    let run = Run {
        code: status.code(),
        stdout,
        stderr,
    };
    run.expect_code(2);
    assert!(
        !dir.join("generated").exists(),
        "the output directory was created"
    );
    run.report().replace(&dir.display().to_string(), "[TEMP]")
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("cannot run mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// A spec directory with `spec` as `homelab.kdl`.
fn spec_dir(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("cannot create a temp dir");
    fs::write(dir.path().join("homelab.kdl"), spec).expect("cannot write the spec");
    dir
}

const CHART_APP: &str = r#"cluster "dev"
app "podinfo" {
    helm "oci://ghcr.io/stefanprodan/charts/podinfo" {
        version "6.9.1"
        values "values.yaml"
    }
}
"#;

fn assert_snapshot(name: &str, report: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, report);
    });
}

// Regression: a FIFO as the spec blocked `compile` forever.
#[test]
fn a_fifo_spec_is_refused() {
    let dir = tempfile::tempdir().expect("cannot create a temp dir");
    mkfifo(&dir.path().join("homelab.kdl"));
    assert_snapshot(
        "fifo-spec",
        &compile_with_timeout(dir.path(), "homelab.kdl"),
    );
}

// Regression: a directory given as the spec was only "Is a directory (os error 21)".
#[test]
fn a_directory_spec_is_refused() {
    let dir = tempfile::tempdir().expect("cannot create a temp dir");
    fs::create_dir(dir.path().join("spec")).expect("cannot create a dir");
    assert_snapshot("directory-spec", &compile_with_timeout(dir.path(), "spec"));
}

// Regression: a FIFO as a values file blocked `compile` forever.
#[test]
fn a_fifo_values_file_is_refused() {
    let dir = spec_dir(CHART_APP);
    mkfifo(&dir.path().join("values.yaml"));
    assert_snapshot(
        "fifo-values",
        &compile_with_timeout(dir.path(), "homelab.kdl"),
    );
}

// Regression: a referenced file that is a symlink to `/dev/zero` must be refused as a device, not
// read (it is endless).
#[test]
fn a_symlink_to_dev_zero_is_refused() {
    let dir = spec_dir(CHART_APP);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("values.yaml")).expect("cannot link");
    assert_snapshot(
        "dev-zero-values",
        &compile_with_timeout(dir.path(), "homelab.kdl"),
    );
}

// Regression: a FIFO among the manifests of a directory was skipped without a word, or, named
// directly, blocked.
#[test]
fn a_fifo_or_socket_among_manifests_is_refused() {
    let dir = spec_dir("cluster \"dev\"\napp \"web\" {\n    manifests \"web\"\n}\n");
    fs::create_dir(dir.path().join("web")).expect("cannot create a dir");
    fs::write(
        dir.path().join("web/a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    )
    .expect("cannot write");
    mkfifo(&dir.path().join("web/b.yaml"));
    assert_snapshot(
        "fifo-in-manifests",
        &compile_with_timeout(dir.path(), "homelab.kdl"),
    );

    fs::remove_file(dir.path().join("web/b.yaml")).expect("cannot remove");
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("web/b.yaml"))
        .expect("cannot bind a socket");
    let report = compile_with_timeout(dir.path(), "homelab.kdl");
    assert!(
        report.contains("is a socket, not a regular file"),
        "{report}"
    );
}

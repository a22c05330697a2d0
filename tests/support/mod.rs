//! Helpers shared by the integration tests that check the generated Flux tree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where `Cargo.toml` is).
pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The compiler's output tree, `generated/`.
#[allow(dead_code)] // not every test binary that includes `support` uses it
pub(crate) fn generated_dir() -> PathBuf {
    repo_root().join("generated")
}

/// Every file under `dir` for which `keep` returns true, sorted.
pub(crate) fn files_under(
    dir: &Path,
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("cannot walk {}: {e}", dir.display()))?;
        if entry.file_type().is_file() && keep(entry.path()) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// `path` relative to the repository root, for messages.
#[allow(dead_code)] // not every test binary that includes `support` uses it
pub(crate) fn show(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Fails with every message in `failures`, one per line, or passes when there are none.
#[track_caller]
#[allow(dead_code)] // not every test binary that includes `support` uses it
pub(crate) fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} {what} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The pinned kubectl in `.tools/bin/`, installed by `scripts/install-test-tools.sh` on first use
/// (the script is idempotent and quick once installed). Fails the test, never skips it, when the
/// install fails: the kustomize checks are the point of these tests.
#[allow(dead_code)] // not every test binary that includes `support` builds with kubectl
pub(crate) fn kubectl() -> PathBuf {
    tool("kubectl")
}

/// `.tools/bin/<name>`, installed by `scripts/install-test-tools.sh <name>` unless it is there
/// already. Fails the test, never skips it, when the install fails.
pub(crate) fn tool(name: &str) -> PathBuf {
    let script = repo_root().join("scripts/install-test-tools.sh");
    let output = Command::new(&script)
        .arg(name)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} {name} failed, so {name} is missing:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    repo_root().join(".tools/bin").join(name)
}

/// Runs the fluxspec binary in `cwd` without colour.
#[allow(dead_code)] // used by the tests of single commands, not by every test binary
pub(crate) fn fluxspec(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fluxspec"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run fluxspec")
}

#[allow(dead_code)] // used by the tests of single commands, not by every test binary
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the exit status, showing both streams when it differs.
#[allow(dead_code)] // used by the tests of single commands, not by every test binary
#[track_caller]
pub(crate) fn assert_exit(output: &std::process::Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

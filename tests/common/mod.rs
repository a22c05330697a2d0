//! The one harness of the integration tests: every `tests/*.rs` file that needs it says
//! `mod common;` and uses its own subset.
//!
//! - Running the binary: [`fluxspec`] is *the* way to start `fluxspec` (the binary cargo built for
//!   this test run, `CARGO_BIN_EXE_fluxspec`). It runs in a given directory with stdin closed and
//!   an environment of `PATH` alone, so no colour variable (`NO_COLOR`, `CLICOLOR_FORCE`, `TERM`,
//!   `CI`...), miette setting (`NO_GRAPHICS`, `FORCE_HYPERLINK`), locale or time zone of the
//!   machine running the tests reaches it: with stdout and stderr piped, that means no colour. A
//!   test adds what it is about (`--color always`, `CLICOLOR_FORCE=1`, a `PATH` with the pinned
//!   kubectl, `TMPDIR`) to the returned `Command`. [`run`] and [`finish`] run it to completion as
//!   a [`Run`] (exit code and both streams as text); [`Run::expect_code`] fails with everything
//!   it printed.
//! - Files: [`repo_root`] (the one way to find the repository), [`copy_tree`] (the one way to copy
//!   `spec/` or a fixture into a temp directory), [`write`], [`files_under`]; [`tree`] reads an
//!   output directory as data (contents, directories, which files a run rewrote).
//! - Tools: [`tool`] installs a pinned tool (kubectl, dot, pre-commit, actionlint) with
//!   `scripts/install-test-tools.sh` on first use and names it, in `.tools/bin/`; [`path_with`]
//!   puts `.tools/bin/` first on `PATH` for a fluxspec command that runs kubectl itself.

// Each test crate compiles this module and uses its own subset of it: one allowance here instead
// of one per test file or per helper.
#![allow(dead_code)]

pub(crate) mod tree;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub(crate) const FLUXSPEC: &str = env!("CARGO_BIN_EXE_fluxspec");

/// The repository root (where `Cargo.toml` is).
pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The compiler's committed output tree, `generated/`.
pub(crate) fn generated_dir() -> PathBuf {
    repo_root().join("generated")
}

/// `path` relative to the repository root, for messages.
pub(crate) fn show(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `fluxspec` to run in `dir`: stdin closed, and of the test process's environment only `PATH`,
/// so its output is the same whatever terminal, CI or locale runs the tests.
pub(crate) fn fluxspec(dir: &Path) -> Command {
    let mut command = Command::new(FLUXSPEC);
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

/// What a finished run printed and how it exited.
#[derive(Debug)]
pub(crate) struct Run {
    /// `None` when a signal ended it.
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Fails with everything the run printed unless it exited with `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The exit status, then both streams: the text the diagnostics snapshots hold.
    pub(crate) fn report(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "killed".to_owned(), |code| code.to_string());
        format!(
            "exit status: {code}\n--- stdout\n{}--- stderr\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Runs `command` (made by [`fluxspec`]) to completion.
pub(crate) fn finish(command: &mut Command) -> Run {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {FLUXSPEC}: {error}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `fluxspec ARGS` in `dir`.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    finish(fluxspec(dir).args(args))
}

/// Where `scripts/install-test-tools.sh` links the tools it installs.
pub(crate) fn tools_bin() -> PathBuf {
    repo_root().join(".tools/bin")
}

/// The pinned tool `name` (`kubectl`, `dot`, `nvim`, `pre-commit`, `actionlint`), installed by
/// `scripts/install-test-tools.sh <name>` unless it is there already (the script is idempotent
/// and quick once installed): `.tools/bin/<name>`, or plain `name` for a tool the script installs
/// system-wide (graphviz's `dot`, Neovim's `nvim`: Debian packages). Fails the test, never skips
/// it, when the install fails: running the tool is the point of the tests that ask for it.
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
    let linked = tools_bin().join(name);
    if linked.exists() {
        linked
    } else {
        PathBuf::from(name)
    }
}

/// `PATH` with `.tools/bin/` first, after installing `name` there with [`tool`]: for fluxspec
/// commands that run kubectl themselves (`build`, `diff`).
pub(crate) fn path_with(name: &str) -> OsString {
    tool(name);
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(tools_bin()).chain(std::env::split_paths(&path)))
        .expect("PATH can be joined")
}

/// Copies the directory `from` to `to` (created, with its parents): its directories and regular
/// files. Anything else (a symlink, a FIFO) fails the test: the trees tests copy hold none.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap_or_else(|error| panic!("cannot walk {}: {error}", from.display()));
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&target)
                .unwrap_or_else(|error| panic!("cannot create {}: {error}", target.display()));
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|error| panic!("cannot copy to {}: {error}", target.display()));
        } else {
            panic!("{}: neither a directory nor a file", entry.path().display());
        }
    }
}

/// Writes `contents` to `root/path`, creating its directories.
pub(crate) fn write(root: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", parent.display()));
    }
    fs::write(&full, contents)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", full.display()));
}

/// Compiles `spec` (with `files` beside it) in a temporary directory with `--deny-warnings`,
/// expecting success: the output directory, kept alive by the returned guard.
pub(crate) fn compile_clean(spec: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let dir = temp.path().join("spec");
    write(&dir, "homelab.kdl", spec);
    for (path, contents) in files {
        write(&dir, path, contents);
    }
    let run = run(
        &dir,
        &[
            "--color",
            "never",
            "compile",
            "--quiet",
            "--deny-warnings",
            "--spec",
            "homelab.kdl",
        ],
    );
    run.expect_code(0);
    let out = temp.path().join("generated");
    (temp, out)
}

/// Every regular file under `dir` for which `keep` returns true, sorted; symlinks not followed.
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

/// Fails with every message in `failures`, one per line, or passes when there are none.
#[track_caller]
pub(crate) fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} {what} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every `fluxspec::<code>` in `text` (lowercase letters, digits and `-`).
pub(crate) fn diagnostic_codes(text: &str) -> BTreeSet<String> {
    text.match_indices("fluxspec::")
        .map(|(at, prefix)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .collect::<String>()
        })
        .filter(|code| !code.is_empty())
        .collect()
}

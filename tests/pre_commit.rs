//! The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit exactly as a user's
//! repository runs them: a `.pre-commit-config.yaml` naming this repository and a revision, from
//! which pre-commit builds fluxspec with `cargo install` (`language: rust`) and runs the hooks.
//!
//! This repository's working tree is committed into a snapshot repository under the target
//! directory, so the hooks tested are the ones in the working tree. The snapshot's commit is
//! deterministic, so pre-commit's store (also under the target directory) reuses its build while
//! the sources do not change; the cargo build is cached there too, and made without optimisation
//! (the hooks are under test here, not the code generator).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where this test keeps what it may reuse on the next run.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit")
}

/// A fixed identity and clock, so the same files always give the same commit.
fn git(cwd: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(cwd)
        .args(args)
        .env("GIT_AUTHOR_NAME", "fluxspec test")
        .env("GIT_AUTHOR_EMAIL", "test@fluxspec.invalid")
        .env("GIT_COMMITTER_NAME", "fluxspec test")
        .env("GIT_COMMITTER_EMAIL", "test@fluxspec.invalid")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} in {}: {}",
        cwd.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 from git")
}

/// Commits this repository's working tree (tracked and untracked files, less the ignored) into
/// a fresh repository; returns its path and commit.
fn snapshot() -> (PathBuf, String) {
    let root = common::repo_root();
    let snapshot = cache().join("fluxspec");
    if snapshot.exists() {
        fs::remove_dir_all(&snapshot).expect("remove the old snapshot");
    }
    fs::create_dir_all(&snapshot).expect("create the snapshot");
    let listed = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for file in listed.split('\0').filter(|file| !file.is_empty()) {
        let source = root.join(file);
        // A tracked file deleted in the working tree is not part of it.
        if !source.is_file() {
            continue;
        }
        let target = snapshot.join(file);
        fs::create_dir_all(target.parent().expect("in a directory")).expect("mkdir");
        fs::copy(&source, &target).expect("copy into the snapshot");
    }
    git(&snapshot, &["init", "--quiet", "--initial-branch=main"]);
    git(&snapshot, &["add", "--all"]);
    git(
        &snapshot,
        &["commit", "--quiet", "--no-verify", "--message", "snapshot"],
    );
    let rev = git(&snapshot, &["rev-parse", "HEAD"]).trim().to_owned();
    (snapshot, rev)
}

/// `pre-commit run --all-files` in `repo` (after staging everything): its exit code and output.
fn run_hooks(pre_commit: &Path, repo: &Path) -> (i32, String) {
    git(repo, &["add", "--all"]);
    let cache = cache();
    let output = Command::new(pre_commit)
        .current_dir(repo)
        .args(["run", "--all-files", "--color", "never"])
        .env("PRE_COMMIT_HOME", cache.join("home"))
        .env("CARGO_TARGET_DIR", cache.join("cargo-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        // Resolve dependencies from what this machine's tests already downloaded.
        .env("CARGO_NET_OFFLINE", "true")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run pre-commit");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// What pre-commit said of each hook: `fluxspec fmt....Passed` gives `("fluxspec fmt", "Passed")`.
fn hook_results(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter(|line| line.starts_with("fluxspec "))
        .filter_map(|line| {
            let (name, rest) = line.split_once("...")?;
            Some((name.to_owned(), rest.trim_start_matches('.').to_owned()))
        })
        .collect()
}

#[track_caller]
fn assert_hooks(result: &(i32, String), code: i32, fmt: &str, check: &str, lines: &[&str]) {
    let (status, output) = result;
    assert_eq!(*status, code, "pre-commit:\n{output}");
    assert_eq!(
        hook_results(output),
        [
            ("fluxspec fmt".to_owned(), fmt.to_owned()),
            ("fluxspec check".to_owned(), check.to_owned())
        ],
        "pre-commit:\n{output}"
    );
    for line in lines {
        assert!(output.contains(line), "no `{line}` in:\n{output}");
    }
}

#[test]
fn the_hooks_fail_a_stale_or_unformatted_repository_and_pass_a_current_one() {
    let pre_commit = common::tool("pre-commit");
    let (fluxspec_repo, rev) = snapshot();

    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    common::run(repo, &["init"]).expect_code(0);
    fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: fluxspec-fmt\n      - id: fluxspec-check\n",
            fluxspec_repo.display()
        ),
    )
    .expect("write .pre-commit-config.yaml");
    git(repo, &["init", "--quiet", "--initial-branch=main"]);

    // A repository fresh from `init`: both hooks pass.
    assert_hooks(&run_hooks(&pre_commit, repo), 0, "Passed", "Passed", &[]);

    // The spec changed, generated/ did not: the check hook fails and shows what compile would do.
    let spec = repo.join("spec/homelab.kdl");
    let text = fs::read_to_string(&spec).expect("read the spec");
    let bumped = text.replacen(
        "version \"6.9.2\" cluster=\"dev\"",
        "version \"6.9.3\" cluster=\"dev\"",
        1,
    );
    assert_ne!(bumped, text);
    fs::write(&spec, &bumped).expect("write the spec");
    assert_hooks(
        &run_hooks(&pre_commit, repo),
        1,
        "Passed",
        "Failed",
        &[
            "+++ b/generated/apps/podinfo/dev/ocirepository.yaml",
            "+    tag: \"6.9.3\"",
            "1 changed, 0 created, 0 deleted",
        ],
    );

    // Compiled: current again.
    common::run(repo, &["compile", "--quiet"]).expect_code(0);
    assert_hooks(&run_hooks(&pre_commit, repo), 0, "Passed", "Passed", &[]);

    // An unformatted spec: the fmt hook formats it and fails, as formatters do in pre-commit;
    // the next run passes.
    let messy = bumped.replace("\n    ", "\n  ");
    fs::write(&spec, &messy).expect("write the spec");
    assert_hooks(
        &run_hooks(&pre_commit, repo),
        1,
        "Failed",
        "Passed",
        &[
            "files were modified by this hook",
            "formatted spec/homelab.kdl",
        ],
    );
    assert_eq!(fs::read_to_string(&spec).expect("read the spec"), bumped);
    assert_hooks(&run_hooks(&pre_commit, repo), 0, "Passed", "Passed", &[]);
}

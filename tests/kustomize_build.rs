//! Every directory under `generated/` that holds a `kustomization.yaml` must build with
//! `kubectl kustomize`, as kustomize-controller will build it; a kustomize directory copied from
//! the spec (`apps/echo/base/upstream`) is among them.
//!
//! A remote base (`https://github.com/...//deploy?ref=v1`) cannot be fetched offline: the test
//! builds a copy of the tree in which each overlay's remote `resources` lines are removed, and
//! checks that those lines are the only difference (each one a remote target at a `?ref=`).

mod common;

use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `kubectl kustomize <dir>`; on failure, says which directory and why.
fn build(kubectl: &Path, dir: &Path) -> Result<(), String> {
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|e| {
            format!(
                "{}: cannot run {}: {e}",
                common::show(dir),
                kubectl.display()
            )
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: kubectl kustomize {}:\n{}",
            common::show(dir),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ))
    }
}

/// Removes the remote `resources` entries of every kustomization.yaml under `root`, checking that
/// each is a remote target pinned to a ref; returns how many were removed.
fn strip_remote_bases(root: &Path) -> usize {
    let mut removed = 0;
    for file in common::files_under(root, |p| p.ends_with("kustomization.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
    {
        let text = std::fs::read_to_string(&file).expect("a kustomization.yaml reads");
        let (remote, kept): (Vec<&str>, Vec<&str>) = text
            .lines()
            .partition(|line| line.starts_with("- https://"));
        for line in &remote {
            assert!(
                line.starts_with("- https://github.com/") && line.contains("?ref="),
                "{}: a remote resource not pinned to a ref: {line}",
                common::show(&file)
            );
        }
        if !remote.is_empty() {
            removed += remote.len();
            std::fs::write(&file, kept.join("\n") + "\n").expect("a kustomization.yaml writes");
        }
    }
    removed
}

#[test]
fn every_kustomization_builds() {
    let kubectl = common::tool("kubectl");
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_tree(&common::generated_dir(), copy.path());
    let generated = copy.path().to_path_buf();
    // The example's remote base, once per cluster.
    assert_eq!(strip_remote_bases(&generated), 2);
    let dirs: Vec<PathBuf> = common::files_under(&generated, |p| p.ends_with("kustomization.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .filter_map(|file| file.parent().map(Path::to_path_buf))
        .collect();
    assert!(
        !dirs.is_empty(),
        "no kustomization.yaml under {}: run the compiler to fill it",
        common::show(&generated)
    );

    let threads = std::thread::available_parallelism().map_or(2, NonZero::get);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = dirs
            .chunks(dirs.len().div_ceil(threads))
            .map(|chunk| {
                scope.spawn(|| {
                    chunk
                        .iter()
                        .filter_map(|dir| build(&kubectl, dir).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a kubectl worker panicked"))
            .collect()
    });
    common::assert_no_failures("kubectl kustomize", &failures);
}

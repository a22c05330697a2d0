//! Every directory under `generated/` that holds a `kustomization.yaml` must build with
//! `kubectl kustomize`, as kustomize-controller will build it.

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

#[test]
fn every_kustomization_builds() {
    let kubectl = common::tool("kubectl");
    let generated = common::generated_dir();
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

//! Benchmarks of each pipeline stage and of whole compiles and checks, on the example spec
//! (`small`) and on a synthetic one of 1000 apps x 3 clusters (`synthetic`).
//!
//! `cargo bench --bench pipeline` runs them all; add a name to filter (`-- noop_check`). Fixtures
//! live under Cargo's per-target temp directory and are rebuilt on every run. Timings against the
//! disk's floor (`cp -r`, `b3sum`) and at other sizes are `benches/compare.sh`'s job.

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::Bencher;
use fluxspec::bench;

const SIZES: [&str; 2] = ["small", "synthetic"];

/// A one-version bump in one cluster, as a user would make it: the first `old` in the spec becomes
/// `new`.
fn bump_for(size: &str) -> (&'static str, &'static str) {
    match size {
        // podinfo's dev pin in `spec/homelab.kdl`.
        "small" => (
            r#"version "6.9.2" cluster="dev""#,
            r#"version "6.9.3" cluster="dev""#,
        ),
        // app00000's pin in cluster c0, the first of its kind (see `src/synth.rs`).
        _ => (
            r#"version "1.0.1" cluster="c0""#,
            r#"version "1.0.2" cluster="c0""#,
        ),
    }
}

/// 1000 apps; 50 under `cargo test --all-targets`, which runs each bench once (divan's `--test`)
/// in a debug build only to show it works.
fn synthetic_apps() -> usize {
    if std::env::args().any(|arg| arg == "--test") {
        50
    } else {
        1000
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-pipeline")
}

/// Writes the spec of `size` into `dir`, replacing whatever was there.
fn write_spec(size: &str, dir: &Path) {
    if dir.exists() {
        fs::remove_dir_all(dir).expect("remove an old fixture");
    }
    match size {
        "small" => {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
            for entry in walkdir::WalkDir::new(&source) {
                let entry = entry.expect("walk spec/");
                let target = dir.join(entry.path().strip_prefix(&source).expect("under spec/"));
                if entry.file_type().is_dir() {
                    fs::create_dir_all(&target).expect("create a fixture directory");
                } else {
                    fs::copy(entry.path(), &target).expect("copy a spec file");
                }
            }
        }
        _ => {
            bench::write_synthetic_spec(dir, synthetic_apps(), 3)
                .expect("write the synthetic spec");
        }
    }
}

/// The spec file of `size`, written once per run and shared by the benches that only read it.
fn spec(size: &str) -> &'static Path {
    static SMALL: OnceLock<PathBuf> = OnceLock::new();
    static SYNTHETIC: OnceLock<PathBuf> = OnceLock::new();
    let cell = if size == "small" { &SMALL } else { &SYNTHETIC };
    cell.get_or_init(|| {
        let dir = root().join(size).join("spec");
        write_spec(size, &dir);
        dir.join("homelab.kdl")
    })
}

/// A fresh output directory path named `name` beside the shared spec, with nothing in it yet.
fn out_dir(size: &str, name: &str) -> PathBuf {
    let out = root().join(size).join(name);
    if out.exists() {
        fs::remove_dir_all(&out).expect("remove an old output directory");
    }
    out
}

#[divan::bench(args = SIZES)]
fn parse_resolve(bencher: Bencher, size: &str) {
    let spec = spec(size);
    bencher.bench_local(|| bench::parse_resolve(spec));
}

#[divan::bench(args = SIZES)]
fn render(bencher: Bencher, size: &str) {
    let spec = spec(size);
    let model = bench::parse_resolve(spec);
    assert_ne!(bench::render(&model, spec).file_count(), 0);
    bencher.bench_local(|| bench::render(&model, spec));
}

/// A compile into an empty directory: every file is created.
#[divan::bench(args = SIZES, sample_size = 1)]
fn cold_compile(bencher: Bencher, size: &str) {
    let spec = spec(size);
    let parent = out_dir(size, "cold");
    fs::create_dir_all(&parent).expect("create the cold-compile parent");
    bencher
        // Each sample gets a new empty directory, removed after it is timed.
        .with_inputs(|| tempfile::tempdir_in(&parent).expect("create an empty directory"))
        .bench_local_refs(|out| bench::compile(spec, out.path()));
}

/// A compile with nothing to do: the output is current.
#[divan::bench(args = SIZES)]
fn noop_compile(bencher: Bencher, size: &str) {
    let spec = spec(size);
    let out = out_dir(size, "noop-compile");
    bench::compile(spec, &out);
    assert_eq!(
        bench::compile(spec, &out),
        0,
        "a second compile writes nothing"
    );
    bencher.bench_local(|| bench::compile(spec, &out));
}

/// `check` of a current output directory.
#[divan::bench(args = SIZES)]
fn noop_check(bencher: Bencher, size: &str) {
    let spec = spec(size);
    let out = out_dir(size, "noop-check");
    bench::compile(spec, &out);
    assert!(
        bench::check(spec, &out),
        "the output is current after a compile"
    );
    bencher.bench_local(|| bench::check(spec, &out));
}

/// A compile after a one-version bump in one cluster. The spec alternates between the bumped and
/// the original version, so every timed compile follows exactly one bump.
#[divan::bench(args = SIZES, sample_size = 1)]
fn bump_compile(bencher: Bencher, size: &str) {
    let dir = root().join(size).join("bump-spec");
    write_spec(size, &dir);
    let spec = dir.join("homelab.kdl");
    let original = fs::read_to_string(&spec).expect("read the spec");
    let (old, new) = bump_for(size);
    assert!(original.contains(old), "`{old}` is in the spec");
    let bumped = original.replacen(old, new, 1);
    let out = out_dir(size, "bump");
    bench::compile(&spec, &out);
    let next_is_bumped = Cell::new(true);
    bencher
        // The edit is untimed: sample_size = 1 makes divan write the spec right before each run.
        .with_inputs(|| {
            let text = if next_is_bumped.get() {
                &bumped
            } else {
                &original
            };
            fs::write(&spec, text).expect("edit the spec");
            next_is_bumped.set(!next_is_bumped.get());
        })
        .bench_local_values(|()| {
            let written = bench::compile(&spec, &out);
            assert_ne!(written, 0, "the bump changes a file");
            written
        });
}

fn main() {
    divan::main();
}

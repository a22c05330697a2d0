//! The pipeline's stages as plain calls, for `benches/` only: not a public API, hidden from the
//! docs, free to change with the internals.
//!
//! It exposes calls, not types: the model and the rendered tree cross this boundary as opaque
//! wrappers, so the stages stay `pub(crate)`. Every call panics on an error, because a benchmark
//! of a failing compile measures nothing and should stop loudly. `compile` and `check` do what
//! the CLI's `compile -q` and `check -q` do, minus printing.

use std::io;
use std::path::Path;

use crate::compile::{SpecSource, Warnings};
use crate::output::{self, OutputDir, Planned};
use crate::{model, synth, tree};

/// A parsed and resolved spec.
pub struct Model(model::Model);

/// A rendered output tree, in memory.
pub struct Tree(tree::FileTree);

/// Writes the synthetic spec `fluxspec synth --apps <apps> --clusters <clusters> <dir>` writes.
pub fn write_synthetic_spec(dir: &Path, apps: usize, clusters: usize) -> io::Result<()> {
    synth::write_spec(dir, apps, clusters)
}

/// Reads, parses and resolves the spec at `spec`.
pub fn parse_resolve(spec: &Path) -> Model {
    Model(
        SpecSource::at(spec)
            .load()
            .expect("the benchmark spec is readable and valid")
            .model,
    )
}

/// Renders `model` as it would be for a compile of `spec`.
pub fn render(model: &Model, spec: &Path) -> Tree {
    Tree(crate::render::render(
        &model.0,
        &SpecSource::at(spec).header_label,
    ))
}

/// `fluxspec compile --spec <spec> --out <out>`: returns how many files it wrote or deleted.
pub fn compile(spec: &Path, out: &Path) -> usize {
    sync(spec, out, true).plan.changes.len()
}

/// `fluxspec check --spec <spec> --out <out>`: whether the output is current.
pub fn check(spec: &Path, out: &Path) -> bool {
    sync(spec, out, false).plan.is_clean()
}

/// What `compile` (`write`) and `check` run, into `out` wherever the spec's `output-path` says
/// (the benchmarks compile one spec into several directories).
fn sync(spec: &Path, out: &Path, write: bool) -> Planned {
    let out = OutputDir {
        path: out.to_path_buf(),
        from_root: out.display().to_string(),
    };
    output::compile_and_sync_into(
        &SpecSource::at(spec),
        Warnings::Allow,
        drop,
        |_| Ok(out),
        false,
        write,
    )
    .expect("the benchmark spec is valid and the output directory fluxspec's")
}

impl Tree {
    /// How many files the tree holds.
    pub fn file_count(&self) -> usize {
        self.0.iter().count()
    }
}

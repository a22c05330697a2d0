//! `fluxspec compile`: write the output directory, printing what changed.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::args::{Output, Paths, Strictness, View};
use super::plan::{self, Action};
use super::{Failure, report_error, streams};
use crate::compile::{SpecSource, Warnings};
use crate::output;

#[derive(Args)]
pub(super) struct CompileArgs {
    #[command(flatten)]
    paths: Paths,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    strictness: Strictness,
    /// Show what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Take over files fluxspec did not write that are in the way of generated ones.
    #[arg(long)]
    adopt: bool,
}

pub(super) fn run(args: &CompileArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    write_output(
        &args.paths.spec.source(),
        args.paths.out.as_deref(),
        args.strictness.warnings(),
        args.adopt,
        args.dry_run,
        args.output.view(),
        color,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Compiles `source` into the output directory (`--out` is `out`), or plans it only on a dry
/// run, and prints what changed as `view` asks. The spec's warnings go to stderr.
pub(super) fn write_output(
    source: &SpecSource,
    out: Option<&Path>,
    warnings: Warnings,
    adopt: bool,
    dry_run: bool,
    view: View,
    color: anstream::ColorChoice,
) -> Result<(), Failure> {
    let planned = output::compile_and_sync(
        source,
        out,
        warnings,
        streams::show_diagnostic,
        adopt,
        !dry_run,
    )
    .map_err(report_error)?;
    plan::warn_hand_edits(&planned.plan, Action::of("compile", dry_run));
    plan::print(view, &planned, color)?;
    Ok(())
}

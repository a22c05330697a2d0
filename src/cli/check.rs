//! `fluxspec check`: whether the output directory is what the spec compiles to; writes nothing.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::args::{DEFAULT_SPEC, Output, Paths, Strictness};
use super::plan::{self, Action};
use super::streams::{self, say};
use super::{EXIT_STALE, Failure, report_error};
use crate::output;

#[derive(Args)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    paths: Paths,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    strictness: Strictness,
}

pub(super) fn run(args: &CheckArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let planned = output::compile_and_sync(
        &args.paths.spec.source(),
        args.paths.out.as_deref(),
        args.strictness.warnings(),
        streams::show_diagnostic,
        false,
        false,
    )
    .map_err(report_error)?;
    plan::warn_hand_edits(&planned.plan, Action::Check);
    plan::print(args.output.view(), &planned, color)?;
    if planned.plan.is_clean() {
        return Ok(ExitCode::SUCCESS);
    }
    if args.output.quiet {
        return Ok(ExitCode::from(EXIT_STALE));
    }
    say!(
        "`{}` is not what the spec compiles to; run `{}`",
        planned.output_dir,
        command_line("compile", &args.paths)
    );
    Ok(ExitCode::from(EXIT_STALE))
}

/// `fluxspec <command>` with the paths given, for hints: `fluxspec compile --spec infra/a.kdl`.
fn command_line(command: &str, paths: &Paths) -> String {
    let mut words = vec!["fluxspec".to_owned(), command.to_owned()];
    if paths.spec.spec != Path::new(DEFAULT_SPEC) {
        words.extend(["--spec".to_owned(), paths.spec.spec.display().to_string()]);
    }
    if let Some(out) = &paths.out {
        words.extend(["--out".to_owned(), out.display().to_string()]);
    }
    words.join(" ")
}

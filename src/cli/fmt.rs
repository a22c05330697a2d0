//! `fluxspec fmt`: rewrite the spec in canonical layout, or with `--check` show the diff.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::args::SpecArg;
use super::streams::{self, say};
use super::{EXIT_STALE, Failure, report_error};
use crate::report;

#[derive(Args)]
pub(super) struct FmtArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Write nothing; print the diff and exit 1 if the spec is not formatted.
    #[arg(long)]
    check: bool,
}

pub(super) fn run(args: &FmtArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let source = args.spec.source();
    let label = &source.shown_as;
    let (original, formatted) = crate::fmt::format_spec(&source).map_err(report_error)?;
    if original == formatted {
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        let mut stdout = streams::stdout(color);
        report::write_text_diff(&mut stdout, label, &original, &formatted)?;
        stdout.flush()?;
        say!("error: `{label}` is not formatted; run `fluxspec fmt`");
        return Ok(ExitCode::from(EXIT_STALE));
    }
    crate::fmt::write_spec(&source, &formatted).map_err(report_error)?;
    let mut stdout = streams::plain_stdout();
    writeln!(stdout, "formatted {label}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

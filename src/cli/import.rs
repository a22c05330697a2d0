//! `fluxspec import`: write a spec for an existing Flux repository, then check that it compiles.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::streams::{self, say};
use super::{Failure, report_error};
use crate::compile::{CompileError, SpecSource, Warnings};

#[derive(Args)]
pub(super) struct ImportArgs {
    /// The Flux repository to import: a directory (a clone), or fluxspec's own `generated/`.
    source: PathBuf,
    /// Where to write `spec/` (it must not exist).
    #[arg(long, default_value = ".")]
    into: PathBuf,
    /// Check that the new spec compiles, and compare what Flux applies from both (the default).
    #[arg(long, overrides_with = "no_verify")]
    verify: bool,
    /// Write the spec without checking it.
    #[arg(long)]
    no_verify: bool,
}

/// The new spec does not compile, or does not apply what the repository applies.
const EXIT_UNVERIFIED: u8 = 1;

pub(super) fn run(args: &ImportArgs) -> Result<ExitCode, Failure> {
    let imported = crate::import::import(&args.source).map_err(report_error)?;
    let spec = crate::import::write(&args.into, &imported).map_err(report_error)?;
    {
        let mut stdout = streams::plain_stdout();
        writeln!(
            stdout,
            "wrote    {} ({} files)",
            spec.display(),
            imported.files.len()
        )?;
        writeln!(stdout, "{}", imported.report.summary())?;
        writeln!(
            stdout,
            "{} kept raw, {} mistakes in the source: see {}",
            crate::text::count(imported.report.raw.len(), "item"),
            imported.report.mistakes.len(),
            spec.with_file_name(crate::import::REPORT_FILE).display()
        )?;
        stdout.flush()?;
    }
    if args.no_verify {
        return Ok(ExitCode::SUCCESS);
    }
    match SpecSource::at(&spec).compile(Warnings::Allow) {
        Ok(compiled) => {
            if let Some(warnings) = compiled.warnings {
                streams::show_diagnostic(warnings);
            }
            say!("verified: the spec compiles");
            Ok(ExitCode::SUCCESS)
        }
        Err(CompileError::Read(error)) => Err(report_error(error)),
        Err(CompileError::Spec(errors)) => {
            streams::show_diagnostic(errors);
            say!("the imported spec does not compile; see the errors above");
            Ok(ExitCode::from(EXIT_UNVERIFIED))
        }
    }
}

//! `fluxspec init`: write the starter spec, then compile it as `compile --stat` would.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::args::View;
use super::compile::write_output;
use super::{Failure, report_error, streams};
use crate::compile::{SpecSource, Warnings};
use crate::layout::DEFAULT_OUTPUT_DIR;

#[derive(Args)]
pub(super) struct InitArgs {
    /// The directory to start in: usually the root of a Git repository.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub(super) fn run(args: &InitArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let written = crate::init::write_starter(&args.dir).map_err(report_error)?;
    let shown = |relative| crate::init::shown(&args.dir, relative);
    {
        let mut stdout = streams::plain_stdout();
        for path in written {
            writeln!(stdout, "wrote    {}", shown(path).display())?;
        }
        stdout.flush()?;
    }
    // The first compile is an ordinary one, listing what it created.
    let source = SpecSource::at(&args.dir.join(crate::init::SPEC));
    write_output(
        &source,
        None,
        Warnings::Allow,
        false,
        false,
        View::Stat,
        color,
    )?;
    let mut stdout = streams::plain_stdout();
    writeln!(
        stdout,
        "\nNext: edit {spec} and run `fluxspec compile`; commit spec/ and {DEFAULT_OUTPUT_DIR}/.\n\
         Point Flux at it: `flux bootstrap ... --path=./{DEFAULT_OUTPUT_DIR}/clusters/<cluster>`.",
        spec = shown(crate::init::SPEC).display()
    )?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

//! `fluxspec man`: the man page, or one per command, made from the command line's own
//! definition.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory};

use super::streams::say;
use super::{Cli, Failure, write_stdout};
use crate::manual;

#[derive(Args)]
pub(super) struct ManArgs {
    /// Write `fluxspec.1` and a page per subcommand into this directory instead.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub(super) fn run(args: &ManArgs) -> Result<ExitCode, Failure> {
    if let Some(dir) = &args.dir {
        manual::write_man_pages(Cli::command(), dir).map_err(|error| {
            say!(
                "error: cannot write man pages to `{}`: {error}",
                dir.display()
            );
            Failure::Reported
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    write_stdout(&manual::man_page(Cli::command())?)
}

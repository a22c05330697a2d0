//! `fluxspec completions`: the completion script for a shell, made from the command line's own
//! definition.

use std::process::ExitCode;

use clap::{Args, CommandFactory};

use super::{Cli, Failure, write_stdout};
use crate::manual::{self, Shell};

#[derive(Args)]
pub(super) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

pub(super) fn run(args: &CompletionsArgs) -> Result<ExitCode, Failure> {
    write_stdout(&manual::completions(args.shell, &Cli::command()))
}

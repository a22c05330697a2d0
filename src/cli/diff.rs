//! `fluxspec diff`: how what Flux applies changes between a Git revision's spec and the working
//! tree's.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::SpecArg;
use super::streams::{self, say};
use super::{Failure, report_error};

#[derive(Args)]
#[command(mut_args(in_a_working_tree))]
pub(super) struct DiffArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Only this cluster (default: every cluster of either side).
    #[arg(long)]
    cluster: Option<String>,
    /// The Git revision to compare the working tree's spec with.
    #[arg(long, default_value = "HEAD")]
    against: String,
    /// How to print the differences (markdown: for a pull request comment).
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
}

/// `--spec`'s help for `diff`, which reads the spec's Git history. (Changes the argument in
/// place: `mut_arg` would move it last.)
fn in_a_working_tree(arg: clap::Arg) -> clap::Arg {
    if arg.get_id() == "spec" {
        arg.help("The spec file, in a Git working tree")
    } else {
        arg
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

pub(super) fn run(args: &DiffArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let diff = crate::diff::diff(&args.spec.source(), args.cluster.as_deref(), &args.against)
        .map_err(report_error)?;
    for warning in &diff.warnings {
        say!("warning: {warning}");
    }
    let mut stdout = streams::stdout(color);
    match args.format {
        DiffFormat::Text => crate::diff::write_text(&mut stdout, &diff)?,
        DiffFormat::Markdown => crate::diff::write_markdown(&mut stdout, &diff)?,
        DiffFormat::Json => crate::diff::write_json(&mut stdout, &diff)?,
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

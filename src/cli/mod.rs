//! The command line: the dispatcher. Parses the arguments, runs the command and maps its
//! outcome to an exit status. The only module that prints.
//!
//! One file per command holds its arguments and its `run`, which calls the command's domain
//! module and prints the result; [`args`] holds the arguments several commands share, [`plan`]
//! how a plan against the output directory is shown, [`streams`] the only way to print. Data
//! (diffs, summaries, JSON) goes to stdout; warnings and errors to stderr.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod args;
mod build;
mod check;
mod compile;
mod completions;
mod diff;
mod fmt;
mod graph;
mod import;
mod init;
mod lsp;
mod man;
mod plan;
mod promote;
mod renovate;
mod streams;
mod synth;
mod versions;

use streams::say;

/// Compile one KDL spec into a multi-cluster Flux GitOps repository.
///
/// Exit status: 0 success (for `check`: the output is current), 1 `check` found the output stale
/// (or `renovate --check` the Renovate config, or `fmt --check` the spec not formatted) or
/// `versions --fail-on-drift` found drift, 2 the spec is invalid, the arguments are wrong, or a
/// file or directory could not be used.
#[derive(Parser)]
#[command(name = "fluxspec", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    color: args::ColorArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a new repository: write a commented starter spec into `DIR/spec/` and compile it.
    Init(init::InitArgs),
    /// Write a spec for an existing Flux repository into `DIR/spec/`, then check it.
    ///
    /// Recognises fluxspec's own output; what the spec cannot say stays a manifest or patch
    /// file, listed in `spec/import-report.md`. See docs/import.md.
    Import(import::ImportArgs),
    /// Compile the spec and update the output directory, writing only files whose content changed.
    Compile(compile::CompileArgs),
    /// Check that the output directory matches the spec; write nothing.
    Check(check::CheckArgs),
    /// Rewrite the spec in canonical layout: node order, indentation, one form per version line.
    ///
    /// Keeps every comment. Formats only a spec that compiles, and checks that the formatted
    /// spec compiles to the same output before writing it.
    Fmt(fmt::FmtArgs),
    /// Show the version of every Helm chart and image in each cluster, and where clusters drift.
    Versions(versions::VersionsArgs),
    /// Give a cluster another cluster's versions: edit the spec, then compile.
    Promote(promote::PromoteArgs),
    /// Draw the order in which Flux reconciles each cluster, as Mermaid or Graphviz.
    Graph(graph::GraphArgs),
    /// Print the Renovate config that keeps the spec's versions current, one branch per cluster.
    ///
    /// Checks first that its patterns see exactly the spec's versions. See docs/renovate.md.
    Renovate(renovate::RenovateArgs),
    /// Render what Flux applies to one cluster: each Flux Kustomization built with kustomize,
    /// then its images, patches, namespace and postBuild substitution applied as Flux does.
    ///
    /// Needs `kustomize` or `kubectl` on PATH (or in `.tools/bin`). HelmReleases are listed with
    /// their chart and version; charts are not rendered.
    Build(build::BuildArgs),
    /// Show how what Flux applies to each cluster changes between a Git revision's spec and the
    /// working tree's, object by object.
    Diff(diff::DiffArgs),
    /// Serve the Language Server Protocol on stdin and stdout, for an editor: the diagnostics,
    /// hover, go to definition, completion, quick fixes and formatting of the spec.
    ///
    /// Editors start it themselves; see docs/editors.md for VS Code, Neovim and Helix.
    Lsp,
    /// Print the completion script for a shell.
    Completions(completions::CompletionsArgs),
    /// Print the man page (or write one per command into a directory).
    Man(man::ManArgs),
    /// Write a synthetic spec of the given size (for benchmarks and stress tests).
    #[command(hide = true)]
    Synth(synth::SynthArgs),
}

/// `check` found the output directory out of date (`renovate --check`: the Renovate config;
/// `fmt --check`: the spec's layout).
const EXIT_STALE: u8 = 1;
/// `versions --fail-on-drift` found clusters running different versions.
const EXIT_DRIFT: u8 = 1;
/// The spec is invalid, the arguments are wrong or the output directory unusable.
const EXIT_ERROR: u8 = 2;

/// Runs the command line and returns the process's exit status.
pub fn run() -> ExitCode {
    let parsed = crate::manual::with_examples(Cli::command())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = cli.color.choice();
    colour_diagnostics(color);
    let result = match &cli.command {
        Command::Init(args) => init::run(args, color),
        Command::Import(args) => import::run(args),
        Command::Compile(args) => compile::run(args, color),
        Command::Check(args) => check::run(args, color),
        Command::Fmt(args) => fmt::run(args, color),
        Command::Versions(args) => versions::run(args),
        Command::Promote(args) => promote::run(args, color),
        Command::Graph(args) => graph::run(args),
        Command::Renovate(args) => renovate::run(args, color),
        Command::Build(args) => build::run(args),
        Command::Diff(args) => diff::run(args, color),
        Command::Lsp => lsp::run(),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Synth(args) => synth::run(args),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Output(error)) => {
            say!("error: cannot write output: {error}");
            ExitCode::from(EXIT_ERROR)
        }
        Err(Failure::Reported) => ExitCode::from(EXIT_ERROR),
    }
}

enum Failure {
    /// The error was printed already.
    Reported,
    /// Writing our own output failed.
    Output(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Output(error)
    }
}

/// Makes the diagnostics on stderr follow the choice the data on stdout follows: `--color`, else
/// `NO_COLOR`, `CLICOLOR_FORCE` and whether stderr is a terminal, as anstream decides them.
/// (miette's own detection ignores `--color` and lets `CLICOLOR_FORCE` beat `NO_COLOR`.)
fn colour_diagnostics(color: anstream::ColorChoice) {
    let choice = match color {
        anstream::ColorChoice::Auto => anstream::AutoStream::choice(&io::stderr()),
        explicit => explicit,
    };
    let styled = choice != anstream::ColorChoice::Never;
    // Fails only when a hook is installed already, and this is the only place that installs one.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().color(styled).build())
    }));
}

fn report_error(error: impl miette::Diagnostic + Send + Sync + 'static) -> Failure {
    streams::show_diagnostic(error);
    Failure::Reported
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode, Failure> {
    let mut stdout = streams::plain_stdout();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

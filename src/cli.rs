//! The command line: arguments, output and exit codes. The only module that prints.
//!
//! Data (diffs, summaries, JSON) goes to stdout; warnings and errors to stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::compile::compile;
use crate::report;
use crate::sync::{Plan, Session};

/// Compile one KDL spec into a multi-cluster Flux GitOps repository.
///
/// Exit status: 0 success (for `check`: the output is current), 1 `check` found the output stale,
/// 2 the spec is invalid, the arguments are wrong, or the output directory could not be used.
#[derive(Parser)]
#[command(name = "fluxspec", version, about, long_about)]
struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the spec and update the output directory, writing only files whose content changed.
    Compile(CompileArgs),
    /// Check that the output directory matches the spec; write nothing.
    Check(CheckArgs),
    /// Write a synthetic spec of the given size (for benchmarks and stress tests).
    #[command(hide = true)]
    Synth(SynthArgs),
}

#[derive(Args)]
struct SynthArgs {
    /// Number of apps.
    #[arg(long, default_value_t = 100)]
    apps: usize,
    /// Number of clusters.
    #[arg(long, default_value_t = 2)]
    clusters: usize,
    /// The spec directory to write.
    dir: PathBuf,
}

#[derive(Args)]
struct Paths {
    /// The spec file.
    #[arg(long, default_value = "spec/homelab.kdl")]
    spec: PathBuf,
    /// The output directory.
    #[arg(long, default_value = "generated")]
    out: PathBuf,
}

#[derive(Args)]
struct Output {
    /// Print the list of changed files instead of their diff.
    #[arg(long)]
    stat: bool,
    /// Print nothing on stdout.
    #[arg(long, short)]
    quiet: bool,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
struct CompileArgs {
    #[command(flatten)]
    paths: Paths,
    #[command(flatten)]
    output: Output,
    /// Show what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Take over files fluxspec did not write that are in the way of generated ones.
    #[arg(long)]
    adopt: bool,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    paths: Paths,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `check` found the output directory out of date.
const EXIT_STALE: u8 = 1;
/// The spec is invalid, the arguments are wrong or the output directory unusable.
const EXIT_ERROR: u8 = 2;

/// Runs the command line and returns the process's exit status.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
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
    let color = match cli.color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    };
    let result = match &cli.command {
        Command::Compile(args) => compile_command(args, color),
        Command::Check(args) => check_command(args, color),
        Command::Synth(args) => crate::synth::write_spec(&args.dir, args.apps, args.clusters)
            .map(|()| ExitCode::SUCCESS)
            .map_err(|error| {
                eprintln!("error: cannot write the spec: {error}");
                Failure::Reported
            }),
    };
    match result {
        Ok(code) => code,
        // `fluxspec check | head`: the reader left, nothing more to say.
        Err(Failure::Output(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(Failure::Output(error)) => {
            eprintln!("error: cannot write output: {error}");
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

fn report_error(error: impl miette::Diagnostic + Send + Sync + 'static) -> Failure {
    eprintln!("{:?}", miette::Report::new(error));
    Failure::Reported
}

/// Renders the spec and plans it against the output directory, under the directory's lock.
fn plan(paths: &Paths, adopt: bool, write: bool) -> Result<(Session, Plan), Failure> {
    let tree = compile(&paths.spec, &spec_label(&paths.spec, &paths.out)).map_err(report_error)?;
    let session = Session::open(&paths.out, &paths.spec, write).map_err(report_error)?;
    let plan = session.plan(&tree, adopt).map_err(report_error)?;
    Ok((session, plan))
}

fn print_plan(output: &Output, plan: &Plan, color: anstream::ColorChoice) -> io::Result<()> {
    if output.quiet {
        return Ok(());
    }
    let mut stdout = anstream::AutoStream::new(io::stdout().lock(), color);
    match output.format {
        Format::Json => report::write_json(&mut stdout, plan)?,
        Format::Text => {
            if output.stat {
                report::write_stat(&mut stdout, plan)?;
            } else {
                report::write_diff(&mut stdout, plan)?;
            }
            writeln!(stdout, "{}", report::summary(plan))?;
        }
    }
    stdout.flush()
}

fn warn_hand_edits(plan: &Plan, verb: &str) {
    for change in plan.changes.iter().filter(|change| change.hand_edited) {
        eprintln!(
            "warning: `{}` was edited by hand; {verb} (edit the spec instead)",
            change.path
        );
    }
}

fn compile_command(args: &CompileArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let (session, plan) = plan(&args.paths, args.adopt, !args.dry_run)?;
    if args.dry_run {
        warn_hand_edits(&plan, "compile would restore it");
    } else {
        session.apply(&plan).map_err(report_error)?;
        warn_hand_edits(&plan, "compile restored it");
    }
    print_plan(&args.output, &plan, color)?;
    Ok(ExitCode::SUCCESS)
}

fn check_command(args: &CheckArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let (_session, plan) = plan(&args.paths, false, false)?;
    warn_hand_edits(&plan, "`fluxspec compile` will restore it");
    print_plan(&args.output, &plan, color)?;
    Ok(if plan.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_STALE)
    })
}

/// How generated files name the spec: its path relative to the directory holding the output
/// directory (the repository root, by convention), so the header is the same on every machine.
fn spec_label(spec: &Path, out: &Path) -> String {
    let absolute = |path: &Path| {
        path.canonicalize()
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let spec = absolute(spec);
    let root = absolute(out).parent().map(Path::to_path_buf);
    let relative = root
        .as_deref()
        .and_then(|root| spec.strip_prefix(root).ok())
        .unwrap_or_else(|| Path::new(spec.file_name().unwrap_or_default()));
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

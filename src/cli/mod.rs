//! The command line: arguments, output and exit codes. The only module that prints.
//!
//! Data (diffs, summaries, JSON) goes to stdout; warnings and errors to stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

mod drift;
mod streams;
mod tree;

use streams::say;

use crate::compile::{self, Warnings};
use crate::manual::Shell;
use crate::report;
use crate::sync;

/// Where the spec is unless `--spec` says otherwise.
const DEFAULT_SPEC: &str = "spec/homelab.kdl";

/// Compile one KDL spec into a multi-cluster Flux GitOps repository.
///
/// Exit status: 0 success (for `check`: the output is current), 1 `check` found the output stale
/// (or `renovate --check` the Renovate config, or `fmt --check` the spec not formatted) or
/// `versions --fail-on-drift` found drift, 2 the spec is invalid, the arguments are wrong, or a
/// file or directory could not be used.
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
    /// Start a new repository: write a commented starter spec into `DIR/spec/` and compile it.
    Init(InitArgs),
    /// Compile the spec and update the output directory, writing only files whose content changed.
    Compile(CompileArgs),
    /// Check that the output directory matches the spec; write nothing.
    Check(CheckArgs),
    /// Rewrite the spec in canonical layout: node order, indentation, one form per version line.
    ///
    /// Keeps every comment. Formats only a spec that compiles, and checks that the formatted
    /// spec compiles to the same output before writing it.
    Fmt(FmtArgs),
    /// Show the version of every Helm chart and image in each cluster, and where clusters drift.
    Versions(VersionsArgs),
    /// Give a cluster another cluster's versions: edit the spec, then compile.
    Promote(PromoteArgs),
    /// Draw the order in which Flux reconciles each cluster, as Mermaid or Graphviz.
    Graph(GraphArgs),
    /// Print the Renovate config that keeps the spec's versions current, one branch per cluster.
    ///
    /// Checks first that its patterns see exactly the spec's versions. See docs/renovate.md.
    Renovate(RenovateArgs),
    /// Render what Flux applies to one cluster: each Flux Kustomization built with kustomize,
    /// then its images, patches, namespace and postBuild substitution applied as Flux does.
    ///
    /// Needs `kustomize` or `kubectl` on PATH (or in `.tools/bin`). HelmReleases are listed with
    /// their chart and version; charts are not rendered.
    Build(BuildArgs),
    /// Show how what Flux applies to each cluster changes between a Git revision's spec and the
    /// working tree's, object by object.
    Diff(DiffArgs),
    /// Serve the Language Server Protocol on stdin and stdout, for an editor: the diagnostics,
    /// hover, go to definition, completion, quick fixes and formatting of the spec.
    ///
    /// Editors start it themselves; see docs/editors.md for VS Code, Neovim and Helix.
    Lsp,
    /// Print the completion script for a shell.
    Completions(CompletionsArgs),
    /// Print the man page (or write one per command into a directory).
    Man(ManArgs),
    /// Write a synthetic spec of the given size (for benchmarks and stress tests).
    #[command(hide = true)]
    Synth(SynthArgs),
}

#[derive(Args)]
struct RenovateArgs {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// The Renovate config file, at the repository root.
    #[arg(long, default_value = "renovate.json")]
    config: PathBuf,
    #[command(flatten)]
    action: RenovateAction,
    /// Clusters whose updates (and those of default versions) wait for approval on the
    /// Dependency Dashboard [default: every cluster but the first one in the spec].
    #[arg(long, value_name = "CLUSTER", value_delimiter = ',')]
    gate: Vec<String>,
    /// Gate no cluster.
    #[arg(long, conflicts_with = "gate")]
    no_gate: bool,
    /// Run `fluxspec compile` on Renovate's branches itself (self-hosted Renovate that allows
    /// the command in `allowedPostUpgradeCommands`).
    #[arg(long)]
    post_upgrade_tasks: bool,
}

/// What to do with the Renovate config instead of printing it; at most one.
#[derive(Args)]
#[group(multiple = false)]
struct RenovateAction {
    /// Write the config file instead of printing it.
    #[arg(long)]
    write: bool,
    /// Print the diff and exit with status 1 if the config file differs from what fluxspec would
    /// write.
    #[arg(long)]
    check: bool,
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
struct VersionsArgs {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// Compare and show only this cluster (repeatable); drift is between the clusters shown.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    clusters: Vec<String>,
    /// Show only this app (repeatable).
    #[arg(long = "app", value_name = "APP")]
    apps: Vec<String>,
    /// Show only the rows whose versions differ between clusters.
    #[arg(long)]
    drift: bool,
    /// Exit with status 1 when any row shown drifts (for CI).
    #[arg(long)]
    fail_on_drift: bool,
    /// How to print the table.
    #[arg(long, value_enum, default_value_t = VersionsFormat::Table)]
    format: VersionsFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum VersionsFormat {
    /// Aligned plain text.
    Table,
    Json,
    /// A GitHub-flavoured Markdown table, for pull requests.
    Markdown,
}

#[derive(Args)]
struct PromoteArgs {
    /// The apps to promote.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    apps: Vec<String>,
    /// Promote every app that runs on both clusters.
    #[arg(long)]
    all: bool,
    /// The cluster whose versions to take.
    #[arg(long)]
    from: String,
    /// The cluster to give them to.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    paths: Paths,
    /// Show the spec and output diffs, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Let `--all` give the target an older version (it refuses, listing them, otherwise).
    #[arg(long, requires = "all")]
    allow_downgrade: bool,
}

#[derive(Args)]
struct GraphArgs {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// Draw only this cluster.
    #[arg(long)]
    cluster: Option<String>,
    /// The graph language.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz (`dot -Tsvg`).
    Dot,
}

#[derive(Args)]
struct InitArgs {
    /// The directory to start in: usually the root of a Git repository.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

#[derive(Args)]
struct FmtArgs {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// Write nothing; print the diff and exit 1 if the spec is not formatted.
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
struct ManArgs {
    /// Write `fluxspec.1` and a page per subcommand into this directory instead.
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct Paths {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// The output directory; must be where the spec's `output-path` puts it [default:
    /// `output-path` from the repository root: the spec's Git root, or else the spec directory's
    /// parent].
    #[arg(long)]
    out: Option<PathBuf>,
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

/// How strict to be about the spec.
#[derive(Args)]
struct Strictness {
    /// Treat warnings (an unused component or variable, an app on no cluster) as errors.
    #[arg(long)]
    deny_warnings: bool,
}

impl Strictness {
    fn warnings(&self) -> Warnings {
        if self.deny_warnings {
            Warnings::Deny
        } else {
            Warnings::Allow
        }
    }
}

#[derive(Args)]
struct CompileArgs {
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

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    paths: Paths,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    strictness: Strictness,
}

#[derive(Args)]
struct BuildArgs {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
    /// The cluster to build.
    #[arg(long)]
    cluster: String,
    /// Only this app's Flux Kustomization (the root Kustomizations are built to find it).
    #[arg(long)]
    app: Option<String>,
    /// Write the YAML to this file instead of stdout.
    #[arg(long, conflicts_with = "split")]
    out: Option<PathBuf>,
    /// Write one file per Flux Kustomization into this directory (`<name>.yaml`).
    #[arg(long)]
    split: Option<PathBuf>,
}

#[derive(Args)]
struct DiffArgs {
    /// The spec file, in a Git working tree.
    #[arg(long, default_value = DEFAULT_SPEC)]
    spec: PathBuf,
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

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
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
    let color = match cli.color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    };
    colour_diagnostics(color);
    let result = match &cli.command {
        Command::Compile(args) => tree::compile_command(args, color),
        Command::Check(args) => tree::check_command(args, color),
        Command::Versions(args) => drift::versions_command(args),
        Command::Promote(args) => drift::promote_command(args, color),
        Command::Graph(args) => drift::graph_command(args),
        Command::Renovate(args) => renovate_command(args, color),
        Command::Build(args) => build_command(args),
        Command::Diff(args) => diff_command(args, color),
        Command::Init(args) => tree::init_command(args, color),
        Command::Fmt(args) => fmt_command(args, color),
        Command::Completions(args) => {
            write_stdout(&crate::manual::completions(args.shell, &Cli::command()))
        }
        Command::Man(args) => man_command(args),
        Command::Lsp => crate::lsp::run()
            .map(|()| ExitCode::SUCCESS)
            .map_err(|error| {
                say!("error: the language server stopped: {error}");
                Failure::Reported
            }),
        Command::Synth(args) => crate::synth::write_spec(&args.dir, args.apps, args.clusters)
            .map(|()| ExitCode::SUCCESS)
            .map_err(|error| {
                say!("error: cannot write the spec: {error}");
                Failure::Reported
            }),
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

fn renovate_command(
    args: &RenovateArgs,
    color: anstream::ColorChoice,
) -> Result<ExitCode, Failure> {
    use crate::renovate::{Gate, Options, generate, write_config};
    let gate = if args.no_gate {
        Gate::Off
    } else if args.gate.is_empty() {
        Gate::AllButFirst
    } else {
        Gate::Clusters(args.gate.clone())
    };
    let options = Options {
        spec: &args.spec,
        config: &args.config,
        gate,
        post_upgrade_tasks: args.post_upgrade_tasks,
    };
    let config = generate(&options).map_err(report_error)?;
    let path = args.config.display();
    if args.action.write {
        write_config(&args.config, &config).map_err(report_error)?;
        say!("wrote `{path}`");
    } else if args.action.check {
        // A missing or unreadable file shows as all added; a binary one as all replaced.
        let current = std::fs::read(&args.config).unwrap_or_default();
        if current != config.as_bytes() {
            let mut stdout = streams::stdout(color);
            let label = path.to_string();
            report::write_text_diff(
                &mut stdout,
                &label,
                &String::from_utf8_lossy(&current),
                &config,
            )?;
            stdout.flush()?;
            say!("`{path}` is not what fluxspec writes; run `fluxspec renovate --write`");
            return Ok(ExitCode::from(EXIT_STALE));
        }
    } else {
        return write_stdout(config.as_bytes());
    }
    Ok(ExitCode::SUCCESS)
}

fn build_command(args: &BuildArgs) -> Result<ExitCode, Failure> {
    let build =
        crate::build::run(&args.spec, &args.cluster, args.app.as_deref()).map_err(report_error)?;
    for warning in &build.warnings {
        say!("warning: {warning}");
    }
    let written = |path: &Path, error: io::Error| {
        say!("error: cannot write `{}`: {error}", path.display());
        Failure::Reported
    };
    match (&args.out, &args.split) {
        (_, Some(dir)) => crate::build::write_split(dir, &build).map_err(|e| written(dir, e))?,
        (Some(file), None) => {
            let mut yaml = Vec::new();
            crate::build::write_yaml(&mut yaml, &build)?;
            std::fs::write(file, yaml).map_err(|e| written(file, e))?;
        }
        (None, None) => {
            let mut stdout = streams::plain_stdout();
            crate::build::write_yaml(&mut stdout, &build)?;
            stdout.flush()?;
        }
    }
    // Best effort, like every line on stderr.
    let _ = crate::build::write_summary(&mut io::stderr().lock(), &build);
    Ok(ExitCode::SUCCESS)
}

fn diff_command(args: &DiffArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let diff = crate::diff::diff(&args.spec, args.cluster.as_deref(), &args.against)
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

fn write_stdout(bytes: &[u8]) -> Result<ExitCode, Failure> {
    let mut stdout = streams::plain_stdout();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn fmt_command(args: &FmtArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let label = args.spec.display().to_string();
    let (original, formatted) =
        crate::fmt::format_spec(&args.spec, &label).map_err(report_error)?;
    if original == formatted {
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        let mut stdout = streams::stdout(color);
        report::write_text_diff(&mut stdout, &label, &original, &formatted)?;
        stdout.flush()?;
        say!("error: `{label}` is not formatted; run `fluxspec fmt`");
        return Ok(ExitCode::from(EXIT_STALE));
    }
    sync::spec_file::write(&args.spec, &formatted).map_err(report_error)?;
    let mut stdout = streams::plain_stdout();
    writeln!(stdout, "formatted {label}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn man_command(args: &ManArgs) -> Result<ExitCode, Failure> {
    if let Some(dir) = &args.dir {
        crate::manual::write_man_pages(Cli::command(), dir).map_err(|error| {
            say!(
                "error: cannot write man pages to `{}`: {error}",
                dir.display()
            );
            Failure::Reported
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    write_stdout(&crate::manual::man_page(Cli::command())?)
}

/// Reads, parses and resolves the spec, reporting its errors.
fn load(spec: &Path) -> Result<compile::Loaded, Failure> {
    let text = compile::read(spec).map_err(report_error)?;
    compile::load(spec, text).map_err(report_error)
}

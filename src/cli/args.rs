//! The arguments several commands share, each declared once and `#[command(flatten)]`ed where
//! used: the spec, the output directory, colour, strictness and how to print a plan.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::compile::{SpecSource, Warnings};

/// Where the spec is unless `--spec` says otherwise.
pub(super) const DEFAULT_SPEC: &str = "spec/homelab.kdl";

/// `--spec`.
#[derive(Args)]
pub(super) struct SpecArg {
    /// The spec file.
    #[arg(long, default_value = DEFAULT_SPEC)]
    pub(super) spec: PathBuf,
}

impl SpecArg {
    /// The spec as the pipeline takes it.
    pub(super) fn source(&self) -> SpecSource {
        SpecSource::at(&self.spec)
    }
}

/// `--spec` and `--out`, for the commands that write the output directory.
#[derive(Args)]
pub(super) struct Paths {
    #[command(flatten)]
    pub(super) spec: SpecArg,
    /// The output directory; must be where the spec's `output-path` puts it [default:
    /// `output-path` from the repository root: the spec's Git root, or else the spec directory's
    /// parent].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

/// `--color`, for every command.
#[derive(Args)]
pub(super) struct ColorArg {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    pub(super) fn choice(&self) -> anstream::ColorChoice {
        match self.color {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        }
    }
}

/// How to print the changes to the output directory.
#[derive(Args)]
pub(super) struct Output {
    /// Print the list of changed files instead of their diff.
    #[arg(long)]
    stat: bool,
    /// Print nothing on stdout.
    #[arg(long, short)]
    pub(super) quiet: bool,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What [`Output`] asks to see of a plan.
#[derive(Clone, Copy)]
pub(super) enum View {
    Nothing,
    Json,
    /// The changed files and a summary.
    Stat,
    /// The diff and a summary.
    Diff,
}

impl Output {
    pub(super) fn view(&self) -> View {
        match (self.quiet, self.format, self.stat) {
            (true, _, _) => View::Nothing,
            (false, Format::Json, _) => View::Json,
            (false, Format::Text, true) => View::Stat,
            (false, Format::Text, false) => View::Diff,
        }
    }
}

/// How strict to be about the spec.
#[derive(Args)]
pub(super) struct Strictness {
    /// Treat warnings (an unused component or variable, an app on no cluster) as errors.
    #[arg(long)]
    deny_warnings: bool,
}

impl Strictness {
    pub(super) fn warnings(&self) -> Warnings {
        if self.deny_warnings {
            Warnings::Deny
        } else {
            Warnings::Allow
        }
    }
}

//! `fluxspec graph`: the order in which Flux reconciles each cluster, as Mermaid or Graphviz.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::SpecArg;
use super::{Failure, report_error, streams};
use crate::graph;

#[derive(Args)]
pub(super) struct GraphArgs {
    #[command(flatten)]
    spec: SpecArg,
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

pub(super) fn run(args: &GraphArgs) -> Result<ExitCode, Failure> {
    let loaded = args.spec.source().load().map_err(report_error)?;
    let clusters = graph::clusters(&loaded.model, args.cluster.as_deref()).map_err(report_error)?;
    let mut stdout = streams::plain_stdout();
    match args.format {
        GraphFormat::Mermaid => graph::write_mermaid(&mut stdout, &loaded.model, &clusters)?,
        GraphFormat::Dot => graph::write_dot(&mut stdout, &loaded.model, &clusters)?,
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

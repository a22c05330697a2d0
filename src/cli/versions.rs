//! `fluxspec versions`: the version of every chart and image in each cluster, and the drift.
//!
//! Shows none of the spec's warnings (an unused variable says nothing about versions):
//! `compile` and `check` do.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::SpecArg;
use super::{EXIT_DRIFT, Failure, report_error, streams};
use crate::versions;

#[derive(Args)]
pub(super) struct VersionsArgs {
    #[command(flatten)]
    spec: SpecArg,
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

pub(super) fn run(args: &VersionsArgs) -> Result<ExitCode, Failure> {
    let loaded = args.spec.source().load().map_err(report_error)?;
    let filter = versions::Filter {
        clusters: args.clusters.clone(),
        apps: args.apps.clone(),
        drift_only: args.drift,
    };
    let table = versions::versions(&loaded.model, &spec_order(&loaded.syntax), &filter)
        .map_err(report_error)?;
    let mut stdout = streams::plain_stdout();
    match args.format {
        // An empty table under `--drift` would leave the reader guessing.
        VersionsFormat::Table | VersionsFormat::Markdown if args.drift && table.rows.is_empty() => {
            writeln!(
                stdout,
                "no drift: {} run the same versions",
                versions::cluster_list(&table.clusters)
            )?;
        }
        VersionsFormat::Table => versions::write_table(&mut stdout, &table)?,
        VersionsFormat::Json => versions::write_json(&mut stdout, &table)?,
        VersionsFormat::Markdown => versions::write_markdown(&mut stdout, &table)?,
    }
    stdout.flush()?;
    Ok(if args.fail_on_drift && table.has_drift() {
        ExitCode::from(EXIT_DRIFT)
    } else {
        ExitCode::SUCCESS
    })
}

/// The cluster names in the order the spec declares them.
fn spec_order(spec: &crate::parse::syntax::Spec) -> Vec<String> {
    spec.clusters
        .iter()
        .map(|cluster| cluster.name.value.clone())
        .collect()
}

//! `fluxspec build`: print or write what Flux applies to one cluster.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::args::SpecArg;
use super::streams::{self, say};
use super::{Failure, report_error};

#[derive(Args)]
pub(super) struct BuildArgs {
    #[command(flatten)]
    spec: SpecArg,
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

pub(super) fn run(args: &BuildArgs) -> Result<ExitCode, Failure> {
    let build = crate::build::run(&args.spec.source(), &args.cluster, args.app.as_deref())
        .map_err(report_error)?;
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
            crate::build::write_file(file, &build).map_err(|e| written(file, e))?;
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

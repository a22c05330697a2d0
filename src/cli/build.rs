//! `fluxspec build`: print or write what Flux applies to one cluster, from the spec or from any
//! Flux repository on disk (`--repo`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::SpecArg;
use super::streams::{self, say};
use super::{Failure, report_error};

#[derive(Args)]
pub(super) struct BuildArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// The cluster to build.
    #[arg(long, required_unless_present = "repo", conflicts_with = "repo")]
    cluster: Option<String>,
    /// Only this app's Flux Kustomization (the root Kustomizations are built to find it).
    #[arg(long, conflicts_with = "repo")]
    app: Option<String>,
    /// Build this Flux repository, not the spec: any repository on disk, fluxspec's or not.
    #[arg(long, value_name = "DIR", requires = "path")]
    repo: Option<PathBuf>,
    /// With `--repo`: the directory the cluster's `flux-system` Kustomization syncs, relative
    /// to DIR (what `flux bootstrap --path` was given, e.g. `clusters/dev`).
    #[arg(long, requires = "repo")]
    path: Option<String>,
    /// How to print the objects: YAML, or a JSON array naming, per object, the Flux
    /// Kustomization that applies it.
    #[arg(long, value_enum, default_value_t = BuildFormat::Yaml)]
    format: BuildFormat,
    /// Write the objects to this file instead of stdout.
    #[arg(long, conflicts_with = "split")]
    out: Option<PathBuf>,
    /// Write one YAML file per Flux Kustomization into this directory (`<name>.yaml`).
    #[arg(long)]
    split: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BuildFormat {
    Yaml,
    Json,
}

pub(super) fn run(args: &BuildArgs) -> Result<ExitCode, Failure> {
    let build = match (&args.repo, &args.path, &args.cluster) {
        (Some(repo), Some(path), _) => crate::build::run_repo(repo, path),
        // clap requires `--cluster` without `--repo`.
        (_, _, cluster) => crate::build::run(
            &args.spec.source(),
            cluster.as_deref().unwrap_or_default(),
            args.app.as_deref(),
        ),
    }
    .map_err(report_error)?;
    for warning in &build.warnings {
        say!("warning: {warning}");
    }
    let written = |path: &Path, error: io::Error| {
        say!("error: cannot write `{}`: {error}", path.display());
        Failure::Reported
    };
    let json = args.format == BuildFormat::Json;
    match (&args.out, &args.split) {
        (_, Some(dir)) => crate::build::write_split(dir, &build).map_err(|e| written(dir, e))?,
        (Some(file), None) => {
            crate::build::write_file(file, &build, json).map_err(|e| written(file, e))?;
        }
        (None, None) => {
            let mut stdout = streams::plain_stdout();
            if json {
                crate::build::write_json(&mut stdout, &build)?;
            } else {
                crate::build::write_yaml(&mut stdout, &build)?;
            }
            stdout.flush()?;
        }
    }
    // Best effort, like every line on stderr.
    let _ = crate::build::write_summary(&mut io::stderr().lock(), &build);
    Ok(ExitCode::SUCCESS)
}

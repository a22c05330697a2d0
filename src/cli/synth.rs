//! `fluxspec synth` (hidden): write a synthetic spec, for benchmarks and stress tests.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Failure;
use super::streams::say;

#[derive(Args)]
pub(super) struct SynthArgs {
    /// Number of apps.
    #[arg(long, default_value_t = 100)]
    apps: usize,
    /// Number of clusters.
    #[arg(long, default_value_t = 2)]
    clusters: usize,
    /// The spec directory to write.
    dir: PathBuf,
}

pub(super) fn run(args: &SynthArgs) -> Result<ExitCode, Failure> {
    crate::synth::write_spec(&args.dir, args.apps, args.clusters)
        .map(|()| ExitCode::SUCCESS)
        .map_err(|error| {
            say!("error: cannot write the spec: {error}");
            Failure::Reported
        })
}

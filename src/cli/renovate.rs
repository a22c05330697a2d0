//! `fluxspec renovate`: print, write or check the Renovate config that keeps the spec current.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::args::SpecArg;
use super::streams::{self, say};
use super::{EXIT_STALE, Failure, report_error, write_stdout};
use crate::renovate::{Gate, Options, generate, stale_config, write_config};
use crate::report;

#[derive(Args)]
pub(super) struct RenovateArgs {
    #[command(flatten)]
    spec: SpecArg,
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

pub(super) fn run(args: &RenovateArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let gate = if args.no_gate {
        Gate::Off
    } else if args.gate.is_empty() {
        Gate::AllButFirst
    } else {
        Gate::Clusters(args.gate.clone())
    };
    let options = Options {
        spec: &args.spec.spec,
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
        if let Some(current) = stale_config(&args.config, &config) {
            let mut stdout = streams::stdout(color);
            report::write_text_diff(&mut stdout, &path.to_string(), &current, &config)?;
            stdout.flush()?;
            say!("`{path}` is not what fluxspec writes; run `fluxspec renovate --write`");
            return Ok(ExitCode::from(EXIT_STALE));
        }
    } else {
        return write_stdout(config.as_bytes());
    }
    Ok(ExitCode::SUCCESS)
}

//! `fluxspec promote`: give a cluster another cluster's versions, and show what changed.
//!
//! Shows none of the spec's warnings: `compile` and `check` do.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::args::Paths;
use super::plan::{self, Action};
use super::{Failure, report_error, streams};
use crate::promote::{self, Promoted, Request};
use crate::report;

#[derive(Args)]
pub(super) struct PromoteArgs {
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

pub(super) fn run(args: &PromoteArgs, color: anstream::ColorChoice) -> Result<ExitCode, Failure> {
    let source = args.paths.spec.source();
    let request = Request {
        apps: args.apps.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        allow_downgrade: args.allow_downgrade,
    };
    let proposal =
        promote::propose(&source, args.paths.out.as_deref(), &request).map_err(report_error)?;
    let mut stdout = streams::stdout(color);
    for app in &proposal.already_equal {
        writeln!(
            stdout,
            "`{app}` runs the same versions on {} and {}: nothing to promote",
            args.from, args.to
        )?;
    }
    if proposal.promoted.is_empty() {
        if args.apps.is_empty() {
            writeln!(
                stdout,
                "every app runs the same versions on {} and {}: nothing to promote",
                args.from, args.to
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = proposal.carry_out(args.dry_run).map_err(report_error)?;
    let plan = &outcome.planned.plan;
    plan::warn_hand_edits(plan, Action::of("promote", args.dry_run));

    // Every path from the repository root, as `compile` shows them, so both diffs apply there.
    report::write_text_diff(
        &mut stdout,
        &source.header_label,
        &outcome.old_text,
        &outcome.new_text,
    )?;
    report::write_diff(&mut stdout, plan, &outcome.planned.output_dir)?;
    for promoted in &outcome.promoted {
        writeln!(
            stdout,
            "{}",
            promoted_line(promoted, &args.to, args.dry_run)
        )?;
    }
    writeln!(stdout, "{}", report::summary(plan))?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `promoted chart `podinfo` of `web` on prod: 6.5.0 -> 6.6.0`.
fn promoted_line(promoted: &Promoted, to: &str, dry_run: bool) -> String {
    format!(
        "{} {} `{}` of `{}` on {to}: {} -> {}{}",
        if dry_run { "would promote" } else { "promoted" },
        promoted.kind.as_str(),
        promoted.name,
        promoted.app,
        promoted.old,
        promoted.new,
        if promoted.is_downgrade() {
            " (a downgrade)"
        } else {
            ""
        }
    )
}

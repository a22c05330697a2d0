//! How the commands that plan against the output directory (`compile`, `check`, `init`,
//! `promote`) show the plan: the changes on stdout, the hand-edited files on stderr.

use std::io::{self, Write};

use super::args::View;
use super::streams::{self, say};
use crate::output::Planned;
use crate::report;
use crate::sync::{Plan, Status};

/// Prints the changes the plan makes, as `view` asks.
pub(super) fn print(view: View, planned: &Planned, color: anstream::ColorChoice) -> io::Result<()> {
    let plan = &planned.plan;
    let mut stdout = streams::stdout(color);
    match view {
        View::Nothing => return Ok(()),
        View::Json => report::write_json(&mut stdout, plan)?,
        View::Stat | View::Diff => {
            if matches!(view, View::Stat) {
                report::write_stat(&mut stdout, plan)?;
            } else {
                report::write_diff(&mut stdout, plan, &planned.output_dir)?;
            }
            writeln!(stdout, "{}", report::summary(plan))?;
        }
    }
    stdout.flush()
}

/// What the running command does about the changes it found, for the hand-edit warnings.
#[derive(Clone, Copy)]
pub(super) enum Action {
    /// `check`: nothing is written; `compile` would write.
    Check,
    /// A dry run of the named command.
    DryRun(&'static str),
    /// The named command wrote the plan.
    Wrote(&'static str),
}

impl Action {
    /// `Wrote(command)`, or `DryRun(command)` for a dry run.
    pub(super) fn of(command: &'static str, dry_run: bool) -> Self {
        if dry_run {
            Action::DryRun(command)
        } else {
            Action::Wrote(command)
        }
    }
}

pub(super) fn warn_hand_edits(plan: &Plan, action: Action) {
    for change in plan.changes.iter().filter(|change| change.hand_edited) {
        let (verb, past, why) = match change.status {
            Status::Deleted => ("delete", "deleted", "it is no longer generated"),
            Status::Created | Status::Changed => ("restore", "restored", "edit the spec instead"),
        };
        let done = match action {
            Action::Check => format!("`fluxspec compile` will {verb} it"),
            Action::DryRun(command) => format!("{command} would {verb} it"),
            Action::Wrote(command) => format!("{command} {past} it"),
        };
        say!(
            "warning: `{}` was edited by hand; {done} ({why})",
            change.path
        );
    }
}

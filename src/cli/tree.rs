//! The commands that compile the spec into the output directory: `compile`, `check`, and `init`
//! (whose first compile is an ordinary one). Also what `promote` shares with them: where the
//! output directory is, and the warnings about hand-edited files.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::streams::{self, say};
use super::{
    CheckArgs, CompileArgs, DEFAULT_SPEC, EXIT_STALE, Failure, Format, InitArgs, Output, Paths,
    Strictness, report_error,
};
use crate::compile::compile;
use crate::sync::{self, Plan, Session, Status};
use crate::{report, repository};

/// A plan against the output directory, under the directory's lock.
pub(super) struct Planned {
    session: Session,
    plan: Plan,
    /// The output directory's path from the repository root, for diff headers: `generated`.
    output_dir: String,
}

/// Renders the spec and plans it against the output directory, under the directory's lock.
/// Warnings go to stderr.
fn plan(
    paths: &Paths,
    strictness: &Strictness,
    adopt: bool,
    write: bool,
) -> Result<Planned, Failure> {
    let label = repository::spec_label(&paths.spec);
    let compiled = compile(&paths.spec, &label, strictness.warnings()).map_err(report_error)?;
    if let Some(warnings) = compiled.warnings {
        streams::show_diagnostic(warnings);
    }
    let output_dir_from_root = compiled.output_path.relative_to_root();
    let out = output_dir(paths, compiled.output_path)?;
    let session = Session::open(&out, &paths.spec, write).map_err(report_error)?;
    let plan = session.plan(&compiled.tree, adopt).map_err(report_error)?;
    Ok(Planned {
        session,
        plan,
        output_dir: output_dir_from_root,
    })
}

/// The output directory: `--out`, checked to be safe and where the spec's `output-path` says, or
/// that place.
pub(super) fn output_dir(
    paths: &Paths,
    output_path: repository::OutputPath,
) -> Result<PathBuf, Failure> {
    if let Some(out) = &paths.out {
        sync::check_output_dir(out, &paths.spec).map_err(report_error)?;
    }
    repository::output_dir(&paths.spec, paths.out.as_deref(), output_path)
        .map_err(|mismatch| report_error(*mismatch))
}

fn print_plan(output: &Output, planned: &Planned, color: anstream::ColorChoice) -> io::Result<()> {
    let plan = &planned.plan;
    if output.quiet {
        return Ok(());
    }
    let mut stdout = streams::stdout(color);
    match output.format {
        Format::Json => report::write_json(&mut stdout, plan)?,
        Format::Text => {
            if output.stat {
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

pub(super) fn compile_command(
    args: &CompileArgs,
    color: anstream::ColorChoice,
) -> Result<ExitCode, Failure> {
    let planned = plan(&args.paths, &args.strictness, args.adopt, !args.dry_run)?;
    if args.dry_run {
        warn_hand_edits(&planned.plan, Action::DryRun("compile"));
    } else {
        planned.session.apply(&planned.plan).map_err(report_error)?;
        warn_hand_edits(&planned.plan, Action::Wrote("compile"));
    }
    print_plan(&args.output, &planned, color)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn check_command(
    args: &CheckArgs,
    color: anstream::ColorChoice,
) -> Result<ExitCode, Failure> {
    let planned = plan(&args.paths, &args.strictness, false, false)?;
    warn_hand_edits(&planned.plan, Action::Check);
    print_plan(&args.output, &planned, color)?;
    if planned.plan.is_clean() {
        return Ok(ExitCode::SUCCESS);
    }
    if args.output.quiet {
        return Ok(ExitCode::from(EXIT_STALE));
    }
    say!(
        "`{}` is not what the spec compiles to; run `{}`",
        planned.output_dir,
        command_line("compile", &args.paths)
    );
    Ok(ExitCode::from(EXIT_STALE))
}

/// `fluxspec <command>` with the paths given, for hints: `fluxspec compile --spec infra/a.kdl`.
fn command_line(command: &str, paths: &Paths) -> String {
    let mut words = vec!["fluxspec".to_owned(), command.to_owned()];
    if paths.spec != Path::new(DEFAULT_SPEC) {
        words.extend(["--spec".to_owned(), paths.spec.display().to_string()]);
    }
    if let Some(out) = &paths.out {
        words.extend(["--out".to_owned(), out.display().to_string()]);
    }
    words.join(" ")
}

pub(super) fn init_command(
    args: &InitArgs,
    color: anstream::ColorChoice,
) -> Result<ExitCode, Failure> {
    let written = crate::init::write_starter(&args.dir).map_err(report_error)?;
    let shown = |relative| crate::init::shown(&args.dir, relative);
    {
        let mut stdout = streams::plain_stdout();
        for path in written {
            writeln!(stdout, "wrote    {}", shown(path).display())?;
        }
        stdout.flush()?;
    }
    // The first compile is an ordinary one, listing what it created.
    let compile = CompileArgs {
        paths: Paths {
            spec: args.dir.join(crate::init::SPEC),
            out: None,
        },
        output: Output {
            stat: true,
            quiet: false,
            format: Format::Text,
        },
        strictness: Strictness {
            deny_warnings: false,
        },
        dry_run: false,
        adopt: false,
    };
    compile_command(&compile, color)?;
    let mut stdout = streams::plain_stdout();
    writeln!(
        stdout,
        "\nNext: edit {spec} and run `fluxspec compile`; commit spec/ and generated/.\n\
         Point Flux at it: `flux bootstrap ... --path=./generated/clusters/<cluster>`.",
        spec = shown(crate::init::SPEC).display()
    )?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

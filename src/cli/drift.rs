//! The commands about versions across clusters: `versions`, `promote` and `graph`.
//!
//! They read the spec and show or edit it; none shows the spec's warnings (an unused variable
//! says nothing about versions): `compile` and `check` do.

use std::io::Write;
use std::process::ExitCode;

use super::streams;
use super::tree::{Action, output_dir, warn_hand_edits};
use super::{
    EXIT_DRIFT, Failure, GraphArgs, GraphFormat, PromoteArgs, VersionsArgs, VersionsFormat, load,
    report_error,
};
use crate::compile;
use crate::parse::syntax;
use crate::sync::{self, Session};
use crate::{graph, promote, render, report, repository, versions};

/// The cluster names in the order the spec declares them.
fn spec_order(spec: &syntax::Spec) -> Vec<String> {
    spec.clusters
        .iter()
        .map(|cluster| cluster.name.value.clone())
        .collect()
}

pub(super) fn versions_command(args: &VersionsArgs) -> Result<ExitCode, Failure> {
    let loaded = load(&args.spec)?;
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

pub(super) fn promote_command(
    args: &PromoteArgs,
    color: anstream::ColorChoice,
) -> Result<ExitCode, Failure> {
    let spec = &args.paths.spec;
    let loaded = load(spec)?;
    let output_path = repository::OutputPath::of(&spec.display().to_string(), &loaded);
    let output_dir_from_root = output_path.relative_to_root();
    let out = output_dir(&args.paths, output_path)?;
    let label = repository::spec_label(spec);
    let request = promote::Request {
        apps: args.apps.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        allow_downgrade: args.allow_downgrade,
    };
    let promotion = promote::promote(
        &loaded.text,
        &spec.display().to_string(),
        &loaded.syntax,
        &loaded.model,
        &request,
    )
    .map_err(report_error)?;
    let mut stdout = streams::stdout(color);
    for app in &promotion.already_equal {
        writeln!(
            stdout,
            "`{app}` runs the same versions on {} and {}: nothing to promote",
            args.from, args.to
        )?;
    }
    if promotion.promoted.is_empty() {
        if args.apps.is_empty() {
            writeln!(
                stdout,
                "every app runs the same versions on {} and {}: nothing to promote",
                args.from, args.to
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    // The edited spec must compile before anything is written.
    let edited = compile::load(spec, promotion.text).map_err(report_error)?;
    let tree = render::render(&edited.model, &label);
    let session = Session::open(&out, spec, !args.dry_run).map_err(report_error)?;
    let plan = session.plan(&tree, false).map_err(report_error)?;
    if args.dry_run {
        warn_hand_edits(&plan, Action::DryRun("promote"));
    } else {
        sync::spec_file::write(spec, &edited.text).map_err(report_error)?;
        session.apply(&plan).map_err(report_error)?;
        warn_hand_edits(&plan, Action::Wrote("promote"));
    }

    // Every path from the repository root, as `compile` shows them, so both diffs apply there.
    report::write_text_diff(&mut stdout, &label, &loaded.text, &edited.text)?;
    report::write_diff(&mut stdout, &plan, &output_dir_from_root)?;
    for promoted in &promotion.promoted {
        writeln!(
            stdout,
            "{} {} `{}` of `{}` on {}: {} -> {}{}",
            if args.dry_run {
                "would promote"
            } else {
                "promoted"
            },
            promoted.kind.as_str(),
            promoted.name,
            promoted.app,
            args.to,
            promoted.old,
            promoted.new,
            if promoted.is_downgrade() {
                " (a downgrade)"
            } else {
                ""
            }
        )?;
    }
    writeln!(stdout, "{}", report::summary(&plan))?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn graph_command(args: &GraphArgs) -> Result<ExitCode, Failure> {
    let loaded = load(&args.spec)?;
    let clusters = graph::clusters(&loaded.model, args.cluster.as_deref()).map_err(report_error)?;
    let mut stdout = streams::plain_stdout();
    match args.format {
        GraphFormat::Mermaid => graph::write_mermaid(&mut stdout, &loaded.model, &clusters)?,
        GraphFormat::Dot => graph::write_dot(&mut stdout, &loaded.model, &clusters)?,
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

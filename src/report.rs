//! How a [`Plan`] is shown: a unified diff per file, a per-file stat, a one-line summary, or
//! JSON for machines. Writes to the stream it is given; the CLI decides which stream and colour.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::sync::{Plan, Status};

const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();
const HEADER: Style = Style::new().bold();

/// The unified diff of every change, `a/` old and `b/` new paths from the repository root
/// (`output_dir` is the output directory's path from there, `generated`), as `git diff` prints
/// them, so `compile`'s and `promote`'s diffs read alike and apply from the root.
pub(crate) fn write_diff(out: &mut impl Write, plan: &Plan, output_dir: &str) -> io::Result<()> {
    for change in &plan.changes {
        let new = plan.new_content(change)?;
        let path = format!("{output_dir}/{}", change.path);
        write_change(out, &path, change.status, &change.old, &new)?;
    }
    Ok(())
}

/// The unified diff of one text file, `a/path` to `b/path`.
pub(crate) fn write_text_diff(
    out: &mut impl Write,
    path: &str,
    old: &str,
    new: &str,
) -> io::Result<()> {
    write_change(out, path, Status::Changed, old.as_bytes(), new.as_bytes())
}

/// The unified diff of one file, shown as `path`, from `old` to `new`.
fn write_change(
    out: &mut impl Write,
    path: &str,
    status: Status,
    old: &[u8],
    new: &[u8],
) -> io::Result<()> {
    let old_name = match status {
        Status::Created => "/dev/null".to_owned(),
        _ => format!("a/{path}"),
    };
    let new_name = match status {
        Status::Deleted => "/dev/null".to_owned(),
        _ => format!("b/{path}"),
    };
    writeln!(out, "{HEADER}--- {old_name}{HEADER:#}")?;
    writeln!(out, "{HEADER}+++ {new_name}{HEADER:#}")?;
    let (Ok(old), Ok(new)) = (std::str::from_utf8(old), std::str::from_utf8(new)) else {
        return writeln!(out, "binary file {}", status.as_str());
    };
    let diff = TextDiff::from_lines(old, new);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        writeln!(out, "{HUNK}{}{HUNK:#}", hunk.header())?;
        for line in hunk.iter_changes() {
            let (sign, style) = match line.tag() {
                ChangeTag::Delete => ('-', REMOVED),
                ChangeTag::Insert => ('+', ADDED),
                ChangeTag::Equal => (' ', Style::new()),
            };
            let text = line.value();
            writeln!(
                out,
                "{style}{sign}{}{style:#}",
                text.strip_suffix('\n').unwrap_or(text)
            )?;
            if line.missing_newline() {
                writeln!(out, "\\ No newline at end of file")?;
            }
        }
    }
    Ok(())
}

/// One line per changed file: `changed  apps/podinfo/dev/ocirepository.yaml`.
pub(crate) fn write_stat(out: &mut impl Write, plan: &Plan) -> io::Result<()> {
    for change in &plan.changes {
        let style = match change.status {
            Status::Created => ADDED,
            Status::Deleted => REMOVED,
            Status::Changed => HUNK,
        };
        writeln!(
            out,
            "{style}{:<8}{style:#} {}",
            change.status.as_str(),
            change.path
        )?;
    }
    Ok(())
}

/// `3 changed, 1 created, 0 deleted, 1480 unchanged`.
pub(crate) fn summary(plan: &Plan) -> String {
    format!(
        "{} changed, {} created, {} deleted, {} unchanged",
        plan.count(Status::Changed),
        plan.count(Status::Created),
        plan.count(Status::Deleted),
        plan.unchanged
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    clean: bool,
    changed: usize,
    created: usize,
    deleted: usize,
    unchanged: usize,
    files: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    path: &'a str,
    status: &'static str,
    hand_edited: bool,
}

/// The change list as one JSON object.
pub(crate) fn write_json(out: &mut impl Write, plan: &Plan) -> io::Result<()> {
    let report = JsonReport {
        clean: plan.is_clean(),
        changed: plan.count(Status::Changed),
        created: plan.count(Status::Created),
        deleted: plan.count(Status::Deleted),
        unchanged: plan.unchanged,
        files: plan
            .changes
            .iter()
            .map(|change| JsonChange {
                path: &change.path,
                status: change.status.as_str(),
                hand_edited: change.hand_edited,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

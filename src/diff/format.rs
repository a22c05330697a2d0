//! How a [`Diff`] is shown: coloured text for a terminal, Markdown for a pull request comment,
//! JSON for machines. Writes to the stream it is given; the CLI decides which stream and colour.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use similar::TextDiff;

use super::{ClusterDiff, Diff, ObjectChange, Status};

const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();
const HEADER: Style = Style::new().bold();

/// The unified diff of an object's YAML, hunks only (the object is named elsewhere).
fn unified(change: &ObjectChange) -> String {
    let diff = TextDiff::from_lines(&change.old, &change.new);
    let mut text = String::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        text.push_str(&hunk.to_string());
    }
    text
}

fn sign(status: Status) -> (char, Style) {
    match status {
        Status::Added => ('+', ADDED),
        Status::Removed => ('-', REMOVED),
        Status::Changed => ('~', HUNK),
    }
}

/// `2 changed, 1 added, 0 removed`, or `no changes`.
fn counts(cluster: &ClusterDiff) -> String {
    if cluster.changes.is_empty() {
        "no changes".to_owned()
    } else {
        format!(
            "{} changed, {} added, {} removed",
            cluster.count(Status::Changed),
            cluster.count(Status::Added),
            cluster.count(Status::Removed)
        )
    }
}

/// Where the object is applied from: `platform-dev`, or `apps-dev (was platform-dev)`.
fn owner(change: &ObjectChange) -> String {
    match &change.previous_kustomization {
        Some(previous) => format!("{} (was {previous})", change.kustomization),
        None => change.kustomization.clone(),
    }
}

/// Per cluster a summary line, then each object with a `~`, `+` or `-` and its diff.
pub(crate) fn write_text(out: &mut impl Write, diff: &Diff) -> io::Result<()> {
    for cluster in &diff.clusters {
        writeln!(
            out,
            "{HEADER}cluster `{}`: {}{HEADER:#}",
            cluster.cluster,
            counts(cluster)
        )?;
        for change in &cluster.changes {
            let (sign, style) = sign(change.status);
            writeln!(
                out,
                "{style}{sign} {}{style:#}  (Flux Kustomization {})",
                change.id,
                owner(change)
            )?;
            for line in unified(change).lines() {
                let style = match line.chars().next() {
                    Some('+') => ADDED,
                    Some('-') => REMOVED,
                    Some('@') => HUNK,
                    _ => Style::new(),
                };
                writeln!(out, "    {style}{line}{style:#}")?;
            }
        }
    }
    Ok(())
}

/// A fence longer than any run of backticks in `text`, so the text cannot close it.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// A table of counts per cluster, then per cluster each object in a collapsed `<details>` with
/// its diff: ready to post as a pull request comment.
pub(crate) fn write_markdown(out: &mut impl Write, diff: &Diff) -> io::Result<()> {
    writeln!(
        out,
        "### What Flux applies: `{}` → working tree\n",
        diff.against
    )?;
    writeln!(out, "| cluster | changed | added | removed |")?;
    writeln!(out, "| --- | ---: | ---: | ---: |")?;
    for cluster in &diff.clusters {
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cluster.cluster,
            cluster.count(Status::Changed),
            cluster.count(Status::Added),
            cluster.count(Status::Removed)
        )?;
    }
    for cluster in diff.clusters.iter().filter(|c| !c.changes.is_empty()) {
        writeln!(out, "\n#### `{}`: {}", cluster.cluster, counts(cluster))?;
        for change in &cluster.changes {
            let body = unified(change);
            let fence = fence(&body);
            writeln!(
                out,
                "\n<details><summary>{} <code>{}</code> (Flux Kustomization <code>{}</code>)</summary>\n",
                change.status.as_str(),
                html_escape(&change.id.to_string()),
                html_escape(&owner(change))
            )?;
            writeln!(out, "{fence}diff\n{body}{fence}\n\n</details>")?;
        }
    }
    Ok(())
}

/// Object names are DNS names, but a kind or a Kustomization's name shown in HTML should not be
/// able to open a tag.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    against: &'a str,
    clusters: Vec<JsonCluster<'a>>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    cluster: &'a str,
    changed: usize,
    added: usize,
    removed: usize,
    objects: Vec<JsonObject<'a>>,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    status: &'static str,
    /// `Kind/namespace/name`.
    id: String,
    group: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
    kustomization: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_kustomization: Option<&'a str>,
    /// The unified diff of the object's YAML.
    diff: String,
}

/// The differences as one JSON object.
pub(crate) fn write_json(out: &mut impl Write, diff: &Diff) -> io::Result<()> {
    let report = JsonDiff {
        against: &diff.against,
        clusters: diff
            .clusters
            .iter()
            .map(|cluster| JsonCluster {
                cluster: &cluster.cluster,
                changed: cluster.count(Status::Changed),
                added: cluster.count(Status::Added),
                removed: cluster.count(Status::Removed),
                objects: cluster
                    .changes
                    .iter()
                    .map(|change| JsonObject {
                        status: change.status.as_str(),
                        id: change.id.to_string(),
                        group: &change.id.group,
                        kind: &change.id.kind,
                        namespace: change.id.namespace.as_deref(),
                        name: &change.id.name,
                        kustomization: &change.kustomization,
                        previous_kustomization: change.previous_kustomization.as_deref(),
                        diff: unified(change),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::fence;

    #[test]
    fn fences_outgrow_backtick_runs() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b ` c"), "`````");
    }
}

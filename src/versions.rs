//! `fluxspec versions`: every versioned thing (an app's Helm chart or image) and its effective
//! version in each cluster, with the drift between clusters.
//!
//! Works from the resolved [`Model`], so a version is exactly what the clusters will run (a
//! cluster's own `version` line, else the default). Writes to the stream it is given; the CLI
//! decides which.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::model::{App, ChartSource, Model};
use crate::select::{self, SelectError};

/// Which rows and clusters to show.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// Compare and show only these clusters; all when empty.
    pub(crate) clusters: Vec<String>,
    /// Only these apps; all when empty.
    pub(crate) apps: Vec<String>,
    /// Only rows whose versions differ between the compared clusters.
    pub(crate) drift_only: bool,
}

/// The versions table, also its JSON form.
#[derive(Debug, Serialize)]
pub(crate) struct Versions {
    /// The compared clusters, in the order the spec declares them.
    pub(crate) clusters: Vec<String>,
    pub(crate) rows: Vec<Row>,
}

/// One chart or image of one app.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) app: String,
    pub(crate) kind: Kind,
    /// The chart's name, or the image's name.
    pub(crate) name: String,
    /// Where the chart comes from (`oci://...` or the Helm repository URL); none for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    /// Compared cluster -> effective version; clusters the app does not run on are absent.
    pub(crate) versions: BTreeMap<String, String>,
    /// Compared cluster -> the version a patch of the spec sets instead, which Flux applies
    /// (`fluxspec::version-overridden-by-patch`); absent when no patch does.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) overridden: BTreeMap<String, String>,
    pub(crate) drift: Drift,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Chart,
    Image,
    /// A remote kustomize base, versioned by Git tag.
    Remote,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Chart => "chart",
            Kind::Image => "image",
            Kind::Remote => "remote",
        }
    }
}

/// How a row's versions compare across the clusters that run the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub(crate) enum Drift {
    /// One version everywhere (or the app runs on one compared cluster only).
    None,
    /// The versions parse as semver (a leading `v` allowed) and these clusters run the newest.
    Ahead { clusters: Vec<String> },
    /// The versions differ but cannot be ordered.
    Differs,
}

impl Drift {
    fn describe(&self) -> String {
        match self {
            Drift::None => String::new(),
            Drift::Ahead { clusters } => format!("{} ahead", clusters.join(", ")),
            Drift::Differs => "differs".to_owned(),
        }
    }
}

/// `dev`, `dev and prod`, `dev, staging and prod`.
pub(crate) fn cluster_list(clusters: &[String]) -> String {
    match clusters {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl Versions {
    /// Whether any row drifts.
    pub(crate) fn has_drift(&self) -> bool {
        self.rows.iter().any(|row| row.drift != Drift::None)
    }
}

/// Parses a version as semver, tolerating the `v` prefix charts and images often carry.
pub(crate) fn semver(version: &str) -> Option<semver::Version> {
    semver::Version::parse(version.strip_prefix('v').unwrap_or(version)).ok()
}

/// Compares the versions of one row across clusters.
pub(crate) fn drift(versions: &BTreeMap<String, String>) -> Drift {
    let mut distinct: Vec<&str> = versions.values().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Drift::None;
    }
    let parsed: Option<Vec<(&String, semver::Version)>> = versions
        .iter()
        .map(|(cluster, version)| semver(version).map(|parsed| (cluster, parsed)))
        .collect();
    let Some(parsed) = parsed else {
        return Drift::Differs;
    };
    let Some(newest) = parsed.iter().map(|(_, version)| version).max() else {
        return Drift::Differs;
    };
    let ahead: Vec<String> = parsed
        .iter()
        .filter(|(_, version)| version == newest)
        .map(|(cluster, _)| (*cluster).clone())
        .collect();
    // `v1.2.0` against `1.2.0`: different text, same semver; nobody is ahead.
    if ahead.len() == parsed.len() {
        Drift::Differs
    } else {
        Drift::Ahead { clusters: ahead }
    }
}

/// The chart's name: `chart=` for a Helm repository, the last path segment of an OCI URL.
pub(crate) fn chart_name(source: &ChartSource) -> &str {
    match source {
        ChartSource::Oci { url, .. } => url.rsplit('/').next().unwrap_or(url),
        ChartSource::Repository { chart, .. } => chart,
    }
}

fn chart_url(source: &ChartSource) -> &str {
    match source {
        ChartSource::Oci { url, .. } | ChartSource::Repository { url, .. } => url,
    }
}

/// The rows of one app, restricted to `clusters`.
fn app_rows(app: &App, clusters: &[String]) -> Vec<Row> {
    let deployed = || {
        app.deployments
            .iter()
            .filter(|deployment| clusters.contains(&deployment.cluster))
    };
    let mut rows = Vec::new();
    if let Some(chart) = &app.chart {
        rows.push(Row {
            app: app.name.clone(),
            kind: Kind::Chart,
            name: chart_name(&chart.source).to_owned(),
            source: Some(chart_url(&chart.source).to_owned()),
            versions: deployed()
                .filter_map(|deployment| {
                    let version = deployment.chart_version.as_ref()?;
                    Some((deployment.cluster.clone(), version.text.clone()))
                })
                .collect(),
            overridden: deployed()
                .filter_map(|deployment| {
                    let patched = deployment.chart_version.as_ref()?.patched.clone()?;
                    Some((deployment.cluster.clone(), patched))
                })
                .collect(),
            drift: Drift::None,
        });
    }
    // Every deployment has every image of the app; take the names from all, in name order.
    let mut images: Vec<&String> = app
        .deployments
        .iter()
        .flat_map(|deployment| deployment.images.keys())
        .collect();
    images.sort_unstable();
    images.dedup();
    for image in images {
        rows.push(Row {
            app: app.name.clone(),
            kind: Kind::Image,
            name: image.clone(),
            source: None,
            versions: deployed()
                .filter_map(|deployment| {
                    let tag = deployment.images.get(image)?;
                    Some((deployment.cluster.clone(), tag.clone()))
                })
                .collect(),
            overridden: BTreeMap::new(),
            drift: Drift::None,
        });
    }
    // Every deployment has every remote base of the app, as for images.
    let mut remotes: Vec<&String> = app
        .deployments
        .iter()
        .flat_map(|deployment| deployment.remotes.keys())
        .collect();
    remotes.sort_unstable();
    remotes.dedup();
    for remote in remotes {
        rows.push(Row {
            app: app.name.clone(),
            kind: Kind::Remote,
            name: remote.clone(),
            source: None,
            versions: deployed()
                .filter_map(|deployment| {
                    let tag = deployment.remotes.get(remote)?;
                    Some((deployment.cluster.clone(), tag.clone()))
                })
                .collect(),
            overridden: BTreeMap::new(),
            drift: Drift::None,
        });
    }
    for row in &mut rows {
        // Drift is between the versions Flux applies: a patch's, where one overrides the spec.
        let mut applied = row.versions.clone();
        applied.extend(row.overridden.clone());
        row.drift = drift(&applied);
        // The clusters ahead in column order.
        if let Drift::Ahead { clusters: ahead } = &mut row.drift {
            ahead.sort_by_key(|name| clusters.iter().position(|cluster| cluster == name));
        }
    }
    rows.retain(|row| !row.versions.is_empty());
    rows
}

/// Builds the table for `filter`, or says which name in it the spec does not know. The columns
/// follow `spec_order`, the cluster names in the order the spec declares them (the model keeps
/// them in name order).
pub(crate) fn versions(
    model: &Model,
    spec_order: &[String],
    filter: &Filter,
) -> Result<Versions, SelectError> {
    select::clusters(model, &filter.clusters)?;
    select::apps(model, &filter.apps)?;
    let mut clusters: Vec<String> = model
        .clusters
        .iter()
        .map(|cluster| cluster.name.clone())
        .filter(|name| filter.clusters.is_empty() || filter.clusters.contains(name))
        .collect();
    clusters.sort_by_key(|name| spec_order.iter().position(|declared| declared == name));
    let rows = model
        .apps
        .iter()
        .filter(|app| filter.apps.is_empty() || filter.apps.contains(&app.name))
        .flat_map(|app| app_rows(app, &clusters))
        .filter(|row| !filter.drift_only || row.drift != Drift::None)
        .collect();
    Ok(Versions { clusters, rows })
}

/// Cells of the table, header first; `-` where the app does not run.
fn cells(versions: &Versions) -> Vec<Vec<String>> {
    let mut header: Vec<String> = ["APP", "KIND", "NAME"].map(str::to_owned).to_vec();
    header.extend(versions.clusters.iter().cloned());
    header.push("DRIFT".to_owned());
    let mut cells = vec![header];
    for row in &versions.rows {
        let mut line = vec![
            row.app.clone(),
            row.kind.as_str().to_owned(),
            row.name.clone(),
        ];
        line.extend(versions.clusters.iter().map(|cluster| {
            match (row.versions.get(cluster), row.overridden.get(cluster)) {
                (Some(version), Some(patched)) => format!("{version} (patch: {patched})"),
                (Some(version), None) => version.clone(),
                (None, _) => "-".to_owned(),
            }
        }));
        line.push(row.drift.describe());
        cells.push(line);
    }
    cells
}

/// Plain text, columns aligned with spaces, no trailing spaces.
pub(crate) fn write_table(out: &mut impl Write, versions: &Versions) -> io::Result<()> {
    let cells = cells(versions);
    let mut widths: Vec<usize> = Vec::new();
    for line in &cells {
        widths.resize(widths.len().max(line.len()), 0);
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for line in &cells {
        let text: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", text.join("  ").trim_end())?;
    }
    Ok(())
}

/// `text` as a Markdown code span inside a GFM table cell: `|` escaped (GFM splits cells on it
/// even in code), and a fence longer than any run of backticks in `text`.
fn code_span(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let padding = if longest_run > 0 { " " } else { "" };
    format!(
        "{fence}{padding}{}{padding}{fence}",
        text.replace('|', "\\|")
    )
}

/// A GitHub-flavoured Markdown table, for PR descriptions.
pub(crate) fn write_markdown(out: &mut impl Write, versions: &Versions) -> io::Result<()> {
    let cells = cells(versions);
    let columns = cells.first().map_or(0, Vec::len);
    for (index, line) in cells.iter().enumerate() {
        let shown: Vec<String> = if index == 0 {
            line.iter().map(|cell| cell.to_lowercase()).collect()
        } else {
            line.iter()
                .enumerate()
                .map(|(column, cell)| match column {
                    // App, kind: plain words.
                    0 | 1 => cell.clone(),
                    // Drift: bold when there is any.
                    _ if column == columns - 1 => {
                        if cell.is_empty() {
                            String::new()
                        } else {
                            format!("**{cell}**")
                        }
                    }
                    _ if cell == "-" => cell.clone(),
                    _ => code_span(cell),
                })
                .collect()
        };
        writeln!(out, "| {} |", shown.join(" | "))?;
        if index == 0 {
            writeln!(out, "|{}", " --- |".repeat(columns))?;
        }
    }
    Ok(())
}

/// The table as one JSON object.
pub(crate) fn write_json(out: &mut impl Write, versions: &Versions) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, versions)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Drift, code_span, drift};

    #[test]
    fn code_spans_survive_pipes_and_backticks() {
        assert_eq!(code_span("6.9.1"), "`6.9.1`");
        assert_eq!(code_span("a|b"), "`a\\|b`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }

    fn versions(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(cluster, version)| ((*cluster).to_owned(), (*version).to_owned()))
            .collect()
    }

    #[test]
    fn semver_orders_numerically_and_tolerates_v() {
        assert_eq!(
            drift(&versions(&[("dev", "10.5.14"), ("prod", "9.2.1")])),
            Drift::Ahead {
                clusters: vec!["dev".to_owned()]
            }
        );
        assert_eq!(
            drift(&versions(&[("dev", "v1.18.2"), ("prod", "v1.19.1")])),
            Drift::Ahead {
                clusters: vec!["prod".to_owned()]
            }
        );
    }

    #[test]
    fn equal_and_single_versions_do_not_drift() {
        assert_eq!(
            drift(&versions(&[("dev", "1.0.0"), ("prod", "1.0.0")])),
            Drift::None
        );
        assert_eq!(drift(&versions(&[("dev", "35")])), Drift::None);
    }

    #[test]
    fn unorderable_versions_just_differ() {
        // `35` is not semver (it needs three parts).
        assert_eq!(
            drift(&versions(&[("dev", "36"), ("prod", "35")])),
            Drift::Differs
        );
        // Same semver, different text.
        assert_eq!(
            drift(&versions(&[("dev", "v1.2.0"), ("prod", "1.2.0")])),
            Drift::Differs
        );
    }

    #[test]
    fn several_clusters_can_share_the_lead() {
        assert_eq!(
            drift(&versions(&[
                ("dev", "2.0.0"),
                ("prod", "1.0.0"),
                ("staging", "2.0.0")
            ])),
            Drift::Ahead {
                clusters: vec!["dev".to_owned(), "staging".to_owned()]
            }
        );
    }
}

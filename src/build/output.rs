//! How a [`ClusterBuild`] is written: one multi-document YAML stream, one file per Flux
//! Kustomization, and a summary for humans. Writes to the stream or directory it is given.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::{BuiltKustomization, ClusterBuild, HelmChart};
use crate::sync::atomic::{self, Failure, Policy};

impl fmt::Display for HelmChart {
    /// `oci://ghcr.io/org/charts/app 1.2.3`, or `app 1.2.3 from https://charts.example.com`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.chart)?;
        match &self.version {
            Some(version) => write!(f, " {version}")?,
            None => write!(f, " (latest)")?,
        }
        if let Some(repository) = &self.repository {
            write!(f, " from {repository}")?;
        }
        Ok(())
    }
}

/// Every Kustomization's objects, in apply order, each section headed by a comment naming the
/// Kustomization and the charts of its HelmReleases.
pub(crate) fn write_yaml(out: &mut impl Write, build: &ClusterBuild) -> io::Result<()> {
    writeln!(
        out,
        "# What Flux applies to cluster `{}`, in order. HelmRelease charts are not rendered.",
        build.cluster
    )?;
    for kustomization in &build.kustomizations {
        write_section(out, build, kustomization)?;
    }
    Ok(())
}

fn write_section(
    out: &mut impl Write,
    build: &ClusterBuild,
    kustomization: &BuiltKustomization,
) -> io::Result<()> {
    let suspended = if kustomization.suspended {
        " (suspended: Flux applies nothing until it is resumed)"
    } else {
        ""
    };
    writeln!(
        out,
        "# Flux Kustomization {}/{}: {}{suspended}",
        kustomization.namespace, kustomization.name, kustomization.path
    )?;
    for chart in charts_of(build, kustomization) {
        writeln!(out, "# {}: chart {chart}", chart.release)?;
    }
    for remote in &kustomization.remote_bases {
        writeln!(
            out,
            "# remote base {remote} (not rendered: build fetches nothing)"
        )?;
    }
    for item in &kustomization.objects {
        writeln!(out, "---")?;
        out.write_all(item.yaml.as_bytes())?;
        if !item.yaml.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(())
}

fn charts_of<'a>(
    build: &'a ClusterBuild,
    kustomization: &'a BuiltKustomization,
) -> impl Iterator<Item = &'a HelmChart> {
    build
        .charts
        .iter()
        .filter(move |chart| chart.kustomization == kustomization.name)
}

/// One object of `--format json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    /// The Flux Kustomization that applies it, `namespace/name`.
    kustomization: String,
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
    object: &'a Value,
}

/// Every object, in apply order, as one JSON array.
pub(crate) fn write_json(out: &mut impl Write, build: &ClusterBuild) -> io::Result<()> {
    let objects: Vec<JsonObject> = build
        .kustomizations
        .iter()
        .flat_map(|kustomization| {
            kustomization.objects.iter().map(|item| JsonObject {
                kustomization: format!("{}/{}", kustomization.namespace, kustomization.name),
                api_version: item.object.str_at(&["apiVersion"]).unwrap_or_default(),
                kind: &item.object.id.kind,
                namespace: item.object.id.namespace.as_deref(),
                name: &item.object.id.name,
                object: &item.object.value,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &objects)?;
    writeln!(out)
}

/// Every object in one YAML (or, with `json`, JSON) file at `path`, written whole or not at all,
/// as the spec is (keeping the file's permissions, through a symlink to its target).
pub(crate) fn write_file(path: &Path, build: &ClusterBuild, json: bool) -> io::Result<()> {
    let mut text = Vec::new();
    if json {
        write_json(&mut text, build)?;
    } else {
        write_yaml(&mut text, build)?;
    }
    atomic::write(path, &text, Policy::SOURCE).map_err(|failure| match failure {
        Failure::NotAFile(_) => io::Error::other("it is not a regular file"),
        Failure::Io { source, .. } => source,
    })
}

/// One file per Kustomization, `<dir>/<name>.yaml`, each written whole or not at all. Other
/// files in `dir` are left alone.
pub(crate) fn write_split(dir: &Path, build: &ClusterBuild) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut names = BTreeSet::new();
    for kustomization in &build.kustomizations {
        if !names.insert(&kustomization.name) {
            return Err(io::Error::other(format!(
                "two Flux Kustomizations are named `{}`; build them one at a time with --app",
                kustomization.name
            )));
        }
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        write_section(&mut file, build, kustomization)?;
        file.persist(dir.join(format!("{}.yaml", kustomization.name)))
            .map_err(|error| error.error)?;
    }
    Ok(())
}

/// Counts, warnings aside, and the chart of every HelmRelease.
pub(crate) fn write_summary(out: &mut impl Write, build: &ClusterBuild) -> io::Result<()> {
    let objects: usize = build
        .kustomizations
        .iter()
        .map(|kustomization| kustomization.objects.len())
        .sum();
    writeln!(
        out,
        "cluster `{}`: {} Flux Kustomization(s), {objects} object(s)",
        build.cluster,
        build.kustomizations.len()
    )?;
    for kustomization in &build.kustomizations {
        for chart in charts_of(build, kustomization) {
            writeln!(out, "  {}: chart {chart} (not rendered)", chart.release)?;
        }
        for remote in &kustomization.remote_bases {
            writeln!(
                out,
                "  {}: remote base {remote} (not rendered)",
                kustomization.name
            )?;
        }
    }
    for not_rendered in &build.not_rendered {
        writeln!(out, "  {not_rendered}")?;
    }
    for secret in &build.unread_secrets {
        write!(
            out,
            "  `{}` substitutes from Secret `{}`{}, which is not read",
            secret.kustomization,
            secret.secret,
            if secret.optional { " (optional)" } else { "" }
        )?;
        match &secret.strict_failure {
            Some(variable) => writeln!(
                out,
                ": without it, strict substitution finds `{variable}` unset (kept as written)"
            )?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}

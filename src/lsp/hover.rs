//! Hover: on a `version` line, the version each cluster gets and which line gives it; on a
//! variable (`var`, `${VAR}`), its value per cluster; on an app, cluster or component name, what
//! the model knows of it; on a node name, its documentation from docs/spec.md.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind, Position, Uri};

use crate::model::Model;
use crate::parse::syntax::{self, Version};
use crate::text::and_list;

use super::Server;
use super::documents::path_of;
use super::symbols::{self, Kind};
use super::text::{LineIndex, bytes, variable_reference_at, word_at};

/// docs/spec.md, where each node is documented.
const SPEC_DOCS: &str = include_str!("../../docs/spec.md");

pub(crate) fn hover(server: &Server<'_>, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let uri = &position.text_document.uri;
    let markdown = if server.spec_of(uri).is_some() {
        spec_hover(server, uri, position.position)?
    } else {
        file_hover(server, uri, position.position)?
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: None,
    })
}

/// A `${VAR}` in a file the spec references: its value per cluster, for the app that names the
/// file (its own `var`s first), else as the clusters' variables give it.
fn file_hover(server: &Server<'_>, uri: &Uri, position: Position) -> Option<String> {
    let text = &server.documents.get(uri)?.text;
    let offset = LineIndex::new(text).offset(position);
    let (_, name) = variable_reference_at(text, offset)?;
    let (spec_uri, spec) = server.spec_for(uri)?;
    let analysis = spec.analysis.as_ref()?;
    let model = analysis.model.as_deref()?;
    let spec_dir = path_of(spec_uri)?.parent()?.to_owned();
    let file = path_of(uri)?;
    let relative = file.strip_prefix(&spec_dir).ok()?;
    let app = analysis
        .syntax
        .apps
        .iter()
        .find(|app| names_file(app, relative));
    Some(variable_values(model, name, app))
}

/// Whether `app` reads `file` (relative to the spec directory): it is, or is under, one of the
/// app's manifest, values or patch paths.
fn names_file(app: &syntax::App, file: &std::path::Path) -> bool {
    let per_cluster = app.per_cluster.iter().flat_map(|cluster| {
        (cluster.manifests.iter()).chain(cluster.patches.iter().map(|patch| &patch.path))
    });
    let values = app
        .helm
        .iter()
        .flat_map(|helm| helm.values.iter().map(|v| &v.path));
    app.manifests
        .iter()
        .chain(per_cluster)
        .chain(values)
        .any(|path| file.starts_with(path.as_str().trim_end_matches('/')))
}

fn spec_hover(server: &Server<'_>, uri: &Uri, position: Position) -> Option<String> {
    let (document, analysis) = server.spec_of(uri)?;
    let text = &document.text;
    let index = LineIndex::new(text);
    let offset = index.offset(position);
    let model = analysis.model.as_deref();
    Some(
        if let Some(occurrence) = symbols::at(&analysis.occurrences, offset) {
            let app = enclosing_app(&analysis.syntax, offset);
            model.and_then(|model| named(model, occurrence.kind, &occurrence.name, app))?
        } else if let Some((app, kind_name, versions)) =
            version_line(&analysis.syntax, &index, offset)
        {
            per_cluster_versions(model?, &index, app, &kind_name, versions)
        } else {
            node_docs(text, offset)?
        },
    )
}

/// What the model knows of the app, cluster, component or variable `name`.
fn named(model: &Model, kind: Kind, name: &str, app: Option<&syntax::App>) -> Option<String> {
    match kind {
        Kind::App => app_summary(model, name),
        Kind::Cluster => {
            let apps: Vec<&str> = model
                .apps
                .iter()
                .filter(|app| app.deployments.iter().any(|d| d.cluster == name))
                .map(|app| app.name.as_str())
                .collect();
            Some(format!(
                "**cluster `{name}`**\n\napps: {}",
                and_list(apps.iter().copied())
            ))
        }
        Kind::Component => {
            let users: Vec<&str> = model
                .apps
                .iter()
                .filter(|app| {
                    app.deployments
                        .iter()
                        .any(|d| d.components.iter().any(|c| c == name))
                })
                .map(|app| app.name.as_str())
                .collect();
            Some(format!(
                "**component `{name}`**\n\nused by: {}",
                and_list(users.iter().copied())
            ))
        }
        Kind::Variable => Some(variable_values(model, name, app)),
    }
}

fn app_summary(model: &Model, name: &str) -> Option<String> {
    let app = model.apps.iter().find(|app| app.name == name)?;
    let clusters: Vec<&str> = app.deployments.iter().map(|d| d.cluster.as_str()).collect();
    let mut dependencies: Vec<&str> = app
        .deployments
        .iter()
        .flat_map(|d| d.depends_on.iter().map(String::as_str))
        .collect();
    dependencies.sort_unstable();
    dependencies.dedup();
    let mut text = format!(
        "**app `{name}`**\n\n- clusters: {}\n- layer: `{}`\n- namespace: `{}`\n",
        and_list(clusters.iter().copied()),
        app.layer.as_str(),
        app.namespace
    );
    if !dependencies.is_empty() {
        let _ = writeln!(
            text,
            "- depends on: {}",
            and_list(dependencies.iter().copied())
        );
    }
    Some(text)
}

/// The value of variable `name` in each cluster: the app's own value (from its
/// `postBuild.substitute`) inside an app, else the cluster's.
fn variable_values(model: &Model, name: &str, app: Option<&syntax::App>) -> String {
    let app = app.and_then(|app| model.apps.iter().find(|a| a.name == app.name.value));
    let mut text = format!("**`${{{name}}}`**\n\n| cluster | value |\n| --- | --- |\n");
    for cluster in &model.clusters {
        let from_app = app.and_then(|app| {
            app.deployments
                .iter()
                .find(|d| d.cluster == cluster.name)
                .and_then(|d| d.substitute.get(name))
        });
        let value = from_app
            .or_else(|| cluster.vars.get(name))
            .map_or_else(|| "*(not set)*".to_owned(), |value| format!("`{value}`"));
        let _ = writeln!(text, "| `{}` | {value} |", cluster.name);
    }
    text
}

/// The app whose block holds `offset`: the last top-level node starting before it, if an app.
pub(crate) fn enclosing_app(spec: &syntax::Spec, offset: usize) -> Option<&syntax::App> {
    let before = |start: usize| start <= offset;
    let last_other = spec
        .clusters
        .iter()
        .map(|c| c.name.span.offset())
        .chain(spec.components.iter().map(|c| c.name.span.offset()))
        .filter(|&start| before(start))
        .max();
    spec.apps
        .iter()
        .filter(|app| before(app.name.span.offset()))
        .max_by_key(|app| app.name.span.offset())
        .filter(|app| last_other.is_none_or(|other| other < app.name.span.offset()))
}

/// The `version` line at `offset`: its app, what it versions (`chart` or the image's name) and
/// that chart's or image's version lines.
fn version_line<'a>(
    spec: &'a syntax::Spec,
    index: &LineIndex<'_>,
    offset: usize,
) -> Option<(&'a syntax::App, String, &'a [Version])> {
    let line = index.position(offset).line;
    let on_line = |versions: &[Version]| {
        versions
            .iter()
            .any(|version| index.position(version.value.span.offset()).line == line)
    };
    spec.apps.iter().find_map(|app| {
        if let Some(helm) = app.helm.as_ref().filter(|helm| on_line(&helm.versions)) {
            return Some((app, "chart".to_owned(), helm.versions.as_slice()));
        }
        app.images
            .iter()
            .find(|image| on_line(&image.versions))
            .map(|image| (app, image.name.value.clone(), image.versions.as_slice()))
    })
}

/// Each cluster's version of one chart or image of `app`, and the line it comes from.
fn per_cluster_versions(
    model: &Model,
    index: &LineIndex<'_>,
    app: &syntax::App,
    what: &str,
    versions: &[Version],
) -> String {
    let title = if what == "chart" {
        format!("**`{}`** chart", app.name.value)
    } else {
        format!("**`{what}`** in `{}`", app.name.value)
    };
    let mut text = format!("{title}\n\n| cluster | version | from |\n| --- | --- | --- |\n");
    let Some(resolved) = model.apps.iter().find(|a| a.name == app.name.value) else {
        return text;
    };
    for deployment in &resolved.deployments {
        let version = if what == "chart" {
            deployment
                .chart_version
                .as_ref()
                .map(|version| version.text.as_str())
        } else {
            deployment.images.get(what).map(String::as_str)
        };
        let own = versions.iter().find(|v| {
            v.cluster
                .as_ref()
                .is_some_and(|c| c.value == deployment.cluster)
        });
        let line = own
            .or_else(|| versions.iter().find(|v| v.cluster.is_none()))
            .map(|v| index.position(bytes(v.value.span).start).line + 1);
        let from = match (own, line) {
            (Some(_), Some(line)) => format!("its own line {line}"),
            (None, Some(line)) => format!("the default, line {line}"),
            _ => "no version line".to_owned(),
        };
        let _ = writeln!(
            text,
            "| `{}` | `{}` | {from} |",
            deployment.cluster,
            version.unwrap_or("-")
        );
    }
    text
}

/// The documentation of the node named at `offset` (the first word of its line), from
/// docs/spec.md: its section for a top-level node, else its rows of the tables of children.
fn node_docs(text: &str, offset: usize) -> Option<String> {
    let (range, name) = word_at(text, offset)?;
    let line_start = text[..range.start].rfind('\n').map_or(0, |at| at + 1);
    let before = text[line_start..range.start].trim_start_matches([' ', '\t']);
    if !(before.is_empty() || before == "/-") || variable_reference_at(text, offset).is_some() {
        return None;
    }
    if let Some(section) = section(name) {
        return Some(section);
    }
    let rows: Vec<String> = SPEC_DOCS
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            let first = cells.first()?.trim();
            let named = first.split(", ").any(|part| {
                part.strip_prefix('`')
                    .is_some_and(|rest| starts_word(rest, name))
            });
            (named && cells.len() >= 3)
                .then(|| format!("**{first}**: {} — {}", cells[1].trim(), cells[2].trim()))
        })
        .collect();
    (!rows.is_empty()).then(|| rows.join("\n\n"))
}

/// Whether `text` starts with the word `name` (followed by a space or a backtick).
fn starts_word(text: &str, name: &str) -> bool {
    text.strip_prefix(name)
        .is_some_and(|rest| rest.starts_with([' ', '`']))
}

/// The docs/spec.md section headed `` ## `name` ``, up to its first table or subsection.
fn section(name: &str) -> Option<String> {
    let heading = format!("## `{name}`");
    let start = SPEC_DOCS.find(&format!("\n{heading}\n"))? + 1;
    let body = &SPEC_DOCS[start + heading.len()..];
    let end = ["\n|", "\n#"]
        .iter()
        .filter_map(|stop| body.find(stop))
        .min()
        .unwrap_or(body.len());
    Some(format!("{heading}\n{}", body[..end].trim_end()))
}

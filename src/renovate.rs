//! `fluxspec renovate`: the Renovate config that keeps the spec's versions current.
//!
//! Renovate cannot parse KDL, so the config is a set of regex `customManagers` with
//! `matchStringsStrategy: "recursive"`: a top-level `app` block, then a `helm` or `image` block in
//! it, then each line of that block, then the version line's parts. Each `version` line becomes
//! one dependency whose `depType` is its cluster (`default` for the line without `cluster=`), so
//! branch names and PR titles carry the cluster, and rules can gate a cluster by `matchDepTypes`.
//! The patterns use no lookaround and no backreference, because hosted Renovate runs them with
//! RE2; each block is matched brace by brace (strings and comments may hold braces), so a nested
//! block or a comment never hides the lines after it.
//!
//! Regexes cannot read KDL exactly, so this module proves, for the spec at hand, that they see
//! what fluxspec sees: it runs the patterns the way Renovate does (with the `regex` crate, whose
//! syntax is RE2's) and compares every dependency found with the versions the parser read, by
//! source position. A version Renovate would miss, or text it would take for a version, is an
//! error pointing at the line. This module builds text and reads the spec; it prints nothing, and
//! writes only the config file it is asked to.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Component, Path};

use miette::{Diagnostic, NamedSource, SourceSpan};
use regex::Regex;
use serde::Serialize;
use thiserror::Error;

use crate::compile::{CompileError, Loaded, load, read};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::did_you_mean;

/// The `depType` of a `version` line without `cluster=`: it sets every cluster without a line of
/// its own. A cluster may not be named this, or its updates would mix with the defaults'.
pub(crate) const DEFAULT_DEP_TYPE: &str = "default";

/// The author of the commits `docs/examples/renovate-recompile.yml` pushes: Renovate must not
/// treat a branch as edited by a person (and stop updating it) because of them.
const ACTIONS_BOT: &str = "41898282+github-actions[bot]@users.noreply.github.com";

/// Which clusters' updates wait for approval on the Dependency Dashboard.
pub(crate) enum Gate {
    /// Every cluster but the first one declared in the spec: updates land there first.
    AllButFirst,
    /// These clusters.
    Clusters(Vec<String>),
    /// None.
    Off,
}

pub(crate) struct Options<'a> {
    pub(crate) spec: &'a Path,
    /// Where the config goes; its directory is the repository root.
    pub(crate) config: &'a Path,
    pub(crate) gate: Gate,
    /// Add `postUpgradeTasks` that run `fluxspec compile` (self-hosted Renovate only).
    pub(crate) post_upgrade_tasks: bool,
}

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] CompileError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Coverage(#[from] CoverageErrors),
    #[error("`--gate` names no cluster `{name}`")]
    #[diagnostic(code("fluxspec::unknown-cluster"))]
    UnknownGate {
        name: String,
        #[help]
        help: String,
    },
    #[error(
        "a cluster is named `{DEFAULT_DEP_TYPE}`, which Renovate's rules use for default versions"
    )]
    #[diagnostic(
        code("fluxspec::renovate-reserved-cluster"),
        help("rename the cluster: its updates would share branches with the default versions")
    )]
    ReservedCluster,
    #[error("the spec `{spec}` is not inside `{root}`, the directory of the Renovate config")]
    #[diagnostic(
        code("fluxspec::spec-outside-repository"),
        help(
            "run fluxspec from the repository root, or point `--config` at the root's renovate.json"
        )
    )]
    SpecOutsideRoot { spec: String, root: String },
    #[error("cannot write `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unwritable-renovate-config"))]
    Write { path: String, reason: String },
}

/// Versions the generated patterns would miss or misread, with the spec's text to show them in.
#[derive(Debug, Error, Diagnostic)]
#[error("Renovate would not see the spec's versions as fluxspec does ({} problem(s))", .errors.len())]
#[diagnostic(code("fluxspec::renovate-coverage"))]
pub(crate) struct CoverageErrors {
    #[source_code]
    source_code: NamedSource<String>,
    #[related]
    errors: Vec<CoverageError>,
}

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum CoverageError {
    #[error("Renovate would not see this version")]
    #[diagnostic(
        code("fluxspec::renovate-missed-version"),
        help(
            "write each version alone on its line inside the `helm` or `image` block, as \
             `version \"X\"` or `version \"X\" cluster=\"name\"`: a quoted string, then \
             `cluster=` (the form `fluxspec fmt` writes)"
        )
    )]
    Missed {
        #[label("fluxspec reads {reading}")]
        span: SourceSpan,
        reading: String,
    },
    #[error("Renovate would read this version differently")]
    #[diagnostic(
        code("fluxspec::renovate-misread-version"),
        help("write the block's header and the version line in the form docs/spec.md shows")
    )]
    Misread {
        #[label("fluxspec reads {reading}, Renovate would read {seen}")]
        span: SourceSpan,
        reading: String,
        seen: String,
    },
    #[error("Renovate would take this for a version, but fluxspec does not read it")]
    #[diagnostic(
        code("fluxspec::renovate-phantom-version"),
        help(
            "a `/* */` comment cannot hide a version line from Renovate's patterns; delete the \
             line, or comment it out with `//` or `/-`"
        )
    )]
    Phantom {
        #[label("Renovate would read {seen}")]
        span: SourceSpan,
        seen: String,
    },
}

/// Reads the spec and builds the config (`renovate.json`'s text), after checking the config sees
/// exactly the spec's versions.
pub(crate) fn generate(options: &Options<'_>) -> Result<String, Error> {
    let text = read(options.spec).map_err(CompileError::from)?;
    let loaded = load(options.spec, text)?;
    let clusters: Vec<&str> = loaded
        .syntax
        .clusters
        .iter()
        .map(|cluster| cluster.name.as_str())
        .collect();
    if clusters.contains(&DEFAULT_DEP_TYPE) {
        return Err(Error::ReservedCluster);
    }
    let gated = gated_clusters(&options.gate, &clusters)?;
    let spec_path = repository_path(options.spec, options.config)?;
    let managers = managers(&spec_path);
    let expected = dependencies(&loaded.syntax);
    check_coverage(&managers, &expected, &loaded, options.spec)?;

    let output_path = loaded.model.settings.output_path.trim_start_matches("./");
    let config = Config {
        schema: "https://docs.renovatebot.com/renovate-schema.json",
        extends: vec!["config:recommended"],
        git_ignored_authors: vec![ACTIONS_BOT],
        custom_managers: managers.iter().map(Manager::to_config).collect(),
        package_rules: package_rules(&spec_path, output_path, &gated, options),
    };
    Ok(to_json(&config))
}

/// Writes `text` to `path` through a temporary file beside it, so a reader sees the old file or
/// the new one, never half of one.
pub(crate) fn write_config(path: &Path, text: &str) -> Result<(), Error> {
    let failed = |error: &dyn std::fmt::Display| Error::Write {
        path: path.display().to_string(),
        reason: error.to_string(),
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|error| failed(&error))?;
    file.write_all(text.as_bytes())
        .map_err(|error| failed(&error))?;
    file.persist(path).map_err(|error| failed(&error.error))?;
    Ok(())
}

fn to_json(value: &impl Serialize) -> String {
    // Serialising these plain structs of strings cannot fail.
    let mut text = serde_json::to_string_pretty(value).expect("a config serialises");
    text.push('\n');
    text
}

fn gated_clusters(gate: &Gate, clusters: &[&str]) -> Result<Vec<String>, Error> {
    Ok(match gate {
        Gate::AllButFirst => clusters
            .iter()
            .skip(1)
            .map(|&name| name.to_owned())
            .collect(),
        Gate::Off => Vec::new(),
        Gate::Clusters(names) => {
            for name in names {
                if !clusters.contains(&name.as_str()) {
                    return Err(Error::UnknownGate {
                        name: name.clone(),
                        help: did_you_mean(name, clusters.iter().copied()).unwrap_or_else(|| {
                            format!("the spec declares {}", backticked(clusters))
                        }),
                    });
                }
            }
            let mut names = names.clone();
            names.sort();
            names.dedup();
            names
        }
    })
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The spec's path relative to the repository root (the config's directory), with `/`.
fn repository_path(spec: &Path, config: &Path) -> Result<String, Error> {
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let root = absolute(config)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let spec = absolute(spec);
    let outside = || Error::SpecOutsideRoot {
        spec: spec.display().to_string(),
        root: root.display().to_string(),
    };
    let relative = spec.strip_prefix(&root).map_err(|_| outside())?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            // `..` would need the file system to resolve; a spec is never reached that way.
            _ => return Err(outside()),
        }
    }
    Ok(parts.join("/"))
}

// ---------------------------------------------------------------------------------------------
// The patterns
// ---------------------------------------------------------------------------------------------

/// Any character but a brace, a quote or a slash.
const OTHER: &str = r#"[^{}"/]"#;
/// A quoted string, which may hold braces and escaped quotes (and, read this way, the pieces of a
/// `"""` multi-line string).
const STRING: &str = r#""(?:[^"\\]|\\[\s\S])*""#;
const LINE_COMMENT: &str = r"//[^\n]*\n";
const BLOCK_COMMENT: &str = r"/\*(?:[^*]|\*+[^*/])*\*+/";
/// A slash that starts no comment (`/-` slashdash, a path outside quotes).
const LONE_SLASH: &str = r#"/[^/*{}"]"#;
/// Where a node starts: the text's start, or after a newline, `;` or `{`, then indentation. A node
/// after `//` or `/-` does not start there, so commented-out nodes are not matched.
const NODE_START: &str = r"(?:^|[\n;{])[ \t]*";
/// A quoted string without escapes or spaces: a name, URL or version.
const WORD: &str = r#"[^"\\\s]+"#;
/// Each line of a `helm` or `image` block, from its newline up to the next one.
const LINE: &str = r"\n[^\n]*";
/// The version's line up to the end of its value (the value is the first quoted string).
const LINE_HEAD: &str = r#"^\n[ \t]*version[ \t]+"[^"]*""#;
/// The value with its quotes: what Renovate replaces. Global replacement in a longer text could
/// also change a cluster name that contains the version (`"2"` in `cluster="k8s-2"`).
const VALUE: &str = r#""[^"]*""#;

/// How deep blocks may nest inside a `helm` or `image` block.
const BLOCK_DEPTH: usize = 3;

/// Braces-balanced content: tokens, and blocks nested up to `depth` deep.
fn balanced(depth: usize) -> String {
    let token = [OTHER, STRING, LINE_COMMENT, BLOCK_COMMENT, LONE_SLASH].join("|");
    let mut body = format!("(?:{token})*");
    for _ in 0..depth {
        body = format!(r"(?:{token}|\{{{body}\}})*");
    }
    body
}

/// A node named by `head` with its children block, holding blocks up to `depth` deep.
fn block(head: &str, depth: usize) -> String {
    format!(r"{NODE_START}{head}[ \t]*\{{{}\}}", balanced(depth))
}

/// A whole `version` line: the value, `cluster=`, and nothing else but an end-of-line comment.
fn version_line() -> String {
    format!(
        r#"^\n[ \t]*version[ \t]+"(?<currentValue>{WORD})"(?:[ \t]+cluster="(?<cluster>{WORD})")?[ \t]*;?[ \t]*(?://[^\n]*)?\r?$"#
    )
}

/// One regex custom manager: a kind of `helm` or `image` block.
struct Manager {
    description: &'static str,
    head: String,
    datasource: &'static str,
    file_pattern: String,
}

fn managers(spec_path: &str) -> Vec<Manager> {
    let file_pattern = format!("/^{}$/", regex::escape(spec_path));
    let manager = |description, head: String, datasource| Manager {
        description,
        head,
        datasource,
        file_pattern: file_pattern.clone(),
    };
    vec![
        manager(
            "fluxspec: Helm charts from OCI registries, `helm \"oci://registry/path/chart\" { version ... }`",
            format!(r#"helm[ \t]+"oci://(?<packageName>{WORD}/(?<depName>[^"\\\s/]+))""#),
            "docker",
        ),
        manager(
            "fluxspec: Helm charts from HTTPS repositories, `helm \"https://repo\" chart=\"name\" { version ... }`",
            format!(
                r#"helm[ \t]+"(?<registryUrl>https://{WORD})"[ \t]+chart="(?<depName>{WORD})""#
            ),
            "helm",
        ),
        manager(
            "fluxspec: container images, `image \"registry/name\" { version ... }`",
            format!(r#"image[ \t]+"(?<depName>{WORD})""#),
            "docker",
        ),
    ]
}

impl Manager {
    /// The recursive steps, outermost first. fluxspec's grammar nests no block in a `helm` or
    /// `image` block, so deeper blocks can only be slashdashed (`/-values "x" { ... }`); three
    /// levels of them are allowed, which costs a few hundred bytes of pattern per level.
    fn match_strings(&self) -> Vec<String> {
        vec![
            block(&format!(r#"app[ \t]+"{WORD}""#), BLOCK_DEPTH + 1),
            block(&self.head, BLOCK_DEPTH),
            LINE.to_owned(),
            version_line(),
            LINE_HEAD.to_owned(),
            VALUE.to_owned(),
        ]
    }

    fn to_config(&self) -> CustomManager {
        CustomManager {
            custom_type: "regex",
            description: self.description,
            manager_file_patterns: vec![self.file_pattern.clone()],
            match_strings_strategy: "recursive",
            match_strings: self.match_strings(),
            datasource_template: self.datasource,
            dep_type_template: format!(
                "{{{{#if cluster}}}}{{{{cluster}}}}{{{{else}}}}{DEFAULT_DEP_TYPE}{{{{/if}}}}"
            ),
        }
    }
}

fn package_rules(
    spec_path: &str,
    output_path: &str,
    gated: &[String],
    options: &Options<'_>,
) -> Vec<PackageRule> {
    let spec_files = vec![format!("/^{}$/", regex::escape(spec_path))];
    let mut rules = vec![PackageRule {
        description: "fluxspec: one branch and PR per cluster: the cluster is the depType"
            .to_owned(),
        match_file_names: spec_files.clone(),
        additional_branch_prefix: Some("{{depType}}/"),
        commit_message_suffix: Some("({{depType}})"),
        post_upgrade_tasks: options.post_upgrade_tasks.then(|| PostUpgradeTasks {
            commands: vec![format!(
                "fluxspec compile --spec {spec_path} --out {output_path}"
            )],
            file_filters: vec![format!("{output_path}/**")],
            execution_mode: "branch",
        }),
        ..PackageRule::default()
    }];
    if !gated.is_empty() {
        let mut dep_types = gated.to_vec();
        dep_types.push(DEFAULT_DEP_TYPE.to_owned());
        rules.push(PackageRule {
            description: format!(
                "fluxspec: updates of {} (and of default versions, which they may use) wait for \
                 approval on the Dependency Dashboard",
                gated.join(", ")
            ),
            match_file_names: spec_files,
            match_dep_types: Some(dep_types),
            dependency_dashboard_approval: Some(true),
            ..PackageRule::default()
        });
    }
    rules.push(PackageRule {
        description: format!(
            "fluxspec: `{output_path}/` is compiled from the spec; never update it directly"
        ),
        match_file_names: vec![format!("{output_path}/**")],
        enabled: Some(false),
        ..PackageRule::default()
    });
    rules
}

// ---------------------------------------------------------------------------------------------
// The config's JSON
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(rename = "$schema")]
    schema: &'static str,
    extends: Vec<&'static str>,
    git_ignored_authors: Vec<&'static str>,
    custom_managers: Vec<CustomManager>,
    package_rules: Vec<PackageRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomManager {
    custom_type: &'static str,
    description: &'static str,
    manager_file_patterns: Vec<String>,
    match_strings_strategy: &'static str,
    match_strings: Vec<String>,
    datasource_template: &'static str,
    dep_type_template: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct PackageRule {
    description: String,
    match_file_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    match_dep_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_branch_prefix: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit_message_suffix: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dependency_dashboard_approval: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_upgrade_tasks: Option<PostUpgradeTasks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostUpgradeTasks {
    commands: Vec<String>,
    file_filters: Vec<String>,
    execution_mode: &'static str,
}

// ---------------------------------------------------------------------------------------------
// The dependencies: as the parser reads them, and as the patterns would
// ---------------------------------------------------------------------------------------------

/// One version line, with the fields Renovate extracts from it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dependency {
    dep_name: String,
    package_name: Option<String>,
    datasource: &'static str,
    registry_url: Option<String>,
    dep_type: String,
    current_value: String,
    /// The value's quoted text in the spec: what Renovate replaces.
    span: SourceSpan,
}

impl Dependency {
    fn describe(&self) -> String {
        format!(
            "{} {} for `{}`",
            self.dep_name, self.current_value, self.dep_type
        )
    }
}

/// Every version line of the spec, in the order of the spec.
fn dependencies(spec: &syntax::Spec) -> Vec<Dependency> {
    let mut found = Vec::new();
    for app in &spec.apps {
        if let Some(helm) = &app.helm {
            let (dep_name, package_name, datasource, registry_url) =
                if let Some(path) = helm.url.value.strip_prefix("oci://") {
                    let chart = path.rsplit('/').next().unwrap_or(path);
                    (chart.to_owned(), Some(path.to_owned()), "docker", None)
                } else {
                    // resolve checked that an https:// chart has `chart=`.
                    let chart = helm.chart.as_ref().map(|chart| chart.value.clone());
                    (
                        chart.unwrap_or_default(),
                        None,
                        "helm",
                        Some(helm.url.value.clone()),
                    )
                };
            for version in &helm.versions {
                found.push(Dependency {
                    dep_name: dep_name.clone(),
                    package_name: package_name.clone(),
                    datasource,
                    registry_url: registry_url.clone(),
                    dep_type: dep_type(version.cluster.as_ref()),
                    current_value: version.value.value.clone(),
                    span: version.value.span,
                });
            }
        }
        for image in &app.images {
            for version in &image.versions {
                found.push(Dependency {
                    dep_name: image.name.value.clone(),
                    package_name: None,
                    datasource: "docker",
                    registry_url: None,
                    dep_type: dep_type(version.cluster.as_ref()),
                    current_value: version.value.value.clone(),
                    span: version.value.span,
                });
            }
        }
    }
    found
}

fn dep_type(cluster: Option<&Spanned<String>>) -> String {
    cluster.map_or_else(
        || DEFAULT_DEP_TYPE.to_owned(),
        |cluster| cluster.value.clone(),
    )
}

/// What Renovate's recursive strategy finds with `manager`'s patterns in `text`: each match of
/// one step is searched by the next, groups merge (a later step's groups win), and the last
/// step's match is what Renovate replaces.
fn renovate_sees(manager: &Manager, text: &str) -> Vec<Dependency> {
    let steps: Vec<Regex> = manager
        .match_strings()
        .iter()
        // The patterns are constants of this module; a unit test compiles every one of them.
        .map(|pattern| Regex::new(pattern).expect("a fluxspec pattern compiles"))
        .collect();
    let mut found = Vec::new();
    descend(&steps, text, 0, &BTreeMap::new(), &mut |groups, span| {
        let group = |name: &str| groups.get(name).cloned();
        found.push(Dependency {
            dep_name: group("depName").unwrap_or_default(),
            package_name: group("packageName"),
            datasource: manager.datasource,
            registry_url: group("registryUrl"),
            dep_type: group("cluster").unwrap_or_else(|| DEFAULT_DEP_TYPE.to_owned()),
            current_value: group("currentValue").unwrap_or_default(),
            span,
        });
    });
    found
}

fn descend(
    steps: &[Regex],
    text: &str,
    offset: usize,
    groups: &BTreeMap<String, String>,
    found: &mut dyn FnMut(&BTreeMap<String, String>, SourceSpan),
) {
    let Some((step, rest)) = steps.split_first() else {
        found(groups, SourceSpan::from(offset..offset + text.len()));
        return;
    };
    for captures in step.captures_iter(text) {
        let mut merged = groups.clone();
        for name in step.capture_names().flatten() {
            // JavaScript sets a group that did not take part to `undefined`, which still
            // overwrites the outer step's value in Renovate's merge.
            match captures.name(name) {
                Some(value) => merged.insert(name.to_owned(), value.as_str().to_owned()),
                None => merged.remove(name),
            };
        }
        // The regex crate always has the whole match as group 0.
        let whole = captures.get(0).expect("group 0 is the match");
        descend(rest, whole.as_str(), offset + whole.start(), &merged, found);
    }
}

fn check_coverage(
    managers: &[Manager],
    expected: &[Dependency],
    loaded: &Loaded,
    spec_path: &Path,
) -> Result<(), CoverageErrors> {
    let seen: Vec<Dependency> = managers
        .iter()
        .flat_map(|manager| renovate_sees(manager, &loaded.text))
        .collect();
    let errors = compare(expected, seen);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoverageErrors {
            source_code: NamedSource::new(spec_path.display().to_string(), loaded.text.clone()),
            errors,
        })
    }
}

/// Matches what Renovate would see with what the parser read, by the value's position.
fn compare(expected: &[Dependency], seen: Vec<Dependency>) -> Vec<CoverageError> {
    let mut seen_at: BTreeMap<usize, Vec<Dependency>> = BTreeMap::new();
    for dependency in seen {
        seen_at
            .entry(dependency.span.offset())
            .or_default()
            .push(dependency);
    }
    let mut errors = Vec::new();
    for dependency in expected {
        let reading = dependency.describe();
        match seen_at.remove(&dependency.span.offset()).as_deref() {
            Some([only]) if only == dependency => {}
            None | Some([]) => errors.push(CoverageError::Missed {
                span: dependency.span,
                reading,
            }),
            Some(others) => errors.push(CoverageError::Misread {
                span: dependency.span,
                reading,
                seen: others
                    .iter()
                    .map(Dependency::describe)
                    .collect::<Vec<_>>()
                    .join(" and "),
            }),
        }
    }
    for phantom in seen_at.into_values().flatten() {
        errors.push(CoverageError::Phantom {
            span: phantom.span,
            seen: phantom.describe(),
        });
    }
    errors.sort_by_key(|error| match error {
        CoverageError::Missed { span, .. }
        | CoverageError::Misread { span, .. }
        | CoverageError::Phantom { span, .. } => span.offset(),
    });
    errors
}

#[cfg(test)]
mod tests {
    use super::{CoverageError, Dependency, compare, dependencies, managers, renovate_sees};
    use crate::parse;

    /// The coverage problems of `spec`: (kind, the spec text under the span).
    fn problems(spec: &str) -> Vec<(&'static str, String)> {
        let syntax = match parse::parse(spec).into_result() {
            Ok(syntax) => syntax,
            Err(errors) => panic!("test spec does not parse: {errors:?}"),
        };
        let seen: Vec<Dependency> = managers("spec/homelab.kdl")
            .iter()
            .flat_map(|manager| renovate_sees(manager, spec))
            .collect();
        compare(&dependencies(&syntax), seen)
            .into_iter()
            .map(|error| {
                let (kind, span) = match error {
                    CoverageError::Missed { span, .. } => ("missed", span),
                    CoverageError::Misread { span, .. } => ("misread", span),
                    CoverageError::Phantom { span, .. } => ("phantom", span),
                };
                (
                    kind,
                    spec[span.offset()..span.offset() + span.len()].to_owned(),
                )
            })
            .collect()
    }

    const CLUSTERS: &str = "cluster \"dev\"\ncluster \"prod\"\n";

    #[test]
    fn every_documented_form_is_seen_once() {
        let spec = format!(
            "{CLUSTERS}{}",
            r#"
app "a" {
    helm "oci://ghcr.io/org/charts/a" {
        // a comment with { braces } and a "quote
        version "1.0.0"                 // default
        values "values.yaml"
        version "1.1.0" cluster="dev"   // with a { brace
        /* a block comment: } */
        /-values "old.yaml" {
            nested "block" { deeper #true }
        }
        values "values-prod.yaml" cluster="prod"
        version "1.0.1" cluster="prod";
    }
    image "ghcr.io/org/a" { /-tag "x" { }
        version "2"
        version "3" cluster="dev"
    }
    cluster "prod" { /-patch "p.yaml" { } }
    image "docker.io/library/redis" {
        version "7.4"
    }
}
app "b" {
    cluster "dev" {
        /-var "X" "}"
    }
    helm "https://charts.example.com/b" chart="b-chart" {
        version "0.1.0" cluster="dev"
        version "0.2.0" cluster="prod"
    }
}
app "crlf" {
    image "c" {
        version "1"
        version "2" cluster="dev"
    }
}
"#
        )
        .replace(
            "app \"crlf\" {\n    image \"c\" {\n",
            "app \"crlf\" {\r\n    image \"c\" {\r\n",
        )
        .replace(
            "        version \"2\" cluster=\"dev\"\n",
            "        version \"2\" cluster=\"dev\"\r\n",
        );
        assert_eq!(
            spec.matches("\r\n").count(),
            3,
            "the test covers CRLF lines"
        );
        assert_eq!(problems(&spec), Vec::<(&str, String)>::new());
        let syntax = parse::parse(&spec).into_result().expect("parses");
        assert_eq!(dependencies(&syntax).len(), 10);
    }

    #[test]
    fn commented_out_versions_are_not_seen() {
        let spec = format!(
            "{CLUSTERS}{}",
            r#"
/-app "gone" {
    image "x" {
        version "1"
    }
}
app "a" {
    /-helm "oci://ghcr.io/org/charts/gone" {
        version "1"
    }
    image "y" {
        // version "9" cluster="dev"
        /-version "8" cluster="dev"
        version "1"
    }
}
"#
        );
        assert_eq!(problems(&spec), Vec::<(&str, String)>::new());
    }

    #[test]
    fn other_kdl_forms_are_reported() {
        let spec = format!(
            "{CLUSTERS}{}",
            r##"
app "a" {
    image "x" {
        version cluster="dev" "2"
        version #"1"#
        version "3" cluster=prod
    }
    image "y" { version "1"; }
    image "z" {
        version "1"; version "2" cluster="dev"
    }
    image w {
        version "1"
    }
    image "v" {
        /*
        version "7" cluster="dev"
        */
        version "1"
    }
}
"##
        );
        assert_eq!(
            problems(&spec),
            [
                ("missed", r#""2""#),
                ("missed", r##"#"1"#"##),
                ("missed", r#""3""#),
                ("missed", r#""1""#),
                ("missed", r#""1""#),
                ("missed", r#""2""#),
                ("missed", r#""1""#),
                ("phantom", r#""7""#),
            ]
            .map(|(kind, text)| (kind, text.to_owned()))
        );
    }

    #[test]
    fn a_different_reading_at_the_same_place_is_reported() {
        let spec = format!(
            "{CLUSTERS}app \"a\" {{\n    image \"x\" {{\n        version \"1\"\n    }}\n}}\n"
        );
        let syntax = parse::parse(&spec).into_result().expect("parses");
        let expected = dependencies(&syntax);
        let mut seen = expected
            .iter()
            .map(|dep| Dependency {
                dep_type: "dev".to_owned(),
                ..dep.clone()
            })
            .collect();
        let errors = compare(&expected, seen);
        assert!(
            matches!(errors.as_slice(), [CoverageError::Misread { seen, .. }] if seen == "x 1 for `dev`"),
            "{errors:?}"
        );
        seen = Vec::new();
        assert!(matches!(
            compare(&expected, seen).as_slice(),
            [CoverageError::Missed { .. }]
        ));
    }
}

//! The proof, for the spec at hand, that Renovate sees the versions fluxspec reads: the patterns
//! run as Renovate's recursive strategy runs them (the `regex` crate's syntax is RE2's), and every
//! dependency found is compared with the versions the parser read, by the source position of the
//! value. A version Renovate would miss or misread, or text it would take for a version, is an
//! error pointing at the line.

use std::collections::BTreeMap;
use std::path::Path;

use miette::{Diagnostic, NamedSource, SourceSpan};
use regex::Regex;
use thiserror::Error;

use super::DEFAULT_DEP_TYPE;
use super::managers::Manager;
use crate::compile::Loaded;
use crate::parse::syntax::{self, Spanned};
use crate::resolve::is_exact_chart_version;

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

/// Every version line of the spec Renovate should update, in the order of the spec: a chart
/// version that is a range is left alone (Flux resolves it), so not among them.
fn dependencies(spec: &syntax::Spec) -> Vec<Dependency> {
    let mut found = Vec::new();
    for app in &spec.apps {
        if let Some(helm) = &app.helm {
            let oci = helm.url.value.starts_with("oci://");
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
            for version in helm
                .versions
                .iter()
                .filter(|version| is_exact_chart_version(oci, &version.value.value))
            {
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
        for remote in &app.remotes {
            // resolve checked the form `github.com/owner/repo[/dir]`: the repository is the
            // dependency.
            let repository: Vec<&str> = remote.url.value.split('/').skip(1).take(2).collect();
            for version in &remote.versions {
                found.push(Dependency {
                    dep_name: repository.join("/"),
                    package_name: None,
                    datasource: "github-tags",
                    registry_url: None,
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
        // The patterns are constants of `managers`; a unit test below compiles every one of them.
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

/// Checks that `managers` find in the spec's text exactly the versions the parser read.
pub(super) fn check_coverage(
    managers: &[Manager],
    loaded: &Loaded,
    spec_path: &Path,
) -> Result<(), CoverageErrors> {
    let expected = dependencies(&loaded.syntax);
    let seen: Vec<Dependency> = managers
        .iter()
        .flat_map(|manager| renovate_sees(manager, &loaded.text))
        .collect();
    let errors = compare(&expected, seen);
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
    use super::super::managers::managers;
    use super::{CoverageError, Dependency, compare, dependencies, renovate_sees};
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

    // Renovate would rewrite a range as one version: range lines are not extracted.
    #[test]
    fn chart_ranges_are_left_alone_and_exact_versions_seen() {
        let spec = format!(
            "{CLUSTERS}{}",
            r#"
app "a" {
    helm "oci://ghcr.io/org/charts/a" {
        version ">=1.0.0"
        version "1.x" cluster="dev"
        version "1.2.3_build" cluster="prod"
    }
}
app "b" {
    helm "https://charts.example.com" chart="b" {
        version "~1.2" cluster="dev"
        version ">=1.0 <2.0" cluster="prod"
    }
}
app "c" {
    helm "https://charts.example.com" chart="c" {
        version "*" cluster="dev"
        version "^1.2" cluster="prod"
    }
    image "nginx" {
        version "1.x"
    }
}
"#
        );
        assert_eq!(problems(&spec), Vec::<(&str, String)>::new());
        let syntax = parse::parse(&spec).into_result().expect("parses");
        let seen: Vec<String> = dependencies(&syntax)
            .into_iter()
            .map(|dep| dep.describe())
            .collect();
        assert_eq!(
            seen,
            ["a 1.2.3_build for `prod`", "nginx 1.x for `default`"]
        );
    }

    #[test]
    fn remote_bases_are_github_tags_of_the_repository() {
        let spec = format!(
            "{CLUSTERS}{}",
            r#"
app "storage" {
    remote "github.com/rancher/local-path-provisioner/deploy" {
        version "v0.0.31"
        version "v0.0.32" cluster="dev"
    }
    remote "github.com/org/whole-repo" {
        version "v1"
    }
}
"#
        );
        assert_eq!(problems(&spec), Vec::<(&str, String)>::new());
        let syntax = parse::parse(&spec).into_result().expect("parses");
        let seen: Vec<(String, &str)> = dependencies(&syntax)
            .into_iter()
            .map(|dep| (dep.describe(), dep.datasource))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "rancher/local-path-provisioner v0.0.31 for `default`".to_owned(),
                    "github-tags"
                ),
                (
                    "rancher/local-path-provisioner v0.0.32 for `dev`".to_owned(),
                    "github-tags"
                ),
                ("org/whole-repo v1 for `default`".to_owned(), "github-tags"),
            ]
        );
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

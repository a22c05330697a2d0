//! The promote edit: one cluster's versions given to another, in the spec's text.
//!
//! The edit works on the bytes at the spans the parser reports, not on a re-serialised KDL
//! document (the kdl crate's `to_string()` drops some comments), so every byte outside the
//! promoted `version` lines survives. Pure: text and syntax tree in, new text out; [`super`] checks
//! the result compiles and writes it.
//!
//! For each chart or image of an app whose version in the target cluster differs from the
//! source's:
//! - the target has its own line and the source uses the default: the target's line goes, so the
//!   target falls back to the default too;
//! - the target has its own line: its value becomes the source's version;
//! - the target uses the default: a line `version "X" cluster="<target>"` is inserted right after
//!   the source's own line, with its indentation;
//! - but when every cluster the app runs on ends up with the same version and there is a default
//!   line, the default line takes that version and every cluster's own line goes: one line, as a
//!   person would write it.
//!
//! `--all` refuses to downgrade (a semver-older version for the target) unless
//! `allow_downgrade`: promoting every app is for moving forward, and a silent downgrade of an app
//! the user did not name is a surprise. Versions that are not semver cannot be ordered and pass.

use std::ops::Range;

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::fmt::quote;
use crate::model::{App, Model};
use crate::parse::syntax;
use crate::select::{self, SelectError};
use crate::versions::{Kind, chart_name, semver};

/// What to promote.
#[derive(Debug)]
pub(crate) struct Request {
    /// The apps to promote; every app running on both clusters when empty.
    pub(crate) apps: Vec<String>,
    pub(crate) from: String,
    pub(crate) to: String,
    /// Let `--all` give the target an older version.
    pub(crate) allow_downgrade: bool,
}

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum PromoteError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Select(#[from] SelectError),
    #[error("`--from` and `--to` are both `{cluster}`")]
    #[diagnostic(
        code("fluxspec::same-cluster"),
        help("promote from one cluster to another, e.g. `--from dev --to prod`")
    )]
    SameCluster { cluster: String },
    #[error("app `{app}` does not run on cluster `{cluster}`")]
    #[diagnostic(
        code("fluxspec::app-not-on-cluster"),
        help("its `clusters` line leaves `{cluster}` out; there is nothing to promote")
    )]
    NotDeployed { app: String, cluster: String },
    #[error("this `version` does not stand on a line of its own")]
    #[diagnostic(
        code("fluxspec::version-line-not-alone"),
        help(
            "put each `version` on its own line, as `version \"X\" cluster=\"c\"`, and promote again"
        )
    )]
    NotAlone {
        #[source_code]
        source_code: NamedSource<String>,
        #[label("promote would add or remove this line")]
        span: SourceSpan,
    },
    #[error("promoting every app from `{from}` to `{to}` would downgrade `{to}`:{}", downgrade_list(.downgrades))]
    #[diagnostic(
        code("fluxspec::promote-downgrade"),
        help("name the apps to promote, or pass `--allow-downgrade` to downgrade them too")
    )]
    Downgrade {
        from: String,
        to: String,
        downgrades: Vec<Promoted>,
    },
}

fn downgrade_list(downgrades: &[Promoted]) -> String {
    downgrades
        .iter()
        .map(|promoted| {
            format!(
                "\n  {} `{}` of `{}`: {} -> {}",
                promoted.kind.as_str(),
                promoted.name,
                promoted.app,
                promoted.old,
                promoted.new
            )
        })
        .collect::<Vec<_>>()
        .concat()
}

/// One chart or image whose target version changed.
#[derive(Debug, Clone)]
pub(crate) struct Promoted {
    pub(crate) app: String,
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) old: String,
    pub(crate) new: String,
}

impl Promoted {
    /// Whether the target gets an older version (both semver, the new one lower).
    pub(crate) fn is_downgrade(&self) -> bool {
        matches!(
            (semver(&self.old), semver(&self.new)),
            (Some(old), Some(new)) if new < old
        )
    }
}

/// The outcome: the new spec text and what changed in it.
#[derive(Debug)]
pub(crate) struct Promotion {
    pub(crate) text: String,
    pub(crate) promoted: Vec<Promoted>,
    /// Apps named on the command line that already run the same versions on both clusters.
    pub(crate) already_equal: Vec<String>,
}

/// A replacement of `range` in the spec text.
struct Edit {
    range: Range<usize>,
    text: String,
}

fn range(span: SourceSpan) -> Range<usize> {
    span.offset()..span.offset() + span.len()
}

/// The spec text with a cluster's line for one chart or image, and helpers to edit it.
struct Editor<'a> {
    text: &'a str,
    spec_name: &'a str,
    edits: Vec<Edit>,
}

/// Where a `version` node stands in the text.
struct Line {
    /// The whole line, its newline included.
    whole: Range<usize>,
    /// The whitespace before `version`.
    indent: Range<usize>,
}

impl Editor<'_> {
    /// The line holding `version`, which must hold nothing else but a comment.
    fn line(&self, version: &syntax::Version) -> Result<Line, PromoteError> {
        let text = self.text;
        let mut entries = vec![range(version.value.span)];
        entries.extend(version.cluster.as_ref().map(|cluster| range(cluster.span)));
        entries.sort_by_key(|entry| entry.start);
        let (first, last) = (entries[0].clone(), entries[entries.len() - 1].clone());
        let start = text[..first.start].rfind('\n').map_or(0, |index| index + 1);
        let end = text[last.end..]
            .find('\n')
            .map_or(text.len(), |index| last.end + index + 1);
        let before = &text[start..first.start];
        let indent_len = before.len() - before.trim_start().len();
        let name_and_gap = before.trim_start().strip_prefix("version");
        let alone_before =
            name_and_gap.is_some_and(|gap| !gap.is_empty() && gap.chars().all(char::is_whitespace));
        let alone_between = entries.windows(2).all(|pair| {
            text[pair[0].end..pair[1].start]
                .chars()
                .all(char::is_whitespace)
        });
        let after = text[last.end..end].trim_start();
        let after = after.strip_prefix(';').unwrap_or(after).trim();
        let alone_after = after.is_empty() || after.starts_with("//");
        if alone_before && alone_between && alone_after {
            Ok(Line {
                whole: start..end,
                indent: start..start + indent_len,
            })
        } else {
            Err(PromoteError::NotAlone {
                source_code: NamedSource::new(self.spec_name, text.to_owned()),
                span: version.value.span,
            })
        }
    }

    /// Makes the target's version the source's, for one chart or image of an app running on
    /// `deployed`.
    fn promote(
        &mut self,
        versions: &[syntax::Version],
        deployed: &[&str],
        from: &str,
        to: &str,
    ) -> Result<Option<(String, String)>, PromoteError> {
        let own = |cluster: &str| {
            versions.iter().find(|version| {
                version
                    .cluster
                    .as_ref()
                    .is_some_and(|name| name.as_str() == cluster)
            })
        };
        let default = versions.iter().find(|version| version.cluster.is_none());
        let effective =
            |cluster: &str| own(cluster).or(default).map(|version| &version.value.value);
        // The spec resolved, so every cluster the app runs on has a version.
        let (Some(source), Some(target)) = (effective(from), effective(to)) else {
            return Ok(None);
        };
        if source == target {
            return Ok(None);
        }
        let all_equal = deployed
            .iter()
            .all(|&cluster| cluster == to || effective(cluster) == Some(source));
        if all_equal && let Some(default) = default {
            if default.value.value != *source {
                self.edits.push(Edit {
                    range: range(default.value.span),
                    text: quote(source),
                });
            }
            for own_line in versions.iter().filter(|version| version.cluster.is_some()) {
                let line = self.line(own_line)?;
                self.edits.push(Edit {
                    range: line.whole,
                    text: String::new(),
                });
            }
            return Ok(Some((target.clone(), source.clone())));
        }
        match (own(from), own(to)) {
            (None, Some(target_line)) => {
                let line = self.line(target_line)?;
                self.edits.push(Edit {
                    range: line.whole,
                    text: String::new(),
                });
            }
            // A value replaced in place: the line's layout does not matter.
            (Some(_), Some(target_line)) => {
                self.edits.push(Edit {
                    range: range(target_line.value.span),
                    text: quote(source),
                });
            }
            (Some(source_line), None) => {
                let line = self.line(source_line)?;
                // A `version` sits in a block, so a line break and `}` follow its line.
                let newline = if self.text[line.whole.clone()].ends_with("\r\n") {
                    "\r\n"
                } else {
                    "\n"
                };
                self.edits.push(Edit {
                    range: line.whole.end..line.whole.end,
                    text: format!(
                        "{}version {} cluster={}{newline}",
                        &self.text[line.indent],
                        quote(source),
                        quote(to)
                    ),
                });
            }
            // Both use the default: their versions are equal, handled above.
            (None, None) => return Ok(None),
        }
        Ok(Some((target.clone(), source.clone())))
    }

    /// The text with every edit applied.
    fn apply(mut self) -> String {
        // Edits sit on distinct lines; applied from the end, earlier offsets stay valid.
        self.edits
            .sort_by_key(|edit| std::cmp::Reverse(edit.range.start));
        let mut text = self.text.to_owned();
        for edit in self.edits {
            text.replace_range(edit.range, &edit.text);
        }
        text
    }
}

/// The app's versioned things (its chart, images and remote bases) with their `version` lines.
fn versioned<'a>(
    app: &App,
    declared: &'a syntax::App,
) -> impl Iterator<Item = (Kind, String, &'a [syntax::Version])> {
    let chart = app.chart.as_ref().map(|chart| chart_name(&chart.source));
    declared
        .helm
        .iter()
        .zip(chart)
        .map(|(helm, name)| (Kind::Chart, name.to_owned(), helm.versions.as_slice()))
        .chain(declared.images.iter().map(|image| {
            (
                Kind::Image,
                image.name.value.clone(),
                image.versions.as_slice(),
            )
        }))
        .chain(declared.remotes.iter().map(|remote| {
            (
                Kind::Remote,
                remote.url.value.clone(),
                remote.versions.as_slice(),
            )
        }))
}

/// Computes the promotion of `request` on the spec `text` (named `spec_name` in errors), whose
/// syntax tree and model are `spec` and `model`.
pub(crate) fn promote(
    text: &str,
    spec_name: &str,
    spec: &syntax::Spec,
    model: &Model,
    request: &Request,
) -> Result<Promotion, PromoteError> {
    select::clusters(model, &[request.from.clone(), request.to.clone()])?;
    select::apps(model, &request.apps)?;
    if request.from == request.to {
        return Err(PromoteError::SameCluster {
            cluster: request.from.clone(),
        });
    }
    let runs_on = |app: &App, cluster: &str| {
        app.deployments
            .iter()
            .any(|deployment| deployment.cluster == cluster)
    };
    let mut apps = Vec::new();
    for app in &model.apps {
        if request.apps.is_empty() {
            if runs_on(app, &request.from) && runs_on(app, &request.to) {
                apps.push(app);
            }
        } else if request.apps.contains(&app.name) {
            for cluster in [&request.from, &request.to] {
                if !runs_on(app, cluster) {
                    return Err(PromoteError::NotDeployed {
                        app: app.name.clone(),
                        cluster: cluster.clone(),
                    });
                }
            }
            apps.push(app);
        }
    }

    let mut editor = Editor {
        text,
        spec_name,
        edits: Vec::new(),
    };
    let mut promoted = Vec::new();
    let mut already_equal = Vec::new();
    for app in apps {
        // Every app of the model comes from an app of the syntax tree.
        let Some(declared) = spec
            .apps
            .iter()
            .find(|declared| declared.name.as_str() == app.name)
        else {
            continue;
        };
        let things = versioned(app, declared);
        let deployed: Vec<&str> = app
            .deployments
            .iter()
            .map(|deployment| deployment.cluster.as_str())
            .collect();
        let before = promoted.len();
        for (kind, name, versions) in things {
            if let Some((old, new)) =
                editor.promote(versions, &deployed, &request.from, &request.to)?
            {
                promoted.push(Promoted {
                    app: app.name.clone(),
                    kind,
                    name,
                    old,
                    new,
                });
            }
        }
        if promoted.len() == before && !request.apps.is_empty() {
            already_equal.push(app.name.clone());
        }
    }
    if request.apps.is_empty() && !request.allow_downgrade {
        let downgrades: Vec<Promoted> = promoted
            .iter()
            .filter(|promoted| promoted.is_downgrade())
            .cloned()
            .collect();
        if !downgrades.is_empty() {
            return Err(PromoteError::Downgrade {
                from: request.from.clone(),
                to: request.to.clone(),
                downgrades,
            });
        }
    }
    Ok(Promotion {
        text: editor.apply(),
        promoted,
        already_equal,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use miette::SourceSpan;

    use super::{PromoteError, Request, promote};
    use crate::{parse, resolve};

    const CLUSTERS: &str = "cluster \"dev\" {}\ncluster \"prod\" {}\n";

    /// Promotes `app` from dev to prod in `spec` (clusters prepended) and returns the new text.
    fn run(spec: &str, app: &str) -> Result<String, PromoteError> {
        run_on(CLUSTERS, spec, &[app], false)
    }

    /// Promotes `apps` (every app when empty) from dev to prod in `spec`, with the `clusters`
    /// declarations prepended, and returns the new text.
    fn run_on(
        clusters: &str,
        spec: &str,
        apps: &[&str],
        allow_downgrade: bool,
    ) -> Result<String, PromoteError> {
        let text = format!("{clusters}{spec}");
        let syntax = parse::parse(&text)
            .into_result()
            .expect("the test spec parses");
        let model = resolve::resolve(&syntax, Path::new("."), SourceSpan::from(0..text.len()))
            .into_result()
            .expect("the test spec resolves");
        let request = Request {
            apps: apps.iter().map(|&app| app.to_owned()).collect(),
            from: "dev".to_owned(),
            to: "prod".to_owned(),
            allow_downgrade,
        };
        promote(&text, "test.kdl", &syntax, &model, &request).map(|promotion| {
            promotion
                .text
                .strip_prefix(clusters)
                .expect("the clusters are untouched")
                .to_owned()
        })
    }

    #[test]
    fn replaces_the_targets_own_value() {
        let spec = "app \"a\" {\n  image \"i\" {\n    version \"2\" cluster=\"dev\"\n    version #\"1\"# cluster=\"prod\" // pinned\n  }\n}\n";
        assert_eq!(
            run(spec, "a").unwrap(),
            "app \"a\" {\n  image \"i\" {\n    version \"2\" cluster=\"dev\"\n    version \"2\" cluster=\"prod\" // pinned\n  }\n}\n"
        );
    }

    #[test]
    fn removes_the_targets_line_when_the_source_uses_the_default() {
        let spec = "app \"a\" {\n  image \"i\" {\n    version \"2\"\n    version \"1\" cluster=\"prod\"  // held back\n  }\n}\n";
        assert_eq!(
            run(spec, "a").unwrap(),
            "app \"a\" {\n  image \"i\" {\n    version \"2\"\n  }\n}\n"
        );
    }

    #[test]
    fn inserts_a_line_after_the_sources_with_its_indentation_and_newline() {
        // A third cluster keeps the default, so the default line stays.
        let clusters = "cluster \"dev\" {}\ncluster \"prod\" {}\ncluster \"lab\" {}\n";
        let spec = "app \"a\" {\r\n\timage \"i\" {\r\n\t\tversion cluster=\"dev\" \"2\"; // first\r\n\t\tversion \"1\"\r\n\t}\r\n}\r\n";
        assert_eq!(
            run_on(clusters, spec, &["a"], false).unwrap(),
            "app \"a\" {\r\n\timage \"i\" {\r\n\t\tversion cluster=\"dev\" \"2\"; // first\r\n\t\tversion \"2\" cluster=\"prod\"\r\n\t\tversion \"1\"\r\n\t}\r\n}\r\n"
        );
    }

    // Issue 13: promoting to the last cluster behind left a default line nobody used.
    #[test]
    fn every_cluster_equal_leaves_one_default_line() {
        let spec = "app \"a\" {\n  image \"i\" {\n    version \"1\" // default\n    version \"2\" cluster=\"dev\"\n  }\n}\n";
        assert_eq!(
            run(spec, "a").unwrap(),
            "app \"a\" {\n  image \"i\" {\n    version \"2\" // default\n  }\n}\n"
        );
        let both_own = "app \"a\" {\n  image \"i\" {\n    version \"1\"\n    version \"2\" cluster=\"dev\"\n    version \"0\" cluster=\"prod\"\n  }\n}\n";
        assert_eq!(
            run(both_own, "a").unwrap(),
            "app \"a\" {\n  image \"i\" {\n    version \"2\"\n  }\n}\n"
        );
    }

    // Issue 13: `promote --all` downgraded prod without a word.
    #[test]
    fn all_refuses_to_downgrade_unless_allowed() {
        let spec = "app \"a\" {\n  image \"i\" {\n    version \"2.0.0\"\n    version \"1.0.0\" cluster=\"dev\"\n  }\n}\napp \"b\" {\n  image \"j\" {\n    version \"1.0.0\"\n    version \"1.1.0\" cluster=\"dev\"\n  }\n}\n";
        let Err(PromoteError::Downgrade { downgrades, .. }) = run_on(CLUSTERS, spec, &[], false)
        else {
            panic!("expected a downgrade error");
        };
        let named: Vec<_> = downgrades
            .iter()
            .map(|d| (d.app.as_str(), d.old.as_str(), d.new.as_str()))
            .collect();
        assert_eq!(named, [("a", "2.0.0", "1.0.0")]);
        assert!(run_on(CLUSTERS, spec, &[], true).is_ok());
        // Named apps are promoted as asked.
        assert!(run_on(CLUSTERS, spec, &["a"], false).is_ok());
    }

    #[test]
    fn leaves_equal_versions_alone() {
        let spec = "app \"a\" {\n  image \"i\" { version \"1\"; }\n}\n";
        assert_eq!(run(spec, "a").unwrap(), spec);
    }

    #[test]
    fn refuses_to_remove_a_line_it_shares() {
        let spec =
            "app \"a\" {\n  image \"i\" { version \"2\"; version \"1\" cluster=\"prod\"; }\n}\n";
        assert!(matches!(run(spec, "a"), Err(PromoteError::NotAlone { .. })));
    }
}

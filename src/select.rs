//! Cluster and app names given on the command line (`--cluster`, `--app`, `promote APP`), checked
//! against the spec's model. Knows nothing about what the command does with them.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::model::Model;
use crate::suggest::{did_you_mean, shown};
use crate::text::and_list;

/// A name that names no cluster of the spec: the one definition of `fluxspec::unknown-cluster`,
/// for a name in the spec (with its span) and for one on the command line or in the output tree.
#[derive(Debug, Error, Diagnostic)]
#[error("unknown cluster `{name}`")]
#[diagnostic(code("fluxspec::unknown-cluster"))]
pub(crate) struct UnknownCluster {
    name: String,
    #[label("no cluster of this name")]
    span: Option<SourceSpan>,
    #[help]
    help: String,
}

impl UnknownCluster {
    /// `name`, which is none of `known`; `span` where the spec says it, if it does.
    pub(crate) fn new<'a>(
        name: &str,
        known: impl IntoIterator<Item = &'a str> + Clone,
        span: Option<SourceSpan>,
    ) -> Self {
        Self {
            name: shown(name),
            span,
            help: unknown_help(name, "cluster", known),
        }
    }
}

/// An app name that names no app of the spec: the one definition of `fluxspec::unknown-app`.
#[derive(Debug, Error, Diagnostic)]
#[error("unknown app `{name}`")]
#[diagnostic(code("fluxspec::unknown-app"))]
pub(crate) struct UnknownApp {
    name: String,
    #[label("no app of this name")]
    span: Option<SourceSpan>,
    #[help]
    help: String,
}

impl UnknownApp {
    /// `name`, which is none of `known`; `span` where the spec says it, if it does.
    pub(crate) fn new<'a>(
        name: &str,
        known: impl IntoIterator<Item = &'a str> + Clone,
        span: Option<SourceSpan>,
    ) -> Self {
        Self {
            name: shown(name),
            span,
            help: unknown_help(name, "app", known),
        }
    }
}

/// How many names a help line lists when none is close to the one given.
const LISTED: usize = 10;

/// The suggestion for a misspelt `what`, else the names there are (the first [`LISTED`]).
pub(crate) fn unknown_help<'a>(
    name: &str,
    what: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    did_you_mean(name, known.clone()).unwrap_or_else(|| {
        let known: Vec<&str> = known.into_iter().collect();
        match known.len() {
            0 => format!("the spec declares no {what}"),
            count if count > LISTED => format!(
                "the {what}s include {} and {} more",
                and_list(known[..LISTED].iter().copied()),
                count - LISTED
            ),
            _ => format!("the {what}s are {}", and_list(known)),
        }
    })
}

/// A name on the command line that the spec does not declare.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum SelectError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownCluster(#[from] UnknownCluster),
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownApp(#[from] UnknownApp),
}

/// Checks that every name in `names` is a cluster of the spec.
pub(crate) fn clusters(model: &Model, names: &[String]) -> Result<(), SelectError> {
    let known: Vec<&str> = model
        .clusters
        .iter()
        .map(|cluster| cluster.name.as_str())
        .collect();
    match names.iter().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(UnknownCluster::new(name, known.iter().copied(), None).into()),
        None => Ok(()),
    }
}

/// Checks that every name in `names` is an app of the spec.
pub(crate) fn apps(model: &Model, names: &[String]) -> Result<(), SelectError> {
    let known: Vec<&str> = model.apps.iter().map(|app| app.name.as_str()).collect();
    match names.iter().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(UnknownApp::new(name, known.iter().copied(), None).into()),
        None => Ok(()),
    }
}

//! Cluster and app names given on the command line (`--cluster`, `--app`, `promote APP`), checked
//! against the spec's model. Knows nothing about what the command does with them.

use miette::Diagnostic;
use thiserror::Error;

use crate::model::Model;
use crate::suggest::did_you_mean;

/// A name on the command line that the spec does not declare.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum SelectError {
    #[error("unknown cluster `{name}`")]
    #[diagnostic(code("fluxspec::unknown-cluster"))]
    UnknownCluster {
        name: String,
        #[help]
        help: String,
    },
    #[error("unknown app `{name}`")]
    #[diagnostic(code("fluxspec::unknown-app"))]
    UnknownApp {
        name: String,
        #[help]
        help: String,
    },
}

/// How many names an error lists when none is close to the one given.
const LISTED: usize = 10;

/// The suggestion for a misspelt name, else the names there are (the first few of them).
fn help(name: &str, what: &str, known: &[&str]) -> String {
    did_you_mean(name, known.iter().copied()).unwrap_or_else(|| {
        let listed = known[..known.len().min(LISTED)].join(", ");
        match known.len().saturating_sub(LISTED) {
            0 => format!("the spec's {what} are: {listed}"),
            more => format!("the spec's {what} are: {listed} and {more} more"),
        }
    })
}

/// Checks that every name in `names` is a cluster of the spec.
pub(crate) fn clusters(model: &Model, names: &[String]) -> Result<(), SelectError> {
    let known: Vec<&str> = model
        .clusters
        .iter()
        .map(|cluster| cluster.name.as_str())
        .collect();
    match names.iter().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(SelectError::UnknownCluster {
            help: help(name, "clusters", &known),
            name: name.clone(),
        }),
        None => Ok(()),
    }
}

/// Checks that every name in `names` is an app of the spec.
pub(crate) fn apps(model: &Model, names: &[String]) -> Result<(), SelectError> {
    let known: Vec<&str> = model.apps.iter().map(|app| app.name.as_str()).collect();
    match names.iter().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(SelectError::UnknownApp {
            help: help(name, "apps", &known),
            name: name.clone(),
        }),
        None => Ok(()),
    }
}

//! `fluxspec promote`: make one cluster run what another runs, by editing the spec's text.
//!
//! Two steps, so the CLI can report what is already equal before anything is checked or
//! written: [`propose`] loads the spec, finds the output directory and computes the edit
//! ([`edit`]); [`Proposal::carry_out`] checks the edited spec compiles, plans its output against
//! the output directory and, unless it is a dry run, writes the spec and then the output.

mod edit;

use std::path::Path;

use miette::Diagnostic;
use thiserror::Error;

pub(crate) use edit::{PromoteError, Promoted, Request, promote};

use crate::compile::{CompileError, Loaded, SpecSource};
use crate::output::{OutputDir, OutputError, Planned};
use crate::sync::{self, SyncError};

/// Why a promotion could not be proposed or carried out.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Promote(#[from] PromoteError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Output(#[from] OutputError),
}

impl From<CompileError> for Error {
    fn from(error: CompileError) -> Self {
        Error::Output(error.into())
    }
}

impl From<SyncError> for Error {
    fn from(error: SyncError) -> Self {
        Error::Output(error.into())
    }
}

/// A promotion computed but not yet checked or written.
pub(crate) struct Proposal<'a> {
    source: &'a SpecSource,
    loaded: Loaded,
    out: OutputDir,
    /// The spec's text with the promotion made.
    text: String,
    /// What changed in it.
    pub(crate) promoted: Vec<Promoted>,
    /// Apps named on the command line that already run the same versions on both clusters.
    pub(crate) already_equal: Vec<String>,
}

/// Loads the spec, finds the output directory (`--out` is `given`) and computes the promotion.
pub(crate) fn propose<'a>(
    source: &'a SpecSource,
    given: Option<&Path>,
    request: &Request,
) -> Result<Proposal<'a>, Error> {
    let loaded = source.load()?;
    let out = OutputDir::locate(&source.path, given, source.output_path(&loaded))?;
    let promotion = edit::promote(
        &loaded.text,
        &source.shown_as,
        &loaded.syntax,
        &loaded.model,
        request,
    )?;
    Ok(Proposal {
        source,
        loaded,
        out,
        text: promotion.text,
        promoted: promotion.promoted,
        already_equal: promotion.already_equal,
    })
}

/// A promotion checked, planned and (unless a dry run) written.
pub(crate) struct Outcome {
    /// The spec's text before and after.
    pub(crate) old_text: String,
    pub(crate) new_text: String,
    /// The output's changes.
    pub(crate) planned: Planned,
    pub(crate) promoted: Vec<Promoted>,
}

impl Proposal<'_> {
    /// Checks the edited spec compiles and plans its output; unless `dry_run`, writes the spec,
    /// then the output.
    pub(crate) fn carry_out(self, dry_run: bool) -> Result<Outcome, Error> {
        let source = self.source;
        // The edited spec must compile before anything is written.
        let edited = source.load_text(self.text)?;
        let tree = source.render(&edited);
        let planned = self.out.plan(&source.path, tree, false, !dry_run)?;
        if !dry_run {
            sync::spec_file::write(&source.path, &edited.text)?;
            planned.apply()?;
        }
        Ok(Outcome {
            old_text: self.loaded.text,
            new_text: edited.text,
            planned,
            promoted: self.promoted,
        })
    }
}

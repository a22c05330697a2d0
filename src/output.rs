//! The output directory a command plans against: `--out` checked to be safe and where the spec's
//! `output-path` puts it, or that place; and the plan of a rendered tree against it, under the
//! directory's lock.
//!
//! What `compile`, `check`, `init` and `promote` share between loading the spec and showing the
//! changes. Decides nothing about what to print; writes only through [`sync`].

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use crate::compile::{CompileError, SpecSource, SpecWarnings, Warnings};
use crate::repository::{self, OutputPath, OutputPathMismatch};
use crate::sync::{self, Plan, Session, SyncError};
use crate::tree::FileTree;

/// Why a command could not plan against, or write, the output directory.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum OutputError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Mismatch(Box<OutputPathMismatch>),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sync(#[from] SyncError),
}

/// The output directory, where `--out` (`given`) says or else where the spec's `output-path`
/// puts it.
pub(crate) struct OutputDir {
    /// As the commands use it: `--out`, or the default relative to the working directory when
    /// it is under it.
    pub(crate) path: PathBuf,
    /// Its path from the repository root, for diff headers: `generated`.
    pub(crate) from_root: String,
}

impl OutputDir {
    /// Checks `given` is safe and where `output_path` puts the output of the spec at `spec`.
    pub(crate) fn locate(
        spec: &Path,
        given: Option<&Path>,
        output_path: OutputPath,
    ) -> Result<Self, OutputError> {
        if let Some(out) = given {
            sync::check_output_dir(out, spec)?;
        }
        let from_root = output_path.relative_to_root();
        let path =
            repository::output_dir(spec, given, output_path).map_err(OutputError::Mismatch)?;
        Ok(Self { path, from_root })
    }

    /// Plans `tree` against the directory under its lock (creating it when `write`); `adopt`
    /// takes over files fluxspec did not write that are in the way.
    pub(crate) fn plan(
        self,
        spec: &Path,
        tree: FileTree,
        adopt: bool,
        write: bool,
    ) -> Result<Planned, OutputError> {
        let session = Session::open(&self.path, spec, write)?;
        let plan = session.plan(tree, adopt)?;
        Ok(Planned {
            session,
            plan,
            output_dir: self.from_root,
        })
    }
}

/// A plan against the output directory, under the directory's lock.
pub(crate) struct Planned {
    session: Session,
    pub(crate) plan: Plan,
    /// The output directory's path from the repository root, for diff headers: `generated`.
    pub(crate) output_dir: String,
}

impl Planned {
    /// Writes the plan.
    pub(crate) fn apply(&self) -> Result<(), OutputError> {
        Ok(self.session.apply(&self.plan)?)
    }
}

/// Compiles `source` and plans it against the output directory (`--out` is `given`). The
/// spec's warnings go to `show_warnings` as soon as they are known, before any error about the
/// output directory.
pub(crate) fn compile_and_plan(
    source: &SpecSource,
    given: Option<&Path>,
    strictness: Warnings,
    show_warnings: impl FnOnce(SpecWarnings),
    adopt: bool,
    write: bool,
) -> Result<Planned, OutputError> {
    let compiled = source.compile(strictness)?;
    if let Some(warnings) = compiled.warnings {
        show_warnings(warnings);
    }
    OutputDir::locate(&source.path, given, compiled.output_path)?.plan(
        &source.path,
        compiled.tree,
        adopt,
        write,
    )
}

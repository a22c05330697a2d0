//! The output directory a command plans against: `--out` checked to be safe and where the spec's
//! `output-path` puts it, or that place; the plan of a rendered tree against it, under the
//! directory's lock; and [`compile_and_sync`], the whole pipeline of `compile` and `check`.
//!
//! What `compile`, `check`, `init` and `promote` share between loading the spec and showing the
//! changes. Decides nothing about what to print; writes only through [`sync`].

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use crate::compile::{CompileError, SpecSource, SpecWarnings, Warnings};
use crate::render;
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

/// Compiles `source` and plans it against the output directory (`--out` is `given`), writing the
/// plan when `write`. The spec's warnings go to `show_warnings` as soon as they are known, before
/// any error about the output directory.
///
/// One thread does it all, and the tree is never whole in memory: render hands each file to the
/// plan as it comes, the plan keeps only the files that change, and each app's part of the model
/// is dropped once its files are out.
pub(crate) fn compile_and_sync(
    source: &SpecSource,
    given: Option<&Path>,
    strictness: Warnings,
    show_warnings: impl FnOnce(SpecWarnings) + Send,
    adopt: bool,
    write: bool,
) -> Result<Planned, OutputError> {
    let locate = |output_path| OutputDir::locate(&source.path, given, output_path);
    compile_and_sync_into(source, strictness, show_warnings, locate, adopt, write)
}

/// [`compile_and_sync`] into the output directory `locate` finds from the spec's `output-path`.
pub(crate) fn compile_and_sync_into(
    source: &SpecSource,
    strictness: Warnings,
    show_warnings: impl FnOnce(SpecWarnings) + Send,
    locate: impl FnOnce(OutputPath) -> Result<OutputDir, OutputError> + Send,
    adopt: bool,
    write: bool,
) -> Result<Planned, OutputError> {
    source.compile_with(strictness, |checked| {
        if let Some(warnings) = checked.warnings {
            show_warnings(warnings);
        }
        let out = locate(checked.output_path)?;
        let session = Session::open(&out.path, &source.path, write)?;
        let mut planner = session.planner(adopt)?;
        render::render_each(
            checked.model,
            &source.header_label,
            &mut |path, contents| {
                planner.add(path, contents);
            },
        );
        let plan = planner.finish()?;
        if write {
            session.apply(&plan)?;
        }
        Ok(Planned {
            session,
            plan,
            output_dir: out.from_root,
        })
    })?
}

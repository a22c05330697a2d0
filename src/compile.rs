//! The front half of the pipeline as one call: spec file -> [`FileTree`], or every error in it.

use std::fs;
use std::path::Path;

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::model::Model;
use crate::parse::syntax;
use crate::tree::FileTree;
use crate::{parse, render, resolve};

/// The largest spec fluxspec reads. A home lab's spec is tens of kilobytes.
const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Every error found in a spec, with the spec's text so each can be shown in place.
#[derive(Debug, Error, Diagnostic)]
#[error("{}", summary(.errors.len()))]
pub(crate) struct SpecErrors {
    #[source_code]
    source_code: NamedSource<String>,
    #[related]
    errors: Vec<Box<dyn Diagnostic + Send + Sync>>,
}

fn summary(count: usize) -> String {
    if count == 1 {
        "the spec has an error".to_owned()
    } else {
        format!("the spec has {count} errors")
    }
}

/// The spec file itself could not be read.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum ReadError {
    #[error("cannot read the spec `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unreadable-spec"))]
    Unreadable { path: String, reason: String },
}

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum CompileError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] SpecErrors),
}

fn boxed<E: Diagnostic + Send + Sync + 'static>(
    errors: Vec<E>,
) -> Vec<Box<dyn Diagnostic + Send + Sync>> {
    errors
        .into_iter()
        .map(|error| Box::new(error) as Box<dyn Diagnostic + Send + Sync>)
        .collect()
}

/// A spec read and checked: its text, its syntax tree (which keeps every span) and its model.
pub(crate) struct Loaded {
    pub(crate) text: String,
    pub(crate) syntax: syntax::Spec,
    pub(crate) model: Model,
}

/// Reads, parses, resolves and renders the spec at `spec_path`. `spec_label` is how generated
/// files name the spec in their header.
pub(crate) fn compile(spec_path: &Path, spec_label: &str) -> Result<FileTree, CompileError> {
    let loaded = load(spec_path, read(spec_path)?)?;
    Ok(render::render(&loaded.model, spec_label))
}

/// A rendered spec and where its output directory sits in the Git repository Flux syncs.
pub(crate) struct Rendered {
    pub(crate) tree: FileTree,
    /// The `output-path` setting: `./generated`, without a trailing `/`.
    pub(crate) output_path: String,
}

/// [`compile`], also returning the output path, for commands that lay the tree out as Flux sees
/// it. `source_name` names the spec in diagnostics (`HEAD:spec/homelab.kdl` for a copy of a Git
/// revision's spec).
pub(crate) fn render_spec(
    spec_path: &Path,
    spec_label: &str,
    source_name: &str,
) -> Result<Rendered, CompileError> {
    let text =
        read(spec_path).map_err(
            |ReadError::Unreadable { reason, .. }| ReadError::Unreadable {
                path: source_name.to_owned(),
                reason,
            },
        )?;
    let loaded = load(spec_path, text).map_err(|errors| SpecErrors {
        source_code: NamedSource::new(source_name, errors.source_code.inner().clone()),
        errors: errors.errors,
    })?;
    Ok(Rendered {
        tree: render::render(&loaded.model, spec_label),
        output_path: loaded.model.settings.output_path,
    })
}

/// Reads the spec file's text.
pub(crate) fn read(spec_path: &Path) -> Result<String, ReadError> {
    let unreadable = |reason: String| ReadError::Unreadable {
        path: spec_path.display().to_string(),
        reason,
    };
    let size = fs::metadata(spec_path)
        .map_err(|error| unreadable(error.to_string()))?
        .len();
    if size > MAX_SPEC_BYTES {
        return Err(unreadable(format!(
            "it is {size} bytes; the limit is {MAX_SPEC_BYTES}"
        )));
    }
    let bytes = fs::read(spec_path).map_err(|error| unreadable(error.to_string()))?;
    String::from_utf8(bytes).map_err(|error| unreadable(format!("it is not UTF-8 ({error})")))
}

/// Parses and resolves `text` as the spec at `spec_path` (whose directory holds the files it
/// names). `text` need not be what is on disk: `promote` checks its edit before writing it.
pub(crate) fn load(spec_path: &Path, text: String) -> Result<Loaded, SpecErrors> {
    let spec_dir = spec_path.parent().unwrap_or(Path::new("."));
    let spec_dir = if spec_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        spec_dir
    };

    let errors = match parse::parse(&text) {
        Ok(syntax) => match resolve::resolve(&syntax, spec_dir, SourceSpan::from(0..text.len())) {
            Ok(model) => {
                return Ok(Loaded {
                    text,
                    syntax,
                    model,
                });
            }
            Err(errors) => boxed(errors),
        },
        Err(errors) => boxed(errors),
    };
    Err(SpecErrors {
        source_code: NamedSource::new(spec_path.display().to_string(), text),
        errors,
    })
}

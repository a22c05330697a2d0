//! The front half of the pipeline: spec file -> [`FileTree`], or every error in it.
//!
//! One way in: a [`SpecSource`] names the spec file, how diagnostics show it and how generated
//! headers label it; [`SpecSource::load`] reads, parses and resolves it, [`SpecSource::render`]
//! renders what was loaded, and [`SpecSource::compile_with`] hands a checked spec, its syntax
//! tree dropped, to the rest of a compile on the same thread.
//! Reads the spec with limits (a regular file, size, UTF-8, not empty), parses it, checks its
//! meaning when it could be read completely, and gathers the errors and warnings of both stages
//! into one report with the spec's text, so each is shown in place. `--deny-warnings` turns
//! warnings into errors here. Prints nothing: the CLI decides what to show.

use std::fmt;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use thiserror::Error;

use crate::input::{self, FileKind, ReadFailure};
use crate::model::Model;
use crate::parse::syntax;
use crate::repository::OutputPath;
use crate::text::count;
use crate::tree::FileTree;
use crate::{parse, render, repository, resolve};

/// The largest spec fluxspec reads. A home lab's spec is tens of kilobytes; 16 MiB holds tens of
/// thousands of apps.
const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// The most errors one report shows; past that they are noise (a binary file given as the spec
/// has thousands).
const MAX_SHOWN: usize = 100;

pub(crate) type BoxedDiagnostic = Box<dyn Diagnostic + Send + Sync>;

/// Every error found in a spec, and its warnings, with the spec's text so each can be shown in
/// place.
#[derive(Debug, Error, Diagnostic)]
#[error("{summary}")]
pub(crate) struct SpecErrors {
    summary: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[related]
    diagnostics: Vec<BoxedDiagnostic>,
}

impl SpecErrors {
    /// Each diagnostic, errors first, in reading order (for the language server).
    pub(crate) fn diagnostics(&self) -> &[BoxedDiagnostic] {
        &self.diagnostics
    }
}

/// The warnings of a spec that compiled.
#[derive(Debug, Error, Diagnostic)]
#[error("{}", count(.warnings.len(), "warning"))]
#[diagnostic(severity(Warning))]
pub(crate) struct SpecWarnings {
    #[source_code]
    source_code: NamedSource<String>,
    #[related]
    warnings: Vec<BoxedDiagnostic>,
}

/// The spec file itself could not be used.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum ReadError {
    #[error("cannot read the spec `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unreadable-spec"))]
    Unreadable { path: String, reason: String },
    #[error("the spec `{path}` is {kind}, not a regular file")]
    #[diagnostic(code("fluxspec::spec-not-a-file"))]
    NotAFile {
        path: String,
        kind: FileKind,
        #[help]
        help: String,
    },
    #[error("the spec `{path}` is {size} bytes or more; the limit is {MAX_SPEC_BYTES}")]
    #[diagnostic(
        code("fluxspec::spec-too-large"),
        help("a spec describes clusters and apps; manifests belong in the files it references")
    )]
    TooLarge { path: String, size: u64 },
    #[error("the spec `{path}` is not UTF-8 text: invalid byte at line {line}, column {column}")]
    #[diagnostic(
        code("fluxspec::spec-not-utf8"),
        help("save the file as UTF-8 (KDL is UTF-8 text)")
    )]
    NotUtf8 {
        path: String,
        line: usize,
        column: usize,
    },
    #[error("cannot start the compiler thread: {reason}")]
    #[diagnostic(code("fluxspec::no-thread"))]
    NoThread { reason: String },
    #[error("the spec `{path}` is empty")]
    #[diagnostic(
        code("fluxspec::empty-spec"),
        help("declare at least one cluster: `cluster \"dev\" {{ }}` (see docs/spec.md)")
    )]
    Empty { path: String },
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

/// Whether warnings stop the compile (`--deny-warnings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Warnings {
    Allow,
    Deny,
}

/// A spec checked for a compile: its model, the warnings to show and where its output goes. Its
/// syntax tree is gone: nothing after resolve needs it, and rendering a large spec needs the room.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) model: Model,
    pub(crate) warnings: Option<SpecWarnings>,
    /// Where the spec puts the output in its repository.
    pub(crate) output_path: OutputPath,
}

/// A warning that `--deny-warnings` made an error: the same diagnostic, severity error.
#[derive(Debug)]
struct Denied(BoxedDiagnostic);

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Denied {}

impl Diagnostic for Denied {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.code()
    }
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.related()
    }
}

fn boxed<E: Diagnostic + Send + Sync + 'static>(errors: Vec<E>) -> Vec<BoxedDiagnostic> {
    errors
        .into_iter()
        .map(|error| Box::new(error) as BoxedDiagnostic)
        .collect()
}

/// The span a diagnostic underlines first, to recognise two reports of one mistake.
fn primary_span(diagnostic: &dyn Diagnostic) -> Option<SourceSpan> {
    diagnostic.labels()?.next().map(|label| *label.inner())
}

/// The spec file to compile and the two names it goes by: the one way into the pipeline.
#[derive(Debug, Clone)]
pub(crate) struct SpecSource {
    /// Where the file is; its directory holds the files the spec names.
    pub(crate) path: PathBuf,
    /// How diagnostics name it: the path as given, or `HEAD:spec/homelab.kdl` for a copy of a
    /// Git revision's spec.
    pub(crate) shown_as: String,
    /// How generated files' headers name it: its path from the repository root,
    /// `/`-separated, so the header is the same on every machine.
    pub(crate) header_label: String,
}

impl SpecSource {
    /// The spec at `path` as the user gave it: shown as given, labelled from its repository root.
    pub(crate) fn at(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            shown_as: path.display().to_string(),
            header_label: repository::spec_label(path),
        }
    }

    /// The directory holding the spec file, against which the paths in it are resolved.
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// Reads the spec file's text, within the limits: a regular file, not too large, UTF-8, not
    /// empty.
    pub(crate) fn read(&self) -> Result<String, ReadError> {
        let path = self.shown_as.clone();
        let bytes =
            input::read_capped(&self.path, MAX_SPEC_BYTES).map_err(|failure| match failure {
                ReadFailure::NotAFile(kind) => ReadError::NotAFile {
                    path: path.clone(),
                    kind,
                    help: match kind {
                        FileKind::Directory => {
                            "pass the spec file itself with `--spec`, e.g. `--spec spec/homelab.kdl`"
                        }
                        _ => "replace it with a regular file holding the spec (KDL text)",
                    }
                    .to_owned(),
                },
                ReadFailure::TooLarge { size } => ReadError::TooLarge {
                    path: path.clone(),
                    size,
                },
                ReadFailure::Io(error) => ReadError::Unreadable {
                    path: path.clone(),
                    reason: error.to_string(),
                },
            })?;
        let text = input::utf8_text(bytes).map_err(|at| ReadError::NotUtf8 {
            path: path.clone(),
            line: at.line,
            column: at.column,
        })?;
        if text.trim_start_matches('\u{FEFF}').trim().is_empty() {
            return Err(ReadError::Empty { path });
        }
        Ok(text)
    }

    /// Reads, parses and resolves the spec. Warnings are kept in [`Loaded`], not reported.
    pub(crate) fn load(&self) -> Result<Loaded, CompileError> {
        self.load_text(self.read()?)
    }

    /// Parses and resolves `text` as this spec, on a thread with a large stack. `text` need not
    /// be what is on disk: `promote` and `fmt` check their edit before writing it.
    pub(crate) fn load_text(&self, text: String) -> Result<Loaded, CompileError> {
        on_large_stack(|| check(&self.shown_as, text, self.dir(), Warnings::Allow))?
            .map_err(CompileError::from)
    }

    /// The output tree of a loaded spec, its headers naming this spec.
    pub(crate) fn render(&self, loaded: &Loaded) -> FileTree {
        render::render(&loaded.model, &self.header_label)
    }

    /// Where a loaded spec puts its output in its repository.
    pub(crate) fn output_path(&self, loaded: &Loaded) -> OutputPath {
        OutputPath::of(&self.shown_as, loaded)
    }

    /// [`load`](Self::load) and [`render`](Self::render), for commands that lay the tree out as
    /// Flux sees it.
    pub(crate) fn load_and_render(&self) -> Result<Rendered, CompileError> {
        let loaded = self.load()?;
        Ok(Rendered {
            tree: self.render(&loaded),
            output_path: loaded.model.settings.output_path,
        })
    }

    /// Reads, parses and resolves the spec, with its warnings to show (errors under
    /// [`Warnings::Deny`]), and hands it to `then`, all on one thread with a large stack: the
    /// rest of a compile (render and sync) runs in `then`, so the memory the model frees serves
    /// the output.
    pub(crate) fn compile_with<T: Send>(
        &self,
        warnings: Warnings,
        then: impl FnOnce(Checked) -> T + Send,
    ) -> Result<T, CompileError> {
        compile_text_with(self, self.read()?, warnings, then)
    }
}

/// A spec read and checked: its text, its syntax tree (which keeps every span), its model and
/// its warnings.
pub(crate) struct Loaded {
    pub(crate) text: String,
    pub(crate) syntax: syntax::Spec,
    pub(crate) model: Model,
    pub(crate) warnings: Vec<BoxedDiagnostic>,
}

/// A rendered spec and where its output directory sits in the Git repository Flux syncs.
pub(crate) struct Rendered {
    pub(crate) tree: FileTree,
    /// The `output-path` setting: `./generated`, without a trailing `/`.
    pub(crate) output_path: String,
}

/// The stack the pipeline runs on. Parsing KDL and YAML recurses per nesting level (and `kdl`
/// per error it recovers from); the stages bound both, with a margin that a default 2 MiB thread
/// stack does not give in a debug build. Only the pages used are committed.
const PIPELINE_STACK_BYTES: usize = 256 * 1024 * 1024;

thread_local! {
    /// Whether this thread is the one [`on_large_stack`] started.
    static ON_LARGE_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` on a thread with a large stack, and returns its result; on the current thread
/// when it is such a thread already, so a command runs its pipeline on one thread (and one
/// malloc arena) however its steps nest.
pub(crate) fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T, ReadError> {
    if ON_LARGE_STACK.get() {
        return Ok(work());
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("compile".to_owned())
            .stack_size(PIPELINE_STACK_BYTES)
            .spawn_scoped(scope, || {
                ON_LARGE_STACK.set(true);
                work()
            })
            .map_err(|error| ReadError::NoThread {
                reason: error.to_string(),
            })?
            .join()
            // A panic is a bug: let it surface rather than become a diagnostic.
            .map_err(|panic| std::panic::resume_unwind(panic))
    })
}

/// Parses and resolves the text of `source` on a thread with a large stack, and hands the
/// result to `then` on that thread.
fn compile_text_with<T: Send>(
    source: &SpecSource,
    text: String,
    warnings: Warnings,
    then: impl FnOnce(Checked) -> T + Send,
) -> Result<T, CompileError> {
    on_large_stack(|| {
        let name = source.shown_as.as_str();
        let loaded = check(name, text, source.dir(), warnings)?;
        let output_path = OutputPath::of(name, &loaded);
        let Loaded {
            text,
            syntax,
            model,
            warnings,
        } = loaded;
        drop(syntax);
        let warnings = (!warnings.is_empty()).then(|| SpecWarnings {
            source_code: NamedSource::new(name, text),
            warnings,
        });
        Ok::<_, SpecErrors>(then(Checked {
            model,
            warnings,
            output_path,
        }))
    })?
    .map_err(CompileError::from)
}

/// Parses and resolves spec text, gathering every diagnostic; with [`Warnings::Deny`], a
/// warning is an error.
fn check(
    name: &str,
    text: String,
    spec_dir: &Path,
    warnings: Warnings,
) -> Result<Loaded, SpecErrors> {
    let parsed = parse::parse(&text);
    let parse_spans: Vec<SourceSpan> = parsed
        .errors
        .iter()
        .filter_map(|error| primary_span(error))
        .collect();
    let mut errors = boxed(parsed.errors);
    let mut found_warnings = Vec::new();
    let mut model = None;
    // A spec with unreadable parts lacks nodes; checking its meaning would invent errors.
    if parsed.complete {
        let resolved = resolve::resolve(&parsed.spec, spec_dir, SourceSpan::from(0..text.len()));
        // A mistake the parser reported (a number where a string belongs) may upset `resolve`
        // too, at the same place: report it once.
        errors.extend(boxed(resolved.errors).into_iter().filter(|error| {
            primary_span(error.as_ref()).is_none_or(|span| !parse_spans.contains(&span))
        }));
        found_warnings = boxed(resolved.warnings);
        model = Some(resolved.model);
    }
    let denied = warnings == Warnings::Deny && !found_warnings.is_empty();
    if denied {
        errors.extend(
            found_warnings
                .drain(..)
                .map(|warning| Box::new(Denied(warning)) as BoxedDiagnostic),
        );
    }
    // In reading order, as the mistakes appear in the spec.
    let position = |diagnostic: &BoxedDiagnostic| {
        primary_span(diagnostic.as_ref()).map_or(0, |span| span.offset())
    };
    errors.sort_by_key(position);
    found_warnings.sort_by_key(position);
    match model {
        Some(model) if errors.is_empty() => Ok(Loaded {
            text,
            syntax: parsed.spec,
            model,
            warnings: found_warnings,
        }),
        _ => {
            let denied = if denied {
                " (warnings count as errors)"
            } else {
                ""
            };
            let warnings = if found_warnings.is_empty() {
                String::new()
            } else {
                format!(" and {}", count(found_warnings.len(), "warning"))
            };
            let shown = if errors.len() > MAX_SHOWN {
                format!(" (the first {MAX_SHOWN} are shown)")
            } else {
                String::new()
            };
            let summary = format!(
                "the spec has {}{denied}{warnings}{shown}",
                count(errors.len(), "error")
            );
            errors.truncate(MAX_SHOWN);
            errors.extend(found_warnings);
            Err(SpecErrors {
                summary,
                source_code: NamedSource::new(name, text),
                diagnostics: errors,
            })
        }
    }
}

/// Entry points for the fuzzer and the property tests; not a stable API.
#[doc(hidden)]
pub mod testing {
    use std::path::Path;

    use miette::{GraphicalReportHandler, GraphicalTheme};

    use super::{SpecSource, Warnings, compile_text_with, on_large_stack};

    /// Compiles spec text whose files live in `spec_dir`: the rendered files by path, or the
    /// diagnostics rendered as the CLI shows them without colour, 100 columns wide.
    pub fn compile_spec_text(
        text: &str,
        spec_dir: &Path,
        deny_warnings: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, String> {
        let warnings = if deny_warnings {
            Warnings::Deny
        } else {
            Warnings::Allow
        };
        let source = SpecSource {
            path: spec_dir.join("homelab.kdl"),
            shown_as: "homelab.kdl".to_owned(),
            header_label: "spec/homelab.kdl".to_owned(),
        };
        let render = |checked: super::Checked| {
            crate::render::render(&checked.model, &source.header_label)
                .into_files()
                .collect()
        };
        match compile_text_with(&source, text.to_owned(), warnings, render) {
            Ok(files) => Ok(files),
            Err(errors) => {
                let mut rendered = String::new();
                GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                    .with_width(100)
                    .render_report(&mut rendered, &errors)
                    .map_err(|error| format!("cannot render the diagnostics: {error}"))?;
                Err(rendered)
            }
        }
    }

    /// Parses `bytes` as a manifest file and checks its substitutions as `compile` does, with
    /// the variables of even-length names defined; returns the number of problems found.
    pub fn check_manifest_bytes(bytes: &[u8]) -> usize {
        on_large_stack(|| crate::resolve::check_manifest(bytes)).unwrap_or_default()
    }
}

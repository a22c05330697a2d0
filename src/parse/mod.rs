//! Stage 1: KDL text -> spanned [`syntax::Spec`].
//!
//! Checks the shape of every node (known names, argument counts, property names, value types) and
//! nothing else: whether a named cluster or file exists is `resolve`'s business. Reads no files.
//!
//! The `kdl` crate recurses per nesting level and per error it recovers from; [`split`] bounds
//! both, but the bound is still deeper than a 2 MiB thread stack holds in a debug build, so
//! callers run this on a large stack, as `compile` does.
//!
//! [`reader`] checks the shape of one node; the nodes are read by [`top_level`] (`settings`,
//! `cluster`, `component`), [`namespace`], [`app`] and [`knobs`] (what several nodes share). The errors are in
//! [`error`].

mod app;
mod defaults;
mod error;
mod helm;
mod knobs;
mod layout;
mod namespace;
mod reader;
mod split;
pub(crate) mod syntax;
mod top_level;

use kdl::KdlDocument;

use crate::suggest::shown;

pub(crate) use error::Error;
pub(crate) use knobs::TARGET_PROPS;
use reader::Reader;
use split::Refusal;
use syntax::Spec;
use top_level::read_spec;

/// The child nodes the parser accepts under `parent` (`None`: the top level; `"app cluster"`: a
/// `cluster` block inside an `app`), so `fmt` can check it knows each of them and the language
/// server can offer them.
pub(crate) fn known_children(parent: Option<&str>) -> &'static [&'static str] {
    match parent {
        None => top_level::TOP_LEVEL,
        Some("settings") => top_level::SETTINGS,
        Some("cluster") => top_level::CLUSTER,
        Some("component") => top_level::COMPONENT,
        Some("app") => app::APP,
        Some("app cluster") => app::APP_CLUSTER,
        Some("helm") => helm::HELM,
        Some("defaults") => defaults::DEFAULTS,
        Some("defaults helm") => defaults::DEFAULTS_HELM,
        Some("defaults source") => defaults::DEFAULTS_SOURCE,
        Some("image") => app::IMAGE,
        Some("namespace") => namespace::NAMESPACE,
        Some("remote") => app::REMOTE,
        Some("layout") => layout::LAYOUT,
        Some(_) => &[],
    }
}

/// What parsing found: the spec as far as it could be read, and every error in it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) spec: Spec,
    pub(crate) errors: Vec<Error>,
    /// False when some text could not be read at all (a KDL syntax error, input refused as too
    /// deep or too long): `spec` then lacks nodes, and checking its meaning would report errors
    /// that are not there.
    pub(crate) complete: bool,
}

#[cfg(test)]
impl Parsed {
    /// The spec, or its errors: for tests that need a valid spec.
    pub(crate) fn into_result(self) -> Result<Spec, Vec<Error>> {
        if self.errors.is_empty() {
            Ok(self.spec)
        } else {
            Err(self.errors)
        }
    }
}

/// The most characters KDL forbids that one run reports.
const MAX_FORBIDDEN_SHOWN: usize = 10;

/// The characters KDL v2 forbids in a document (controls but whitespace and newlines, the
/// bidirectional controls, a byte order mark after the start), with line and column.
fn forbidden_characters(source: &str) -> Vec<Error> {
    let mut errors = Vec::new();
    for (number, line) in source.split('\n').enumerate() {
        for (column, c) in line.chars().enumerate() {
            let forbidden = matches!(
                c,
                '\u{0}'..='\u{8}'
                    | '\u{e}'..='\u{1f}'
                    | '\u{7f}'
                    | '\u{200e}'..='\u{200f}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
            ) || (c == '\u{feff}' && (number, column) != (0, 0));
            if forbidden && errors.len() < MAX_FORBIDDEN_SHOWN {
                errors.push(Error::ForbiddenCharacter {
                    line: number + 1,
                    column: column + 1,
                    shown: shown(&c.to_string()),
                });
            }
        }
    }
    errors
}

/// Parses spec text into its syntax tree, collecting every error.
pub(crate) fn parse(source: &str) -> Parsed {
    // Refused before parsing: the parser's messages would quote the line, character included.
    let forbidden = forbidden_characters(source);
    if !forbidden.is_empty() {
        return Parsed {
            spec: Spec::default(),
            errors: forbidden,
            complete: false,
        };
    }
    let split = split::split(source);
    let mut errors: Vec<Error> = split
        .refused
        .iter()
        .map(|refusal| match *refusal {
            Refusal::TooDeep { at } => Error::TooDeep {
                max: split::MAX_DEPTH,
                span: at,
            },
            Refusal::TooLong { at, len } => Error::NodeTooLong {
                len,
                max: split::MAX_CHUNK_BYTES,
                span: at,
            },
        })
        .collect();
    let mut reader = Reader::default();
    let mut spec = Spec::default();
    let mut settings_span = None;
    let mut complete = split.refused.is_empty();
    for range in split.chunks {
        reader.offset = range.start;
        match KdlDocument::parse(source.get(range).unwrap_or_default()) {
            Ok(document) => read_spec(&mut reader, &document, &mut spec, &mut settings_span),
            Err(error) => {
                complete = false;
                syntax_errors(&mut reader, source, error);
            }
        }
    }
    errors.extend(reader.errors);
    Parsed {
        spec,
        errors,
        complete,
    }
}

/// The `kdl` crate's errors for one chunk, as [`Error::Syntax`].
fn syntax_errors(reader: &mut Reader, source: &str, error: kdl::KdlError) {
    let mut keywords = Vec::new();
    for diagnostic in error.diagnostics {
        let span = reader.at(diagnostic.span);
        let text = source
            .get(span.offset()..span.offset() + span.len())
            .unwrap_or_default()
            .trim();
        // KDL v1 wrote `true`, `false` and `null` bare; v2 needs `#`. The parser reports such a
        // word several ways: once, with the fix, is enough.
        if let Some(keyword) = ["true", "false", "null"]
            .into_iter()
            .find(|keyword| text == *keyword)
        {
            if !keywords.contains(&span) {
                keywords.push(span);
                reader.errors.push(Error::Syntax {
                    message: format!("`{keyword}` is not a KDL v2 value"),
                    label: format!("write `#{keyword}`"),
                    span,
                    help: Some(format!(
                        "KDL v2 writes booleans and null with a `#`: `#true`, `#false`, `#null` (a bare `{keyword}` was KDL v1); a string is quoted: `\"{keyword}\"`"
                    )),
                });
            }
            continue;
        }
        reader.errors.push(Error::Syntax {
            message: diagnostic
                .message
                .unwrap_or_else(|| "invalid KDL".to_owned()),
            label: diagnostic.label.unwrap_or_else(|| "here".to_owned()),
            span,
            help: diagnostic.help,
        });
    }
}

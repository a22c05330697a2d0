//! The documents the editor has open, as it holds them (never read back from disk while open),
//! and what the compiler makes of each spec: its diagnostics, its syntax tree and the names in it,
//! and the model of its last version that compiled (hover and completion keep working while the
//! user types a mistake).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;

use lsp_types::{Diagnostic as LspDiagnostic, DiagnosticSeverity, Uri};

use crate::compile::{self, CompileError, SpecSource};
use crate::model::Model;
use crate::parse::{self, syntax};

use super::diagnostics::convert;
use super::symbols::{self, Occurrence};
use super::text::LineIndex;

/// An open document: a spec (`.kdl`) or a file a spec references (YAML).
pub(crate) struct Document {
    pub(crate) text: String,
    pub(crate) analysis: Option<Analysis>,
}

/// What the compiler found in one version of a spec.
pub(crate) struct Analysis {
    pub(crate) syntax: syntax::Spec,
    pub(crate) occurrences: Vec<Occurrence>,
    /// The model of the last version that compiled.
    pub(crate) model: Option<Rc<Model>>,
    pub(crate) diagnostics: Vec<LspDiagnostic>,
}

/// Whether the document at `uri` is a spec.
pub(crate) fn is_spec(uri: &Uri) -> bool {
    Path::new(uri.as_str())
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("kdl"))
}

/// Compiles `text` as the spec at `path` in memory, as `compile` does, writing nothing.
/// `previous` is the model of the last version, kept when this one does not compile.
pub(crate) fn analyse(uri: &Uri, path: &Path, text: &str, previous: Option<Rc<Model>>) -> Analysis {
    let index = LineIndex::new(text);
    let diagnostic = |d: &dyn miette::Diagnostic, severity| convert(d, severity, uri, &index, text);
    let (syntax, model, diagnostics) = match SpecSource::at(path).load_text(text.to_owned()) {
        Ok(loaded) => {
            let warnings = loaded
                .warnings
                .iter()
                .map(|warning| diagnostic(warning.as_ref(), DiagnosticSeverity::WARNING))
                .collect();
            (loaded.syntax, Some(Rc::new(loaded.model)), warnings)
        }
        Err(error) => {
            let diagnostics = match &error {
                CompileError::Spec(errors) => errors
                    .diagnostics()
                    .iter()
                    .map(|error| diagnostic(error.as_ref(), DiagnosticSeverity::ERROR))
                    .collect(),
                CompileError::Read(error) => vec![diagnostic(error, DiagnosticSeverity::ERROR)],
            };
            // The syntax tree as far as it could be read, for hover and completion.
            let parsed = compile::on_large_stack(|| parse::parse(text))
                .map_or_else(|_| syntax::Spec::default(), |parsed| parsed.spec);
            (parsed, previous, diagnostics)
        }
    };
    Analysis {
        occurrences: symbols::occurrences(text, &syntax),
        syntax,
        model,
        diagnostics,
    }
}

/// The file path of a `file:` URI.
pub(crate) fn path_of(uri: &Uri) -> Option<PathBuf> {
    let encoded = uri.as_str().strip_prefix("file://")?;
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut bytes = encoded.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let hex: String = bytes.by_ref().take(2).map(char::from).collect();
            decoded.push(u8::from_str_radix(&hex, 16).ok()?);
        } else {
            decoded.push(byte);
        }
    }
    String::from_utf8(decoded).ok().map(PathBuf::from)
}

/// The `file:` URI of `path`.
pub(crate) fn uri_of(path: &Path) -> Option<Uri> {
    let mut encoded = String::from("file://");
    for byte in path.to_str()?.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    Uri::from_str(&encoded).ok()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{path_of, uri_of};

    #[test]
    fn uris_round_trip() {
        let path = Path::new("/home/me/my lab/spec/homelab.kdl");
        let uri = uri_of(path).expect("a valid URI");
        assert_eq!(uri.as_str(), "file:///home/me/my%20lab/spec/homelab.kdl");
        assert_eq!(path_of(&uri).as_deref(), Some(path));
    }
}

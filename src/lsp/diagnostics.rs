//! The compiler's diagnostics as LSP diagnostics: the same code, message and help, the primary
//! label's span as the range (UTF-16 positions), the other labels as related locations (both
//! ends of a cycle, both declarations of a duplicate).

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Uri,
};
use miette::{Diagnostic, LabeledSpan, Severity};
use serde_json::json;

use super::text::{LineIndex, bytes};

/// `diagnostic`, whose spans are in the spec at `uri` whose text `index` covers. `default` is its
/// severity when it does not say (errors say nothing, the compile's warnings say `Warning`).
pub(crate) fn convert(
    diagnostic: &dyn Diagnostic,
    default: DiagnosticSeverity,
    uri: &Uri,
    index: &LineIndex<'_>,
    text: &str,
) -> LspDiagnostic {
    let labels: Vec<LabeledSpan> = diagnostic
        .labels()
        .map(Iterator::collect)
        .unwrap_or_default();
    let primary = labels
        .iter()
        .find(|label| label.primary())
        .or(labels.first());
    let range = primary.map_or_else(
        || index.range(0..0),
        |label| index.span_range(*label.inner()),
    );
    let related: Vec<DiagnosticRelatedInformation> = labels
        .iter()
        .filter(|label| primary.is_none_or(|primary| !std::ptr::eq(*label, primary)))
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), index.span_range(*label.inner())),
            message: label.label().unwrap_or("here").to_owned(),
        })
        .collect();
    let help = diagnostic.help().map(|help| help.to_string());
    let mut message = diagnostic.to_string();
    if let Some(label) = primary.and_then(LabeledSpan::label) {
        message = format!("{message}: {label}");
    }
    if let Some(help) = &help {
        message = format!("{message}\nhelp: {help}");
    }
    let data = primary.and_then(|label| {
        let (misspelt, suggestion) = did_you_mean(diagnostic, help.as_deref())?;
        let at = text.get(bytes(*label.inner()))?;
        at.contains(&misspelt)
            .then(|| json!({ "misspelt": misspelt, "suggestion": suggestion }))
    });
    LspDiagnostic {
        range,
        severity: Some(match diagnostic.severity() {
            Some(Severity::Error) => DiagnosticSeverity::ERROR,
            Some(Severity::Warning) => DiagnosticSeverity::WARNING,
            Some(Severity::Advice) => DiagnosticSeverity::HINT,
            None => default,
        }),
        code: diagnostic
            .code()
            .map(|code| NumberOrString::String(code.to_string())),
        source: Some("fluxspec".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data,
        ..LspDiagnostic::default()
    }
}

/// The name a "did you mean" diagnostic quotes first in its message and the suggestion of its
/// help: what the quick fix replaces, and with what.
fn did_you_mean(diagnostic: &dyn Diagnostic, help: Option<&str>) -> Option<(String, String)> {
    let suggestion = first_quoted(help?.strip_prefix("did you mean ")?)?;
    let misspelt = first_quoted(&diagnostic.to_string())?;
    Some((misspelt, suggestion))
}

/// The first text between backticks.
fn first_quoted(text: &str) -> Option<String> {
    let (_, rest) = text.split_once('`')?;
    rest.split_once('`').map(|(quoted, _)| quoted.to_owned())
}

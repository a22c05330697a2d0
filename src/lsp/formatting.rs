//! Document formatting: `fmt` on the text the editor holds, with the same checks (the spec must
//! compile, and compile to the same output once formatted), as one edit.

use lsp_types::{DocumentFormattingParams, TextEdit};

use crate::compile::SpecSource;
use crate::fmt::format_text;

use super::Server;
use super::actions::replacement;
use super::documents::path_of;

/// The edits that format the spec: none when it is formatted already or cannot be formatted (it
/// does not compile: the diagnostics say why).
pub(crate) fn format(
    server: &Server<'_>,
    params: &DocumentFormattingParams,
) -> Option<Vec<TextEdit>> {
    let uri = &params.text_document.uri;
    let (document, _) = server.spec_of(uri)?;
    let path = path_of(uri)?;
    let formatted = format_text(&SpecSource::at(&path), &document.text).ok()?;
    Some(
        replacement(&document.text, &formatted)
            .into_iter()
            .collect(),
    )
}

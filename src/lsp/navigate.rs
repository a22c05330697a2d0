//! Go to definition and find references, for apps, clusters, components and variables: from
//! their declarations and uses in the spec's syntax tree, and from a `${VAR}` in a file the spec
//! references back to the spec's `var` lines.

use lsp_types::{GotoDefinitionParams, GotoDefinitionResponse, Location, ReferenceParams, Uri};

use super::Server;
use super::documents::Document;
use super::symbols::{self, Kind};
use super::text::{LineIndex, variable_reference_at};

pub(crate) fn definition(
    server: &Server<'_>,
    params: &GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let position = &params.text_document_position_params;
    let (kind, name, spec_uri, spec) =
        target(server, &position.text_document.uri, position.position)?;
    let analysis = spec.analysis.as_ref()?;
    let index = LineIndex::new(&spec.text);
    let locations: Vec<Location> = symbols::same(&analysis.occurrences, kind, &name)
        .filter(|occurrence| occurrence.declaration)
        .map(|occurrence| Location::new(spec_uri.clone(), index.range(occurrence.range.clone())))
        .collect();
    (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
}

pub(crate) fn references(server: &Server<'_>, params: &ReferenceParams) -> Option<Vec<Location>> {
    let position = &params.text_document_position;
    let (kind, name, spec_uri, spec) =
        target(server, &position.text_document.uri, position.position)?;
    let analysis = spec.analysis.as_ref()?;
    let index = LineIndex::new(&spec.text);
    let mut locations: Vec<Location> = symbols::same(&analysis.occurrences, kind, &name)
        .filter(|occurrence| params.context.include_declaration || !occurrence.declaration)
        .map(|occurrence| Location::new(spec_uri.clone(), index.range(occurrence.range.clone())))
        .collect();
    if kind == Kind::Variable {
        // `${NAME}` in the open files the spec references.
        for (uri, document) in &server.documents {
            if document.analysis.is_none() {
                locations.extend(variable_uses(uri, &document.text, &name));
            }
        }
    }
    Some(locations)
}

/// What the name at `position` of the document `uri` is, and the spec it belongs to.
fn target<'a>(
    server: &'a Server<'_>,
    uri: &Uri,
    position: lsp_types::Position,
) -> Option<(Kind, String, Uri, &'a Document)> {
    if let Some((document, analysis)) = server.spec_of(uri) {
        let offset = LineIndex::new(&document.text).offset(position);
        let occurrence = symbols::at(&analysis.occurrences, offset)?;
        return Some((
            occurrence.kind,
            occurrence.name.clone(),
            uri.clone(),
            document,
        ));
    }
    let text = &server.documents.get(uri)?.text;
    let offset = LineIndex::new(text).offset(position);
    let (_, name) = variable_reference_at(text, offset)?;
    let (spec_uri, spec) = server.spec_for(uri)?;
    Some((Kind::Variable, name.to_owned(), spec_uri.clone(), spec))
}

/// The `${name}` references in `text`.
fn variable_uses(uri: &Uri, text: &str, name: &str) -> Vec<Location> {
    let index = LineIndex::new(text);
    let pattern = format!("${{{name}");
    text.match_indices(&pattern)
        .map(|(at, _)| at + 2)
        .filter(|&start| {
            variable_reference_at(text, start)
                .is_some_and(|(range, found)| found == name && range.start == start)
        })
        .map(|start| Location::new(uri.clone(), index.range(start..start + name.len())))
        .collect()
}

//! Code actions: apply the "did you mean" of a diagnostic, and promote the app of the `version`
//! line under the cursor from one cluster to another with `promote`'s own span edit. Each is a
//! text edit sent back to the editor; nothing is written to disk.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, TextEdit, Uri,
    WorkspaceEdit,
};

use crate::model::{self, Model};
use crate::parse::syntax;
use crate::promote::{self, Request};

use super::Server;
use super::documents::{Analysis, path_of};
use super::hover::enclosing_app;
use super::text::LineIndex;

pub(crate) fn code_actions(
    server: &Server<'_>,
    params: &CodeActionParams,
) -> Option<Vec<CodeActionOrCommand>> {
    let uri = &params.text_document.uri;
    let (document, analysis) = server.spec_of(uri)?;
    let text = &document.text;
    let index = LineIndex::new(text);
    let mut actions: Vec<CodeActionOrCommand> = params
        .context
        .diagnostics
        .iter()
        .filter_map(|diagnostic| did_you_mean(uri, text, &index, diagnostic))
        .map(CodeActionOrCommand::CodeAction)
        .collect();
    let offset = index.offset(params.range.start);
    actions.extend(
        promotions(uri, text, analysis, offset)
            .into_iter()
            .map(CodeActionOrCommand::CodeAction),
    );
    Some(actions)
}

/// The quick fix of a diagnostic whose help says "did you mean `x`?".
fn did_you_mean(
    uri: &Uri,
    text: &str,
    index: &LineIndex<'_>,
    diagnostic: &Diagnostic,
) -> Option<CodeAction> {
    let data = diagnostic.data.as_ref()?;
    let misspelt = data.get("misspelt")?.as_str()?;
    let suggestion = data.get("suggestion")?.as_str()?;
    let start = index.offset(diagnostic.range.start);
    let end = index.offset(diagnostic.range.end);
    let at = start + text.get(start..end)?.find(misspelt)?;
    let edit = TextEdit::new(index.range(at..at + misspelt.len()), suggestion.to_owned());
    Some(CodeAction {
        title: format!("Replace `{misspelt}` with `{suggestion}`"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(uri, vec![edit])),
        is_preferred: Some(true),
        ..CodeAction::default()
    })
}

/// Promoting the app whose block holds `offset` between each two of its clusters that run
/// different versions of it; only on a spec that compiles (the edit is computed on its model).
fn promotions(uri: &Uri, text: &str, analysis: &Analysis, offset: usize) -> Vec<CodeAction> {
    let compiles = analysis
        .diagnostics
        .iter()
        .all(|d| d.severity != Some(lsp_types::DiagnosticSeverity::ERROR));
    let (Some(model), true) = (analysis.model.as_deref(), compiles) else {
        return Vec::new();
    };
    let Some(app) = enclosing_app(&analysis.syntax, offset)
        .and_then(|app| model.apps.iter().find(|a| a.name == app.name.value))
    else {
        return Vec::new();
    };
    let name = path_of(uri).map_or_else(String::new, |path| path.display().to_string());
    let mut actions = Vec::new();
    for from in &app.deployments {
        for to in &app.deployments {
            if from.cluster == to.cluster || same_versions(from, to) {
                continue;
            }
            let spec = Spec {
                uri,
                text,
                name: &name,
                syntax: &analysis.syntax,
                model,
            };
            actions.extend(promotion(&spec, app, from, to));
        }
    }
    actions
}

fn same_versions(one: &model::Deployment, other: &model::Deployment) -> bool {
    one.chart_version == other.chart_version && one.images == other.images
}

/// The spec a promotion edits: its document, its name in diagnostics, its syntax tree and
/// model.
struct Spec<'a> {
    uri: &'a Uri,
    text: &'a str,
    name: &'a str,
    syntax: &'a syntax::Spec,
    model: &'a Model,
}

fn promotion(
    spec: &Spec<'_>,
    app: &model::App,
    from: &model::Deployment,
    to: &model::Deployment,
) -> Option<CodeAction> {
    let request = Request {
        apps: vec![app.name.clone()],
        from: from.cluster.clone(),
        to: to.cluster.clone(),
        allow_downgrade: false,
    };
    let promotion =
        promote::promote(spec.text, spec.name, spec.syntax, spec.model, &request).ok()?;
    let changes: Vec<String> = promotion
        .promoted
        .iter()
        .map(|p| format!("{} {} -> {}", p.name, p.old, p.new))
        .collect();
    Some(CodeAction {
        title: format!(
            "Promote `{}` from `{}` to `{}` ({})",
            app.name,
            from.cluster,
            to.cluster,
            changes.join(", ")
        ),
        kind: Some(CodeActionKind::REFACTOR_REWRITE),
        edit: Some(workspace_edit(
            spec.uri,
            vec![replacement(spec.text, &promotion.text)?],
        )),
        ..CodeAction::default()
    })
}

/// One edit turning `old` into `new`: the part between their common start and end.
pub(crate) fn replacement(old: &str, new: &str) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let mut common_end = old[start..]
        .bytes()
        .rev()
        .zip(new[start..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - common_end)
        || !new.is_char_boundary(new.len() - common_end)
    {
        common_end -= 1;
    }
    let index = LineIndex::new(old);
    Some(TextEdit::new(
        index.range(start..old.len() - common_end),
        new[start..new.len() - common_end].to_owned(),
    ))
}

fn workspace_edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};

    use super::replacement;

    #[test]
    fn replaces_only_what_differs() {
        let edit = replacement("a \"1.0\"\nb\n", "a \"1.1\"\nb\n").expect("they differ");
        assert_eq!(
            edit.range,
            Range::new(Position::new(0, 5), Position::new(0, 6))
        );
        assert_eq!(edit.new_text, "1");
        assert!(replacement("same", "same").is_none());
    }
}

//! Completion: the node names valid where the cursor is, the property names of the node it is
//! on, and the names a value may take there (clusters, apps, components, layers), from the
//! parser's own lists of known nodes and the spec's syntax tree.

use lsp_types::{CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse};

use crate::model::Layer;
use crate::parse::{self, TARGET_PROPS, syntax};

use super::Server;
use super::text::LineIndex;

pub(crate) fn complete(
    server: &Server<'_>,
    params: &CompletionParams,
) -> Option<CompletionResponse> {
    let position = &params.text_document_position;
    let (document, analysis) = server.spec_of(&position.text_document.uri)?;
    let offset = LineIndex::new(&document.text).offset(position.position);
    let context = Context::at(&document.text[..offset]);
    let items = context.items(&analysis.syntax);
    Some(CompletionResponse::Array(items))
}

/// Where the cursor is in the KDL structure.
#[derive(Debug, Default)]
struct Context {
    /// The names of the nodes whose blocks hold the cursor, outermost first.
    parents: Vec<String>,
    /// The words of the node the cursor is on, before it (strings without their quotes).
    words: Vec<String>,
    /// The word being typed (a string's content so far, or `key=` and a value).
    partial: String,
    in_string: bool,
}

impl Context {
    /// The context at the end of `before` (the text up to the cursor).
    fn at(before: &str) -> Context {
        let mut context = Context::default();
        let mut chars = before.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    // A comment to the end of the line; the node goes on after it.
                    if !chars.by_ref().any(|c| c == '\n') {
                        return context;
                    }
                    context.end_node();
                }
                '/' if chars.peek() == Some(&'*') => {
                    let mut previous = ' ';
                    chars.next();
                    for c in chars.by_ref() {
                        if previous == '*' && c == '/' {
                            break;
                        }
                        previous = c;
                    }
                }
                '"' => {
                    context.in_string = true;
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        if c == '"' && !escaped {
                            context.in_string = false;
                            break;
                        }
                        escaped = c == '\\' && !escaped;
                        context.partial.push(c);
                    }
                    if !context.in_string {
                        context.end_word();
                    }
                }
                '{' => {
                    context.end_word();
                    let name = context.words.first().cloned().unwrap_or_default();
                    context.parents.push(name);
                    context.words.clear();
                }
                '}' => {
                    context.parents.pop();
                    context.end_node();
                }
                '\n' | ';' => context.end_node(),
                c if c.is_whitespace() => context.end_word(),
                c => context.partial.push(c),
            }
        }
        context
    }

    fn end_word(&mut self) {
        if !self.partial.is_empty() {
            self.words.push(std::mem::take(&mut self.partial));
        }
    }

    fn end_node(&mut self) {
        self.partial.clear();
        self.words.clear();
    }

    /// The block the cursor is in, as `parse::known_children` names it.
    fn block(&self) -> Option<String> {
        let parents: Vec<&str> = self.parents.iter().map(String::as_str).collect();
        match parents.as_slice() {
            [] => None,
            ["app", "cluster"] => Some("app cluster".to_owned()),
            [.., last] => Some((*last).to_owned()),
        }
    }

    fn items(&self, spec: &syntax::Spec) -> Vec<CompletionItem> {
        let block = self.block();
        let Some(node) = self.words.first() else {
            // The node's name is being typed.
            return parse::known_children(block.as_deref())
                .iter()
                .map(|name| item(name, CompletionItemKind::KEYWORD, "node"))
                .collect();
        };
        if let Some((key, _)) = self.partial.split_once('=') {
            return values_of_property(spec, key);
        }
        if self.in_string {
            return values_of_node(spec, block.as_deref(), node);
        }
        let mut items: Vec<CompletionItem> = properties(spec, block.as_deref(), node, &self.words)
            .into_iter()
            .map(|name| {
                item(
                    &format!("{name}="),
                    CompletionItemKind::PROPERTY,
                    "property",
                )
            })
            .collect();
        items.extend(values_of_node(spec, block.as_deref(), node));
        items
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: Some(detail.to_owned()),
        ..CompletionItem::default()
    }
}

fn names<'a>(names: impl IntoIterator<Item = &'a str>, what: &str) -> Vec<CompletionItem> {
    names
        .into_iter()
        .map(|name| item(name, CompletionItemKind::VALUE, what))
        .collect()
}

fn clusters(spec: &syntax::Spec) -> Vec<CompletionItem> {
    names(spec.clusters.iter().map(|c| c.name.as_str()), "cluster")
}

fn layers() -> Vec<CompletionItem> {
    names(Layer::ALL.map(Layer::as_str), "layer")
}

/// The values an argument of `node` (in `block`) may take.
fn values_of_node(spec: &syntax::Spec, block: Option<&str>, node: &str) -> Vec<CompletionItem> {
    match (block, node) {
        (Some("app"), "clusters" | "cluster") => clusters(spec),
        (Some("app"), "depends-on") => names(spec.apps.iter().map(|a| a.name.as_str()), "app"),
        (Some("app"), "component") => {
            names(spec.components.iter().map(|c| c.name.as_str()), "component")
        }
        (Some("app"), "layer") | (Some("cluster"), "suspend") => layers(),
        _ => Vec::new(),
    }
}

/// The values of the property `key`.
fn values_of_property(spec: &syntax::Spec, key: &str) -> Vec<CompletionItem> {
    match key {
        "cluster" => clusters(spec),
        _ => Vec::new(),
    }
}

/// The property names of `node` (in `block`) whose first words are `words`.
fn properties<'a>(
    spec: &'a syntax::Spec,
    block: Option<&str>,
    node: &str,
    words: &[String],
) -> Vec<&'a str> {
    match (block, node) {
        (Some("helm" | "image" | "remote"), "version") | (Some("helm"), "values") => {
            vec!["cluster"]
        }
        (Some("settings"), "source") => vec!["namespace"],
        (Some("app"), "helm") => vec!["chart"],
        (Some("component"), "var") => vec!["default"],
        (Some("app" | "app cluster"), "health-check") => {
            vec!["api-version", "kind", "name", "namespace"]
        }
        (Some("app" | "app cluster"), "health-check-expr") => {
            vec!["api-version", "kind", "current", "failed", "in-progress"]
        }
        (Some("app" | "app cluster"), "inline-patch") | (Some("app cluster"), "patch") => {
            TARGET_PROPS.to_vec()
        }
        // A component's variables, once the component is named.
        (Some("app"), "component") => words
            .get(1)
            .and_then(|name| spec.components.iter().find(|c| &c.name.value == name))
            .map(|component| component.vars.iter().map(|v| v.name.as_str()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::Context;

    #[test]
    fn knows_the_block_and_the_node() {
        let context =
            Context::at("app \"web\" {\n    image \"x\" {\n        version \"1\" cluster=\"d");
        assert_eq!(context.parents, ["app", "image"]);
        assert_eq!(context.words, ["version", "1"]);
        assert_eq!(context.partial, "cluster=d");
        assert!(context.in_string);
        let context = Context::at("app \"web\" { // a { comment\n    la");
        assert_eq!(context.parents, ["app"]);
        assert!(context.words.is_empty());
        assert_eq!(context.partial, "la");
    }
}

//! The KDL text of an imported spec: a small tree of nodes written out deterministically, one
//! node per line, strings quoted as KDL v2 reads them. [`crate::fmt::format`] then puts the
//! children of each block in canonical order, so this module only has to be correct, not pretty.

use std::fmt::Write as _;

use crate::fmt::{must_escape, quote};
use crate::import::source::text_at;

/// The fields of a kustomize patch `target`, with the property the spec's patch nodes give
/// each. `namespace` is not one: the spec's patch targets have none.
pub(super) const PATCH_TARGET_FIELDS: [(&str, &str); 6] = [
    ("group", "group"),
    ("version", "version"),
    ("kind", "kind"),
    ("name", "name"),
    ("labelSelector", "label-selector"),
    ("annotationSelector", "annotation-selector"),
];

/// A value of a KDL argument or property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Text(String),
    Bool(bool),
    Integer(i64),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Self {
        Self::Text(text.clone())
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Self::Bool(flag)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Self {
        Self::Integer(number)
    }
}

/// One KDL node: its name, arguments, properties (in the order given) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Node {
    name: String,
    arguments: Vec<Value>,
    properties: Vec<(String, Value)>,
    pub(super) children: Vec<Node>,
}

impl Node {
    pub(super) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            arguments: Vec::new(),
            properties: Vec::new(),
            children: Vec::new(),
        }
    }

    /// A node with one argument: `interval "1h"`.
    pub(super) fn with(name: &str, value: impl Into<Value>) -> Self {
        Self::new(name).arg(value)
    }

    pub(super) fn arg(mut self, value: impl Into<Value>) -> Self {
        self.arguments.push(value.into());
        self
    }

    pub(super) fn args<T: Into<Value>>(mut self, values: impl IntoIterator<Item = T>) -> Self {
        self.arguments.extend(values.into_iter().map(Into::into));
        self
    }

    pub(super) fn prop(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.properties.push((key.to_owned(), value.into()));
        self
    }

    /// Adds the property when there is a value.
    pub(super) fn prop_some(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.prop(key, value),
            None => self,
        }
    }

    /// This node with the properties of the kustomize `patch`'s `target`
    /// ([`PATCH_TARGET_FIELDS`]).
    pub(super) fn patch_target(self, patch: &serde_json::Value) -> Self {
        PATCH_TARGET_FIELDS
            .iter()
            .fold(self, |node, (field, property)| {
                node.prop_some(property, text_at(patch, &["target", field]))
            })
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the node has no arguments and no properties.
    pub(super) fn is_bare(&self) -> bool {
        self.arguments.is_empty() && self.properties.is_empty()
    }

    /// The first argument, when it is a string.
    pub(super) fn first_text(&self) -> &str {
        match self.arguments.first() {
            Some(Value::Text(text)) => text,
            _ => "",
        }
    }

    pub(super) fn child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    pub(super) fn children(mut self, children: impl IntoIterator<Item = Node>) -> Self {
        self.children.extend(children);
        self
    }
}

/// The text of `nodes` as a KDL document.
pub(super) fn document(nodes: &[Node]) -> String {
    let mut text = String::new();
    for (index, node) in nodes.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        write_node(&mut text, node, 0);
    }
    text
}

fn write_node(text: &mut String, node: &Node, depth: usize) {
    let indent = "    ".repeat(depth);
    text.push_str(&indent);
    text.push_str(&node.name);
    for argument in &node.arguments {
        text.push(' ');
        write_value(text, argument, depth);
    }
    for (key, value) in &node.properties {
        let _ = write!(text, " {key}=");
        write_value(text, value, depth);
    }
    if node.children.is_empty() {
        text.push('\n');
        return;
    }
    text.push_str(" {\n");
    for child in &node.children {
        write_node(text, child, depth + 1);
    }
    let _ = writeln!(text, "{indent}}}");
}

fn write_value(text: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Text(string) => text.push_str(&string_literal(string, depth)),
        Value::Bool(flag) => text.push_str(if *flag { "#true" } else { "#false" }),
        Value::Integer(number) => {
            let _ = write!(text, "{number}");
        }
    }
}

/// `value` as a KDL string: a multi-line `"""` string for YAML text (readable in the spec), else
/// a quoted one with escapes.
fn string_literal(value: &str, depth: usize) -> String {
    if multi_line_fits(value) {
        let indent = "    ".repeat(depth + 1);
        let mut literal = String::from("\"\"\"\n");
        for line in value.split('\n') {
            if !line.is_empty() {
                literal.push_str(&indent);
                literal.push_str(line);
            }
            literal.push('\n');
        }
        literal.push_str(&indent);
        literal.push_str("\"\"\"");
        return literal;
    }
    quote(value)
}

/// A multi-line string holds `value` exactly when it spans lines, does not end with a newline
/// (the closing line's newline is not part of the value), needs no escape and has no line of
/// spaces alone (KDL reads such a line as empty).
fn multi_line_fits(value: &str) -> bool {
    value.contains('\n')
        && !value.ends_with('\n')
        && !value.contains("\"\"\"")
        && !value.contains('\\')
        && value
            .split('\n')
            .all(|line| line.is_empty() || !line.trim().is_empty())
        && value.chars().all(|c| c == '\n' || !must_escape(c))
}

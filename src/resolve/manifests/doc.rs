//! What one YAML document says to substitution: its kind and name, the
//! `kustomize.toolkit.fluxcd.io/substitute` label and annotation it sets or removes (as an
//! object, a strategic-merge patch or JSON 6902 operations), and the `${...}` its strings hold.

use serde_json::Value;

use crate::substitute::{SUBSTITUTE_KEY, SubstituteError, VarRef, references};

/// A value the label or annotation `kustomize.toolkit.fluxcd.io/substitute` can have in a
/// document: not mentioned, removed (a `null` or a JSON 6902 `remove`), or set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mark {
    Untouched,
    Removed,
    Set(String),
}

impl Mark {
    fn of(value: Option<&Value>) -> Self {
        match value {
            None => Mark::Untouched,
            Some(Value::Null) => Mark::Removed,
            Some(Value::String(text)) => Mark::Set(text.clone()),
            Some(other) => Mark::Set(other.to_string()),
        }
    }

    pub(super) fn disables(&self) -> bool {
        *self == Mark::Set("disabled".to_owned())
    }

    /// The state after a patch with this mark.
    pub(super) fn apply(&self, state: &mut Option<String>) {
        match self {
            Mark::Untouched => {}
            Mark::Removed => *state = None,
            Mark::Set(value) => *state = Some(value.clone()),
        }
    }
}

/// What a document says to substitution: its identity, its label and annotation, the variables
/// its strings reference.
#[derive(Debug)]
pub(in crate::resolve) struct Doc {
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    pub(super) label: Mark,
    pub(super) annotation: Mark,
    pub(super) refs: Result<Vec<VarRef>, SubstituteError>,
}

impl Doc {
    /// A Kubernetes object, a strategic-merge patch, or (a list) JSON 6902 operations.
    pub(super) fn new(value: &Value) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        let metadata = value.get("metadata");
        let mut doc = Doc {
            kind: text(value.get("kind")),
            name: text(metadata.and_then(|m| m.get("name"))),
            label: Mark::of(metadata.and_then(|m| m.get("labels")?.get(SUBSTITUTE_KEY))),
            annotation: Mark::of(metadata.and_then(|m| m.get("annotations")?.get(SUBSTITUTE_KEY))),
            refs: Ok(Vec::new()),
        };
        if let Value::Array(operations) = value {
            for operation in operations {
                doc.operation(operation);
            }
        }
        let mut refs = Vec::new();
        doc.refs = collect_refs(value, &mut refs).map(|()| refs);
        doc
    }

    /// A generated object (the HelmRelease of a chart) with the given strings.
    pub(in crate::resolve) fn generated(kind: &str, name: &str, content: Option<&Value>) -> Self {
        let mut refs = Vec::new();
        let refs = content
            .map_or(Ok(()), |content| collect_refs(content, &mut refs))
            .map(|()| refs);
        Doc {
            kind: Some(kind.to_owned()),
            name: Some(name.to_owned()),
            label: Mark::Untouched,
            annotation: Mark::Untouched,
            refs,
        }
    }

    /// Follows a JSON 6902 operation that adds, replaces or removes the key.
    fn operation(&mut self, operation: &Value) {
        let (Some(op), Some(path)) = (
            operation.get("op").and_then(Value::as_str),
            operation.get("path").and_then(Value::as_str),
        ) else {
            return;
        };
        let escaped_key = SUBSTITUTE_KEY.replace('~', "~0").replace('/', "~1");
        for (field, mark) in [
            ("labels", &mut self.label),
            ("annotations", &mut self.annotation),
        ] {
            let map_path = format!("/metadata/{field}");
            let key_path = format!("{map_path}/{escaped_key}");
            let value = operation.get("value");
            *mark = match (op, path) {
                ("remove", path) if path == key_path || path == map_path => Mark::Removed,
                ("add" | "replace", path) if path == key_path => Mark::of(value),
                ("add" | "replace", path) if path == map_path => {
                    match Mark::of(value.and_then(|map| map.get(SUBSTITUTE_KEY))) {
                        Mark::Untouched => Mark::Removed,
                        mark => mark,
                    }
                }
                _ => continue,
            };
        }
    }
}

/// Every `${…}` in the strings of a value, keys included.
fn collect_refs(value: &Value, refs: &mut Vec<VarRef>) -> Result<(), SubstituteError> {
    match value {
        Value::String(text) => refs.extend(references(text)?),
        Value::Array(items) => {
            for item in items {
                collect_refs(item, refs)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                refs.extend(references(key)?);
                collect_refs(item, refs)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

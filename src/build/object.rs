//! Kubernetes objects as `build` handles them: one YAML document parsed into a JSON value (keys in
//! document order), its identity, and its YAML text as `build` prints it and `diff` compares it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// What identifies an object in a cluster. Shown as Flux shows it: `Kind/namespace/name`, or
/// `Kind/name` for a cluster-scoped object. The API group is part of the identity, so a
/// Kustomization of kustomize.toolkit.fluxcd.io is not one of kustomize.config.k8s.io, but the
/// version is not, so moving an object to a new API version is a change to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct ObjectId {
    pub(crate) group: String,
    pub(crate) kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{}/{namespace}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One object, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub(crate) id: ObjectId,
    pub(crate) value: Value,
}

impl Object {
    /// Parses one YAML document. `None` for a document with no content (only comments, or
    /// empty), which kustomize never prints but a hand-written file may hold.
    pub(crate) fn parse(text: &str) -> Result<Option<Self>, String> {
        let value: Value = serde_saphyr::from_str(text).map_err(|error| error.to_string())?;
        if value.is_null() {
            return Ok(None);
        }
        Self::from_value(value).map(Some)
    }

    /// Checks what kustomize-controller checks of every built object: an `apiVersion`, a `kind`
    /// and a `metadata.name`.
    pub(crate) fn from_value(value: Value) -> Result<Self, String> {
        let field = |path: &[&str]| str_at(&value, path).filter(|s| !s.is_empty());
        let (Some(api_version), Some(kind), Some(name)) = (
            field(&["apiVersion"]),
            field(&["kind"]),
            field(&["metadata", "name"]),
        ) else {
            return Err("an object needs `apiVersion`, `kind` and `metadata.name`".to_owned());
        };
        let id = ObjectId {
            group: api_version
                .rsplit_once('/')
                .map_or("", |(group, _)| group)
                .to_owned(),
            kind: kind.to_owned(),
            namespace: field(&["metadata", "namespace"]).map(str::to_owned),
            name: name.to_owned(),
        };
        Ok(Self { id, value })
    }

    /// Whether the object is a `kind` of API group `group`.
    pub(crate) fn is(&self, group: &str, kind: &str) -> bool {
        self.id.group == group && self.id.kind == kind
    }

    /// The string at `path`, if there is one.
    pub(crate) fn str_at(&self, path: &[&str]) -> Option<&str> {
        str_at(&self.value, path)
    }

    /// The string entries of the map at `path` (`metadata.labels`, `data`, ...).
    pub(crate) fn string_map(&self, path: &[&str]) -> BTreeMap<String, String> {
        at(&self.value, path)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
            .collect()
    }

    /// Sets `metadata.<field>.<key>` for every entry, keeping the object's other entries: what
    /// Flux does with `spec.commonMetadata` (`ssautil.SetCommonMetadata`).
    pub(crate) fn merge_metadata(&mut self, field: &str, entries: &BTreeMap<String, String>) {
        if entries.is_empty() {
            return;
        }
        let Some(object) = self.value.as_object_mut() else {
            return;
        };
        let metadata = object
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(metadata) = metadata.as_object_mut() else {
            return;
        };
        let map = metadata
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !map.is_object() {
            *map = Value::Object(Map::new());
        }
        if let Some(map) = map.as_object_mut() {
            for (key, value) in entries {
                map.insert(key.clone(), Value::String(value.clone()));
            }
        }
    }

    /// The object as one YAML document, without the `---` line.
    pub(crate) fn to_yaml(&self) -> Result<String, String> {
        serde_saphyr::to_string(&self.value).map_err(|error| error.to_string())
    }
}

/// The value at `path` of nested maps.
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

/// The string at `path` of nested maps.
pub(crate) fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path).and_then(Value::as_str)
}

/// Splits a YAML stream into its documents' texts at `---` lines, as kustomize writes them.
/// A `---` inside a block scalar is indented, so it never starts a line of an object.
pub(crate) fn documents(stream: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in stream.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") {
            documents.push(&stream[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&stream[start..]);
    documents
        .into_iter()
        .filter(|document| !document.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_at_separator_lines_only() {
        let stream = "a: 1\n---\nb: |\n  ---\n  x\n--- # c\nc: 3\n---\n";
        assert_eq!(
            documents(stream),
            ["a: 1\n", "b: |\n  ---\n  x\n", "c: 3\n"]
        );
        assert!(documents("---\n").is_empty());
    }

    #[test]
    fn identity_has_group_and_optional_namespace() {
        let object = Object::parse(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(object.id.group, "apps");
        assert_eq!(object.id.to_string(), "Deployment/shop/web");
        let namespace = Object::parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
            .unwrap()
            .unwrap();
        assert_eq!(namespace.id.group, "");
        assert_eq!(namespace.id.to_string(), "Namespace/shop");
    }

    #[test]
    fn rejects_objects_without_kind_or_name() {
        assert!(Object::parse("apiVersion: v1\nmetadata:\n  name: x\n").is_err());
        assert!(Object::parse("apiVersion: v1\nkind: ConfigMap\n").is_err());
        assert!(Object::parse("# only a comment\n").unwrap().is_none());
    }

    #[test]
    fn common_metadata_overrides_and_keeps_other_entries() {
        let mut object = Object::parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    a: old\n    b: kept\n",
        )
        .unwrap()
        .unwrap();
        let labels = BTreeMap::from([("a".to_owned(), "new".to_owned())]);
        object.merge_metadata("labels", &labels);
        object.merge_metadata("annotations", &labels);
        object.merge_metadata("unused", &BTreeMap::new());
        assert_eq!(
            object.value["metadata"],
            serde_json::json!({"name": "c", "labels": {"a": "new", "b": "kept"}, "annotations": {"a": "new"}})
        );
    }
}

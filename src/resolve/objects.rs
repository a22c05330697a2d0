//! Whether a document of a manifest is an object Flux can apply.
//!
//! kustomize needs each resource's `kind` and `metadata.name` to build, and kustomize-controller
//! applies the result with server-side apply, which needs `apiVersion`, `kind` and a name:
//! `metadata.generateName` alone is refused (a name cannot be generated for an apply). A `List`
//! (any `kind` ending in `List`, with `items`) is expanded into its items by kustomize, so each
//! item must be such an object. Patches are not objects and are not checked here; nor is
//! kustomize's own configuration (`kustomize.config.k8s.io`), which fluxspec generates.

use serde_json::Value;

use crate::text::join_prose;

/// A non-empty string, if `value` is one.
fn text(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// What keeps `value` from being an applicable object, as a phrase (`it has no `kind``).
pub(super) fn problem(value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        let what = match value {
            Value::Array(_) => "a list",
            _ => "a single value",
        };
        return Some(format!("it is {what}, not a mapping"));
    };
    let metadata = map.get("metadata");
    if let Some(api_version) = text(map.get("apiVersion"))
        && api_version.starts_with("kustomize.config.k8s.io/")
    {
        return Some(
            "it is kustomize's own configuration (a `Kustomization` or `Component`), which fluxspec writes; declare a `component` instead"
                .to_owned(),
        );
    }
    let mut missing = Vec::new();
    if text(map.get("apiVersion")).is_none() {
        missing.push("`apiVersion`");
    }
    if text(map.get("kind")).is_none() {
        missing.push("`kind`");
    }
    if text(metadata.and_then(|metadata| metadata.get("name"))).is_none() {
        if missing.is_empty()
            && text(metadata.and_then(|metadata| metadata.get("generateName"))).is_some()
        {
            return Some(
                "it has `metadata.generateName` but no `metadata.name`, and Flux's server-side apply needs a name"
                    .to_owned(),
            );
        }
        missing.push("`metadata.name`");
    }
    join_prose(&missing, "or").map(|missing| format!("it has no {missing}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::problem;

    #[test]
    fn objects_need_api_version_kind_and_name() {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        assert_eq!(problem(&object), None);
        assert_eq!(
            problem(&json!({"kind": "ConfigMap", "metadata": {"name": "a"}})).as_deref(),
            Some("it has no `apiVersion`")
        );
        assert_eq!(
            problem(&json!({"data": {}})).as_deref(),
            Some("it has no `apiVersion`, `kind` or `metadata.name`")
        );
        assert_eq!(
            problem(
                &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "a-"}})
            )
            .as_deref(),
            Some(
                "it has `metadata.generateName` but no `metadata.name`, and Flux's server-side apply needs a name"
            )
        );
        assert!(
            problem(
                &json!({"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"})
            )
            .is_some_and(|problem| problem.contains("kustomize's own"))
        );
        assert_eq!(
            problem(&json!([{"op": "remove", "path": "/a"}])).as_deref(),
            Some("it is a list, not a mapping")
        );
        assert_eq!(
            problem(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 5}}))
                .as_deref(),
            Some("it has no `metadata.name`")
        );
    }
}

//! `spec-field "name" "<YAML>"`: the escape hatch for a HelmRelease spec field fluxspec has no
//! node for. The name must be a top-level field of the HelmRelease `spec` that no typed node
//! writes, and the value must validate against that field's schema, taken from the
//! helm-controller CRD (`tests/schemas/flux/helmrelease-helm-v2.json`, embedded in the binary, the
//! schema the tests validate the output with).

use std::sync::LazyLock;

use serde_json::Value;

use crate::parse::syntax::SpecField;
use crate::suggest::{did_you_mean, shown};

use super::manifests;
use super::{Error, Resolver};

/// The HelmRelease CRD's schema (helm-controller v1.6.3), as JSON Schema.
const HELM_RELEASE_SCHEMA: &str = include_str!("../../tests/schemas/flux/helmrelease-helm-v2.json");

/// Spec fields fluxspec writes from a node of its own, and that node.
const TYPED_FIELDS: &[(&str, &str)] = &[
    ("chart", "the `helm` URL, `chart=` and `version`"),
    ("chartRef", "the `helm` URL and `version`"),
    ("values", "`values`"),
    ("valuesFrom", "`values-from`"),
    ("interval", "`interval`"),
    ("timeout", "`timeout`"),
    ("releaseName", "`release-name`"),
    ("dependsOn", "`depends-on` in `helm`"),
    ("maxHistory", "`max-history`"),
    ("suspend", "`suspend`"),
];

/// The `properties` of the HelmRelease schema's `spec`, parsed once: a spec field is checked
/// again for every app and cluster a default reaches.
fn spec_properties() -> &'static serde_json::Map<String, Value> {
    static PROPERTIES: LazyLock<serde_json::Map<String, Value>> = LazyLock::new(|| {
        // The schema is a constant of this crate; `embedded_schema_has_spec_properties` proves
        // it parses and has this shape.
        let mut schema: Value =
            serde_json::from_str(HELM_RELEASE_SCHEMA).expect("the embedded schema is JSON");
        match schema.pointer_mut("/properties/spec/properties") {
            Some(Value::Object(properties)) => std::mem::take(properties),
            _ => serde_json::Map::new(),
        }
    });
    &PROPERTIES
}

impl Resolver {
    /// The field's value, checked; `None` (and an error) when it is not one Flux accepts.
    pub(super) fn spec_field(&mut self, field: &SpecField) -> Option<Value> {
        let name = field.name.as_str();
        let invalid =
            |reason: String, on_value: bool, label: &'static str, help: Option<String>| {
                Error::InvalidSpecField {
                    name: shown(name),
                    reason,
                    span: if on_value {
                        field.value.span
                    } else {
                        field.name.span
                    },
                    label,
                    help,
                }
            };
        if let Some((_, node)) = TYPED_FIELDS.iter().find(|(typed, _)| *typed == name) {
            self.errors.push(invalid(
                "fluxspec writes this field".to_owned(),
                false,
                "written by fluxspec",
                Some(format!("set it with {node}")),
            ));
            return None;
        }
        let properties = spec_properties();
        let Some(schema) = properties.get(name) else {
            let help = did_you_mean(name, properties.keys().map(String::as_str)).or_else(|| {
                Some("the name is a field of the HelmRelease `spec`, in camelCase, as `postRenderers`".to_owned())
            });
            self.errors.push(invalid(
                "the HelmRelease spec has no such field".to_owned(),
                false,
                "unknown field",
                help,
            ));
            return None;
        };
        let value = match serde_saphyr::from_str_with_options::<Value>(
            &field.value.value,
            manifests::yaml_options(),
        ) {
            Ok(value) => value,
            Err(error) => {
                self.errors.push(invalid(
                    format!("the value is not YAML: {}", manifests::yaml_error(&error)),
                    true,
                    "not YAML",
                    None,
                ));
                return None;
            }
        };
        // A schema from the CRD, self-contained (no `$ref`): it always compiles; if it did not,
        // the value could not be checked, which is an error too.
        let problems: Vec<String> = match jsonschema::draft7::new(schema) {
            Ok(validator) => validator
                .iter_errors(&value)
                .map(|problem| {
                    let at = problem.instance_path().to_string();
                    if at.is_empty() {
                        problem.to_string()
                    } else {
                        format!("at `{at}`: {problem}")
                    }
                })
                .collect(),
            Err(error) => vec![format!("its schema does not compile: {error}")],
        };
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.errors.push(invalid(
                format!("the value does not fit the HelmRelease schema: {first}{more}"),
                true,
                "does not fit the schema",
                Some(format!(
                    "see `kubectl explain helmrelease.spec.{name}` for the field's shape"
                )),
            ));
            return None;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_has_spec_properties() {
        let properties = spec_properties();
        assert!(properties.contains_key("postRenderers"));
        for (typed, _) in TYPED_FIELDS {
            assert!(properties.contains_key(*typed), "{typed} is a spec field");
        }
    }
}

//! Every Flux object and every `kustomization.yaml` under `generated/` must validate against the
//! JSON Schemas in `tests/schemas/` (see its README for where they come from).

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

/// A schema under `tests/schemas/` and the `(apiVersion, kind)` it validates.
struct Schema {
    api_version: &'static str,
    kind: &'static str,
    /// `<dir>/<stem>` below `tests/schemas/`, without `.json`.
    path: &'static str,
    json: &'static str,
}

macro_rules! schema {
    ($api_version:literal, $kind:literal, $path:literal) => {
        Schema {
            api_version: $api_version,
            kind: $kind,
            path: $path,
            json: include_str!(concat!("schemas/", $path, ".json")),
        }
    };
}

/// The only Flux and kustomize kinds the generated tree may contain.
static SCHEMAS: [Schema; 7] = [
    schema!(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "flux/kustomization-kustomize-v1"
    ),
    schema!(
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        "flux/gitrepository-source-v1"
    ),
    schema!(
        "source.toolkit.fluxcd.io/v1",
        "OCIRepository",
        "flux/ocirepository-source-v1"
    ),
    schema!(
        "source.toolkit.fluxcd.io/v1",
        "HelmRepository",
        "flux/helmrepository-source-v1"
    ),
    schema!(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        "flux/helmrelease-helm-v2"
    ),
    schema!(
        "kustomize.config.k8s.io/v1beta1",
        "Kustomization",
        "kustomize/kustomization-v1beta1"
    ),
    schema!(
        "kustomize.config.k8s.io/v1alpha1",
        "Component",
        "kustomize/component-v1alpha1"
    ),
];

const KUSTOMIZATION_FILE: &str = "kustomization.yaml";

impl Schema {
    /// The folder of `examples/` holding this schema's valid and invalid documents.
    fn examples_dir(&self) -> PathBuf {
        let stem = self.path.rsplit('/').next().unwrap_or(self.path);
        common::repo_root()
            .join("tests/schemas/examples")
            .join(stem)
    }

    fn validator(&self) -> Validator {
        let schema: Value = serde_json::from_str(self.json)
            .unwrap_or_else(|e| panic!("schemas/{}.json is not JSON: {e}", self.path));
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("schemas/{}.json does not compile: {e}", self.path))
    }
}

/// Every schema, compiled once, looked up by `(apiVersion, kind)`.
struct Validators(Vec<(&'static Schema, Validator)>);

impl Validators {
    fn new() -> Self {
        Self(SCHEMAS.iter().map(|s| (s, s.validator())).collect())
    }

    fn get(&self, api_version: &str, kind: &str) -> Option<&Validator> {
        self.0
            .iter()
            .find(|(s, _)| s.api_version == api_version && s.kind == kind)
            .map(|(_, v)| v)
    }

    /// The validator for `doc`: in a `kustomization.yaml` chosen by kind alone (the schema then
    /// checks the apiVersion), elsewhere by `(apiVersion, kind)` for Flux and kustomize groups.
    /// `None` for the kinds that are not checked.
    fn for_document(
        &self,
        doc: &Value,
        in_kustomization_file: bool,
    ) -> Result<Option<&Validator>, String> {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        if in_kustomization_file {
            Ok(if kind == "Component" {
                self.get("kustomize.config.k8s.io/v1alpha1", "Component")
            } else {
                self.get("kustomize.config.k8s.io/v1beta1", "Kustomization")
            })
        } else if is_checked_group(api_version) {
            self.get(api_version, kind).map(Some).ok_or_else(|| {
                "no schema for this apiVersion and kind (removed or unknown version?)".into()
            })
        } else {
            Ok(None)
        }
    }
}

/// Each error as `<instance path>: <message>`, shortened to stay readable.
fn errors(validator: &Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| {
            let mut message = e.to_string();
            if let Some((cut, _)) = message.char_indices().nth(300) {
                message.truncate(cut);
                message.push_str(" ...");
            }
            let at = e.instance_path().as_str();
            format!("{}: {message}", if at.is_empty() { "/" } else { at })
        })
        .collect()
}

/// The YAML documents of `text`, parsed as `serde_norway::Value` first so duplicate keys are
/// errors; empty documents are dropped.
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for de in serde_norway::Deserializer::from_str(text) {
        let yaml = <serde_norway::Value as serde::Deserialize>::deserialize(de)
            .map_err(|e| e.to_string())?;
        let doc = serde_json::to_value(yaml).map_err(|e| e.to_string())?;
        if !doc.is_null() {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// Flux (`*.toolkit.fluxcd.io`) and kustomize API groups must have a schema.
fn is_checked_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    group.ends_with(".toolkit.fluxcd.io") || group == "kustomize.config.k8s.io"
}

/// Files that the `kustomization.yaml`s use as patches: partial objects, so not validated.
fn patch_files(files: &[(PathBuf, Result<Vec<Value>, String>)]) -> HashSet<PathBuf> {
    let mut patches = HashSet::new();
    for (path, docs) in files {
        let (Some(dir), Ok(docs)) = (path.parent(), docs) else {
            continue;
        };
        if !path.ends_with(KUSTOMIZATION_FILE) {
            continue;
        }
        for doc in docs {
            let listed = ["patches", "patchesJson6902"]
                .iter()
                .flat_map(|key| doc[key].as_array().into_iter().flatten())
                .map(|patch| &patch["path"])
                .chain(
                    doc["patchesStrategicMerge"]
                        .as_array()
                        .into_iter()
                        .flatten(),
                );
            patches.extend(
                listed
                    .filter_map(Value::as_str)
                    .filter_map(|p| dir.join(p).canonicalize().ok()),
            );
        }
    }
    patches
}

/// Checks every `*.yaml` file under `root` and returns one message per problem.
fn check_tree(root: &Path) -> Vec<String> {
    let validators = Validators::new();
    let files = match common::files_under(root, |p| p.extension().is_some_and(|e| e == "yaml")) {
        Ok(files) => files,
        Err(e) => return vec![e],
    };
    let files: Vec<_> = files
        .into_iter()
        .map(|path| {
            let docs = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| documents(&t));
            (path, docs)
        })
        .collect();
    let patches = patch_files(&files);

    let mut failures = Vec::new();
    let mut flux_kustomizations = 0;
    for (path, docs) in &files {
        let docs = match docs {
            Ok(docs) => docs,
            Err(e) => {
                failures.push(format!("{}: not valid YAML: {e}", common::show(path)));
                continue;
            }
        };
        let is_kustomization_file = path.ends_with(KUSTOMIZATION_FILE);
        if is_kustomization_file && docs.len() != 1 {
            failures.push(format!(
                "{}: holds {} documents, not 1",
                common::show(path),
                docs.len()
            ));
        }
        let is_patch = path.canonicalize().is_ok_and(|p| patches.contains(&p));
        for (i, doc) in docs.iter().enumerate() {
            let api_version = doc["apiVersion"].as_str().unwrap_or_default();
            let kind = doc["kind"].as_str().unwrap_or_default();
            let name = doc["metadata"]["name"].as_str().unwrap_or_default();
            let at = format!(
                "{} (document {}: {})",
                common::show(path),
                i + 1,
                [api_version, kind, name].join(" ").trim()
            );
            if api_version.starts_with("kustomize.toolkit.fluxcd.io/") && kind == "Kustomization" {
                flux_kustomizations += 1;
            }
            let validator = match validators.for_document(doc, is_kustomization_file) {
                Ok(validator) => validator,
                Err(e) => {
                    failures.push(format!("{at}: {e}"));
                    continue;
                }
            };
            if let Some(validator) = validator
                && !is_patch
            {
                failures.extend(
                    errors(validator, doc)
                        .into_iter()
                        .map(|e| format!("{at}: {e}")),
                );
            }
        }
    }
    if flux_kustomizations == 0 {
        failures.push(format!(
            "{}: no Flux Kustomization (kustomize.toolkit.fluxcd.io) found: run the compiler to fill it",
            common::show(root)
        ));
    }
    failures
}

#[test]
fn schemas_accept_valid_and_reject_invalid_examples() {
    let mut failures = Vec::new();
    for schema in &SCHEMAS {
        let validator = schema.validator();
        let dir = schema.examples_dir();
        let examples = common::files_under(&dir, |_| true).unwrap_or_else(|e| panic!("{e}"));
        let (mut valid, mut invalid) = (0, 0);
        for path in &examples {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let want_valid = name.starts_with("valid");
            assert!(
                want_valid || name.starts_with("invalid"),
                "{}: name must start with valid or invalid",
                common::show(path)
            );
            *(if want_valid { &mut valid } else { &mut invalid }) += 1;
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("{}: {e}", common::show(path)));
            let docs = documents(&text).unwrap_or_else(|e| panic!("{}: {e}", common::show(path)));
            let [doc] = docs.as_slice() else {
                panic!("{}: expected one document", common::show(path))
            };
            let errors = errors(&validator, doc);
            if want_valid && !errors.is_empty() {
                failures.push(format!(
                    "{}: rejected: {}",
                    common::show(path),
                    errors.join("; ")
                ));
            } else if !want_valid && errors.is_empty() {
                failures.push(format!(
                    "{}: accepted but should be rejected",
                    common::show(path)
                ));
            }
        }
        if valid == 0 || invalid == 0 {
            failures.push(format!(
                "{}: needs valid and invalid examples",
                common::show(&dir)
            ));
        }
    }
    common::assert_no_failures("schema example", &failures);
}

#[test]
fn duplicate_keys_are_rejected() {
    assert!(documents("kind: A\nkind: B\n").is_err());
}

#[test]
fn generated_tree_matches_schemas() {
    common::assert_no_failures("schema", &check_tree(&common::generated_dir()));
}

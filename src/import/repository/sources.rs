//! The hand-written files built objects come from. A file whose every document reaches the
//! cluster as written, but for what the spec does to it too (the namespace the app's
//! `targetNamespace` gives, the `${APP}`, `${CLUSTER}` and app `var`s the spec substitutes), is
//! copied byte for byte (comments, `# renovate:` lines and `yaml-language-server` headers kept) instead of
//! being written as Flux builds it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::build::object::Object;
use crate::import::lift::images::{edit_text, references, split_reference};
use crate::import::source::{SourceRepo, parse_documents};
use crate::layout;

/// Every YAML file of the repository whose documents are all objects, indexed by kind and name
/// (by kind alone for a document whose name is a `${...}`).
pub(super) struct SourceFiles<'r> {
    repo: &'r SourceRepo,
    files: BTreeMap<String, SourceFile<'r>>,
    by_name: BTreeMap<(String, String), Vec<String>>,
    templated_by_kind: BTreeMap<String, Vec<String>>,
}

struct SourceFile<'r> {
    /// The documents as written (before substitution).
    objects: Vec<Object>,
    text: &'r str,
    /// Whether the text holds a `${...}` to substitute before comparing.
    template: bool,
}

/// Where a built object is written unchanged: the file and the index of its document there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Written<'a> {
    pub(super) file: &'a str,
    document: usize,
}

impl<'r> SourceFiles<'r> {
    pub(super) fn index(repo: &'r SourceRepo) -> Self {
        let mut files = BTreeMap::new();
        let mut by_name: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut templated_by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for path in repo.paths().filter(|path| crate::import::is_yaml(path)) {
            let Some(text) = repo.text(path) else {
                continue;
            };
            let Ok(documents) = parse_documents(text) else {
                continue;
            };
            let Ok(objects) = documents
                .into_iter()
                .map(Object::from_value)
                .collect::<Result<Vec<_>, _>>()
            else {
                continue;
            };
            if objects.is_empty() {
                continue;
            }
            for object in &objects {
                if object.id.name.contains("${") {
                    templated_by_kind
                        .entry(object.id.kind.clone())
                        .or_default()
                        .push(path.to_owned());
                } else {
                    by_name
                        .entry((object.id.kind.clone(), object.id.name.clone()))
                        .or_default()
                        .push(path.to_owned());
                }
            }
            let template = text.contains("${");
            files.insert(
                path.to_owned(),
                SourceFile {
                    objects,
                    text,
                    template,
                },
            );
        }
        Self {
            repo,
            files,
            by_name,
            templated_by_kind,
        }
    }

    pub(super) fn repo(&self) -> &'r SourceRepo {
        self.repo
    }

    /// Whether `file` is a YAML file of objects.
    pub(super) fn is_objects_file(&self, file: &str) -> bool {
        self.files.contains_key(file)
    }

    /// The bytes of a file of the repository.
    pub(super) fn bytes(&self, file: &str) -> &'r [u8] {
        self.repo.bytes(file).unwrap_or_default()
    }

    /// The bytes a file is copied with: those of the repository, with the tags of the images
    /// `images` names taken out of their `image:` lines.
    pub(super) fn copied_bytes(&self, file: &str, images: &BTreeSet<String>) -> Vec<u8> {
        match self.files.get(file) {
            Some(source) if !images.is_empty() => edit_text(source.text, images)
                .map_or_else(|| self.bytes(file).to_vec(), String::into_bytes),
            _ => self.bytes(file).to_vec(),
        }
    }

    /// Whether every file using image `name` with a tag can have the tag taken out of its
    /// `image:` lines.
    pub(super) fn editable(&self, name: &str) -> bool {
        let names: BTreeSet<String> = [name.to_owned()].into();
        self.files.values().all(|source| {
            let uses = source.objects.iter().any(|object| {
                references(&object.value).into_iter().any(|reference| {
                    let (image, tag) = split_reference(reference);
                    image == name && !tag.is_empty()
                })
            });
            !uses || edit_text(source.text, &names).is_some()
        })
    }

    /// The document `built` was built from unchanged, if any: the same object once the
    /// `vars` are substituted (strictly: a variable they do not hold is no match) and the tags
    /// of the images `images` names are taken out of the file's `image:` lines, but for the
    /// namespace `namespace` (the app's) that the document leaves out.
    pub(super) fn written(
        &self,
        built: &Object,
        namespace: &str,
        vars: &BTreeMap<String, String>,
        images: &BTreeSet<String>,
    ) -> Option<Written<'_>> {
        let key = (built.id.kind.clone(), built.id.name.clone());
        let named = self.by_name.get(&key).into_iter().flatten();
        let templated = self.templated_by_kind.get(&built.id.kind).into_iter();
        named.chain(templated.flatten()).find_map(|path| {
            let (file, source) = self.files.get_key_value(path)?;
            let edits = images
                .iter()
                .any(|name| source.text.contains(name.as_str()));
            let document = if source.template || edits {
                // The text as the spec copies it, then substituted as Flux does (after
                // kustomize, so an image whose name a variable gives is not one the spec tags).
                let text = if edits {
                    edit_text(source.text, images)?
                } else {
                    source.text.to_owned()
                };
                let objects = if source.template {
                    substituted(&text, vars)?
                } else {
                    objects_of(&text)?
                };
                objects
                    .iter()
                    .position(|source| unchanged(source, built, namespace))?
            } else {
                source
                    .objects
                    .iter()
                    .position(|source| unchanged(source, built, namespace))?
            };
            Some(Written { file, document })
        })
    }

    /// The objects of `file` as Flux applies them once `vars` are substituted (strictly);
    /// None when it is not a file of objects, or a variable is missing.
    pub(super) fn objects(
        &self,
        file: &str,
        vars: &BTreeMap<String, String>,
    ) -> Option<Vec<Object>> {
        let source = self.files.get(file)?;
        if source.template {
            substituted(source.text, vars)
        } else {
            Some(source.objects.clone())
        }
    }

    /// Whether `documents` are every document of `file`.
    pub(super) fn covers(&self, file: &str, documents: &BTreeSet<Written<'_>>) -> bool {
        self.files.get(file).is_some_and(|source| {
            (0..source.objects.len())
                .all(|document| documents.contains(&Written { file, document }))
        })
    }
}

/// The objects of a file's text once `vars` are substituted as Flux substitutes them.
fn substituted(template: &str, vars: &BTreeMap<String, String>) -> Option<Vec<Object>> {
    let text = crate::substitute::envsubst(template, |name| vars.get(name).cloned(), true).ok()?;
    objects_of(&text)
}

fn objects_of(text: &str) -> Option<Vec<Object>> {
    parse_documents(text)
        .ok()?
        .into_iter()
        .map(|document| Object::from_value(document).ok())
        .collect()
}

/// Whether `built` is `source` as written, but for the namespace `namespace` (the app's) that
/// `source` leaves out.
pub(super) fn unchanged(source: &Object, built: &Object, namespace: &str) -> bool {
    if source.id.group != built.id.group {
        return false;
    }
    if source.id.namespace.is_some() || built.id.namespace.as_deref() != Some(namespace) {
        return source.value == built.value;
    }
    let mut value = source.value.clone();
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
    }
    value == built.value
}

/// The name a copied file takes in `dir` of the spec: its own, unless the spec directory has
/// that name already (`taken`) or fluxspec writes a file of that name next to the manifests
/// it copies; then prefixed with the directory it was in, then numbered.
pub(super) fn copy_name(source: &str, taken: &BTreeSet<String>) -> String {
    const WRITTEN: &[&str] = &[
        layout::KUSTOMIZATION_FILE,
        layout::HELM_RELEASE_FILE,
        layout::HELM_REPOSITORY_FILE,
        layout::OCI_REPOSITORY_FILE,
        layout::HELM_RELEASE_VALUES_FILE,
        layout::HELM_RELEASE_VERSION_FILE,
        layout::HELM_RELEASE_SETTINGS_FILE,
        super::manifests::BUILT_FILE,
    ];
    let mut segments = source.rsplit('/');
    let name = segments.next().unwrap_or(source);
    let free = |candidate: &str| !taken.contains(candidate) && !WRITTEN.contains(&candidate);
    if free(name) {
        return name.to_owned();
    }
    let prefixed = match segments.next() {
        Some(parent) => format!("{parent}-{name}"),
        None => format!("copy-{name}"),
    };
    if free(&prefixed) {
        return prefixed;
    }
    // `taken` holds fewer names than this range: one of them is free.
    (2..=taken.len() + 2)
        .map(|counter| format!("{counter}-{prefixed}"))
        .find(|candidate| free(candidate))
        .unwrap_or(prefixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Object {
        Object::parse(text).unwrap().unwrap()
    }

    #[test]
    fn a_document_without_the_namespace_the_app_gives_is_unchanged() {
        let source =
            object("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: y\n");
        let built = object(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\ndata:\n  x: y\n",
        );
        assert!(unchanged(&source, &built, "web"));
        assert!(!unchanged(&source, &built, "other"));
        let patched = object(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\ndata:\n  x: z\n",
        );
        assert!(!unchanged(&source, &patched, "web"));
    }

    #[test]
    fn a_copied_file_avoids_names_fluxspec_writes_and_those_taken() {
        let taken: BTreeSet<String> = ["ingress.yaml".to_owned()].into();
        assert_eq!(
            copy_name("apps/web/app/service.yaml", &taken),
            "service.yaml"
        );
        assert_eq!(
            copy_name("apps/web/app/ingress.yaml", &taken),
            "app-ingress.yaml"
        );
        assert_eq!(
            copy_name("apps/web/app/helmrelease.yaml", &taken),
            "app-helmrelease.yaml"
        );
        let taken: BTreeSet<String> =
            ["app-ingress.yaml".to_owned(), "ingress.yaml".to_owned()].into();
        assert_eq!(
            copy_name("web/app/ingress.yaml", &taken),
            "2-app-ingress.yaml"
        );
    }
}

//! The YAML a spec pulls in, checked as Flux will use it.
//!
//! Every manifest and patch file must parse as YAML (any number of documents, no duplicate key);
//! kustomize rejects it otherwise. Then substitution: kustomize-controller builds an app's
//! overlay, and for each object of the result that carries neither the label nor the annotation
//! `kustomize.toolkit.fluxcd.io/substitute: disabled`, renders it as YAML and substitutes
//! `${VAR}` in strict mode, failing on any variable without a value or a default. [`check`]
//! predicts that from the parts of the build: the documents of the base, overlay and component
//! files and the Helm values, and the patches that may change an object's label or annotation,
//! matched by kind and name. Where a match is uncertain (a target by label selector, a name
//! pattern), it leans towards not reporting: a false error would block a valid spec.
//!
//! Only string content counts, keys and values, as in the YAML kustomize-controller renders:
//! comments are gone by then, so a `${VAR}` in a comment is never substituted.
//!
//! This file reads the YAML (and says where each document starts); [`doc`] is what one document
//! says to substitution, [`identity`] what identifies an object across apps, [`locate`] finds the line of a `${` for messages, and [`build`] is the
//! prediction itself.

mod build;
mod doc;
mod identity;
mod locate;

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value;

pub(super) use build::{Build, Finding, Origin, PatchOrigin, Selector};
pub(super) use doc::Doc;
pub(super) use identity::{AppliedId, ObjectId, ObjectMeta};
use locate::{LineColumn, first_lines, first_malformed};

use super::objects;

/// Deepest YAML nesting read; CRDs with embedded pod templates reach about 60.
const MAX_YAML_DEPTH: usize = 256;

/// How every YAML file the spec names is read: duplicate keys are errors, as in kustomize;
/// `.inf` and `.nan` stay text rather than fail; a number with a leading zero (`0775`) is octal,
/// as kustomize and Helm (go-yaml) read it, so Helm values fluxspec writes out keep their value.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::AsString;
    options.legacy_octal_numbers = true;
    options
}

/// A parser error as one line: `line 3 column 4: unclosed bracket '['`.
pub(super) fn yaml_error(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    // Advice meant for the parser's own callers, not for people writing YAML.
    let mut text = text.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    if text.starts_with("budget breached: Depth")
        && let Some(at) = text.find(" at line")
    {
        text.replace_range(..at, &format!("nested deeper than {MAX_YAML_DEPTH} levels"));
    }
    text.lines().next().unwrap_or_default().to_owned()
}

/// A YAML document, with the line and column where it starts.
struct LocatedDocument {
    value: Value,
    line: u64,
    column: u64,
}

/// Parses YAML documents, each with the line and column where it starts.
fn parse_located_documents(text: &str) -> Result<Vec<LocatedDocument>, String> {
    serde_saphyr::from_multiple_with_options::<serde_saphyr::Spanned<Value>>(text, yaml_options())
        .map(|documents| {
            documents
                .into_iter()
                .map(|document| {
                    let at = document.referenced;
                    LocatedDocument {
                        value: document.value,
                        line: at.line(),
                        column: at.column(),
                    }
                })
                .collect()
        })
        .map_err(|error| yaml_error(&error))
}

/// Parses YAML documents (a single one for a values file).
pub(super) fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple_with_options::<Value>(text, yaml_options())
        .map_err(|error| yaml_error(&error))
}

/// A document of a resource file that is not an object Flux can apply: where it starts
/// (`path:line:column`) and why.
#[derive(Debug)]
pub(super) struct NotAnObject {
    pub(super) location: String,
    pub(super) reason: String,
}

/// One YAML file the spec names, parsed.
#[derive(Debug)]
pub(super) struct Manifest {
    /// The path, relative to the spec directory, for messages.
    pub(super) path: String,
    pub(super) docs: Vec<Doc>,
    /// The line on which each `${NAME` first appears, for messages.
    lines: BTreeMap<String, usize>,
    /// Line and column of the first `${` expression that does not parse, for messages.
    malformed_at: Option<LineColumn>,
    /// Documents that are not objects Flux can apply: an error when the file is a resource,
    /// not a patch.
    pub(super) not_objects: Vec<NotAnObject>,
    /// The objects of the file as a resource: their identities and labels, shared with the
    /// check of what each cluster applies, which keeps them once however many clusters apply
    /// the file.
    pub(super) objects: Rc<[ObjectMeta]>,
    /// A SOPS-encrypted file: copied as it is, its documents not read.
    pub(super) encrypted: bool,
}

impl Manifest {
    /// Parses a manifest or patch file: its documents, each `kind: …List` expanded into its
    /// items as kustomize does.
    pub(super) fn parse(path: String, bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|error| {
            format!(
                "it is not UTF-8 (invalid byte at offset {})",
                error.valid_up_to()
            )
        })?;
        let mut docs = Vec::new();
        let mut not_objects = Vec::new();
        let mut identified = Vec::new();
        for LocatedDocument {
            value,
            line,
            column,
        } in parse_located_documents(text)?
        {
            let is_list = value
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.ends_with("List"));
            let location = format!("{path}:{line}:{column}");
            match value.get("items") {
                Some(Value::Array(items)) if is_list => {
                    for (index, item) in items.iter().enumerate() {
                        if let Some(problem) = objects::problem(item) {
                            let item = index + 1;
                            not_objects.push(NotAnObject {
                                location: location.clone(),
                                reason: format!("item {item}: {problem}"),
                            });
                        }
                    }
                    docs.extend(items.iter().map(Doc::new));
                    identified.extend(
                        items
                            .iter()
                            .filter_map(|item| ObjectMeta::of(item, &location)),
                    );
                }
                _ if value.is_null() => {} // an empty document
                _ => {
                    identified.extend(ObjectMeta::of(&value, &location));
                    if let Some(problem) = objects::problem(&value) {
                        not_objects.push(NotAnObject {
                            location,
                            reason: problem,
                        });
                    }
                    docs.push(Doc::new(&value));
                }
            }
        }
        Ok(Manifest {
            path,
            docs,
            lines: first_lines(text),
            malformed_at: first_malformed(text),
            not_objects,
            objects: identified.into(),
            encrypted: false,
        })
    }

    /// A SOPS-encrypted file: nothing in it is substituted before kustomize-controller decrypts
    /// it, so it has no documents to check.
    pub(super) fn encrypted(path: String) -> Self {
        Manifest {
            path,
            docs: Vec::new(),
            lines: BTreeMap::new(),
            malformed_at: None,
            not_objects: Vec::new(),
            // Not read, so not part of the applied-twice check either.
            objects: Rc::from([]),
            encrypted: true,
        }
    }

    /// A stand-in for content fluxspec generates from a file (Helm values), with its text.
    pub(super) fn generated(path: String, doc: Doc, text: &str) -> Self {
        Manifest {
            path,
            docs: vec![doc],
            lines: first_lines(text),
            malformed_at: first_malformed(text),
            not_objects: Vec::new(),
            objects: Rc::from([]),
            encrypted: false,
        }
    }

    /// `path:line` where `${name` first appears, or the path alone.
    fn location(&self, name: &str) -> String {
        match self.lines.get(name) {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }

    /// `path:line:column` of the first malformed `${`, or the path alone.
    fn malformed_location(&self) -> String {
        match self.malformed_at {
            Some(LineColumn { line, column }) => format!("{}:{line}:{column}", self.path),
            None => self.path.clone(),
        }
    }

    /// The names referenced by documents that do not turn substitution off themselves.
    pub(super) fn used_names(&self) -> impl Iterator<Item = &str> {
        self.docs
            .iter()
            .filter(|doc| !doc.label.disables() && !doc.annotation.disables())
            .filter_map(|doc| doc.refs.as_ref().ok())
            .flatten()
            .map(|var| var.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Manifest;

    #[test]
    fn yaml_errors_name_line_and_column() {
        for (yaml, expected) in [
            (
                "a: 1\na: 2\n",
                "duplicate mapping key: a at line 2, column 1",
            ),
            ("a: [1\n", "unclosed bracket '[' at line 1, column 4"),
            (
                "a:\n  b: 1\n  b: 2\n",
                "duplicate mapping key: b at line 3, column 3",
            ),
        ] {
            let error = Manifest::parse("x.yaml".to_owned(), yaml.as_bytes()).map(|_| ());
            assert_eq!(error, Err(expected.to_owned()), "{yaml}");
        }
        assert!(Manifest::parse("x".to_owned(), b"a: \xff\n").is_err());
        assert!(Manifest::parse("x".to_owned(), b"c: .inf\n---\n---\n").is_ok());
        // As `compile` does: parsing 256 levels deep takes more than a test thread's stack.
        let deep = std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn(|| {
                let block: String = (0..300).map(|i| " ".repeat(i) + "a:\n").collect();
                let flow = format!("{}1{}", "[".repeat(300), "]".repeat(300));
                [block, flow]
                    .map(|text| Manifest::parse("x".to_owned(), text.as_bytes()).map(|_| ()))
            })
            .map(std::thread::JoinHandle::join);
        let Ok(Ok([block, flow])) = deep else {
            panic!("the parser thread failed");
        };
        assert_eq!(
            block,
            Err("nested deeper than 256 levels at line 257, column 257".to_owned())
        );
        assert_eq!(
            flow,
            Err("recursion limit exceeded at line 1, column 256".to_owned())
        );
    }
}

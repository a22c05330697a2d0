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

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;
use serde_json::Value;

use super::objects;
use crate::substitute::{SUBSTITUTE_KEY, SubstituteError, VarRef, references};

/// Deepest YAML nesting read; CRDs with embedded pod templates reach about 60.
const MAX_YAML_DEPTH: usize = 256;

/// How every YAML file the spec names is read: duplicate keys are errors, as in kustomize;
/// `.inf` and `.nan` stay text rather than fail.
pub(super) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::AsString;
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

/// Parses YAML documents, each with the line and column where it starts.
fn parse_located_documents(text: &str) -> Result<Vec<(Value, u64, u64)>, String> {
    serde_saphyr::from_multiple_with_options::<serde_saphyr::Spanned<Value>>(text, yaml_options())
        .map(|documents| {
            documents
                .into_iter()
                .map(|document| {
                    let at = document.referenced;
                    (document.value, at.line(), at.column())
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

/// A value the label or annotation `kustomize.toolkit.fluxcd.io/substitute` can have in a
/// document: not mentioned, removed (a `null` or a JSON 6902 `remove`), or set.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mark {
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

    fn disables(&self) -> bool {
        *self == Mark::Set("disabled".to_owned())
    }

    /// The state after a patch with this mark.
    fn apply(&self, state: &mut Option<String>) {
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
pub(super) struct Doc {
    kind: Option<String>,
    name: Option<String>,
    label: Mark,
    annotation: Mark,
    refs: Result<Vec<VarRef>, SubstituteError>,
}

impl Doc {
    /// A Kubernetes object, a strategic-merge patch, or (a list) JSON 6902 operations.
    fn new(value: &Value) -> Self {
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
    pub(super) fn generated(kind: &str, name: &str, content: Option<&Value>) -> Self {
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

/// One YAML file the spec names, parsed.
#[derive(Debug)]
pub(super) struct Manifest {
    /// The path, relative to the spec directory, for messages.
    pub(super) path: String,
    pub(super) docs: Vec<Doc>,
    /// The line on which each `${NAME` first appears, for messages.
    lines: BTreeMap<String, usize>,
    /// Line and column of the first `${` expression that does not parse, for messages.
    malformed_at: Option<(usize, usize)>,
    /// Documents that are not objects Flux can apply, with where they start (`path:line:column`)
    /// and why: an error when the file is a resource, not a patch.
    pub(super) not_objects: Vec<(String, String)>,
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
        for (value, line, column) in parse_located_documents(text)? {
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
                            not_objects.push((location.clone(), format!("item {item}: {problem}")));
                        }
                    }
                    docs.extend(items.iter().map(Doc::new));
                }
                _ if value.is_null() => {} // an empty document
                _ => {
                    if let Some(problem) = objects::problem(&value) {
                        not_objects.push((location, problem));
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
        })
    }

    /// A stand-in for content fluxspec generates from a file (Helm values), with its text.
    pub(super) fn generated(path: String, doc: Doc, text: &str) -> Self {
        Manifest {
            path,
            docs: vec![doc],
            lines: first_lines(text),
            malformed_at: first_malformed(text),
            not_objects: Vec::new(),
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
            Some((line, column)) => format!("{}:{line}:{column}", self.path),
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

/// The first line of each `${NAME` in the text, skipping `$${` escapes.
fn first_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let mut dollars = 0;
        for (at, c) in line.char_indices() {
            if c == '$' {
                dollars += 1;
                continue;
            }
            // `$$` is a literal `$`: an odd run of `$` ends with a real one.
            if c == '{' && dollars % 2 == 1 {
                let rest = line.get(at + 1..).unwrap_or_default();
                let rest = rest.strip_prefix(['#', '!']).unwrap_or(rest);
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let name = rest.get(..end).unwrap_or_default();
                if !name.is_empty() {
                    lines.entry(name.to_owned()).or_insert(number + 1);
                }
            }
            dollars = 0;
        }
    }
    lines
}

/// The line and column (both from 1, the column in characters) of the first `${` that starts
/// an expression `references` cannot parse, looking one line at a time and skipping comments.
/// `None` when the bad expression spans lines.
fn first_malformed(text: &str) -> Option<(usize, usize)> {
    for (number, line) in text.lines().enumerate() {
        // A `#` at the start or after a space starts a YAML comment, never substituted (a `#`
        // inside a quoted string is rare enough to misplace the column, not the line).
        let code = match line.find(" #") {
            Some(at) => line.get(..at).unwrap_or(line),
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        if references(code).is_ok() {
            continue;
        }
        // The starts of `${` that are not `$${` escapes; the bad one is the last whose text up
        // to the next start still parses without it.
        let mut starts = Vec::new();
        let mut dollars = 0;
        for (at, c) in code.char_indices() {
            if c == '{' && dollars % 2 == 1 {
                starts.push(at - 1);
            }
            dollars = if c == '$' { dollars + 1 } else { 0 };
        }
        for (index, &start) in starts.iter().enumerate() {
            let end = starts.get(index + 1).copied().unwrap_or(code.len());
            if references(code.get(..end).unwrap_or(code)).is_err() {
                let column = code.get(..start).unwrap_or_default().chars().count() + 1;
                return Some((number + 1, column));
            }
        }
        return Some((number + 1, 1));
    }
    None
}

/// Which objects a patch applies to: kustomize's target (kind and name are anchored regular
/// expressions), or the patch's own kind and name.
#[derive(Debug, Default)]
pub(super) struct Selector {
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    /// Other criteria (group, version, label or annotation selector) narrow the match further.
    pub(super) narrowed: bool,
}

/// A literal name, not a pattern, so matching it is certain.
fn is_plain(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Selector {
    /// The selector of a patch without a target: its own kind and name.
    fn of(doc: &Doc) -> Self {
        Selector {
            kind: doc.kind.clone(),
            name: doc.name.clone(),
            narrowed: false,
        }
    }

    /// A missing field matches anything; so may a pattern.
    fn field_may_match(pattern: Option<&String>, value: Option<&String>) -> bool {
        pattern.is_none_or(|pattern| !is_plain(pattern) || value == Some(pattern))
    }

    fn may_match(&self, doc: &Doc) -> bool {
        (self.kind.is_some() || self.name.is_some())
            && Self::field_may_match(self.kind.as_ref(), doc.kind.as_ref())
            && Self::field_may_match(self.name.as_ref(), doc.name.as_ref())
    }

    fn surely_matches(&self, doc: &Doc) -> bool {
        let plain = |field: Option<&String>| field.is_none_or(|text| is_plain(text));
        !self.narrowed
            && plain(self.kind.as_ref())
            && plain(self.name.as_ref())
            && self.may_match(doc)
    }
}

/// Where a document comes from: the spec node that pulls its file in, and the file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'a> {
    pub(super) span: SourceSpan,
    pub(super) manifest: &'a Manifest,
}

/// Everything kustomize-controller builds for one app on one cluster.
#[derive(Debug, Default)]
pub(super) struct Build<'a> {
    pub(super) resources: Vec<Origin<'a>>,
    /// Patch files, each with its target from the spec, if any.
    pub(super) patches: Vec<(Origin<'a>, Option<Selector>)>,
    /// `commonMetadata` (the `label` knob) sets the disabling label on every object.
    pub(super) all_disabled: bool,
}

/// A substitution Flux would fail on.
#[derive(Debug)]
pub(super) enum Finding {
    /// `${name}` has no value and no default.
    Undefined {
        span: SourceSpan,
        /// `path:line` of its first use.
        location: String,
        name: String,
    },
    /// A `${…}` expression does not parse.
    Malformed {
        span: SourceSpan,
        path: String,
        error: String,
    },
}

impl<'a> Build<'a> {
    /// Checks every substituted document against the defined variables; returns what would
    /// fail, and the names substituted documents use.
    pub(super) fn check(&self, defined: &dyn Fn(&str) -> bool) -> (Vec<Finding>, BTreeSet<String>) {
        let mut findings = Vec::new();
        let mut used = BTreeSet::new();
        if self.all_disabled {
            return (findings, used);
        }
        let mut check_doc = |origin: &Origin<'a>, doc: &Doc| match &doc.refs {
            Ok(refs) => {
                for var in refs {
                    used.insert(var.name.clone());
                    if !var.has_default && !defined(&var.name) {
                        findings.push(Finding::Undefined {
                            span: origin.span,
                            location: origin.manifest.location(&var.name),
                            name: var.name.clone(),
                        });
                    }
                }
            }
            Err(error) => findings.push(Finding::Malformed {
                span: origin.span,
                path: origin.manifest.malformed_location(),
                error: error.to_string(),
            }),
        };

        let resources: Vec<(&Origin<'a>, &'a Doc)> = self
            .resources
            .iter()
            .flat_map(|origin| origin.manifest.docs.iter().map(move |doc| (origin, doc)))
            .collect();
        let patches: Vec<(&Origin<'a>, &'a Doc, Selector)> = self
            .patches
            .iter()
            .flat_map(|(origin, target)| {
                origin.manifest.docs.iter().map(move |doc| {
                    let selector = match target {
                        Some(target) => Selector {
                            kind: target.kind.clone(),
                            name: target.name.clone(),
                            narrowed: target.narrowed,
                        },
                        None => Selector::of(doc),
                    };
                    (origin, doc, selector)
                })
            })
            .collect();

        // Whether each resource is substituted after the patches: only a patch surely applied
        // can turn substitution back on; one that may apply is enough to turn it off.
        let disabled: Vec<bool> = resources
            .iter()
            .map(|(_, doc)| {
                let own = |mark: &Mark| match mark {
                    Mark::Set(value) => Some(value.clone()),
                    Mark::Untouched | Mark::Removed => None,
                };
                let mut label = own(&doc.label);
                let mut annotation = own(&doc.annotation);
                let mut maybe_disabled = false;
                for (_, patch, selector) in &patches {
                    if selector.surely_matches(doc) {
                        patch.label.apply(&mut label);
                        patch.annotation.apply(&mut annotation);
                    } else if selector.may_match(doc)
                        && (patch.label.disables() || patch.annotation.disables())
                    {
                        maybe_disabled = true;
                    }
                }
                let disabled = |state: &Option<String>| state.as_deref() == Some("disabled");
                maybe_disabled || disabled(&label) || disabled(&annotation)
            })
            .collect();

        for ((origin, doc), disabled) in resources.iter().zip(&disabled) {
            if !disabled {
                check_doc(origin, doc);
            }
        }
        // A patch's strings end up in the objects it patches: checked unless each of them is
        // left unsubstituted.
        for (origin, doc, selector) in &patches {
            if doc.label.disables() || doc.annotation.disables() {
                continue;
            }
            let mut targets = resources
                .iter()
                .zip(&disabled)
                .filter(|((_, resource), _)| selector.may_match(resource))
                .peekable();
            let any = targets.peek().is_some();
            if !any || targets.any(|(_, disabled)| !disabled) {
                check_doc(origin, doc);
            }
        }
        (findings, used)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Build, Doc, Finding, Manifest, Origin, Selector, first_lines, first_malformed};

    fn manifest(path: &str, yaml: &str) -> Manifest {
        Manifest::parse(path.to_owned(), yaml.as_bytes()).unwrap_or_else(|error| panic!("{error}"))
    }

    fn undefined(build: &Build<'_>, defined: &[&str]) -> Vec<String> {
        let defined: BTreeSet<&str> = defined.iter().copied().collect();
        build
            .check(&|name| defined.contains(name))
            .0
            .iter()
            .map(|finding| match finding {
                Finding::Undefined { location, name, .. } => format!("{location} {name}"),
                Finding::Malformed { path, error, .. } => format!("{path} {error}"),
            })
            .collect()
    }

    fn origin(manifest: &Manifest) -> Origin<'_> {
        Origin {
            span: (0..1).into(),
            manifest,
        }
    }

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

    #[test]
    fn strict_substitution_needs_a_value_or_a_default() {
        let file = manifest(
            "deploy.yaml",
            "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: ${A}\n  b: ${B:=x}\n  c: $${C}\n  \"${D}\": ${E:=${F}}\n# ${G}\n",
        );
        let build = Build {
            resources: vec![origin(&file)],
            ..Build::default()
        };
        assert_eq!(
            undefined(&build, &[]),
            ["deploy.yaml:5 A", "deploy.yaml:8 D", "deploy.yaml:8 F"]
        );
        assert_eq!(undefined(&build, &["A", "D", "F"]), Vec::<String>::new());
        let used = build.check(&|_| true).1;
        let expected = ["A", "B", "D", "E", "F"].map(str::to_owned);
        assert_eq!(used, BTreeSet::from(expected));
    }

    #[test]
    fn the_disabled_label_or_annotation_skips_an_object() {
        let file = manifest(
            "all.yaml",
            "kind: A\nmetadata:\n  name: a\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: ${A}\n---\nkind: B\nmetadata:\n  name: b\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: ${B}\n---\nkind: C\nmetadata:\n  name: c\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: enabled\nx: ${C}\n",
        );
        let build = Build {
            resources: vec![origin(&file)],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), ["all.yaml:20 C"]);
    }

    #[test]
    fn patches_follow_the_objects_they_patch() {
        let base = manifest(
            "base.yaml",
            "kind: Deployment\nmetadata:\n  name: web\nx: ${A}\n---\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: ${B}\n",
        );
        // Turns substitution off for the Deployment; its own `${P}` then goes unsubstituted too.
        let disable = manifest(
            "disable.yaml",
            "kind: Deployment\nmetadata:\n  name: web\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ny: ${P}\n",
        );
        let build = Build {
            resources: vec![origin(&base)],
            patches: vec![(origin(&disable), None)],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), Vec::<String>::new());

        // A patch of the disabled Service is not substituted; one of the Deployment is.
        let service = manifest(
            "svc.yaml",
            "kind: Service\nmetadata:\n  name: web\ny: ${S}\n",
        );
        let ops = manifest("ops.yaml", "- op: add\n  path: /spec/x\n  value: ${O}\n");
        let build = Build {
            resources: vec![origin(&base)],
            patches: vec![
                (origin(&service), None),
                (
                    origin(&ops),
                    Some(Selector {
                        kind: Some("Deployment".to_owned()),
                        name: None,
                        narrowed: false,
                    }),
                ),
            ],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), ["base.yaml:4 A", "ops.yaml:3 O"]);

        // A JSON 6902 patch that removes the annotation turns substitution back on.
        let enable = manifest(
            "enable.yaml",
            "- op: remove\n  path: /metadata/annotations/kustomize.toolkit.fluxcd.io~1substitute\n",
        );
        let build = Build {
            resources: vec![origin(&base)],
            patches: vec![(
                origin(&enable),
                Some(Selector {
                    kind: Some("Service".to_owned()),
                    name: Some("web".to_owned()),
                    narrowed: false,
                }),
            )],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), ["base.yaml:4 A", "base.yaml:11 B"]);
    }

    #[test]
    fn malformed_expressions_and_lists() {
        let file = manifest(
            "list.yaml",
            "kind: ConfigMapList\nitems:\n- kind: ConfigMap\n  metadata: {name: a}\n  data: {x: \"${A\"}\n",
        );
        let build = Build {
            resources: vec![origin(&file)],
            ..Build::default()
        };
        assert_eq!(
            undefined(&build, &[]),
            ["list.yaml:5:14 missing closing brace"]
        );
        let generated = Manifest::generated(
            "values.yaml".to_owned(),
            Doc::generated(
                "HelmRelease",
                "a",
                Some(&serde_json::json!({"a": ["${V}"]})),
            ),
            "a:\n  - ${V}\n",
        );
        let build = Build {
            resources: vec![origin(&generated)],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), ["values.yaml:2 V"]);
    }

    #[test]
    fn sops_encrypted_files_are_yaml_without_references() {
        let file = manifest(
            "secret.sops.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\ntype: Opaque\nstringData:\n    password: ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]\nsops:\n    age:\n        - recipient: age1xyz\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:abc=,type:str]\n    version: 3.9.0\n",
        );
        let build = Build {
            resources: vec![origin(&file)],
            ..Build::default()
        };
        assert_eq!(undefined(&build, &[]), Vec::<String>::new());
    }

    #[test]
    fn malformed_expressions_are_located() {
        assert_eq!(first_malformed("a: ${X}\nb: c\n"), None);
        assert_eq!(first_malformed("a: 1\nb: ok ${X} ${Y\n"), Some((2, 12)));
        assert_eq!(
            first_malformed("# ${\na: $${\nb: ${A:=${B}\n"),
            Some((3, 4))
        );
        assert_eq!(first_malformed("a: ${\n  X}\n"), Some((1, 4)));
        assert_eq!(first_malformed("é: ${}\n"), Some((1, 4)));
    }

    #[test]
    fn lines_skip_escapes() {
        let lines = first_lines("a: $${X}\nb: ${X}\nc: $$${Y:=1}\nd: ${#Z}\n");
        assert_eq!(lines.get("X"), Some(&2));
        assert_eq!(lines.get("Y"), Some(&3));
        assert_eq!(lines.get("Z"), Some(&4));
    }
}

//! The prediction: which documents of an app's build on one cluster Flux substitutes (after the
//! patches that may set or remove the label or annotation), and what in them would fail.

use std::collections::BTreeSet;

use miette::SourceSpan;

use super::Manifest;
use super::doc::{Doc, Mark};

/// Which objects a patch applies to: kustomize's target (kind and name are anchored regular
/// expressions), or the patch's own kind and name.
#[derive(Debug, Default)]
pub(in crate::resolve) struct Selector {
    pub(in crate::resolve) kind: Option<String>,
    pub(in crate::resolve) name: Option<String>,
    /// Other criteria (group, version, label or annotation selector) narrow the match further.
    pub(in crate::resolve) narrowed: bool,
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
pub(in crate::resolve) struct Origin<'a> {
    pub(in crate::resolve) span: SourceSpan,
    pub(in crate::resolve) manifest: &'a Manifest,
}

/// A patch file, with the target the spec gives it, if any.
#[derive(Debug)]
pub(in crate::resolve) struct PatchOrigin<'a> {
    pub(in crate::resolve) origin: Origin<'a>,
    pub(in crate::resolve) selector: Option<Selector>,
}

/// Everything kustomize-controller builds for one app on one cluster.
#[derive(Debug, Default)]
pub(in crate::resolve) struct Build<'a> {
    pub(in crate::resolve) resources: Vec<Origin<'a>>,
    pub(in crate::resolve) patches: Vec<PatchOrigin<'a>>,
    /// `commonMetadata` (the `label` knob) sets the disabling label on every object.
    pub(in crate::resolve) all_disabled: bool,
}

/// A substitution Flux would fail on.
#[derive(Debug)]
pub(in crate::resolve) enum Finding {
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

/// What [`Build::check`] found: what would fail, and the names substituted documents use.
#[derive(Debug, Default)]
pub(in crate::resolve) struct Checked {
    pub(in crate::resolve) findings: Vec<Finding>,
    pub(in crate::resolve) used: BTreeSet<String>,
}

impl Checked {
    /// Checks one substituted document against the defined variables.
    fn doc(&mut self, origin: &Origin<'_>, doc: &Doc, defined: &dyn Fn(&str) -> bool) {
        match &doc.refs {
            Ok(refs) => {
                for var in refs {
                    self.used.insert(var.name.clone());
                    if !var.has_default && !defined(&var.name) {
                        self.findings.push(Finding::Undefined {
                            span: origin.span,
                            location: origin.manifest.location(&var.name),
                            name: var.name.clone(),
                        });
                    }
                }
            }
            Err(error) => self.findings.push(Finding::Malformed {
                span: origin.span,
                path: origin.manifest.malformed_location(),
                error: error.to_string(),
            }),
        }
    }
}

/// A document of a resource file, with its origin.
struct Resource<'o, 'a> {
    origin: &'o Origin<'a>,
    doc: &'a Doc,
}

/// A document of a patch file, with its origin and the objects it applies to.
struct Patch<'o, 'a> {
    origin: &'o Origin<'a>,
    doc: &'a Doc,
    selector: Selector,
}

impl<'a> Build<'a> {
    /// Checks every substituted document against the defined variables.
    pub(in crate::resolve) fn check(&self, defined: &dyn Fn(&str) -> bool) -> Checked {
        let mut checked = Checked::default();
        if self.all_disabled {
            return checked;
        }
        let resources: Vec<Resource<'_, 'a>> = self
            .resources
            .iter()
            .flat_map(|origin| {
                origin
                    .manifest
                    .docs
                    .iter()
                    .map(move |doc| Resource { origin, doc })
            })
            .collect();
        let patches = self.patch_documents();
        let disabled: Vec<bool> = resources
            .iter()
            .map(|resource| disabled_after(resource.doc, &patches))
            .collect();

        for (resource, disabled) in resources.iter().zip(&disabled) {
            if !disabled {
                checked.doc(resource.origin, resource.doc, defined);
            }
        }
        // A patch's strings end up in the objects it patches: checked unless each of them is
        // left unsubstituted.
        for patch in &patches {
            if patch.doc.label.disables() || patch.doc.annotation.disables() {
                continue;
            }
            let mut targets = resources
                .iter()
                .zip(&disabled)
                .filter(|(resource, _)| patch.selector.may_match(resource.doc))
                .peekable();
            let any = targets.peek().is_some();
            if !any || targets.any(|(_, disabled)| !disabled) {
                checked.doc(patch.origin, patch.doc, defined);
            }
        }
        checked
    }

    /// Every document of the patch files, each with the objects it applies to.
    fn patch_documents(&self) -> Vec<Patch<'_, 'a>> {
        self.patches
            .iter()
            .flat_map(|patch| {
                let origin = &patch.origin;
                origin.manifest.docs.iter().map(move |doc| {
                    let selector = match &patch.selector {
                        Some(target) => Selector {
                            kind: target.kind.clone(),
                            name: target.name.clone(),
                            narrowed: target.narrowed,
                        },
                        None => Selector::of(doc),
                    };
                    Patch {
                        origin,
                        doc,
                        selector,
                    }
                })
            })
            .collect()
    }
}

/// Whether a resource is left unsubstituted after the patches: only a patch surely applied can
/// turn substitution back on; one that may apply is enough to turn it off.
fn disabled_after(doc: &Doc, patches: &[Patch<'_, '_>]) -> bool {
    let own = |mark: &Mark| match mark {
        Mark::Set(value) => Some(value.clone()),
        Mark::Untouched | Mark::Removed => None,
    };
    let mut label = own(&doc.label);
    let mut annotation = own(&doc.annotation);
    let mut maybe_disabled = false;
    for patch in patches {
        if patch.selector.surely_matches(doc) {
            patch.doc.label.apply(&mut label);
            patch.doc.annotation.apply(&mut annotation);
        } else if patch.selector.may_match(doc)
            && (patch.doc.label.disables() || patch.doc.annotation.disables())
        {
            maybe_disabled = true;
        }
    }
    let disabled = |state: &Option<String>| state.as_deref() == Some("disabled");
    maybe_disabled || disabled(&label) || disabled(&annotation)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Build, Finding, Origin, PatchOrigin, Selector};
    use crate::resolve::manifests::{Doc, Manifest};

    fn manifest(path: &str, yaml: &str) -> Manifest {
        Manifest::parse(path.to_owned(), yaml.as_bytes()).unwrap_or_else(|error| panic!("{error}"))
    }

    fn undefined(build: &Build<'_>, defined: &[&str]) -> Vec<String> {
        let defined: BTreeSet<&str> = defined.iter().copied().collect();
        build
            .check(&|name| defined.contains(name))
            .findings
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
        let used = build.check(&|_| true).used;
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
            patches: vec![PatchOrigin {
                origin: origin(&disable),
                selector: None,
            }],
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
                PatchOrigin {
                    origin: origin(&service),
                    selector: None,
                },
                PatchOrigin {
                    origin: origin(&ops),
                    selector: Some(Selector {
                        kind: Some("Deployment".to_owned()),
                        name: None,
                        narrowed: false,
                    }),
                },
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
            patches: vec![PatchOrigin {
                origin: origin(&enable),
                selector: Some(Selector {
                    kind: Some("Service".to_owned()),
                    name: Some("web".to_owned()),
                    narrowed: false,
                }),
            }],
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
}

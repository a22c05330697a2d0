//! What Flux's strict substitution would fail on, per app and cluster: the `${...}` in the app's
//! `var` values (resolved against the cluster's variables, see [`super::vars`]) and in the
//! objects kustomize-controller builds (predicted by [`super::manifests`]). A problem found on
//! several clusters is filed away ([`Filed`]) and reported once, naming every cluster.

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;

use crate::model::{Deployment, Target};
use crate::parse::syntax;
use crate::substitute::SUBSTITUTE_KEY;
use crate::suggest::did_you_mean;
use crate::text::{and_list, plural};

use super::deployment::Overlay;
use super::manifests::{Build, Finding, Origin, PatchOrigin, Selector};
use super::reading::ParsedFile;
use super::{Error, Resolver, vars};

/// Where a problem is in the spec text: the key that reports it once per place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    offset: usize,
    len: usize,
}

impl Place {
    fn of(span: SourceSpan) -> Self {
        Place {
            offset: span.offset(),
            len: span.len(),
        }
    }

    fn span(self) -> SourceSpan {
        SourceSpan::from((self.offset, self.len))
    }
}

/// An undefined variable in a file an app uses: the spec node, the file and line, the variable.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct UndefinedUse {
    place: Place,
    location: String,
    var: String,
}

/// The app using an undefined variable, the clusters where it is undefined, and the variables
/// defined there.
#[derive(Debug)]
struct UndefinedOn {
    app: String,
    clusters: Vec<String>,
    defined: Vec<String>,
}

/// A `${…}` expression in a file that does not parse: where, the file's location, why.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct MalformedUse {
    place: Place,
    path: String,
    reason: String,
}

/// A reference in an app-level `var` value: the value, the name referenced.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ValueReference {
    place: Place,
    name: String,
}

/// Where an app-level reference is undefined: the clusters, whether the app itself sets the
/// name, and the names the value could use.
#[derive(Debug)]
struct UnresolvedOn {
    clusters: Vec<String>,
    set_by_app: bool,
    known: BTreeSet<String>,
}

/// A malformed `${…}` in an app-level value: where, why.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct MalformedValue {
    place: Place,
    reason: String,
}

/// Substitution problems found so far, each once per place.
#[derive(Debug, Default)]
pub(super) struct Filed {
    undefined: BTreeMap<UndefinedUse, UndefinedOn>,
    malformed: BTreeSet<MalformedUse>,
    undefined_refs: BTreeMap<ValueReference, UnresolvedOn>,
    malformed_values: BTreeSet<MalformedValue>,
}

/// The parsed files an app's build on one cluster is made of, but its components'.
pub(super) struct BuildParts<'a> {
    pub(super) base: &'a [ParsedFile],
    pub(super) overlay: &'a Overlay,
    /// The cluster's values, patched into the HelmRelease.
    pub(super) values_patch: Option<&'a ParsedFile>,
}

/// "cluster `dev`" or "clusters `dev` and `prod`", each cluster once.
fn clusters_text(clusters: &[String]) -> String {
    let unique: BTreeSet<&str> = clusters.iter().map(String::as_str).collect();
    format!(
        "{} {}",
        plural(unique.len(), "cluster"),
        and_list(clusters.iter().map(String::as_str))
    )
}

fn selector(target: &Target) -> Selector {
    Selector {
        kind: target.kind.clone(),
        name: target.name.clone(),
        narrowed: target.group.is_some()
            || target.version.is_some()
            || target.label_selector.is_some()
            || target.annotation_selector.is_some(),
    }
}

impl Resolver {
    /// Resolves the references in an app's values on one cluster (see [`vars`]); failures are
    /// filed away to be reported once per value with every cluster they fail on.
    pub(super) fn resolve_app_values(
        &mut self,
        cluster: &str,
        substitute: &mut BTreeMap<String, String>,
        spans: &BTreeMap<String, SourceSpan>,
        cluster_vars: Option<&BTreeMap<String, String>>,
    ) {
        let app = substitute.get("APP").cloned();
        let known = |name: &str| {
            if name == "APP" {
                app.clone()
            } else {
                cluster_vars.and_then(|vars| vars.get(name).cloned())
            }
        };
        let set_by_app: BTreeSet<String> = substitute.keys().cloned().collect();
        let mut used = BTreeSet::new();
        for (name, value) in substitute.iter_mut() {
            // `APP` is the app's name, not a value the spec writes.
            let Some(span) = spans.get(name) else {
                continue;
            };
            match vars::resolve_value(value, &known, &mut used) {
                Ok(Some(text)) => *value = text,
                Ok(None) => {}
                Err(vars::Problem::Malformed(reason)) => {
                    self.filed.malformed_values.insert(MalformedValue {
                        place: Place::of(*span),
                        reason,
                    });
                }
                Err(vars::Problem::Undefined(names)) => {
                    for missing in names {
                        let set_by_app = set_by_app.contains(&missing) && missing != "APP";
                        let entry = self
                            .filed
                            .undefined_refs
                            .entry(ValueReference {
                                place: Place::of(*span),
                                name: missing,
                            })
                            .or_insert_with(|| UnresolvedOn {
                                clusters: Vec::new(),
                                set_by_app,
                                known: BTreeSet::new(),
                            });
                        entry.clusters.push(cluster.to_owned());
                        entry
                            .known
                            .extend(cluster_vars.into_iter().flat_map(BTreeMap::keys).cloned());
                        entry.known.insert("APP".to_owned());
                    }
                }
            }
        }
        self.used_by_cluster
            .entry(cluster.to_owned())
            .or_default()
            .extend(used);
    }

    /// Checks what kustomize-controller builds for the app on the deployment's cluster, whose
    /// variables are `cluster_vars`: files away what would fail, notes the variables used.
    pub(super) fn check_substitution(
        &mut self,
        app: &syntax::App,
        parts: &BuildParts<'_>,
        deployment: &Deployment,
        cluster_vars: Option<&BTreeMap<String, String>>,
    ) {
        let mut build = Build::default();
        build.resources.extend(
            parts
                .base
                .iter()
                .chain(&parts.overlay.resources)
                .map(ParsedFile::origin),
        );
        for used in &app.components {
            // The component, and the components it uses, each once.
            let mut names = vec![used.name.value.as_str()];
            let mut next = 0;
            while let Some(name) = names.get(next) {
                next += 1;
                let Some(files) = self.components.get(*name) else {
                    continue;
                };
                let origin = |manifest| Origin {
                    span: used.name.span,
                    manifest,
                };
                build
                    .resources
                    .extend(files.manifests.iter().map(|manifest| origin(manifest)));
                build
                    .patches
                    .extend(files.patches.iter().map(|(manifest, target)| PatchOrigin {
                        origin: origin(manifest),
                        selector: target.as_ref().map(selector),
                    }));
                for nested in &files.uses {
                    if !names.contains(&nested.as_str()) {
                        names.push(nested);
                    }
                }
            }
        }
        build
            .patches
            .extend(parts.overlay.patches.iter().map(|patch| PatchOrigin {
                origin: patch.file.origin(),
                selector: patch.target.as_ref().map(selector),
            }));
        if let Some(values) = parts.values_patch {
            build.patches.push(PatchOrigin {
                origin: values.origin(),
                selector: None,
            });
        }
        build.all_disabled = deployment
            .flux
            .labels
            .get(SUBSTITUTE_KEY)
            .is_some_and(|value| value == "disabled");
        let defined = |name: &str| {
            deployment.substitute.contains_key(name)
                || cluster_vars.is_some_and(|vars| vars.contains_key(name))
                || deployment
                    .flux
                    .substitute_from
                    .iter()
                    .any(|source| source.vars.contains(name))
        };
        let checked = build.check(&defined);
        self.record_findings(&app.name.value, checked.findings, deployment, cluster_vars);
        self.used_by_cluster
            .entry(deployment.cluster.clone())
            .or_default()
            .extend(checked.used);
    }

    /// Files away what an app's substitution on one cluster would fail on, to be reported once
    /// per place with every cluster it fails on.
    fn record_findings(
        &mut self,
        app: &str,
        findings: Vec<Finding>,
        deployment: &Deployment,
        cluster_vars: Option<&BTreeMap<String, String>>,
    ) {
        for finding in findings {
            match finding {
                Finding::Undefined {
                    span,
                    location,
                    name,
                } => {
                    let defined: Vec<String> = deployment
                        .substitute
                        .keys()
                        .chain(cluster_vars.into_iter().flat_map(BTreeMap::keys))
                        .cloned()
                        .collect();
                    let entry = self
                        .filed
                        .undefined
                        .entry(UndefinedUse {
                            place: Place::of(span),
                            location,
                            var: name,
                        })
                        .or_insert_with(|| UndefinedOn {
                            app: app.to_owned(),
                            clusters: Vec::new(),
                            defined: Vec::new(),
                        });
                    entry.clusters.push(deployment.cluster.clone());
                    entry.defined.extend(defined);
                }
                Finding::Malformed { span, path, error } => {
                    self.filed.malformed.insert(MalformedUse {
                        place: Place::of(span),
                        path,
                        reason: error,
                    });
                }
            }
        }
    }

    /// Reports the problems filed away by [`Resolver::resolve_app_values`] and
    /// [`Resolver::check_substitution`].
    pub(super) fn substitution_errors(&mut self) {
        let filed = std::mem::take(&mut self.filed);
        for (
            UndefinedUse {
                place,
                location,
                var,
            },
            mut on,
        ) in filed.undefined
        {
            on.defined.sort();
            on.defined.dedup();
            let clusters_text = clusters_text(&on.clusters);
            let help = did_you_mean(&var, on.defined.iter().map(String::as_str)).unwrap_or_else(|| {
                format!(
                    "Flux's strict substitution fails on it: set it with `var \"{var}\" \"...\"` in the app or in {clusters_text}, or give it a default: `${{{var}:=...}}`"
                )
            });
            self.errors.push(Error::UndefinedVariable {
                var,
                place: format!("app `{}` on {clusters_text}", on.app),
                location,
                span: place.span(),
                help,
            });
        }
        for (ValueReference { place, name }, on) in filed.undefined_refs {
            let help = if on.set_by_app {
                format!(
                    "`{name}` is set by the app itself; a `var` value may use only the variables of the cluster it is deployed to, `CLUSTER` and `APP`: write the value out"
                )
            } else {
                vars::undefined_help(
                    &name,
                    "the variables of the cluster it is deployed to, `CLUSTER` and `APP`",
                    on.known.iter().map(String::as_str),
                )
            };
            self.errors.push(Error::UndefinedVarReference {
                place: clusters_text(&on.clusters),
                name,
                span: place.span(),
                help,
            });
        }
        for MalformedValue { place, reason } in filed.malformed_values {
            self.errors.push(Error::BadVarSubstitution {
                reason,
                span: place.span(),
            });
        }
        for MalformedUse {
            place,
            path,
            reason,
        } in filed.malformed
        {
            self.errors.push(Error::BadSubstitution {
                path,
                reason,
                span: place.span(),
            });
        }
    }
}

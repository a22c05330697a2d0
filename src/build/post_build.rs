//! What kustomize-controller does to each object kustomize built: `postBuild` substitution
//! (its variables from the `substituteFrom` ConfigMaps applied before, then `substitute`), then
//! `commonMetadata`.
//!
//! A `substituteFrom` Secret cannot be read (in Git it is encrypted). Building a rendered spec,
//! that is an error; building a repository (`build --repo`), it is reported ([`UnreadSecret`])
//! and the objects are substituted with the other variables. Should strict substitution then
//! find a variable unset, the Secret may hold it: the object keeps every `${...}` whose variable
//! is not known (a variable the Secret may define is not taken as unset), and the report names
//! the first such variable. Building a repository with no unread Secret, a variable nothing sets
//! is a mistake in the repository, not an error of the build: the object keeps every `${...}`
//! whose variable is not known and a warning names the object and the variable.

use serde::Serialize;

use super::flux::{FluxKustomization, PostBuild};
use super::object::{Object, documents};
use super::{BuildError, BuiltKustomization, BuiltObject, built_object};
use crate::substitute::{self, Strategy, SubstituteError, Substitution};

/// A Secret a Kustomization substitutes from, which `build` did not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct UnreadSecret {
    /// The Kustomization, `namespace/name`.
    pub(crate) kustomization: String,
    /// The Secret, `namespace/name`.
    pub(crate) secret: String,
    pub(crate) optional: bool,
    /// A variable strict substitution found unset without the Secret, if any: Flux would fail
    /// on it were the Secret not to define it.
    pub(crate) strict_failure: Option<String>,
}

/// The objects of one Kustomization after post build, and what building a repository reports.
#[derive(Debug)]
pub(super) struct PostBuilt {
    pub(super) objects: Vec<BuiltObject>,
    pub(super) unread_secrets: Vec<UnreadSecret>,
    /// A warning per object using a variable nothing sets.
    pub(super) unset_variables: Vec<String>,
}

/// What kustomize-controller does to each object kustomize built: substitution, then common
/// metadata. `repository`: report Secrets rather than refuse them, and warn of a variable
/// nothing sets rather than fail.
pub(super) fn post_build(
    kustomization: &FluxKustomization,
    output: &str,
    earlier: &[&BuiltKustomization],
    repository: bool,
) -> Result<PostBuilt, BuildError> {
    let name = format!("{}/{}", kustomization.namespace, kustomization.name);
    let bad = |reason: String| BuildError::BadObject {
        kustomization: name.clone(),
        reason,
    };
    let mut unread = Vec::new();
    let substitution = kustomization
        .spec
        .post_build
        .as_ref()
        .map(|post_build| variables(kustomization, post_build, earlier, repository, &mut unread))
        .transpose()?;
    let metadata = kustomization
        .spec
        .common_metadata
        .clone()
        .unwrap_or_default();
    let mut objects = Vec::new();
    let mut unset_warnings = Vec::new();
    for document in documents(output) {
        let Some(mut object) = Object::parse(document).map_err(bad)? else {
            continue;
        };
        if let Some(substitution) = &substitution {
            let disabled = substitute::is_disabled(
                &object.string_map(&["metadata", "annotations"]),
                &object.string_map(&["metadata", "labels"]),
            );
            if !disabled {
                let mut unset = None;
                let text = match substitute_one(substitution, document, &mut unread) {
                    Err(SubstituteError::VarNotSet(variable)) if repository => {
                        unset = Some(variable);
                        keep_unset(substitution, document)
                    }
                    result => result,
                }
                .map_err(|source| BuildError::Substitution {
                    kustomization: name.clone(),
                    object: object.id.to_string(),
                    source,
                })?;
                object = Object::parse(&text)
                    .map_err(|reason| bad(format!("after substitution: {reason}")))?
                    .ok_or_else(|| bad("an object substituted to nothing".to_owned()))?;
                if let Some(variable) = unset {
                    unset_warnings.push(format!(
                        "`{}` uses `${{{variable}}}`, which Flux Kustomization `{name}` does not \
                         set: Flux fails to apply it (kept as written)",
                        object.id
                    ));
                }
            }
        }
        object.merge_metadata("labels", &metadata.labels);
        object.merge_metadata("annotations", &metadata.annotations);
        objects.push(built_object(object).map_err(bad)?);
    }
    Ok(PostBuilt {
        objects,
        unread_secrets: unread,
        unset_variables: unset_warnings,
    })
}

/// Substitutes one document; with Secrets unread, a variable strict mode finds unset is kept
/// as it is written and recorded in each unread Secret's report.
fn substitute_one(
    substitution: &Substitution,
    document: &str,
    unread: &mut [UnreadSecret],
) -> Result<String, SubstituteError> {
    match substitution.apply(document) {
        Err(SubstituteError::VarNotSet(variable)) if !unread.is_empty() => {
            for secret in unread.iter_mut() {
                secret
                    .strict_failure
                    .get_or_insert_with(|| variable.clone());
            }
            keep_unset(substitution, document)
        }
        result => result,
    }
}

/// Substitutes the variables `substitution` knows, keeping every other `${...}` as written.
fn keep_unset(substitution: &Substitution, document: &str) -> Result<String, SubstituteError> {
    let vars = substitution.vars();
    substitute::envsubst(
        document,
        |name| {
            Some(
                vars.get(name)
                    .cloned()
                    .unwrap_or_else(|| format!("${{{name}}}")),
            )
        },
        true,
    )
}

/// The variables of a Kustomization: each `substituteFrom` ConfigMap in order, then
/// `substitute`. A ConfigMap is looked up among the objects applied before, the latest first.
fn variables(
    kustomization: &FluxKustomization,
    post_build: &PostBuild,
    earlier: &[&BuiltKustomization],
    repository: bool,
    unread: &mut Vec<UnreadSecret>,
) -> Result<Substitution, BuildError> {
    let mut sources = Vec::new();
    for reference in &post_build.substitute_from {
        if reference.kind == "Secret" && repository {
            unread.push(UnreadSecret {
                kustomization: format!("{}/{}", kustomization.namespace, kustomization.name),
                secret: format!("{}/{}", kustomization.namespace, reference.name),
                optional: reference.optional,
                strict_failure: None,
            });
            continue;
        }
        if reference.kind != "ConfigMap" {
            return Err(BuildError::SubstituteFromUnsupported {
                kustomization: kustomization.name.clone(),
                kind: reference.kind.clone(),
            });
        }
        let found = earlier
            .iter()
            .rev()
            .flat_map(|built| built.objects.iter().rev())
            .map(|item| &item.object)
            .find(|object| {
                object.is("", "ConfigMap")
                    && object.id.name == reference.name
                    && object.id.namespace.as_deref() == Some(kustomization.namespace.as_str())
            });
        match found {
            Some(config_map) => sources.push(config_map.string_map(&["data"])),
            None if reference.optional => {}
            None => {
                return Err(BuildError::SubstituteFromMissing {
                    kustomization: kustomization.name.clone(),
                    kind: reference.kind.clone(),
                    namespace: kustomization.namespace.clone(),
                    name: reference.name.clone(),
                });
            }
        }
    }
    let strategy = match post_build.substitute_strategy.as_deref() {
        Some("Always") => Strategy::Always,
        _ => Strategy::WithVariables,
    };
    Substitution::new(&sources, &post_build.substitute, strategy).map_err(|source| {
        BuildError::Substitution {
            kustomization: kustomization.name.clone(),
            object: "its variables".to_owned(),
            source,
        }
    })
}

//! What kustomize-controller does to each object kustomize built: `postBuild` substitution
//! (its variables from the `substituteFrom` ConfigMaps applied before, then `substitute`), then
//! `commonMetadata`.

use super::flux::{FluxKustomization, PostBuild};
use super::object::{Object, documents};
use super::{BuildError, BuiltKustomization, BuiltObject, built_object};
use crate::substitute::{self, Strategy, Substitution};

/// What kustomize-controller does to each object kustomize built: substitution, then common
/// metadata.
pub(super) fn post_build(
    kustomization: &FluxKustomization,
    output: &str,
    earlier: &[BuiltKustomization],
) -> Result<Vec<BuiltObject>, BuildError> {
    let name = format!("{}/{}", kustomization.namespace, kustomization.name);
    let bad = |reason: String| BuildError::BadObject {
        kustomization: name.clone(),
        reason,
    };
    let substitution = kustomization
        .spec
        .post_build
        .as_ref()
        .map(|post_build| variables(kustomization, post_build, earlier))
        .transpose()?;
    let metadata = kustomization
        .spec
        .common_metadata
        .clone()
        .unwrap_or_default();
    let mut objects = Vec::new();
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
                let text =
                    substitution
                        .apply(document)
                        .map_err(|source| BuildError::Substitution {
                            kustomization: name.clone(),
                            object: object.id.to_string(),
                            source,
                        })?;
                object = Object::parse(&text)
                    .map_err(|reason| bad(format!("after substitution: {reason}")))?
                    .ok_or_else(|| bad("an object substituted to nothing".to_owned()))?;
            }
        }
        object.merge_metadata("labels", &metadata.labels);
        object.merge_metadata("annotations", &metadata.annotations);
        objects.push(built_object(object).map_err(bad)?);
    }
    Ok(objects)
}

/// The variables of a Kustomization: each `substituteFrom` ConfigMap in order, then
/// `substitute`. A ConfigMap is looked up among the objects applied before, the latest first.
fn variables(
    kustomization: &FluxKustomization,
    post_build: &PostBuild,
    earlier: &[BuiltKustomization],
) -> Result<Substitution, BuildError> {
    let mut sources = Vec::new();
    for reference in &post_build.substitute_from {
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

//! A component: its `kind: Component` kustomization (its manifests, its patches, the components
//! it uses) and its files, copied.

use super::objects::{FilePatch, Kustomization};
use super::{Renderer, Schema, target};
use crate::kustomize_dir;
use crate::layout;
use crate::model;

impl Renderer<'_> {
    pub(super) fn component(&mut self, component: &model::Component) {
        let about = format!("component `{}`", component.name);
        let object = Kustomization {
            api_version: "kustomize.config.k8s.io/v1alpha1",
            kind: "Component",
            resources: kustomize_dir::resources(&component.files),
            components: component
                .components
                .iter()
                .map(|name| layout::component_from_component(name))
                .collect(),
            patches: component
                .patches
                .iter()
                .map(|patch| FilePatch {
                    path: patch.file.name.clone(),
                    target: target(patch.target.as_ref()),
                })
                .collect(),
        };
        let dir = layout::component_dir(&component.name);
        self.write(
            layout::file_in(&dir, layout::KUSTOMIZATION_FILE),
            &about,
            |documents| documents.add(Schema::Kustomization, &object),
        );
        let patches = component.patches.iter().map(|patch| &patch.file);
        for file in component.files.iter().chain(patches) {
            (self.emit)(layout::file_in(&dir, &file.name), file.bytes.clone());
        }
    }
}

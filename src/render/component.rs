//! A component: its `kind: Component` kustomization and its manifests, copied.

use super::objects::Kustomization;
use super::{Renderer, document, schema};
use crate::layout;
use crate::model;

impl Renderer<'_> {
    pub(super) fn component(&mut self, component: &model::Component) {
        let about = format!("component `{}`", component.name);
        let object = Kustomization {
            api_version: "kustomize.config.k8s.io/v1alpha1",
            kind: "Component",
            resources: component
                .files
                .iter()
                .map(|file| file.name.clone())
                .collect(),
            components: Vec::new(),
            patches: Vec::new(),
        };
        let dir = layout::component_dir(&component.name);
        self.write(
            layout::file_in(&dir, layout::KUSTOMIZATION_FILE),
            &about,
            &[document(schema::KUSTOMIZATION, &object)],
        );
        for file in &component.files {
            self.tree
                .insert(layout::file_in(&dir, &file.name), file.bytes.clone());
        }
    }
}

//! Warnings about what the spec declares but never uses: components no app uses, component
//! variables no file references, cluster variables no substituted object references.

use std::collections::BTreeSet;

use crate::model::Model;
use crate::parse::syntax;
use crate::suggest::shown;

use super::manifests::Manifest;
use super::{Resolver, Warning};

impl Resolver {
    /// Warnings about what is declared but never used. Only for a spec without errors: an error
    /// (an unknown component, a file that does not parse) hides uses.
    pub(super) fn unused(&mut self, spec: &syntax::Spec, model: &Model) {
        for component in &spec.components {
            let name = &component.name;
            if !spec.apps.iter().any(|app| {
                app.components
                    .iter()
                    .any(|used| used.name.value == name.value)
            }) {
                self.warnings.push(Warning::UnusedComponent {
                    name: shown(&name.value),
                    span: name.span,
                });
            }
            let used: BTreeSet<&str> = self
                .components
                .get(&name.value)
                .into_iter()
                .flat_map(|files| files.manifests.iter())
                .flat_map(Manifest::used_names)
                .collect();
            for var in &component.vars {
                if !used.contains(var.name.as_str()) {
                    self.warnings.push(Warning::UnusedComponentVar {
                        component: shown(&name.value),
                        var: shown(&var.name.value),
                        span: var.name.span,
                    });
                }
            }
        }
        for cluster in &spec.clusters {
            let used = self.used_by_cluster.get(&cluster.name.value);
            let deployed = model.apps.iter().any(|app| {
                app.deployments
                    .iter()
                    .any(|d| d.cluster == cluster.name.value)
            });
            for var in &cluster.vars {
                if deployed && !used.is_some_and(|used| used.contains(&var.name.value)) {
                    self.warnings.push(Warning::UnusedClusterVar {
                        cluster: cluster.name.value.clone(),
                        var: shown(&var.name.value),
                        span: var.name.span,
                    });
                }
            }
        }
    }
}

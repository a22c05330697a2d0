//! Warnings about what the spec declares but never uses: components no app uses, component
//! variables no file references, cluster variables no substituted object references.

use std::collections::BTreeSet;

use crate::model::Model;
use crate::parse::syntax;
use crate::suggest::shown;

use super::components::with_nested;
use super::{Resolver, Warning};

impl Resolver {
    /// Warnings about what is declared but never used. Only for a spec without errors: an error
    /// (an unknown component, a file that does not parse) hides uses.
    pub(super) fn unused(&mut self, spec: &syntax::Spec, model: &Model) {
        for component in &spec.components {
            let name = &component.name;
            // Used by an app, directly or through the components it uses.
            let used_by_app = spec.apps.iter().any(|app| {
                app.components.iter().any(|used| {
                    spec.components
                        .iter()
                        .find(|declared| declared.name.value == used.name.value)
                        .is_some_and(|declared| {
                            with_nested(spec, declared)
                                .iter()
                                .any(|nested| nested.name.value == name.value)
                        })
                })
            });
            if !used_by_app {
                self.warnings.push(Warning::UnusedComponent {
                    name: shown(&name.value),
                    span: name.span,
                });
            }
            let used: BTreeSet<&str> = self
                .components
                .get(&name.value)
                .into_iter()
                .flat_map(|files| {
                    let patches = files.patches.iter().map(|(manifest, _)| manifest);
                    files.manifests.iter().chain(patches)
                })
                .flat_map(|manifest| manifest.used_names())
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

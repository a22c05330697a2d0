//! Components: their files, read once, and the variables an app sets when it uses one (each
//! declared by the component, each given a value or a default, each set once).

use std::collections::BTreeMap;

use miette::SourceSpan;

use crate::layout;
use crate::model::Component;
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};
use crate::text::and_list;

use super::manifests::Manifest;
use super::reading::FileKind;
use super::{Error, Resolver};
use crate::select::unknown_help;

/// A component's parsed files, for checking the apps that use it.
pub(super) struct ComponentFiles {
    pub(super) manifests: Vec<Manifest>,
}

/// The components an app uses: their names, sorted, and where each variable they set is set.
pub(super) struct ComponentUses {
    pub(super) names: Vec<String>,
    pub(super) set_by: BTreeMap<String, SourceSpan>,
}

impl Resolver {
    pub(super) fn component(&mut self, component: &syntax::Component) -> Component {
        self.dns_label("component name", &component.name);
        self.unique("variable", component.vars.iter().map(|var| &var.name));
        for var in &component.vars {
            self.var_name(&var.name);
        }
        let default_path = Spanned {
            value: format!("components/{}", component.name.value),
            span: component.name.span,
        };
        let path = component.path.as_ref().unwrap_or(&default_path);
        let read = self.read_manifests(path, FileKind::Resources);
        self.no_collisions(&read.files, &[layout::KUSTOMIZATION_FILE], path.span);
        self.components.insert(
            component.name.value.clone(),
            ComponentFiles {
                manifests: read.manifests,
            },
        );
        Component {
            name: component.name.value.clone(),
            files: read.files,
        }
    }

    /// The app's components: their names, and the variables they set, added to `substitute`
    /// (with where each value is written added to `value_at`).
    pub(super) fn app_components(
        &mut self,
        app: &syntax::App,
        spec: &syntax::Spec,
        substitute: &mut BTreeMap<String, String>,
        value_at: &mut BTreeMap<String, SourceSpan>,
    ) -> ComponentUses {
        self.unique(
            "component",
            app.components.iter().map(|component| &component.name),
        );
        let mut component_names = Vec::new();
        let mut set_by: BTreeMap<String, SourceSpan> = BTreeMap::new();
        for used in &app.components {
            let Some(component) = spec
                .components
                .iter()
                .find(|component| component.name.value == used.name.value)
            else {
                self.errors.push(Error::UnknownComponent {
                    name: shown(&used.name.value),
                    span: used.name.span,
                    help: unknown_help(
                        &used.name.value,
                        "component",
                        spec.components
                            .iter()
                            .map(|component| component.name.as_str()),
                    ),
                });
                continue;
            };
            component_names.push(used.name.value.clone());
            self.undeclared_component_vars(used, component);
            for var in &component.vars {
                let given = used
                    .values
                    .iter()
                    .find(|value| value.name.value == var.name.value);
                let (value, span) = match (given, &var.default) {
                    (Some(given), _) => {
                        value_at.insert(var.name.value.clone(), given.value.span);
                        (given.value.value.clone(), given.name.span)
                    }
                    (None, Some(default)) => {
                        value_at.insert(var.name.value.clone(), default.span);
                        (default.value.clone(), used.name.span)
                    }
                    (None, None) => {
                        self.errors.push(Error::MissingComponentVar {
                            component: shown(&component.name.value),
                            var: shown(&var.name.value),
                            span: used.name.span,
                        });
                        // Counted as set for the substitution checks, which would report the
                        // same mistake again; the model is not used, as there is an error.
                        substitute.insert(var.name.value.clone(), String::new());
                        continue;
                    }
                };
                if let Some(first) = set_by.get(&var.name.value)
                    && substitute.get(&var.name.value) != Some(&value)
                {
                    self.errors.push(Error::Duplicate {
                        what: "variable",
                        name: shown(&var.name.value),
                        span,
                        first: *first,
                    });
                }
                set_by.insert(var.name.value.clone(), span);
                substitute.insert(var.name.value.clone(), value);
            }
        }
        component_names.sort();
        ComponentUses {
            names: component_names,
            set_by,
        }
    }

    /// The values an app gives a component must be variables it declares.
    fn undeclared_component_vars(
        &mut self,
        used: &syntax::ComponentUse,
        component: &syntax::Component,
    ) {
        for value in &used.values {
            if !component
                .vars
                .iter()
                .any(|var| var.name.value == value.name.value)
            {
                let declared = component.vars.iter().map(|var| var.name.as_str());
                self.errors.push(Error::UndeclaredComponentVar {
                    component: shown(&component.name.value),
                    var: shown(&value.name.value),
                    span: value.name.span,
                    help: did_you_mean(&value.name.value, declared.clone()).unwrap_or_else(|| {
                        format!(
                            "its variables are {}; set others with `var` in the app",
                            and_list(declared)
                        )
                    }),
                });
            }
        }
    }
}

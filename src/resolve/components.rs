//! Components: their files and patches, read once, the components each uses (kustomize
//! `components:` of its own, without cycles), and what an app sets when it uses one: where it
//! applies (`level`) and the variables of the component and of those it uses (each declared,
//! each given a value or a default, each set once).

use std::collections::BTreeMap;
use std::rc::Rc;

use miette::SourceSpan;

use crate::layout;
use crate::model::{Component, OverlayPatch, Target};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};
use crate::text::and_list;

use super::knobs::target;
use super::manifests::Manifest;
use super::reading::FileKind;
use super::{Error, Resolver};
use crate::select::unknown_help;

/// A component's parsed files and patches, for checking the apps that use it.
pub(super) struct ComponentFiles {
    pub(super) manifests: Vec<Rc<Manifest>>,
    pub(super) patches: Vec<(Rc<Manifest>, Option<Target>)>,
    /// The components it uses.
    pub(super) uses: Vec<String>,
}

/// The components an app uses: their names, sorted, by level, and where each variable they set
/// is set.
pub(super) struct ComponentUses {
    pub(super) overlay: Vec<String>,
    pub(super) flux: Vec<String>,
    pub(super) set_by: BTreeMap<String, SourceSpan>,
}

/// `component` itself and every component it uses, directly or not, each once, in the order met;
/// a name the spec does not declare is left out (reported where it is written).
pub(super) fn with_nested<'a>(
    spec: &'a syntax::Spec,
    component: &'a syntax::Component,
) -> Vec<&'a syntax::Component> {
    let mut found = vec![component];
    let mut next = 0;
    while let Some(current) = found.get(next) {
        next += 1;
        for used in &current.uses {
            if let Some(nested) = spec
                .components
                .iter()
                .find(|candidate| candidate.name.value == used.value)
                && !found
                    .iter()
                    .any(|seen| seen.name.value == nested.name.value)
            {
                found.push(nested);
            }
        }
    }
    found
}

impl Resolver {
    pub(super) fn component(
        &mut self,
        component: &syntax::Component,
        spec: &syntax::Spec,
    ) -> Component {
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
        // A patch kept inside the component's directory is not one of its resources.
        let patch_paths: Vec<&str> = component
            .patches
            .iter()
            .map(|patch| patch.path.as_str())
            .collect();
        let read = self.read_manifests_except(path, FileKind::Resources, &patch_paths);
        let mut patches = Vec::new();
        let mut parsed_patches = Vec::new();
        for patch in &component.patches {
            let target = target(&patch.target);
            let patch_read = self.read_manifests(&patch.path, FileKind::Patches);
            for (file, manifest) in patch_read.files.into_iter().zip(patch_read.manifests) {
                parsed_patches.push((manifest, target.clone()));
                patches.push(OverlayPatch {
                    file,
                    target: target.clone(),
                });
            }
        }
        let mut all_files = read.files.clone();
        all_files.extend(patches.iter().map(|patch| patch.file.clone()));
        self.no_collisions(&all_files, &[layout::KUSTOMIZATION_FILE], path.span);
        // A cycle leads back to this component from itself or from a component it uses.
        let back = with_nested(spec, component).into_iter().find_map(|nested| {
            nested
                .uses
                .iter()
                .find(|used| used.value == component.name.value)
        });
        if let Some(back) = back {
            self.errors.push(Error::ComponentCycle {
                name: shown(&component.name.value),
                span: back.span,
            });
        }
        let mut components = Vec::new();
        for used in &component.uses {
            if !spec
                .components
                .iter()
                .any(|known| known.name.value == used.value)
            {
                self.errors.push(Error::UnknownComponent {
                    name: shown(&used.value),
                    span: used.span,
                    help: unknown_help(
                        &used.value,
                        "component",
                        spec.components.iter().map(|known| known.name.as_str()),
                    ),
                });
            }
            components.push(used.value.clone());
        }
        self.unique("component", component.uses.iter());
        components.sort();
        components.dedup();
        self.components.insert(
            component.name.value.clone(),
            ComponentFiles {
                manifests: read.manifests,
                patches: parsed_patches,
                uses: components.clone(),
            },
        );
        Component {
            name: component.name.value.clone(),
            files: read.files,
            patches,
            components,
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
        let mut overlay = Vec::new();
        let mut flux = Vec::new();
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
            match used.level.as_ref().map(Spanned::as_str) {
                None | Some("overlay") => overlay.push(used.name.value.clone()),
                Some("flux") => flux.push(used.name.value.clone()),
                Some(other) => self.errors.push(Error::InvalidComponentLevel {
                    value: shown(other),
                    span: used
                        .level
                        .as_ref()
                        .map_or(used.name.span, |level| level.span),
                }),
            }
            let nested = with_nested(spec, component);
            self.undeclared_component_vars(used, &nested);
            for (var, component) in nested
                .iter()
                .flat_map(|component| component.vars.iter().map(move |var| (var, *component)))
            {
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
        overlay.sort();
        flux.sort();
        ComponentUses {
            overlay,
            flux,
            set_by,
        }
    }

    /// The values an app gives a component must be variables it (or a component it uses)
    /// declares.
    fn undeclared_component_vars(
        &mut self,
        used: &syntax::ComponentUse,
        nested: &[&syntax::Component],
    ) {
        let declared = || {
            nested
                .iter()
                .flat_map(|component| component.vars.iter().map(|var| var.name.as_str()))
        };
        for value in &used.values {
            if !declared().any(|name| name == value.name.value) {
                let declared = declared();
                self.errors.push(Error::UndeclaredComponentVar {
                    component: shown(&used.name.value),
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

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::parse;

    /// A JSON 6902 patch (a YAML list) kept in the component's own directory is a patch, not a
    /// resource: it is neither checked as objects nor listed under `resources:`.
    #[test]
    fn a_json_6902_patch_inside_the_component_directory_is_only_a_patch() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let component = dir.path().join("components/hardened");
        fs::create_dir_all(&component).expect("create the component directory");
        fs::write(
            component.join("config.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hardened\n",
        )
        .expect("write a resource");
        fs::write(
            component.join("replicas.yaml"),
            "- op: replace\n  path: /spec/replicas\n  value: 2\n",
        )
        .expect("write the patch");
        let spec = r#"
cluster "dev"
component "hardened" {
    patch "components/hardened/replicas.yaml" kind="Deployment"
}
app "web" {
    component "hardened"
}
"#;
        let syntax = parse::parse(spec).into_result().expect("parses");
        let whole = miette::SourceSpan::from(0..spec.len());
        let model = super::super::resolve(&syntax, dir.path(), whole)
            .into_result()
            .unwrap_or_else(|errors| panic!("resolves: {errors:?}"));
        let component = &model.components[0];
        let files: Vec<&str> = component
            .files
            .iter()
            .map(|file| file.name.as_str())
            .collect();
        assert_eq!(files, ["config.yaml"]);
        let patches: Vec<&str> = component
            .patches
            .iter()
            .map(|patch| patch.file.name.as_str())
            .collect();
        assert_eq!(patches, ["replicas.yaml"]);
    }
}

//! Dependencies between apps: each `depends-on` names an app, and Flux can satisfy it (the
//! dependency runs on every cluster the app does, in the same or an earlier layer, and no
//! cycle).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{App, Layer};
use crate::parse::syntax::{self, Spanned};

use super::{Error, Resolver};
use crate::select::UnknownApp;

impl Resolver {
    /// The apps an app depends on, sorted; each must be an app of the spec, named once.
    pub(super) fn depends_on(&mut self, app: &syntax::App, spec: &syntax::Spec) -> Vec<String> {
        self.unique("dependency", app.depends_on.iter());
        let mut depends_on: Vec<String> = Vec::new();
        for dependency in &app.depends_on {
            if self.app_names.contains(dependency.as_str()) {
                depends_on.push(dependency.value.clone());
            } else {
                // In declaration order, as the help lists the first few.
                let known = spec.apps.iter().map(|other| other.name.as_str());
                self.errors
                    .push(UnknownApp::new(&dependency.value, known, Some(dependency.span)).into());
            }
        }
        depends_on.sort();
        depends_on
    }

    /// Dependencies Flux could never satisfy: onto an app missing from a cluster, from the
    /// platform layer onto the apps layer, or in a cycle.
    pub(super) fn dependencies(&mut self, spec: &syntax::Spec, apps: &[App]) {
        // An index rather than a scan per lookup, which made this quadratic in the number of apps
        // (a second at 10 000). The first app of a name wins, as a scan would find it.
        let mut by_name: BTreeMap<&str, &App> = BTreeMap::new();
        for app in apps {
            by_name.entry(app.name.as_str()).or_insert(app);
        }
        let find = |name: &str| by_name.get(name).copied();
        for declared in &spec.apps {
            let Some(app) = find(&declared.name.value) else {
                continue;
            };
            for dependency in &declared.depends_on {
                let Some(target) = find(&dependency.value) else {
                    continue;
                };
                if app.layer == Layer::Platform && target.layer == Layer::Apps {
                    self.errors.push(Error::LayerInversion {
                        app: app.name.clone(),
                        dependency: target.name.clone(),
                        span: dependency.span,
                    });
                }
                for deployment in &app.deployments {
                    if !target
                        .deployments
                        .iter()
                        .any(|other| other.cluster == deployment.cluster)
                    {
                        self.errors.push(Error::DependencyNotDeployed {
                            app: app.name.clone(),
                            dependency: target.name.clone(),
                            cluster: deployment.cluster.clone(),
                            span: dependency.span,
                        });
                    }
                }
            }
        }
        self.cycles(spec);
    }

    /// Cycles of `depends-on`, each reported once, at the entry that closes it.
    fn cycles(&mut self, spec: &syntax::Spec) {
        // Depth-first search from each app in name order; a cycle is reported once, at the
        // `depends-on` entry that closes it. Iterative, so a long chain of apps cannot exhaust
        // the stack.
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = spec
            .apps
            .iter()
            .map(|app| (app.name.as_str(), app.depends_on.iter().collect()))
            .collect();
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for start in edges.keys() {
            if done.contains(start) {
                continue;
            }
            // The path from `start`, each app with the index of its next dependency to visit.
            let mut path: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((app, next)) = path.last().copied() {
                let dependencies = edges.get(app).map_or(&[][..], Vec::as_slice);
                let Some(dependency) = dependencies.get(next) else {
                    path.pop();
                    done.insert(app);
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                let target = dependency.as_str();
                if let Some(position) = path.iter().position(|(on_path, _)| *on_path == target) {
                    let mut cycle: Vec<&str> = path
                        .get(position..)
                        .unwrap_or_default()
                        .iter()
                        .map(|(name, _)| *name)
                        .collect();
                    cycle.push(target);
                    self.errors.push(Error::DependencyCycle {
                        cycle: cycle.join(" -> "),
                        span: dependency.span,
                    });
                } else if edges.contains_key(target) && !done.contains(target) {
                    path.push((target, 0));
                }
            }
        }
    }
}

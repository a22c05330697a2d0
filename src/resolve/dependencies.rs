//! Dependencies between apps: each `depends-on` names an app, and Flux can satisfy it (the
//! dependency runs on every cluster the app does, in the same or an earlier layer, and no
//! cycle). A cluster block's `depends-on` adds to the app's list on that cluster, or replaces it
//! with `replace=#true`; each cluster's dependencies are checked as that cluster has them.

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;

use crate::model::{App, Layer};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::shown;

use super::{Error, Resolver};
use crate::select::UnknownApp;

impl Resolver {
    /// Checks the apps an app depends on, app-wide and in its cluster blocks: each must be an
    /// app of the spec, named once on each cluster.
    pub(super) fn check_depends_on(&mut self, app: &syntax::App, spec: &syntax::Spec) {
        self.unique("dependency", app.depends_on.iter());
        for block in &app.per_cluster {
            if block.depends_on_replace.is_some() {
                self.unique("dependency", block.depends_on.iter());
            } else {
                // Each name the block adds is new on its cluster; the app-wide list's own
                // duplicates are reported above, once.
                let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
                for dependency in app.depends_on.iter().rev() {
                    seen.insert(dependency.as_str(), dependency.span);
                }
                for dependency in &block.depends_on {
                    if let Some(first) = seen.get(dependency.as_str()) {
                        self.errors.push(Error::Duplicate {
                            what: "dependency",
                            name: shown(&dependency.value),
                            span: dependency.span,
                            first: *first,
                        });
                    } else {
                        seen.insert(dependency.as_str(), dependency.span);
                    }
                }
            }
        }
        let in_blocks = app.per_cluster.iter().flat_map(|block| &block.depends_on);
        for dependency in app.depends_on.iter().chain(in_blocks) {
            if !self.app_index.contains_key(dependency.as_str()) {
                // In declaration order, as the help lists the first few.
                let known = spec.apps.iter().map(|other| other.name.as_str());
                self.errors
                    .push(UnknownApp::new(&dependency.value, known, Some(dependency.span)).into());
            }
        }
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
            let in_blocks = declared
                .per_cluster
                .iter()
                .flat_map(|block| &block.depends_on);
            for dependency in declared.depends_on.iter().chain(in_blocks) {
                if let Some(target) = find(&dependency.value)
                    && app.layer == Layer::Platform
                    && target.layer == Layer::Apps
                {
                    self.errors.push(Error::LayerInversion {
                        app: app.name.clone(),
                        dependency: target.name.clone(),
                        span: dependency.span,
                    });
                }
            }
            for deployment in &app.deployments {
                for dependency in cluster_depends_on(declared, &deployment.cluster) {
                    let Some(target) = find(&dependency.value) else {
                        continue;
                    };
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
        // Each cluster has its own graph; a cycle several share is reported once.
        let mut reported = BTreeSet::new();
        let clusters: Vec<&str> = spec.clusters.iter().map(|c| c.name.as_str()).collect();
        for cluster in if clusters.is_empty() {
            vec![""]
        } else {
            clusters
        } {
            self.cycles(spec, cluster, &mut reported);
        }
    }

    /// Cycles of `depends-on` on `cluster`, each reported once, at the entry that closes it
    /// (`reported` holds the entries already reported on another cluster).
    fn cycles(
        &mut self,
        spec: &syntax::Spec,
        cluster: &str,
        reported: &mut BTreeSet<(usize, usize)>,
    ) {
        // Depth-first search from each app in name order; a cycle is reported once, at the
        // `depends-on` entry that closes it. Iterative, so a long chain of apps cannot exhaust
        // the stack.
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = spec
            .apps
            .iter()
            .map(|app| (app.name.as_str(), cluster_depends_on(app, cluster)))
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
                    if !reported.insert((dependency.span.offset(), dependency.span.len())) {
                        continue;
                    }
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

/// The apps `app` depends on on `cluster`: the app's list and its cluster block's, or the
/// block's alone when one of its `depends-on` says `replace=#true`.
pub(super) fn cluster_depends_on<'a>(
    app: &'a syntax::App,
    cluster: &str,
) -> Vec<&'a Spanned<String>> {
    let block = app
        .per_cluster
        .iter()
        .find(|block| block.name.as_str() == cluster);
    match block {
        Some(block) if block.depends_on_replace.is_some() => block.depends_on.iter().collect(),
        Some(block) => app.depends_on.iter().chain(&block.depends_on).collect(),
        None => app.depends_on.iter().collect(),
    }
}

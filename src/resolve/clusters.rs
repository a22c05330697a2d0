//! Clusters: their names, their variables (resolved when the spec compiles, see [`super::vars`])
//! and the layers they suspend; and the checks every list of `var`s gets.

use std::collections::BTreeMap;

use crate::model::{Cluster, Timings};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};

use super::{Error, Resolver, rules, vars};

/// Variables fluxspec sets itself.
const RESERVED_VARS: &[&str] = &["APP", "CLUSTER"];
/// The longest cluster name: `platform-<cluster>` names a Flux Kustomization, and Flux puts
/// that name in a label on every object it applies, where values are at most 63 characters.
const MAX_CLUSTER_NAME: usize = 63 - "platform-".len();

impl Resolver {
    /// Checks a list of `var`s: names Flux accepts, not reserved, each once.
    pub(super) fn vars(&mut self, vars: &[syntax::Var]) -> BTreeMap<String, String> {
        self.unique("variable", vars.iter().map(|var| &var.name));
        let mut map = BTreeMap::new();
        for var in vars {
            self.var_name(&var.name);
            map.insert(var.name.value.clone(), var.value.value.clone());
        }
        map
    }

    pub(super) fn var_name(&mut self, name: &Spanned<String>) {
        if RESERVED_VARS.contains(&name.as_str()) {
            self.errors.push(Error::Reserved {
                name: shown(&name.value),
                span: name.span,
                help: "fluxspec sets `APP` to the app's name and `CLUSTER` to the cluster's"
                    .to_owned(),
            });
        } else if !rules::is_var_name(&name.value) {
            self.errors.push(Error::InvalidVarName {
                value: shown(&name.value),
                span: name.span,
            });
        }
    }

    pub(super) fn cluster(&mut self, cluster: &syntax::Cluster, defaults: &Timings) -> Cluster {
        if rules::is_dns_label(&cluster.name.value) && cluster.name.value.len() > MAX_CLUSTER_NAME {
            self.invalid_name(
                "cluster name",
                &cluster.name,
                &format!(
                    "at most {MAX_CLUSTER_NAME} characters: Flux labels every object with `platform-<cluster>`, and label values are at most 63"
                ),
            );
        } else {
            self.dns_label("cluster name", &cluster.name);
        }
        let mut vars = self.vars(&cluster.vars);
        let mut resolved = BTreeMap::from([("CLUSTER".to_owned(), cluster.name.value.clone())]);
        let used = vars::resolve_cluster(
            &cluster.name.value,
            &cluster.vars,
            &mut resolved,
            &mut self.errors,
        );
        // A value that did not resolve (an error) keeps its text.
        vars.extend(resolved);
        self.used_by_cluster
            .entry(cluster.name.value.clone())
            .or_default()
            .extend(used);
        let mut suspend_platform = false;
        let mut suspend_apps = false;
        for layer in &cluster.suspend {
            match layer.as_str() {
                "platform" => suspend_platform = true,
                "apps" => suspend_apps = true,
                other => self.errors.push(Error::InvalidLayer {
                    value: shown(other),
                    span: layer.span,
                    help: did_you_mean(other, ["platform", "apps"])
                        .unwrap_or_else(|| "a layer is `platform` or `apps`".to_owned()),
                }),
            }
        }
        Cluster {
            name: cluster.name.value.clone(),
            vars,
            suspend_platform,
            suspend_apps,
            timings: self.timings(&cluster.timings, defaults),
            // Known once every app is: see `namespaces`.
            namespaces: Vec::new(),
        }
    }
}

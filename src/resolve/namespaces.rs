//! The Namespaces of each cluster: those its apps use and those the spec declares with a
//! `namespace` node (spec-wide, then the cluster's own over it), with their labels and
//! annotations, less those declared `create=#false` (a namespace another system owns).
//!
//! Precedence on one cluster: the cluster block's `namespace` node over the spec-wide one, key
//! by key for labels and annotations; its `create=` over the spec-wide `create=`.

use std::collections::BTreeMap;

use crate::model::{App, Cluster, Namespace};
use crate::parse::syntax;

use super::{Error, Resolver};

/// What the spec says of one namespace on one cluster.
struct Declared {
    create: bool,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl Resolver {
    /// Checks the `namespace` nodes and fills in each cluster's Namespaces.
    pub(super) fn namespaces(
        &mut self,
        spec: &syntax::Spec,
        clusters: &mut [Cluster],
        apps: &[App],
    ) {
        self.namespace_nodes(&spec.namespaces);
        for block in &spec.clusters {
            self.namespace_nodes(&block.namespaces);
        }
        for cluster in clusters {
            let mut declared: BTreeMap<&str, Declared> = BTreeMap::new();
            let own = spec
                .clusters
                .iter()
                .filter(|block| block.name.value == cluster.name)
                .flat_map(|block| &block.namespaces);
            for node in spec.namespaces.iter().chain(own) {
                let entry = declared
                    .entry(node.name.as_str())
                    .or_insert_with(|| Declared {
                        create: true,
                        labels: BTreeMap::new(),
                        annotations: BTreeMap::new(),
                    });
                if let Some(create) = &node.create {
                    entry.create = create.value;
                }
                entry.labels.extend(pairs(&node.labels));
                entry.annotations.extend(pairs(&node.annotations));
            }
            let used = apps
                .iter()
                .filter(|app| {
                    app.uses_namespace && app.deployments.iter().any(|d| d.cluster == cluster.name)
                })
                .map(|app| app.namespace.as_str());
            let mut names: Vec<&str> = declared.keys().copied().chain(used).collect();
            names.sort_unstable();
            names.dedup();
            cluster.namespaces = names
                .into_iter()
                .filter_map(|name| match declared.get(name) {
                    Some(declared) if !declared.create => None,
                    Some(declared) => Some(Namespace {
                        name: name.to_owned(),
                        labels: declared.labels.clone(),
                        annotations: declared.annotations.clone(),
                    }),
                    None => Some(Namespace {
                        name: name.to_owned(),
                        labels: BTreeMap::new(),
                        annotations: BTreeMap::new(),
                    }),
                })
                .collect();
        }
    }

    /// The `namespace` nodes of one scope: valid names, each once, valid labels and annotations,
    /// and none on a namespace fluxspec does not create.
    fn namespace_nodes(&mut self, nodes: &[syntax::Namespace]) {
        self.unique("namespace", nodes.iter().map(|node| &node.name));
        for node in nodes {
            self.dns_label("namespace", &node.name);
            self.labels(&node.labels);
            self.unique(
                "annotation",
                node.annotations.iter().map(|annotation| &annotation.name),
            );
            for annotation in &node.annotations {
                self.label_key("annotation key", &annotation.name);
            }
            if let Some(create) = node.create.as_ref().filter(|create| !create.value)
                && let Some(first) = node.labels.iter().chain(&node.annotations).next()
            {
                self.errors.push(Error::MetadataOnUncreatedNamespace {
                    namespace: node.name.value.clone(),
                    span: first.name.span,
                    create: create.span,
                });
            }
        }
    }
}

fn pairs(vars: &[syntax::Var]) -> impl Iterator<Item = (String, String)> + '_ {
    vars.iter()
        .map(|var| (var.name.value.clone(), var.value.value.clone()))
}

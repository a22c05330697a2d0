//! The components of fluxspec's output (`components/<name>/`): their files copied into the spec
//! directory, their patches and nested components, and the variables they declare: the
//! `${NAME}`s of their files that every app using them sets.

use std::collections::BTreeMap;

use regex::Regex;

use super::app::{SeedApp, copy, copy_resource};
use super::{Tree, resources};
use crate::import::Lifted;
use crate::import::kdl::Node;
use crate::import::source::{string_list, text_at};

/// Lifts every component into a `component` node; returns each one's variables.
pub(super) fn lift(
    tree: &Tree<'_>,
    apps: &[SeedApp],
    lifted: &mut Lifted,
) -> BTreeMap<String, Vec<String>> {
    // A `${NAME` not escaped as `$${NAME`; the name as Flux spells one.
    let reference = Regex::new(r"(^|[^$])\$\{([_A-Za-z][_A-Za-z0-9]*)").expect("a valid pattern");
    let mut declared = BTreeMap::new();
    for name in tree.repo.subdirectories(&tree.path("components")) {
        let dir = format!("components/{name}");
        let kustomization = tree.document(&format!("{dir}/kustomization.yaml"));
        let mut node = Node::with("component", name.clone());
        let mut referenced: Vec<String> = Vec::new();
        let mut files: Vec<String> = resources(tree, &tree.path(&dir))
            .into_iter()
            .map(|file| format!("{dir}/{file}"))
            .collect();
        for file in &files {
            copy_resource(tree, file, lifted);
        }
        for patch in kustomization
            .as_ref()
            .and_then(|k| k.get("patches"))
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(file) = text_at(patch, &["path"]) else {
                continue;
            };
            let path = format!("{dir}/{file}");
            copy(tree, &path, lifted);
            node = node.child(Node::with("patch", path.clone()).patch_target(patch));
            files.push(path);
        }
        for nested in kustomization
            .as_ref()
            .map(|k| string_list(k, "components"))
            .unwrap_or_default()
        {
            if let Some(other) = nested.rsplit('/').next() {
                node = node.child(Node::with("component", other));
            }
        }
        for file in &files {
            let texts = tree
                .repo
                .paths()
                .filter(|path| {
                    *path == tree.path(file) || path.starts_with(&tree.path(&format!("{file}/")))
                })
                .filter_map(|path| tree.repo.text(path));
            for text in texts {
                for captures in reference.captures_iter(text) {
                    let var = captures[2].to_owned();
                    if !referenced.contains(&var) {
                        referenced.push(var);
                    }
                }
            }
        }
        let users: Vec<_> = apps
            .iter()
            .filter(|app| app.components(tree).iter().any(|(used, _)| *used == name))
            .map(SeedApp::substitutes)
            .collect();
        let vars: Vec<String> = referenced
            .into_iter()
            .filter(|var| {
                !users.is_empty()
                    && users
                        .iter()
                        .flatten()
                        .all(|(_, vars)| vars.contains_key(var))
            })
            .collect();
        node = node.children(vars.iter().map(|var| Node::with("var", var.clone())));
        lifted.nodes.push(node);
        declared.insert(name, vars);
    }
    declared
}

//! The components of fluxspec's output (`components/<name>/`), copied into the spec directory,
//! with the variables they declare: the `${NAME}`s of their files that every app using them sets.

use std::collections::BTreeMap;

use regex::Regex;

use super::app::{SeedApp, copy};
use super::{Tree, resources};
use crate::import::Lifted;
use crate::import::kdl::Node;

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
        let mut referenced: Vec<String> = Vec::new();
        for file in resources(tree, &tree.path(&dir)) {
            let path = format!("{dir}/{file}");
            copy(tree, &path, lifted);
            let text = tree.repo.text(&tree.path(&path)).unwrap_or_default();
            for captures in reference.captures_iter(text) {
                let var = captures[2].to_owned();
                if !referenced.contains(&var) {
                    referenced.push(var);
                }
            }
        }
        let users: Vec<_> = apps
            .iter()
            .filter(|app| app.components(tree).contains(&name))
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
        let node = Node::with("component", name.clone())
            .children(vars.iter().map(|var| Node::with("var", var.clone())));
        lifted.nodes.push(node);
        declared.insert(name, vars);
    }
    declared
}

//! Flux-level components of a hand-written repository. A directory a Flux Kustomization names
//! in `spec.components`, whose kustomization is a `kind: Component` of resources alone (files
//! beside it), becomes a `component` node with its files copied byte for byte into
//! `components/<name>/`, and the app's `component "NAME" level="flux"`: its objects are then no
//! longer the app's manifests. It is lifted only when the app's Flux Kustomization names it on
//! every cluster and each of its documents is one of the app's objects as written, once the
//! spec's variables are substituted. A component's `patches` become the `patch` lines of its
//! node when the spec can say each ([`super::component_patches`]); a component whose patches
//! it cannot say, or whose objects the app's own kustomization changes, stays the apps'
//! manifests (and the report says why).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::apps::App;
use super::component_patches::{ComponentPatch, ComponentPatches, unfilled, write_patches};
use super::manifests::{PerCluster, on, spec_vars};
use super::sources::{SourceFiles, unchanged};
use crate::build::object::ObjectId;
use crate::import::kdl::Node;
use crate::import::source::{SourceRepo, text_at};
use crate::import::{Lifted, dns_label};

/// The components lifted so far: the name each directory took.
#[derive(Debug, Default)]
pub(super) struct Components {
    /// The patches of the components that have some, as the spec says them.
    patched: ComponentPatches,
    names: BTreeMap<String, String>,
    /// The directories that are not lifted, each reported once.
    refused: BTreeSet<String>,
    /// The components with patches the spec says that an app could not use, with why.
    unused_patches: BTreeMap<String, String>,
}

/// What an app's Flux-level components give it: its `component` lines and the objects they
/// stand for.
#[derive(Debug, Default)]
pub(super) struct Used {
    pub(super) nodes: Vec<Node>,
    pub(super) objects: Vec<ObjectId>,
}

impl Components {
    pub(super) fn new(patched: ComponentPatches) -> Self {
        Self {
            patched,
            ..Self::default()
        }
    }

    /// The components whose patches the spec says but that some app does not get from the
    /// spec's component, with why: the objects it patches must then be read as Flux applies
    /// them.
    pub(super) fn unused_patches(self) -> BTreeMap<String, String> {
        self.unused_patches
    }

    /// Notes that `dir` is not lifted for an app, for `why`.
    fn not_lifted(&mut self, dir: &str, why: &str) {
        if matches!(self.patched.get(dir), Some(Ok(_))) {
            self.unused_patches
                .entry(dir.to_owned())
                .or_insert_with(|| why.to_owned());
        }
    }

    /// Lifts the components `app`'s Flux Kustomizations name, those the spec can say; `taken`
    /// are the objects other nodes stand for.
    pub(super) fn lift(
        &mut self,
        app: &App<'_>,
        (cluster_substitutes, substitutes): (&[PerCluster], &[PerCluster]),
        taken: &[ObjectId],
        sources: &SourceFiles<'_>,
        lifted: &mut Lifted,
    ) -> Used {
        let mut used = Used::default();
        let per_cluster: Vec<Vec<String>> = app
            .specs
            .iter()
            .map(|(_, spec)| directories(spec))
            .collect();
        let Some(first) = per_cluster.first() else {
            return used;
        };
        if per_cluster.iter().any(|dirs| dirs != first) {
            for dir in per_cluster.iter().flatten() {
                self.not_lifted(
                    dir,
                    "the clusters of an app using it name different components",
                );
            }
            lifted.report.raw(
                &app.kustomization,
                "Flux Kustomization field `components`",
                "the clusters name different components: their objects stay manifests of the app",
            );
            return used;
        }
        for dir in first {
            let (files, patches) = match self.resources(sources, dir) {
                Ok(found) => found,
                Err(why) => {
                    self.not_lifted(dir, &why);
                    if self.refused.insert(dir.clone()) {
                        lifted.report.raw(
                            dir,
                            "a Flux-level component",
                            format!("{why}: its objects stay manifests of the apps using it"),
                        );
                    }
                    continue;
                }
            };
            let mut objects: Vec<ObjectId> = Vec::new();
            let mut lifts = true;
            for (cluster, built) in &app.per_cluster {
                let cluster_vars = on(cluster, cluster_substitutes);
                let app_vars = on(cluster, substitutes);
                let vars = spec_vars(&app.name, cluster, &cluster_vars, &app_vars);
                for file in &files {
                    let Some(documents) = sources.objects(file, &vars) else {
                        lifts = false;
                        continue;
                    };
                    for document in documents {
                        let found = built.iter().find(|built| {
                            unchanged(&document, &built.object, &app.namespace)
                                && !taken.contains(&built.object.id)
                        });
                        match found {
                            Some(built) if !objects.contains(&built.object.id) => {
                                objects.push(built.object.id.clone());
                            }
                            Some(_) => {}
                            None => lifts = false,
                        }
                    }
                }
                let texts = files
                    .iter()
                    .map(|file| sources.bytes(file))
                    .chain(patches.iter().map(|patch| patch.bytes.as_slice()));
                note_cluster_vars(texts, cluster, (&cluster_vars, &app_vars), lifted);
            }
            if let Some(why) = unfilled(&patches, app, &objects) {
                self.not_lifted(dir, &why);
                lifted.report.raw(dir, "a Flux-level component", why);
                continue;
            }
            if !lifts {
                let why = format!("app `{}` does not get its objects as written", app.name);
                self.not_lifted(dir, &why);
                lifted.report.raw(
                    dir,
                    "a Flux-level component",
                    format!("{why}: they stay its manifests"),
                );
                continue;
            }
            let name = self.name(dir, (&files, &patches), sources, lifted);
            used.nodes
                .push(Node::with("component", name).prop("level", "flux"));
            used.objects.extend(objects);
        }
        used
    }

    /// The name of the component in `dir`, the first time with its node and files.
    fn name(
        &mut self,
        dir: &str,
        (files, patches): (&[String], &[ComponentPatch]),
        sources: &SourceFiles<'_>,
        lifted: &mut Lifted,
    ) -> String {
        if let Some(name) = self.names.get(dir) {
            return name.clone();
        }
        let segments: Vec<&str> = dir.split('/').collect();
        let after = segments
            .iter()
            .rposition(|segment| *segment == "components")
            .map_or(segments.len().saturating_sub(1), |at| at + 1);
        let base = dns_label(&segments[after.min(segments.len() - 1)..].join("-"));
        let taken: BTreeSet<&String> = self.names.values().collect();
        let mut name = base.clone();
        let mut counter = 2;
        while taken.contains(&name) {
            name = format!("{base}-{counter}");
            counter += 1;
        }
        let node = Node::with("component", name.clone())
            .children(write_patches(&name, dir, patches, lifted));
        lifted.nodes.push(node);
        for file in files {
            let file_name = file.rsplit('/').next().unwrap_or(file);
            let path = format!("components/{name}/{file_name}");
            lifted.copy(&path, sources.bytes(file));
            lifted.report.raw(
                file,
                "a Flux-level component's file",
                format!("component `{name}`: copied byte for byte into `{path}`"),
            );
        }
        self.names.insert(dir.to_owned(), name.clone());
        name
    }
}

/// Notes the cluster variables the copied files and patches (`texts`) of a component use on
/// `cluster`: those of `cluster_vars` the app's own `app_vars` do not set.
fn note_cluster_vars<'t>(
    texts: impl Iterator<Item = &'t [u8]>,
    cluster: &str,
    (cluster_vars, app_vars): (&BTreeMap<String, String>, &BTreeMap<String, String>),
    lifted: &mut Lifted,
) {
    for text in texts {
        let text = String::from_utf8_lossy(text);
        let references = crate::substitute::references(&text).unwrap_or_default();
        lifted
            .used_cluster_vars
            .entry(cluster.to_owned())
            .or_default()
            .extend(
                references
                    .into_iter()
                    .map(|reference| reference.name)
                    .filter(|name| cluster_vars.contains_key(name) && !app_vars.contains_key(name)),
            );
    }
}

/// The directories of a Flux Kustomization's `spec.components`, from the repository's root.
pub(super) fn directories(spec: &Value) -> Vec<String> {
    let base = text_at(spec, &["path"]).unwrap_or_default();
    spec.get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|entry| join(base, entry))
        .collect()
}

/// `entry` relative to `base`, both `/`-separated, with `.` and `..` resolved; None above the
/// root.
pub(super) fn join(base: &str, entry: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for segment in base.split('/').chain(entry.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            segment => parts.push(segment),
        }
    }
    Some(parts.join("/"))
}

/// The path of the kustomization file in `dir`.
pub(super) fn kustomization_path(repo: &SourceRepo, dir: &str) -> Option<String> {
    crate::kustomize_dir::KUSTOMIZATION_FILES
        .iter()
        .map(|file| format!("{dir}/{file}"))
        .find(|path| repo.exists(path))
}

impl Components {
    /// The files a component in `dir` lists and its patches: its kustomization must be a
    /// `kind: Component` with `resources`, each a file of objects beside it, and `patches` the
    /// spec can say.
    fn resources(
        &self,
        sources: &SourceFiles<'_>,
        dir: &str,
    ) -> Result<(Vec<String>, Vec<ComponentPatch>), String> {
        let kustomization = kustomization_path(sources.repo(), dir)
            .and_then(|path| sources.repo().document(&path))
            .ok_or("no kustomization.yaml in its directory")?;
        if text_at(&kustomization, &["kind"]) != Some("Component") {
            return Err("its kustomization is not a `kind: Component`".to_owned());
        }
        let fields = kustomization.as_object().into_iter().flatten();
        if let Some((field, _)) = fields.into_iter().find(|(field, _)| {
            !matches!(
                field.as_str(),
                "apiVersion" | "kind" | "resources" | "patches"
            )
        }) {
            return Err(format!(
                "its kustomization has `{field}`, which a component of the spec written by \
                 copying its files cannot say"
            ));
        }
        let patches = match (kustomization.get("patches"), self.patched.get(dir)) {
            (None, _) => Vec::new(),
            (Some(_), Some(Ok(patches))) => patches.clone(),
            (Some(_), Some(Err(why))) => return Err(why.clone()),
            (Some(_), None) => {
                return Err("its kustomization has `patches` the spec cannot say".to_owned());
            }
        };
        let mut files = Vec::new();
        for entry in kustomization
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let entry = entry.as_str().unwrap_or_default();
            let name = entry.strip_prefix("./").unwrap_or(entry);
            let file = format!("{dir}/{name}");
            if name.contains('/') || !sources.is_objects_file(&file) {
                return Err(format!(
                    "its resource `{entry}` is not a file of objects beside its kustomization"
                ));
            }
            if patches.iter().any(|patch| patch.file_name() == name) {
                return Err(format!(
                    "its resource `{entry}` has the name one of its patches would be written to"
                ));
            }
            files.push(file);
        }
        Ok((files, patches))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_entry_is_resolved_against_the_path() {
        assert_eq!(
            join(
                "./kubernetes/apps/default/atuin/app",
                "../../../../components/kopiur/backup"
            ),
            Some("kubernetes/components/kopiur/backup".to_owned())
        );
        assert_eq!(join("./apps", "../../x"), None);
    }
}

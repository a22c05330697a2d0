//! The patches of Flux-level components. A component's `patches` entry the spec can say is a
//! file and a target: an inline `patch:` string is written out as a file, a `path:` beside the
//! kustomization is copied, and the target's fields become the `patch` line's properties. The
//! objects such a component patches are seen as they are before it patches them by building the
//! repository again with those components' `patches` left out ([`unpatched`]): the app's
//! objects come from that build, and the component's patches, applied by kustomize-controller
//! from the spec's component, make them what Flux applies today.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ClusterEntry;
use super::apps::App;
use super::components::{directories, join, kustomization_path};
use crate::build::object::{Object, ObjectId};
use crate::build::{BuiltObject, ClusterBuild};
use crate::import::kdl::{Node, PATCH_TARGET_FIELDS};
use crate::import::source::{SourceRepo, text_at};
use crate::import::{Lifted, dns_label};

/// One patch of a component, as the spec says it.
#[derive(Debug, Clone)]
pub(super) struct ComponentPatch {
    /// The file it is read from (`path:`), or None for an inline `patch:`.
    pub(super) copied_from: Option<String>,
    /// The patch's text.
    pub(super) bytes: Vec<u8>,
    /// The spec's target properties and their values, in the spec's order.
    pub(super) target: Vec<(&'static str, String)>,
}

impl ComponentPatch {
    /// Whether the patch's target may select `object` (selectors are not read: any object
    /// may carry the labels).
    fn may_target(&self, object: &Object) -> bool {
        let of = |property: &str| {
            self.target
                .iter()
                .find(|(key, _)| *key == property)
                .map(|(_, value)| value.as_str())
        };
        of("group").is_none_or(|group| group == object.id.group)
            && of("kind").is_none_or(|kind| kind == object.id.kind)
            && of("name").is_none_or(|name| name == object.id.name)
    }

    /// The first of `objects` kept as built with Flux's substitution turned off (it holds a
    /// `${` already) that the patch may edit while it adds `${VAR}`s of its own, which would
    /// then stay unfilled.
    fn unfilled_in<'o>(&self, objects: &[&'o BuiltObject]) -> Option<&'o BuiltObject> {
        let text = String::from_utf8_lossy(&self.bytes);
        if crate::substitute::references(&text)
            .unwrap_or_default()
            .is_empty()
        {
            return None;
        }
        objects
            .iter()
            .find(|built| built.yaml.contains("${") && self.may_target(&built.object))
            .copied()
    }

    /// Whether the patch's target may select a kind the spec writes for a chart: one without a
    /// target says its object in its text, read here as any.
    fn may_patch_a_chart(&self) -> bool {
        let of = |property: &str| {
            self.target
                .iter()
                .find(|(key, _)| *key == property)
                .map(|(_, value)| value.as_str())
        };
        CHART_KINDS.iter().any(|(group, kind)| {
            of("group").is_none_or(|wanted| wanted == *group)
                && of("kind").is_none_or(|wanted| wanted == *kind)
        })
    }

    /// The file name the patch takes in the spec's component directory: a copied file keeps
    /// its own, an inline patch is named after its target's kind and name.
    pub(super) fn file_name(&self) -> String {
        if let Some(file) = &self.copied_from {
            return file.rsplit('/').next().unwrap_or(file).to_owned();
        }
        let of = |property: &str| {
            self.target
                .iter()
                .find(|(key, _)| *key == property)
                .map(|(_, value)| value.as_str())
        };
        let stem: Vec<&str> = [of("kind"), of("name")].into_iter().flatten().collect();
        if stem.is_empty() {
            "patch.yaml".to_owned()
        } else {
            format!("{}-patch.yaml", dns_label(&stem.join("-")))
        }
    }
}

/// Per directory named in a Flux Kustomization's `spec.components` whose kustomization has
/// `patches`: the patches as the spec says them, or why it cannot.
pub(super) type ComponentPatches = BTreeMap<String, Result<Vec<ComponentPatch>, String>>;

/// The Flux-level components of `builds` whose kustomization has `patches`.
pub(super) fn patched_components(
    repo: &SourceRepo,
    builds: &[(ClusterEntry, ClusterBuild)],
) -> ComponentPatches {
    let mut patched = ComponentPatches::new();
    let flux_level = builds
        .iter()
        .flat_map(|(_, build)| &build.kustomizations)
        .flat_map(|kustomization| &kustomization.objects)
        .filter(|built| {
            built
                .object
                .is("kustomize.toolkit.fluxcd.io", "Kustomization")
        })
        .filter_map(|built| built.object.value.get("spec"))
        .flat_map(directories);
    for dir in flux_level {
        if patched.contains_key(&dir) {
            continue;
        }
        let Some(kustomization) = kustomization_path(repo, &dir).and_then(|at| repo.document(&at))
        else {
            continue;
        };
        let Some(entries) = kustomization.get("patches") else {
            continue;
        };
        let said = match overlay_user(repo, &dir) {
            Some(user) => Err(format!(
                "its kustomization has `patches` and `{user}` also uses it as a component, which \
                 the spec would not patch the same"
            )),
            None => says(repo, &dir, entries),
        };
        patched.insert(dir, said);
    }
    patched
}

/// Why `patches` cannot be the spec's for `app`: one adds `${VAR}`s to an object other than
/// the component's own (`own`) that is kept as built with Flux's substitution turned off.
pub(super) fn unfilled(
    patches: &[ComponentPatch],
    app: &App<'_>,
    own: &[ObjectId],
) -> Option<String> {
    let built = app.per_cluster.iter().find_map(|(_, built)| {
        let others: Vec<&BuiltObject> = built
            .iter()
            .filter(|built| !own.contains(&built.object.id))
            .copied()
            .collect();
        patches.iter().find_map(|patch| patch.unfilled_in(&others))
    })?;
    Some(format!(
        "its patches add `${{VAR}}`s to `{}` of app `{}`, which is kept as built with Flux's \
         substitution turned off",
        built.object.id, app.name
    ))
}

/// Writes the patches of component `name` (from `dir`) into its directory of the spec; returns
/// their `patch` lines.
pub(super) fn write_patches(
    name: &str,
    dir: &str,
    patches: &[ComponentPatch],
    lifted: &mut Lifted,
) -> Vec<Node> {
    let mut lines = Vec::new();
    for patch in patches {
        let path = format!("components/{name}/{}", patch.file_name());
        let mut line = Node::with("patch", path.clone());
        for (property, value) in &patch.target {
            line = line.prop(property, value.clone());
        }
        lines.push(line);
        if let Some(file) = &patch.copied_from {
            lifted.copy(&path, &patch.bytes);
            lifted.report.raw(
                file,
                "a Flux-level component's patch",
                format!("component `{name}`: copied byte for byte into `{path}`"),
            );
        } else {
            lifted.write(&path, patch.bytes.clone());
            lifted.report.raw(
                dir,
                "a Flux-level component's inline patch",
                format!(
                    "component `{name}`: written out as `{path}`, its target on the `patch` line"
                ),
            );
        }
    }
    lines
}

/// The kinds the spec writes for a chart (its HelmRelease and source), by API group. A
/// component that patches one of them keeps the app's chart as built: what the spec would write
/// need not have the fields the patch edits (an empty `dependsOn` it appends to).
const CHART_KINDS: [(&str, &str); 3] = [
    ("helm.toolkit.fluxcd.io", "HelmRelease"),
    ("source.toolkit.fluxcd.io", "OCIRepository"),
    ("source.toolkit.fluxcd.io", "HelmRepository"),
];

/// The first component of a Flux Kustomization's `spec` whose patches the spec says and that
/// may patch a chart's HelmRelease or source.
pub(super) fn patching_charts<'p>(
    components: &'p ComponentPatches,
    spec: &Value,
) -> Option<&'p str> {
    directories(spec).into_iter().find_map(|dir| {
        let (dir, said) = components.get_key_value(&dir)?;
        said.as_ref()
            .ok()?
            .iter()
            .any(ComponentPatch::may_patch_a_chart)
            .then_some(dir.as_str())
    })
}

/// The kustomization files of the components whose patches the spec says, rewritten without
/// their `patches`: built with them, the repository applies its objects as they are before
/// those components patch them.
pub(super) fn unpatched(
    repo: &SourceRepo,
    patched: &ComponentPatches,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut replaced = BTreeMap::new();
    for dir in patched
        .iter()
        .filter(|(_, patches)| patches.is_ok())
        .map(|(dir, _)| dir)
    {
        let Some(path) = kustomization_path(repo, dir) else {
            continue;
        };
        let Some(mut kustomization) = repo.document(&path) else {
            continue;
        };
        if let Some(fields) = kustomization.as_object_mut() {
            fields.remove("patches");
        }
        let text =
            serde_saphyr::to_string(&kustomization).map_err(|error| format!("{path}: {error}"))?;
        replaced.insert(path, text.into_bytes());
    }
    Ok(replaced)
}

/// A kustomization of the repository that lists `dir` under its own `components`.
fn overlay_user(repo: &SourceRepo, dir: &str) -> Option<String> {
    repo.paths()
        .filter(|path| {
            crate::kustomize_dir::KUSTOMIZATION_FILES
                .iter()
                .any(|name| path.rsplit('/').next() == Some(*name))
        })
        .find(|path| {
            let base = path.rsplit_once('/').map_or("", |(base, _)| base);
            repo.document(path).is_some_and(|document| {
                document
                    .get("components")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|entry| join(base, entry).as_deref() == Some(dir))
            })
        })
        .map(str::to_owned)
}

/// The `patches` of the component in `dir` as the spec says them, or why one cannot be.
fn says(repo: &SourceRepo, dir: &str, entries: &Value) -> Result<Vec<ComponentPatch>, String> {
    let entries = entries
        .as_array()
        .ok_or("its kustomization's `patches` is not a list")?;
    let mut patches = Vec::new();
    for entry in entries {
        let target = target(entry.get("target"))?;
        if let Some(field) = entry
            .as_object()
            .into_iter()
            .flatten()
            .map(|(field, _)| field.as_str())
            .find(|field| !matches!(*field, "patch" | "path" | "target"))
        {
            return Err(format!(
                "a patch of its kustomization has `{field}`, which the spec's `patch` cannot say"
            ));
        }
        let patch = match (text_at(entry, &["patch"]), text_at(entry, &["path"])) {
            (Some(text), None) => {
                let mut bytes = text.as_bytes().to_vec();
                if !bytes.ends_with(b"\n") {
                    bytes.push(b'\n');
                }
                ComponentPatch {
                    copied_from: None,
                    bytes,
                    target,
                }
            }
            (None, Some(path)) => {
                let name = path.strip_prefix("./").unwrap_or(path);
                let file = format!("{dir}/{name}");
                let bytes = repo
                    .bytes(&file)
                    .filter(|_| !name.contains('/'))
                    .ok_or_else(|| {
                        format!("its patch `{path}` is not a file beside its kustomization")
                    })?;
                ComponentPatch {
                    copied_from: Some(file),
                    bytes: bytes.to_vec(),
                    target,
                }
            }
            _ => return Err("a patch of its kustomization has no `patch` or `path`".to_owned()),
        };
        patches.push(patch);
    }
    let mut names: Vec<String> = patches.iter().map(ComponentPatch::file_name).collect();
    names.sort();
    names.dedup();
    if names.len() != patches.len() {
        return Err("two of its patches would be written to the same file".to_owned());
    }
    Ok(patches)
}

/// A patch's `target` as the spec's properties.
fn target(target: Option<&Value>) -> Result<Vec<(&'static str, String)>, String> {
    let Some(target) = target else {
        return Ok(Vec::new());
    };
    let fields = target
        .as_object()
        .ok_or("a patch's `target` is not a map")?;
    if let Some(field) = fields
        .keys()
        .find(|field| !PATCH_TARGET_FIELDS.iter().any(|(known, _)| known == field))
    {
        return Err(format!(
            "a patch's target has `{field}`, which the spec's `patch` cannot say"
        ));
    }
    Ok(PATCH_TARGET_FIELDS
        .iter()
        .filter_map(|(field, property)| Some((*property, text_at(target, &[field])?.to_owned())))
        .collect())
}

//! The output layout: every path and file name fluxspec writes under the output directory
//! (`generated/`), the relative paths between its directories, and the names of the objects the
//! layout ties together (the root Kustomizations, the cluster ConfigMap).
//!
//! What a spec chooses (`settings { layout }`: the order of cluster and layer under
//! `app-flux-kustomizations/`, the names of the root Kustomizations and of the cluster ConfigMap)
//! is a method of [`Layout`], a value built from the model's settings that `render` carries.
//! What stays fixed is a constant or a free function, so `resolve` (the names a copied file may
//! not take), `build` (each cluster's entry directory) and `sync` (the ownership manifest) use it
//! without a model. The table under "The output" in ARCHITECTURE.md lists the same paths; a test
//! here checks that the two, and `generated/`, agree.
//!
//! **Invariant:** no other module spells an output path or a generated file name.

use crate::model::{Layer, Settings};

/// Where `init` puts the first compile, and the directory the paths here are relative to.
pub(crate) const DEFAULT_OUTPUT_DIR: &str = "generated";
/// The ownership manifest `sync` keeps at the top of the output directory.
pub(crate) const MANIFEST_FILE: &str = ".fluxspec-manifest";

/// The kustomization (or Component) of a directory.
pub(crate) const KUSTOMIZATION_FILE: &str = "kustomization.yaml";
/// An app's HelmRelease, in its base.
pub(crate) const HELM_RELEASE_FILE: &str = "helmrelease.yaml";
/// An app's HelmRepository, in its base, for a chart from a Helm repository.
pub(crate) const HELM_REPOSITORY_FILE: &str = "helmrepository.yaml";
/// An app's OCIRepository at a cluster's chart tag, in its overlay, for an OCI chart.
pub(crate) const OCI_REPOSITORY_FILE: &str = "ocirepository.yaml";
/// The patch of a cluster's Helm values, in an overlay.
pub(crate) const HELM_RELEASE_VALUES_FILE: &str = "helmrelease-values.yaml";
/// The patch of a cluster's chart version, in an overlay, for a chart from a Helm repository.
pub(crate) const HELM_RELEASE_VERSION_FILE: &str = "helmrelease-version.yaml";
/// The patch of a cluster's HelmRelease settings, in an overlay, when its block changes them.
pub(crate) const HELM_RELEASE_SETTINGS_FILE: &str = "helmrelease-settings.yaml";
/// The HelmRepositories several apps share, applied by the platform root.
pub(crate) const SHARED_HELM_REPOSITORIES_FILE: &str = "helm-repositories.yaml";
/// The cluster's ConfigMap of variables, applied by the platform root.
pub(crate) const CLUSTER_CONFIG_MAP_FILE: &str = "cluster-configmap.yaml";
/// The Namespaces of a cluster's apps, applied by the platform root.
pub(crate) const NAMESPACES_FILE: &str = "namespaces.yaml";

/// Each cluster's entry directory, where `flux bootstrap --path` points.
const CLUSTERS_DIR: &str = "clusters";
const APP_FLUX_KUSTOMIZATIONS_DIR: &str = "app-flux-kustomizations";
const APPS_DIR: &str = "apps";
const BASE_DIR: &str = "base";
const COMPONENTS_DIR: &str = "components";
/// The name of the cluster's ConfigMap of variables, unless the spec chooses another.
pub(crate) const DEFAULT_CLUSTER_CONFIG: &str = "cluster-config";
/// The root Kustomizations' name, unless the spec chooses another.
pub(crate) const DEFAULT_ROOT_KUSTOMIZATION: &str = "{layer}-{cluster}";
/// Where a root Kustomization's name has its layer.
pub(crate) const LAYER_PLACEHOLDER: &str = "{layer}";
/// Where a root Kustomization's name has its cluster.
pub(crate) const CLUSTER_PLACEHOLDER: &str = "{cluster}";

/// `name` inside `dir`.
pub(crate) fn file_in(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

/// A cluster's entry directory: `clusters/<cluster>`.
pub(crate) fn cluster_dir(cluster: &str) -> String {
    format!("{CLUSTERS_DIR}/{cluster}")
}

/// The cluster whose entry directory holds the output file at `path`, if any.
pub(crate) fn entry_cluster(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(CLUSTERS_DIR)?.strip_prefix('/')?;
    Some(rest.split_once('/')?.0)
}

/// The root Flux Kustomization of a layer on a cluster: `clusters/<cluster>/<layer>.yaml`.
pub(crate) fn root_kustomization_file(cluster: &str, layer: Layer) -> String {
    file_in(&cluster_dir(cluster), &format!("{}.yaml", layer.as_str()))
}

/// An app's Flux Kustomization, in the directory of its layer: `<app>.yaml`.
pub(crate) fn app_flux_kustomization_file(app: &str) -> String {
    format!("{app}.yaml")
}

/// An app's base: `apps/<app>/base`.
pub(crate) fn app_base_dir(app: &str) -> String {
    format!("{APPS_DIR}/{app}/{BASE_DIR}")
}

/// An app's overlay for one cluster: `apps/<app>/<cluster>`.
pub(crate) fn app_overlay_dir(app: &str, cluster: &str) -> String {
    format!("{APPS_DIR}/{app}/{cluster}")
}

/// The app's base as an overlay's kustomization names it.
pub(crate) fn base_from_overlay() -> String {
    format!("../{BASE_DIR}")
}

/// A component: `components/<component>`.
pub(crate) fn component_dir(component: &str) -> String {
    format!("{COMPONENTS_DIR}/{component}")
}

/// A component as an overlay's kustomization names it, and as the app's Flux Kustomization
/// does (its `spec.components` are relative to its `spec.path`, the overlay).
pub(crate) fn component_from_overlay(component: &str) -> String {
    format!("../../../{}", component_dir(component))
}

/// A component as another component's kustomization names it.
pub(crate) fn component_from_component(component: &str) -> String {
    format!("../{component}")
}

/// The parts of the layout a spec's settings may choose, and where Flux finds the output in
/// the Git repository.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout<'a> {
    /// The output directory's path in the Git repository, `./generated`, without a trailing `/`.
    output_path: &'a str,
    /// `app-flux-kustomizations/<layer>/<cluster>` rather than `<cluster>/<layer>`.
    layer_first: bool,
    /// The root Kustomizations' name, with `{layer}` and `{cluster}`.
    root_kustomization: &'a str,
    cluster_config: &'a str,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(settings: &'a Settings) -> Self {
        Self {
            output_path: &settings.output_path,
            layer_first: settings.layout.layer_first,
            root_kustomization: &settings.layout.root_kustomization,
            cluster_config: &settings.layout.cluster_config,
        }
    }

    /// `dir` of the output as a Flux Kustomization's `path` names it.
    pub(crate) fn flux_path(&self, dir: &str) -> String {
        format!("{}/{dir}", self.output_path)
    }

    /// What a layer's root Kustomization applies on a cluster:
    /// `app-flux-kustomizations/<cluster>/<layer>`, or `<layer>/<cluster>` when the spec puts
    /// the layer first.
    pub(crate) fn app_flux_kustomizations_dir(&self, cluster: &str, layer: Layer) -> String {
        let layer = layer.as_str();
        if self.layer_first {
            format!("{APP_FLUX_KUSTOMIZATIONS_DIR}/{layer}/{cluster}")
        } else {
            format!("{APP_FLUX_KUSTOMIZATIONS_DIR}/{cluster}/{layer}")
        }
    }

    /// The name of a layer's root Flux Kustomization on a cluster: `<layer>-<cluster>` unless
    /// the spec chooses another.
    pub(crate) fn root_kustomization_name(&self, cluster: &str, layer: Layer) -> String {
        Self::root_name_from(self.root_kustomization, cluster, layer)
    }

    /// A root Kustomization's name from the spec's `template`.
    pub(crate) fn root_name_from(template: &str, cluster: &str, layer: Layer) -> String {
        template
            .replace(LAYER_PLACEHOLDER, layer.as_str())
            .replace(CLUSTER_PLACEHOLDER, cluster)
    }

    /// The name of the cluster's ConfigMap of variables.
    pub(crate) fn cluster_config_name(&self) -> &'a str {
        self.cluster_config
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// What a copied file's name stands for in the table.
    const COPIED: &str = "<file>";

    /// The output directory the table under "## The output" in ARCHITECTURE.md starts from, and
    /// its file paths relative to it, `{a,b}` expanded. Directories end with `/`; what is indented
    /// two more spaces under one is inside it.
    fn documented() -> (String, BTreeSet<String>) {
        let architecture = include_str!("../ARCHITECTURE.md");
        let (_, section) = architecture
            .split_once("\n## The output\n")
            .expect("ARCHITECTURE.md has a section `## The output`");
        let table = section
            .split("```")
            .nth(1)
            .expect("the section opens with a code block");
        let mut lines = table.lines().filter(|line| !line.trim().is_empty());
        let root = lines.next().expect("the table names the output directory");
        let mut dirs: Vec<&str> = Vec::new();
        let mut paths = BTreeSet::new();
        for line in lines {
            let indent = line.len() - line.trim_start().len();
            assert!(
                indent >= 2 && indent % 2 == 0 && indent / 2 - 1 <= dirs.len(),
                "unexpected indentation in the output table: {line:?}"
            );
            dirs.truncate(indent / 2 - 1);
            // Paths have no spaces; a description follows them.
            let name = line.split_whitespace().next().unwrap_or_default();
            if let Some(dir) = name.strip_suffix('/') {
                dirs.push(dir);
            } else {
                let path: Vec<&str> = dirs.iter().chain([&name]).copied().collect();
                paths.extend(expand(&path.join("/")));
            }
        }
        (root.trim().to_owned(), paths)
    }

    /// `a/{b,c}/d` as `a/b/d` and `a/c/d`.
    fn expand(pattern: &str) -> Vec<String> {
        let Some((before, rest)) = pattern.split_once('{') else {
            return vec![pattern.to_owned()];
        };
        let (choices, after) = rest.split_once('}').expect("every `{` is closed");
        choices
            .split(',')
            .flat_map(|choice| expand(&format!("{before}{choice}{after}")))
            .collect()
    }

    /// The paths the module gives, with `<c>`, `<app>`, `<name>` and `<file>` for what the spec
    /// names.
    fn produced() -> BTreeSet<String> {
        let layout = Layout {
            output_path: "./generated",
            layer_first: false,
            root_kustomization: DEFAULT_ROOT_KUSTOMIZATION,
            cluster_config: DEFAULT_CLUSTER_CONFIG,
        };
        let mut paths = BTreeSet::from([MANIFEST_FILE.to_owned()]);
        let in_dir = |dir: String, names: &[&str]| -> Vec<String> {
            names.iter().map(|name| file_in(&dir, name)).collect()
        };
        for layer in Layer::ALL {
            paths.insert(root_kustomization_file("<c>", layer));
            paths.extend(in_dir(
                layout.app_flux_kustomizations_dir("<c>", layer),
                &[KUSTOMIZATION_FILE, &app_flux_kustomization_file("<app>")],
            ));
        }
        paths.extend(in_dir(
            layout.app_flux_kustomizations_dir("<c>", Layer::Platform),
            &[
                CLUSTER_CONFIG_MAP_FILE,
                NAMESPACES_FILE,
                SHARED_HELM_REPOSITORIES_FILE,
            ],
        ));
        paths.extend(in_dir(
            app_base_dir("<app>"),
            &[
                KUSTOMIZATION_FILE,
                HELM_RELEASE_FILE,
                HELM_REPOSITORY_FILE,
                COPIED,
            ],
        ));
        paths.extend(in_dir(
            app_overlay_dir("<app>", "<c>"),
            &[
                KUSTOMIZATION_FILE,
                OCI_REPOSITORY_FILE,
                HELM_RELEASE_VERSION_FILE,
                HELM_RELEASE_VALUES_FILE,
                HELM_RELEASE_SETTINGS_FILE,
                COPIED,
            ],
        ));
        paths.extend(in_dir(
            component_dir("<name>"),
            &[KUSTOMIZATION_FILE, COPIED],
        ));
        paths
    }

    /// Whether `path` is an instance of `pattern`, where `<x>` in a segment stands for any
    /// non-empty text; a copied `<file>` may be in subdirectories (a kustomize directory's).
    fn matches(pattern: &str, path: &str) -> bool {
        let patterns: Vec<&str> = pattern.split('/').collect();
        let mut segments: Vec<&str> = path.split('/').collect();
        if pattern.ends_with(COPIED) && segments.len() > patterns.len() {
            segments.drain(patterns.len() - 1..segments.len() - 1);
        }
        patterns.len() == segments.len()
            && patterns.iter().zip(&segments).all(|(pattern, segment)| {
                match pattern.split_once('<').zip(pattern.split_once('>')) {
                    Some(((prefix, _), (_, suffix))) => {
                        segment.len() > prefix.len() + suffix.len()
                            && segment.starts_with(prefix)
                            && segment.ends_with(suffix)
                    }
                    None => pattern == segment,
                }
            })
    }

    #[test]
    fn architecture_lists_the_paths_of_the_layout() {
        let (root, documented) = documented();
        assert_eq!(root, format!("{DEFAULT_OUTPUT_DIR}/"));
        let produced = produced();
        assert!(
            documented == produced,
            "ARCHITECTURE.md lists paths the layout does not give: {:?}\n\
             the layout gives paths ARCHITECTURE.md does not list: {:?}",
            documented.difference(&produced).collect::<Vec<_>>(),
            produced.difference(&documented).collect::<Vec<_>>(),
        );
    }

    #[test]
    fn the_example_output_has_every_documented_path_and_no_other() {
        let (_, documented) = documented();
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_OUTPUT_DIR);
        let files: Vec<String> = walkdir::WalkDir::new(&out)
            .into_iter()
            .map(|entry| entry.expect("generated/ is readable"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let path = entry.path().strip_prefix(&out).expect("inside generated/");
                path.to_str().expect("UTF-8 paths").replace('\\', "/")
            })
            .collect();
        for file in &files {
            assert!(
                documented.iter().any(|pattern| matches(pattern, file)),
                "generated/{file} matches no path in ARCHITECTURE.md"
            );
        }
        for pattern in &documented {
            assert!(
                files.iter().any(|file| matches(pattern, file)),
                "no file in generated/ is an instance of {pattern}"
            );
        }
    }

    #[test]
    fn relative_paths_lead_where_they_say() {
        let overlay = app_overlay_dir("app", "dev");
        let resolve = |relative: &str| {
            let mut parts: Vec<&str> = overlay.split('/').collect();
            for part in relative.split('/') {
                if part == ".." {
                    parts.pop();
                } else {
                    parts.push(part);
                }
            }
            parts.join("/")
        };
        assert_eq!(resolve(&base_from_overlay()), app_base_dir("app"));
        assert_eq!(
            resolve(&component_from_overlay("ingress")),
            component_dir("ingress")
        );
        for layer in Layer::ALL {
            assert_eq!(
                entry_cluster(&root_kustomization_file("dev", layer)),
                Some("dev")
            );
        }
        assert_eq!(entry_cluster("clusters-old/dev/apps.yaml"), None);
        assert_eq!(entry_cluster(&app_base_dir("clusters")), None);
    }
}

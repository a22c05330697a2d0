//! The kustomization.yaml kustomize-controller generates for a Flux Kustomization whose path has
//! none (fluxcd/pkg `kustomize/kustomize_generator.go`, `generateKustomization`): every `.yaml`
//! and `.yml` file under the path, in lexical order of the walk, and every subdirectory that
//! holds a kustomization file, as a directory resource whose contents are not walked.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use walkdir::WalkDir;

use super::kustomize::kustomization_file;

/// The resources of the kustomization generated for `dir`.
pub(super) fn resources(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut resources = Vec::new();
    let mut walk = WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(io::Error::other)?;
        let path = entry.path();
        if entry.file_type().is_dir() {
            if kustomization_file(path).is_some() {
                resources.push(path.to_path_buf());
                walk.skip_current_dir();
            }
            continue;
        }
        let yaml = path
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml");
        if yaml {
            resources.push(path.to_path_buf());
        }
    }
    Ok(resources)
}

/// The text of a kustomization.yaml listing `resources`.
pub(super) fn kustomization(resources: impl Iterator<Item = String>) -> String {
    let resources: Vec<Value> = resources.map(Value::String).collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    // A map of strings always serialises.
    serde_saphyr::to_string(&kustomization).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn lists_yaml_files_and_directories_with_a_kustomization() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let file = root.path().join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, "").unwrap();
        };
        for path in [
            "b.yaml",
            "a.yml",
            "notes.md",
            "app/kustomization.yaml",
            "app/deep/x.yaml",
            "plain/c.yaml",
            "plain/inner/kustomization.yaml",
        ] {
            write(path);
        }
        let listed: Vec<String> = resources(root.path())
            .unwrap()
            .iter()
            .map(|path| {
                path.strip_prefix(root.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            listed,
            ["a.yml", "app", "b.yaml", "plain/c.yaml", "plain/inner"]
        );
    }
}

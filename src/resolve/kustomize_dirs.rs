//! The files a kustomize directory in a copied tree applies: those its kustomization file lists
//! under `resources`, following the directories it lists (each with its own kustomization).
//! They are the files the substitution and object checks read; the directory's other files (its
//! patches, files it does not list) are copied but not checked. Remote targets are skipped: they
//! are not in the tree.

use std::collections::BTreeSet;

use miette::SourceSpan;
use serde_json::Value;

use crate::kustomize_dir::{KUSTOMIZATION_FILES, is_remote};
use crate::model::SourceFile;

use super::Error;
use super::manifests::yaml_options;

/// The names (relative to the copied tree) of the files the kustomize directory `dir` applies,
/// or the errors that stop kustomize from building it.
pub(super) fn applied_files(
    dir: &str,
    files: &[SourceFile],
    shown_root: &str,
    span: SourceSpan,
) -> Result<BTreeSet<String>, Vec<Error>> {
    let mut applied = BTreeSet::new();
    let mut errors = Vec::new();
    let mut visited = BTreeSet::new();
    walk(
        dir,
        files,
        shown_root,
        span,
        &mut visited,
        &mut applied,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(applied)
    } else {
        Err(errors)
    }
}

fn walk(
    dir: &str,
    files: &[SourceFile],
    shown_root: &str,
    span: SourceSpan,
    visited: &mut BTreeSet<String>,
    applied: &mut BTreeSet<String>,
    errors: &mut Vec<Error>,
) {
    if !visited.insert(dir.to_owned()) {
        return;
    }
    let Some(kustomization) = KUSTOMIZATION_FILES.iter().find_map(|name| {
        let path = join(dir, name)?;
        files.iter().find(|file| file.name == path)
    }) else {
        return;
    };
    let shown = if shown_root.is_empty() {
        kustomization.name.clone()
    } else {
        format!("{shown_root}/{}", kustomization.name)
    };
    let text = String::from_utf8_lossy(&kustomization.bytes);
    let content = match serde_saphyr::from_str_with_options::<Value>(&text, yaml_options()) {
        Ok(content) => content,
        Err(error) => {
            errors.push(Error::InvalidYaml {
                path: shown,
                reason: super::manifests::yaml_error(&error),
                span,
            });
            return;
        }
    };
    let entries = content.get("resources").and_then(Value::as_array);
    for entry in entries.into_iter().flatten() {
        let Some(entry) = entry.as_str() else {
            continue;
        };
        if is_remote(entry) {
            continue;
        }
        let target = join(dir, entry);
        if let Some(target) = &target
            && files.iter().any(|file| &file.name == target)
        {
            applied.insert(target.clone());
            continue;
        }
        let is_dir = target.as_ref().is_some_and(|target| {
            let prefix = format!("{target}/");
            files.iter().any(|file| file.name.starts_with(&prefix))
        });
        match target {
            Some(target) if is_dir => {
                walk(&target, files, shown_root, span, visited, applied, errors);
            }
            _ => errors.push(Error::KustomizationMissingResource {
                kustomization: shown.clone(),
                entry: entry.to_owned(),
                span,
            }),
        }
    }
}

/// `entry` relative to `dir` (both `/`-separated, `dir` empty for the tree's root), with `.` and
/// `..` resolved; `None` when it leaves the tree.
fn join(dir: &str, entry: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|part| !part.is_empty()).collect();
    for part in entry.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile {
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn follows_listed_files_and_directories_and_skips_remote_targets() {
        let files = [
            file(
                "up/kustomization.yaml",
                "resources:\n- deploy.yaml\n- ./crds\n- https://example.com/x.yaml\n",
            ),
            file("up/deploy.yaml", ""),
            file("up/patch.yaml", ""),
            file("up/crds/kustomization.yaml", "resources: [crd.yaml]\n"),
            file("up/crds/crd.yaml", ""),
        ];
        let applied = applied_files("up", &files, "spec", SourceSpan::from(0..0)).unwrap();
        assert_eq!(
            applied.into_iter().collect::<Vec<_>>(),
            ["up/crds/crd.yaml", "up/deploy.yaml"]
        );
    }

    #[test]
    fn a_listed_file_that_is_not_there_is_an_error() {
        let files = [file(
            "up/kustomization.yaml",
            "resources:\n- gone.yaml\n- ../../x\n",
        )];
        let errors = applied_files("up", &files, "spec", SourceSpan::from(0..0)).unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}

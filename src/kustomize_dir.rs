//! Directories with their own kustomization file inside a file tree the spec copies (a vendored
//! upstream, a sub-kustomization, a component's nested directory). kustomize builds such a
//! directory as a whole, so the output lists it as one resource, not file by file; `resolve`
//! checks the files its kustomization lists, `render` lists the directory.

use std::collections::BTreeSet;

use crate::model::SourceFile;

/// The kustomization file names fluxspec recognizes in a copied tree (the YAML ones kustomize
/// reads; fluxspec copies only `.yaml`, `.yml` and `.json` files).
pub(crate) const KUSTOMIZATION_FILES: [&str; 2] = ["kustomization.yaml", "kustomization.yml"];

/// The outermost directory (`vendor/upstream`) above `name` (a `/`-separated path) that holds a
/// kustomization file among `names`, if any.
pub(crate) fn dir_of<'a>(name: &'a str, names: &BTreeSet<&str>) -> Option<&'a str> {
    name.match_indices('/')
        .map(|(at, _)| &name[..at])
        .find(|dir| {
            KUSTOMIZATION_FILES
                .iter()
                .any(|file| names.contains(format!("{dir}/{file}").as_str()))
        })
}

/// What a kustomization lists for copied `files`: each kustomize directory once, where its first
/// file is, and every other file by name.
pub(crate) fn resources(files: &[SourceFile]) -> Vec<String> {
    let names: BTreeSet<&str> = files.iter().map(|file| file.name.as_str()).collect();
    let mut listed = Vec::new();
    let mut dirs = BTreeSet::new();
    for file in files {
        match dir_of(&file.name, &names) {
            Some(dir) => {
                if dirs.insert(dir) {
                    listed.push(dir.to_owned());
                }
            }
            None => listed.push(file.name.clone()),
        }
    }
    listed
}

/// Whether a kustomization entry is a remote target (`https://…`, `github.com/org/repo?ref=v1`),
/// which is not in the tree.
pub(crate) fn is_remote(entry: &str) -> bool {
    entry.contains("://") || entry.contains('?') || entry.starts_with("github.com/")
}

/// The kustomize remote target of a remote base (`github.com/owner/repo/dir`) at a Git tag:
/// `https://github.com/owner/repo//dir?ref=tag`, the repository's root delimited by `//`.
pub(crate) fn remote_target(base: &str, tag: &str) -> String {
    let mut parts = base.splitn(4, '/');
    let (host, owner, repo) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    match parts.next() {
        Some(dir) => format!("https://{host}/{owner}/{repo}//{dir}?ref={tag}"),
        None => format!("https://{host}/{owner}/{repo}?ref={tag}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> SourceFile {
        SourceFile {
            name: name.to_owned(),
            bytes: Vec::new(),
        }
    }

    #[test]
    fn a_directory_with_a_kustomization_is_listed_once() {
        let files = [
            file("a.yaml"),
            file("upstream/deploy.yaml"),
            file("upstream/kustomization.yaml"),
            file("upstream/nested/kustomization.yml"),
            file("plain/b.yaml"),
        ];
        assert_eq!(resources(&files), ["a.yaml", "upstream", "plain/b.yaml"]);
    }

    #[test]
    fn remote_targets_delimit_the_repository_with_two_slashes() {
        assert_eq!(
            remote_target(
                "github.com/rancher/local-path-provisioner/deploy",
                "v0.0.31"
            ),
            "https://github.com/rancher/local-path-provisioner//deploy?ref=v0.0.31"
        );
        assert_eq!(
            remote_target("github.com/org/repo", "v1"),
            "https://github.com/org/repo?ref=v1"
        );
        assert!(is_remote(&remote_target("github.com/org/repo/a/b", "v1")));
    }

    #[test]
    fn remote_targets_are_recognized() {
        assert!(is_remote("https://github.com/org/repo//deploy?ref=v1"));
        assert!(is_remote("github.com/org/repo/deploy?ref=v1"));
        assert!(!is_remote("../base"));
        assert!(!is_remote("deploy.yaml"));
    }
}

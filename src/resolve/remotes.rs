//! Remote kustomize bases (`remote "github.com/owner/repo/dir" { version "v1" }`): the base's
//! address, and the Git tag each cluster gets. The tag's syntax is checked with the other
//! `version` lines ([`super::versions`]).

use std::collections::BTreeMap;

use crate::parse::syntax;
use crate::suggest::shown;

use super::{Error, Resolver};

/// Whether `url` is `github.com/owner/repo` with an optional directory: the one form fluxspec
/// writes as a kustomize remote target and Renovate's `github-tags` datasource reads.
pub(crate) fn is_remote_base(url: &str) -> bool {
    let Some(path) = url.strip_prefix("github.com/") else {
        return false;
    };
    let parts: Vec<&str> = path.split('/').collect();
    let plain = |part: &&str| {
        !part.is_empty()
            && part != &"."
            && part != &".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    parts.len() >= 2 && parts.iter().all(plain)
}

/// Whether `tag` can be a Git tag in a kustomize `?ref=`: no space, no character a URL query
/// would read otherwise.
pub(super) fn is_git_tag(tag: &str) -> bool {
    !tag.is_empty()
        && !tag.starts_with('-')
        && tag.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '?' | '&' | '#' | '%' | '~' | '^' | ':' | '\\')
        })
}

impl Resolver {
    /// Checks each remote base's address, and that an app names each once.
    pub(super) fn remote_bases(&mut self, app: &syntax::App) {
        self.unique("remote base", app.remotes.iter().map(|remote| &remote.url));
        for remote in &app.remotes {
            if !is_remote_base(&remote.url.value) {
                self.errors.push(Error::InvalidRemote {
                    value: shown(&remote.url.value),
                    span: remote.url.span,
                });
            }
        }
    }

    /// Each remote base of `app` with its tag on `cluster`.
    pub(super) fn remotes_for(
        &mut self,
        app: &syntax::App,
        cluster: &str,
    ) -> BTreeMap<String, String> {
        app.remotes
            .iter()
            .filter_map(|remote| {
                self.version_for(&app.name.value, cluster, &remote.url, &remote.versions)
                    .map(|tag| (remote.url.value.clone(), tag))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_git_tag, is_remote_base};

    #[test]
    fn remote_bases_are_github_repositories_with_an_optional_directory() {
        assert!(is_remote_base("github.com/rancher/local-path-provisioner"));
        assert!(is_remote_base(
            "github.com/rancher/local-path-provisioner/deploy"
        ));
        assert!(is_remote_base("github.com/org/repo/a/b.c"));
        assert!(!is_remote_base("github.com/org"));
        assert!(!is_remote_base("https://github.com/org/repo"));
        assert!(!is_remote_base("github.com/org/repo//deploy"));
        assert!(!is_remote_base("github.com/org/repo/deploy?ref=v1"));
        assert!(!is_remote_base("github.com/org/repo/../x"));
        assert!(!is_remote_base("gitlab.com/org/repo"));
    }

    #[test]
    fn git_tags_fit_in_a_ref_query() {
        assert!(is_git_tag("v0.0.31"));
        assert!(is_git_tag("release/1.2"));
        assert!(!is_git_tag("v1 beta"));
        assert!(!is_git_tag("v1&x=y"));
        assert!(!is_git_tag(""));
    }
}

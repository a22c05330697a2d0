//! What `resolve` warns about: a [`Warning`] for what is legal but most likely not meant. Each
//! has a stable code, listed with an example and its fix in `docs/errors.md`.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// Legal, but most likely not what was meant. `--deny-warnings` makes each an error.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Warning {
    #[error("component `{name}` is not used by any app")]
    #[diagnostic(
        code("fluxspec::unused-component"),
        severity(Warning),
        help("use it in an app with `component \"{name}\"`, or remove it")
    )]
    UnusedComponent {
        name: String,
        #[label("unused")]
        span: SourceSpan,
    },
    #[error("component `{component}` declares `{var}`, but its files never use `${{{var}}}`")]
    #[diagnostic(
        code("fluxspec::unused-component-var"),
        severity(Warning),
        help("remove the `var`, or use `${{{var}}}` in the component's manifests")
    )]
    UnusedComponentVar {
        component: String,
        var: String,
        #[label("never substituted")]
        span: SourceSpan,
    },
    #[error("cluster `{cluster}` sets `{var}`, but no app on it uses `${{{var}}}`")]
    #[diagnostic(
        code("fluxspec::unused-cluster-var"),
        severity(Warning),
        help(
            "remove the `var`, or use `${{{var}}}` in the manifests of an app deployed to `{cluster}`"
        )
    )]
    UnusedClusterVar {
        cluster: String,
        var: String,
        #[label("never substituted")]
        span: SourceSpan,
    },
    #[error("app `{app}` is deployed to no cluster")]
    #[diagnostic(
        code("fluxspec::app-on-no-cluster"),
        severity(Warning),
        help("name its clusters (`clusters \"dev\"`), or remove the app")
    )]
    AppOnNoCluster {
        app: String,
        #[label("no cluster named")]
        span: SourceSpan,
    },
    #[error(
        "a patch sets {field} of app `{app}` to `{patched}` on {clusters}: Flux applies that, not the spec's `{pinned}`"
    )]
    #[diagnostic(
        code("fluxspec::version-overridden-by-patch"),
        severity(Warning),
        help(
            "remove the version from the patch and write it in the spec's `version` line, so `versions`, `promote` and Renovate see the version Flux applies"
        )
    )]
    VersionOverriddenByPatch {
        app: String,
        field: &'static str,
        /// "`dev`, `prod`".
        clusters: String,
        patched: String,
        pinned: String,
        /// `path:line` of a patch file, or `inline-patch`.
        location: String,
        #[label("the spec pins `{pinned}`")]
        version: SourceSpan,
        #[label("`{location}` sets `{patched}`")]
        patch: SourceSpan,
    },
    #[error(
        "app `{app}` sets the label `{label}` to `{ours}` on every object, but `{object}` in `{location}` sets it to `{theirs}`"
    )]
    #[diagnostic(code("fluxspec::label-overwritten"), severity(Warning), help("{help}"))]
    LabelOverwritten {
        app: String,
        label: String,
        ours: String,
        theirs: String,
        object: String,
        /// `path:line:column` of the object.
        location: String,
        help: String,
        #[label("the Flux Kustomization's `commonMetadata` sets `{ours}`")]
        app_span: SourceSpan,
        #[label("`{theirs}` in this file")]
        file: SourceSpan,
    },
}

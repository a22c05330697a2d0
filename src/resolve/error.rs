//! What `resolve` reports as an error: an [`Error`] for each mistake in the meaning of a spec
//! (warnings are in `warning.rs`). Each has a stable code, listed with an example and its fix in
//! `docs/errors.md`.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::input::FileKind;
use crate::select::{UnknownApp, UnknownCluster};

/// A mistake in the meaning of the spec.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error("the spec declares no cluster")]
    #[diagnostic(code("fluxspec::no-cluster"), help("add `cluster \"dev\" {{ }}`"))]
    NoCluster {
        #[label("in this spec")]
        span: SourceSpan,
    },
    #[error("{what} `{name}` is declared twice")]
    #[diagnostic(code("fluxspec::duplicate-name"), help("rename or remove one of them"))]
    Duplicate {
        what: &'static str,
        name: String,
        #[label("second `{name}`")]
        span: SourceSpan,
        #[label("first declared here")]
        first: SourceSpan,
    },
    #[error("{what} is given twice")]
    #[diagnostic(
        code("fluxspec::duplicate-version"),
        help(
            "keep one line per cluster, and at most one without `cluster=` (the default for every other cluster)"
        )
    )]
    DuplicateVersion {
        what: String,
        #[label("second")]
        span: SourceSpan,
        #[label("first given here")]
        first: SourceSpan,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownCluster(#[from] UnknownCluster),
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownApp(#[from] UnknownApp),
    #[error("component `{name}` uses itself")]
    #[diagnostic(
        code("fluxspec::component-cycle"),
        help(
            "kustomize cannot build a component that includes itself, directly or through another component; remove one `component` line of the cycle"
        )
    )]
    ComponentCycle {
        name: String,
        #[label("leads back to `{name}`")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a component level")]
    #[diagnostic(
        code("fluxspec::invalid-component-level"),
        help(
            "`level=\"overlay\"` (the default) lists the component in the app's overlay kustomization.yaml; `level=\"flux\"` in its Flux Kustomization's `spec.components`"
        )
    )]
    InvalidComponentLevel {
        value: String,
        #[label("`flux` or `overlay`")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a remote base fluxspec can version")]
    #[diagnostic(
        code("fluxspec::invalid-remote"),
        help(
            "write `github.com/owner/repo` or `github.com/owner/repo/directory`, without a scheme, `//` or `?ref=`: each `version` line gives the Git tag"
        )
    )]
    InvalidRemote {
        value: String,
        #[label("not `github.com/owner/repo[/directory]`")]
        span: SourceSpan,
    },
    #[error("unknown component `{name}`")]
    #[diagnostic(code("fluxspec::unknown-component"))]
    UnknownComponent {
        name: String,
        #[label("no component of this name")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid {what}")]
    #[diagnostic(code("fluxspec::invalid-name"))]
    InvalidName {
        what: &'static str,
        value: String,
        #[label("invalid {what}")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid variable name")]
    #[diagnostic(
        code("fluxspec::invalid-var-name"),
        help(
            "Flux substitutes only names matching `^[_A-Za-z][_A-Za-z0-9]*$`: letters, digits and `_`, not starting with a digit"
        )
    )]
    InvalidVarName {
        value: String,
        #[label("invalid variable name")]
        span: SourceSpan,
    },
    #[error("`{name}` is reserved")]
    #[diagnostic(code("fluxspec::reserved-name"))]
    Reserved {
        name: String,
        #[label("reserved")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid duration")]
    #[diagnostic(
        code("fluxspec::invalid-duration"),
        help(
            "use the syntax Flux accepts: numbers with the units `ms`, `s`, `m` or `h`, such as `30s`, `5m`, `1h30m` or `0.5s`"
        )
    )]
    InvalidDuration {
        value: String,
        #[label("invalid duration")]
        span: SourceSpan,
    },
    #[error("`{value}` is longer than a Go duration can be")]
    #[diagnostic(
        code("fluxspec::invalid-duration"),
        help(
            "Flux reads durations with Go's `time.ParseDuration`, which stops at 2562047h47m16.854775807s (about 292 years): use a shorter one"
        )
    )]
    DurationTooLong {
        value: String,
        #[label("too long")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a layer")]
    #[diagnostic(code("fluxspec::invalid-layer"))]
    InvalidLayer {
        value: String,
        #[label("invalid layer")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid output path")]
    #[diagnostic(
        code("fluxspec::invalid-output-path"),
        help(
            "give the output directory's path from the repository root, starting with `./`, e.g. `./generated`"
        )
    )]
    InvalidOutputPath {
        value: String,
        #[label("invalid output path")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a valid {what}")]
    #[diagnostic(code("fluxspec::invalid-version"))]
    InvalidVersion {
        what: &'static str,
        value: String,
        #[label("invalid {what}")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is a range, but an image tag is one version")]
    #[diagnostic(
        code("fluxspec::image-version-range"),
        help(
            "kustomize sets one tag (`newTag`), it resolves no range: write the exact tag, such as `1.2.3`; only a chart version may be a range"
        )
    )]
    ImageVersionRange {
        value: String,
        #[label("a range")]
        span: SourceSpan,
    },
    #[error("the image's `values-path` `{path}` cannot be set: {reason}")]
    #[diagnostic(
        code("fluxspec::image-values-path"),
        help(
            "name the map of the image in the chart's values, keys separated by dots, such as `controllers.main.containers.app.image`: the map above it must be in the app's values (its base values file or the cluster's)"
        )
    )]
    ImageValuesPath {
        path: String,
        reason: String,
        #[label("not in the values")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a valid chart source: {reason}")]
    #[diagnostic(code("fluxspec::invalid-chart"))]
    InvalidChart {
        value: String,
        reason: String,
        #[label("invalid chart source")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid image name: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-image"),
        help(
            "write the repository as it appears before the `:` in a manifest, e.g. `ghcr.io/org/app`, and the tag in `version`"
        )
    )]
    InvalidImage {
        value: String,
        reason: &'static str,
        #[label("invalid image name")]
        span: SourceSpan,
    },
    #[error("app `{app}` has no version for cluster `{cluster}`")]
    #[diagnostic(
        code("fluxspec::missing-version"),
        help(
            "add `version \"...\" cluster=\"{cluster}\"`, or a `version \"...\"` line for every cluster"
        )
    )]
    MissingVersion {
        app: String,
        cluster: String,
        #[label("no version for `{cluster}`")]
        span: SourceSpan,
    },
    #[error("app `{app}` is not deployed to cluster `{cluster}`")]
    #[diagnostic(code("fluxspec::cluster-not-deployed"))]
    NotDeployed {
        app: String,
        cluster: String,
        #[label("`{app}` does not run on `{cluster}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("component `{component}` needs a value for `{var}`")]
    #[diagnostic(
        code("fluxspec::missing-component-var"),
        help(
            "set it: `component \"{component}\" {var}=\"...\"`, or give the var a default in the component"
        )
    )]
    MissingComponentVar {
        component: String,
        var: String,
        #[label("`{var}` is not set")]
        span: SourceSpan,
    },
    #[error("component `{component}` declares no variable `{var}`")]
    #[diagnostic(code("fluxspec::undeclared-component-var"))]
    UndeclaredComponentVar {
        component: String,
        var: String,
        #[label("not a variable of `{component}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("app `{app}` depends on `{dependency}`, which does not run on cluster `{cluster}`")]
    #[diagnostic(
        code("fluxspec::dependency-not-deployed"),
        help(
            "Flux would wait for it forever: deploy `{dependency}` to `{cluster}` or limit `{app}`'s `clusters`"
        )
    )]
    DependencyNotDeployed {
        app: String,
        dependency: String,
        cluster: String,
        #[label("not on `{cluster}`")]
        span: SourceSpan,
    },
    #[error("platform app `{app}` depends on apps-layer app `{dependency}`")]
    #[diagnostic(
        code("fluxspec::layer-inversion"),
        help(
            "the apps layer waits for the platform layer, so this would deadlock: move `{dependency}` to the platform layer or `{app}` to apps"
        )
    )]
    LayerInversion {
        app: String,
        dependency: String,
        #[label("an apps-layer app")]
        span: SourceSpan,
    },
    #[error("dependency cycle: {cycle}")]
    #[diagnostic(
        code("fluxspec::dependency-cycle"),
        help("Flux would never reconcile these apps: remove one `depends-on`")
    )]
    DependencyCycle {
        cycle: String,
        #[label("closes the cycle")]
        span: SourceSpan,
    },
    #[error("`{path}` is not inside the spec directory")]
    #[diagnostic(
        code("fluxspec::path-escapes"),
        help(
            "paths are relative to the spec directory and may not use `..`, `/` or symlinks out of it"
        )
    )]
    PathEscapes {
        path: String,
        #[label("outside the spec directory")]
        span: SourceSpan,
    },
    #[error("`{path}` does not exist")]
    #[diagnostic(
        code("fluxspec::file-not-found"),
        help("paths are relative to the spec file's directory")
    )]
    FileNotFound {
        path: String,
        #[label("not found")]
        span: SourceSpan,
    },
    #[error("`{path}` holds no .yaml, .yml or .json file")]
    #[diagnostic(
        code("fluxspec::empty-directory"),
        help("add the manifests, or remove the reference")
    )]
    EmptyDirectory {
        path: String,
        #[label("empty")]
        span: SourceSpan,
    },
    #[error("`{path}` is {kind}, not a regular file")]
    #[diagnostic(code("fluxspec::not-a-regular-file"))]
    NotARegularFile {
        path: String,
        kind: FileKind,
        #[help]
        help: String,
        #[label("{kind}")]
        span: SourceSpan,
    },
    #[error("`{path}` goes through `{file}`, which is a file, not a directory")]
    #[diagnostic(
        code("fluxspec::file-in-the-way"),
        help("fix the path, or move the file away and put a directory there")
    )]
    FileInTheWay {
        path: String,
        file: String,
        #[label("not a directory")]
        span: SourceSpan,
    },
    #[error(
        "`{path}` is not UTF-8 text (a binary file?): invalid byte at line {line}, column {column}"
    )]
    #[diagnostic(
        code("fluxspec::binary-file"),
        help("name a YAML or JSON text file here, or save this one as UTF-8")
    )]
    NotText {
        path: String,
        line: usize,
        column: usize,
        #[label("not text")]
        span: SourceSpan,
    },
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unreadable-file"))]
    Unreadable {
        path: String,
        reason: String,
        #[label("cannot read this")]
        span: SourceSpan,
    },
    #[error("`{path}` is not a YAML mapping of Helm values: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-values"),
        help("a values file is one YAML document whose top level is a mapping, with unique keys")
    )]
    InvalidValues {
        path: String,
        reason: String,
        #[label("invalid values file")]
        span: SourceSpan,
    },
    #[error("`{path}` is not valid YAML: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-yaml"),
        help(
            "kustomize would fail to read it: fix the YAML at that line (each key once per mapping)"
        )
    )]
    InvalidYaml {
        path: String,
        reason: String,
        #[label("this file")]
        span: SourceSpan,
    },
    #[error("`{kustomization}` lists `{entry}`, which is not in its directory tree")]
    #[diagnostic(
        code("fluxspec::kustomization-missing-resource"),
        help(
            "kustomize would fail to build the directory: add the file (fluxspec copies only \
             `.yaml`, `.yml` and `.json` files), or remove the entry"
        )
    )]
    KustomizationMissingResource {
        kustomization: String,
        entry: String,
        #[label("this tree holds a kustomization")]
        span: SourceSpan,
    },
    #[error("`{location}` is not an object Flux can apply: {reason}")]
    #[diagnostic(
        code("fluxspec::not-an-object"),
        help(
            "every document of a manifest is a Kubernetes object with `apiVersion`, `kind` and `metadata.name`; a patch belongs in a cluster block's `patch`"
        )
    )]
    NotAnObject {
        /// `path:line:column` where the document starts.
        location: String,
        reason: String,
        #[label("in `{location}`")]
        span: SourceSpan,
    },
    #[error("the inline patch is not valid YAML: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-inline-patch"),
        help(
            "Flux would fail to apply it: the string is one YAML document, a patch or a list of JSON 6902 operations"
        )
    )]
    InvalidInlinePatch {
        reason: String,
        #[label("this patch")]
        span: SourceSpan,
    },
    #[error("variables are not substituted in inline patches")]
    #[diagnostic(
        code("fluxspec::inline-patch-variable"),
        help(
            "since Flux 2.7 `spec.patches` is not substituted, so `{reference}` would reach the cluster as is: write the value itself, or use a `patch` file in a cluster block"
        )
    )]
    InlinePatchVariable {
        reference: String,
        #[label("contains `{reference}`")]
        span: SourceSpan,
    },
    #[error("`${{{var}}}` is not defined for {place}")]
    #[diagnostic(code("fluxspec::undefined-variable"))]
    UndefinedVariable {
        var: String,
        /// The app and the clusters: "app `a` on cluster `dev`".
        place: String,
        location: String,
        #[label("`${{{var}}}` in `{location}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{path}` has an invalid `${{...}}` expression: {reason}")]
    #[diagnostic(
        code("fluxspec::bad-substitution"),
        help(
            "Flux would fail to substitute this app's objects: fix the expression, or write a literal `${{` as `$${{`"
        )
    )]
    BadSubstitution {
        path: String,
        reason: String,
        #[label("`{path}`")]
        span: SourceSpan,
    },
    #[error("`${{{name}}}` in this `var` value is not defined on {place}")]
    #[diagnostic(code("fluxspec::undefined-var-reference"))]
    UndefinedVarReference {
        name: String,
        /// The cluster or clusters: "cluster `dev`".
        place: String,
        #[label("uses `${{{name}}}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("variables use each other in a cycle: {cycle}")]
    #[diagnostic(
        code("fluxspec::var-cycle"),
        help("a value cannot depend on itself: write one of these values out in full")
    )]
    VarCycle {
        cycle: String,
        target: String,
        #[label("uses `{target}`, which closes the cycle")]
        span: SourceSpan,
        /// The value of `target`, unless it is the same value (`var "A" "${A}"`).
        #[label("the value of `{target}`")]
        other: Option<SourceSpan>,
    },
    #[error("this `var` value has an invalid `${{...}}` expression: {reason}")]
    #[diagnostic(
        code("fluxspec::bad-substitution"),
        help("fix the expression, or write a literal `${{` as `$${{`")
    )]
    BadVarSubstitution {
        reason: String,
        #[label("invalid expression")]
        span: SourceSpan,
    },
    #[error("two files would be written to `{name}`")]
    #[diagnostic(code("fluxspec::file-collision"))]
    FileCollision {
        name: String,
        #[label("this file collides")]
        span: SourceSpan,
        /// Names the files fluxspec writes in that directory.
        #[help]
        help: String,
    },
    #[error("`{value}` is not a valid {what}")]
    #[diagnostic(code("fluxspec::invalid-helm-setting"))]
    InvalidHelmSetting {
        what: &'static str,
        value: String,
        #[label("invalid {what}")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("{message}")]
    #[diagnostic(code("fluxspec::invalid-release-dependency"))]
    InvalidReleaseDependency {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: &'static str,
        #[help]
        help: String,
    },
    #[error("`spec-field \"{name}\"`: {reason}")]
    #[diagnostic(code("fluxspec::invalid-spec-field"))]
    InvalidSpecField {
        name: String,
        reason: String,
        #[label("{label}")]
        span: SourceSpan,
        label: &'static str,
        #[help]
        help: Option<String>,
    },
    #[error("`{setting}` does not apply to {source_kind}")]
    #[diagnostic(code("fluxspec::source-setting-mismatch"))]
    SourceSettingMismatch {
        setting: &'static str,
        source_kind: &'static str,
        #[label("not for {source_kind}")]
        span: SourceSpan,
        #[help]
        help: &'static str,
    },
    #[error(
        "apps `{first_app}` and `{app}` name the Helm repository `{url}` with different `source` settings"
    )]
    #[diagnostic(
        code("fluxspec::conflicting-repository"),
        help(
            "apps that name one Helm repository share one HelmRepository per cluster: give them the same `source {{ ... }}` settings"
        )
    )]
    ConflictingRepository {
        url: String,
        app: String,
        first_app: String,
        #[label("`{app}`'s settings")]
        span: SourceSpan,
        #[label("`{first_app}`'s settings")]
        first: SourceSpan,
    },
    #[error(
        "namespace `{namespace}` is not created, so its labels and annotations would never be applied"
    )]
    #[diagnostic(
        code("fluxspec::metadata-on-uncreated-namespace"),
        help(
            "remove `create=#false` for fluxspec to write the Namespace with them, or remove them and label the namespace where it is created"
        )
    )]
    MetadataOnUncreatedNamespace {
        namespace: String,
        #[label("never applied")]
        span: SourceSpan,
        #[label("fluxspec does not write this Namespace")]
        create: SourceSpan,
    },
    #[error("`{path}` is SOPS-encrypted but has no MAC")]
    #[diagnostic(
        code("fluxspec::sops-mac-missing"),
        help(
            "SOPS refuses to decrypt a file whose `sops.mac` is missing: encrypt it again with `sops --encrypt`, never edit the encrypted file by hand"
        )
    )]
    SopsMacMissing {
        path: String,
        #[label("names the file without a MAC")]
        span: SourceSpan,
    },
    #[error("app `{app}` applies the SOPS-encrypted `{path}` on {clusters} without `decryption`")]
    #[diagnostic(
        code("fluxspec::sops-without-decryption"),
        help(
            "Flux would apply the file still encrypted: give the key's Secret with `decryption \"sops\" secret=\"sops-age\"` (in `defaults`, a cluster's `defaults` or the app), or `decryption \"sops\"` where kustomize-controller has its own key"
        )
    )]
    SopsWithoutDecryption {
        path: String,
        app: String,
        clusters: String,
        #[label("an encrypted file")]
        span: SourceSpan,
    },
    #[error("`{value}` is not a valid {what}")]
    #[diagnostic(code("fluxspec::invalid-kustomization-setting"))]
    InvalidKustomizationSetting {
        what: &'static str,
        value: String,
        #[label("not a valid {what}")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("`{value}` is not a layout fluxspec can write")]
    #[diagnostic(code("fluxspec::invalid-layout"))]
    InvalidLayout {
        value: String,
        #[label("not a valid layout")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    ObjectAppliedTwice(Box<ObjectAppliedTwice>),
}

/// An object two Flux Kustomizations apply (boxed: the largest of the errors).
#[derive(Debug, Error, Diagnostic)]
#[error("`{object}` is applied by both `{first_owner}` and `{owner}` on {clusters}")]
#[diagnostic(
    code("fluxspec::object-applied-twice"),
    help(
        "Flux would apply it from both Flux Kustomizations, each undoing the other's changes: keep it in one of them (a Namespace: declare it with a `namespace` node, with its labels and annotations, and the platform root applies it once per cluster)"
    )
)]
pub(crate) struct ObjectAppliedTwice {
    /// `Kind/namespace/name`.
    pub(super) object: String,
    /// The Flux Kustomizations: an app, or a cluster's platform root.
    pub(super) owner: String,
    pub(super) first_owner: String,
    /// "`dev` and `prod`".
    pub(super) clusters: String,
    /// Where each copy comes from: `` `path:line:column` ``, or what fluxspec writes.
    pub(super) from: String,
    pub(super) first_from: String,
    #[label("`{owner}` applies it from {from}")]
    pub(super) span: SourceSpan,
    #[label("`{first_owner}` applies it from {first_from}")]
    pub(super) first: SourceSpan,
}

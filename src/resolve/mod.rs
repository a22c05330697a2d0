//! Stage 2: spanned syntax -> [`Model`].
//!
//! Checks every reference (clusters, apps, components, files), every name, version and URL the
//! other side would reject ([`rules`]), applies defaults, works out each app's versions, values
//! and variables per cluster (resolving `${...}` inside `var` values, [`vars`]), and reads the
//! files the spec names ([`files`]), checking that they are YAML, that manifests hold objects Flux
//! can apply ([`objects`]) and that Flux can substitute every variable in them ([`manifests`]).
//! Every error is collected, so one run reports them all, with the warnings. This stage reads the
//! spec directory and writes nothing.

mod error;
mod files;
mod manifests;
mod objects;
mod rules;
mod vars;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use miette::SourceSpan;

use crate::layout;
use crate::model::{
    App, Chart, ChartSource, Cluster, Component, Deployment, FluxKnobs, HealthCheck,
    HealthCheckExpr, InlinePatch, Layer, Model, OverlayPatch, Settings, SourceFile, Target,
    Timings,
};
use crate::parse::syntax::{self, Spanned};
use crate::substitute::{self, SUBSTITUTE_KEY};
use crate::suggest::{did_you_mean, shown};
use crate::text::{and_list, plural};
pub(crate) use error::{Error, Warning};
use files::SpecDir;
use manifests::{Build, Doc, Finding, Manifest, Origin, Selector};

/// What resolving found: the model (complete only when there are no errors), the errors and the
/// warnings.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) model: Model,
    pub(crate) errors: Vec<Error>,
    pub(crate) warnings: Vec<Warning>,
}

#[cfg(test)]
impl Resolved {
    /// The model, or the errors: for tests that need a valid spec.
    pub(crate) fn into_result(self) -> Result<Model, Vec<Error>> {
        if self.errors.is_empty() {
            Ok(self.model)
        } else {
            Err(self.errors)
        }
    }
}

/// Resolves the spec, reading the files it names from `spec_dir`; `whole` spans the spec text.
pub(crate) fn resolve(spec: &syntax::Spec, spec_dir: &Path, whole: SourceSpan) -> Resolved {
    let mut resolver = Resolver {
        dir: SpecDir::new(spec_dir),
        errors: Vec::new(),
        warnings: Vec::new(),
        components: BTreeMap::new(),
        used_by_cluster: BTreeMap::new(),
        undefined: BTreeMap::new(),
        malformed: BTreeSet::new(),
        undefined_refs: BTreeMap::new(),
        malformed_values: BTreeSet::new(),
    };
    let model = resolver.model(spec, whole);
    resolver.substitution_errors();
    if resolver.errors.is_empty() {
        resolver.unused(spec, &model);
    }
    Resolved {
        model,
        errors: resolver.errors,
        warnings: resolver.warnings,
    }
}

/// Parses one manifest file and checks it as a resource and as a patch, with the variables of
/// even-length names defined: the number of problems found. For the fuzzer.
pub(crate) fn check_manifest(bytes: &[u8]) -> usize {
    match Manifest::parse("fuzz.yaml".to_owned(), bytes) {
        Ok(manifest) => {
            let origin = Origin {
                span: SourceSpan::from(0..0),
                manifest: &manifest,
            };
            let build = Build {
                resources: vec![origin],
                patches: vec![(origin, None)],
                all_disabled: false,
            };
            build.check(&|name| name.len() % 2 == 0).0.len()
        }
        Err(_) => 1,
    }
}

/// A component's parsed files, for checking the apps that use it.
struct ComponentFiles {
    manifests: Vec<Manifest>,
}

/// An undefined reference in an app-level value: the clusters where it is undefined, whether the
/// app itself sets the name, and the names the value could use.
type UndefinedRef = (Vec<String>, bool, BTreeSet<String>);

/// Where an undefined variable is used: the spec node, the file and line, the variable.
type UndefinedKey = (usize, usize, String, String);

struct Resolver {
    dir: SpecDir,
    errors: Vec<Error>,
    warnings: Vec<Warning>,
    components: BTreeMap<String, ComponentFiles>,
    /// For each cluster, the variables some substituted object on it references.
    used_by_cluster: BTreeMap<String, BTreeSet<String>>,
    /// Undefined variables, by place, with the app and the clusters where they are undefined;
    /// reported once per place.
    undefined: BTreeMap<UndefinedKey, (String, Vec<String>, Vec<String>)>,
    /// Malformed `${…}` expressions, by place: reported once.
    malformed: BTreeSet<(usize, usize, String, String)>,
    /// Undefined references in app-level `var` values, by value span and name: the clusters
    /// where they are undefined, whether the app itself sets the name, the names it could use.
    undefined_refs: BTreeMap<(usize, usize, String), UndefinedRef>,
    /// Malformed `${…}` in app-level values, by value span: reported once.
    malformed_values: BTreeSet<(usize, usize, String)>,
}

/// Variables fluxspec sets itself.
const RESERVED_VARS: &[&str] = &["APP", "CLUSTER"];
/// The longest cluster name: `platform-<cluster>` names a Flux Kustomization, and Flux puts
/// that name in a label on every object it applies, where values are at most 63 characters.
const MAX_CLUSTER_NAME: usize = 63 - "platform-".len();

const DNS_LABEL_HELP: &str = "use lowercase letters, digits and `-`, at most 63 characters, starting and ending with a letter or digit";

/// "cluster `dev`" or "clusters `dev` and `prod`", each cluster once.
fn clusters_text(clusters: &[String]) -> String {
    let unique: BTreeSet<&str> = clusters.iter().map(String::as_str).collect();
    format!(
        "{} {}",
        plural(unique.len(), "cluster"),
        and_list(clusters.iter().map(String::as_str))
    )
}

/// The help for an unknown name: the likely one, or the known ones.
fn unknown_help<'a>(
    name: &str,
    what: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    did_you_mean(name, known.clone()).unwrap_or_else(|| {
        let known: Vec<&str> = known.into_iter().collect();
        if known.is_empty() {
            format!("the spec declares no {what}")
        } else {
            format!("the {what}s are {}", and_list(known))
        }
    })
}

impl Resolver {
    fn model(&mut self, spec: &syntax::Spec, whole: SourceSpan) -> Model {
        let settings = self.settings(spec.settings.as_ref());
        if spec.clusters.is_empty() {
            self.errors.push(Error::NoCluster { span: whole });
        }
        self.unique("cluster", spec.clusters.iter().map(|cluster| &cluster.name));
        self.unique(
            "component",
            spec.components.iter().map(|component| &component.name),
        );
        self.unique("app", spec.apps.iter().map(|app| &app.name));

        let mut clusters: Vec<Cluster> = spec
            .clusters
            .iter()
            .map(|cluster| self.cluster(cluster, &settings.timings))
            .collect();
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        let mut components: Vec<Component> = spec
            .components
            .iter()
            .map(|component| self.component(component))
            .collect();
        components.sort_by(|a, b| a.name.cmp(&b.name));

        for app in &spec.apps {
            for cluster in &clusters {
                for layer in Layer::ALL {
                    let root = format!("{}-{}", layer.as_str(), cluster.name);
                    if app.name.value == root {
                        self.errors.push(Error::Reserved {
                            name: root,
                            span: app.name.span,
                            help: "the root Flux Kustomizations of each cluster use this name"
                                .to_owned(),
                        });
                    }
                }
            }
        }
        let mut apps: Vec<App> = spec
            .apps
            .iter()
            .map(|app| self.app(app, spec, &settings, &clusters))
            .collect();
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        self.dependencies(spec, &apps);

        Model {
            settings,
            clusters,
            components,
            apps,
        }
    }

    fn unique<'a>(&mut self, what: &'static str, names: impl Iterator<Item = &'a Spanned<String>>) {
        let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
        for name in names {
            if let Some(first) = seen.get(name.as_str()) {
                self.errors.push(Error::Duplicate {
                    what,
                    name: shown(&name.value),
                    span: name.span,
                    first: *first,
                });
            } else {
                seen.insert(name.as_str(), name.span);
            }
        }
    }

    fn dns_label(&mut self, what: &'static str, name: &Spanned<String>) {
        if !rules::is_dns_label(&name.value) {
            self.errors.push(Error::InvalidName {
                what,
                value: shown(&name.value),
                span: name.span,
                help: DNS_LABEL_HELP.to_owned(),
            });
        }
    }

    fn invalid_name(&mut self, what: &'static str, name: &Spanned<String>, help: &str) {
        self.errors.push(Error::InvalidName {
            what,
            value: shown(&name.value),
            span: name.span,
            help: help.to_owned(),
        });
    }

    fn duration(&mut self, value: Option<&Spanned<String>>, fallback: &str) -> String {
        let Some(value) = value else {
            return fallback.to_owned();
        };
        match rules::duration_problem(&value.value) {
            None => {}
            Some(rules::DurationProblem::Syntax) => self.errors.push(Error::InvalidDuration {
                value: shown(&value.value),
                span: value.span,
            }),
            Some(rules::DurationProblem::TooLong) => {
                self.errors.push(Error::DurationTooLong {
                    value: shown(&value.value),
                    span: value.span,
                });
            }
        }
        value.value.clone()
    }

    fn timings(&mut self, timings: &syntax::Timings, fallback: &Timings) -> Timings {
        Timings {
            interval: self.duration(timings.interval.as_ref(), &fallback.interval),
            retry_interval: self
                .duration(timings.retry_interval.as_ref(), &fallback.retry_interval),
            timeout: self.duration(timings.timeout.as_ref(), &fallback.timeout),
        }
    }

    fn settings(&mut self, settings: Option<&syntax::Settings>) -> Settings {
        let defaults = Timings {
            interval: "1h".to_owned(),
            retry_interval: "2m".to_owned(),
            timeout: "5m".to_owned(),
        };
        let Some(settings) = settings else {
            return Settings {
                source_name: "flux-system".to_owned(),
                source_namespace: "flux-system".to_owned(),
                output_path: "./generated".to_owned(),
                timings: defaults,
            };
        };
        let output_path = settings.output_path.as_ref().map_or_else(
            || "./generated".to_owned(),
            |path| {
                let trimmed = path.value.trim_end_matches('/');
                let valid = trimmed.starts_with("./")
                    && !trimmed
                        .split('/')
                        .any(|part| part == ".." || part.is_empty())
                    && !trimmed.contains(|c: char| c.is_whitespace() || c.is_control());
                if !valid {
                    self.errors.push(Error::InvalidOutputPath {
                        value: shown(&path.value),
                        span: path.span,
                    });
                }
                trimmed.to_owned()
            },
        );
        if let Some(name) = &settings.source_name
            && !rules::is_dns_subdomain(&name.value)
        {
            self.invalid_name(
                "GitRepository name",
                name,
                "a Kubernetes object name: lowercase letters, digits, `-` and `.`",
            );
        }
        if let Some(namespace) = &settings.source_namespace {
            self.dns_label("namespace", namespace);
        }
        Settings {
            source_name: settings
                .source_name
                .as_ref()
                .map_or_else(|| "flux-system".to_owned(), |name| name.value.clone()),
            source_namespace: settings
                .source_namespace
                .as_ref()
                .map_or_else(|| "flux-system".to_owned(), |name| name.value.clone()),
            output_path,
            timings: self.timings(&settings.timings, &defaults),
        }
    }

    /// Checks a list of `var`s: names Flux accepts, not reserved, each once.
    fn vars(&mut self, vars: &[syntax::Var]) -> BTreeMap<String, String> {
        self.unique("variable", vars.iter().map(|var| &var.name));
        let mut map = BTreeMap::new();
        for var in vars {
            self.var_name(&var.name);
            map.insert(var.name.value.clone(), var.value.value.clone());
        }
        map
    }

    fn var_name(&mut self, name: &Spanned<String>) {
        if RESERVED_VARS.contains(&name.as_str()) {
            self.errors.push(Error::Reserved {
                name: shown(&name.value),
                span: name.span,
                help: "fluxspec sets `APP` to the app's name and `CLUSTER` to the cluster's"
                    .to_owned(),
            });
        } else if !rules::is_var_name(&name.value) {
            self.errors.push(Error::InvalidVarName {
                value: shown(&name.value),
                span: name.span,
            });
        }
    }

    fn cluster(&mut self, cluster: &syntax::Cluster, defaults: &Timings) -> Cluster {
        if rules::is_dns_label(&cluster.name.value) && cluster.name.value.len() > MAX_CLUSTER_NAME {
            self.invalid_name(
                "cluster name",
                &cluster.name,
                &format!(
                    "at most {MAX_CLUSTER_NAME} characters: Flux labels every object with `platform-<cluster>`, and label values are at most 63"
                ),
            );
        } else {
            self.dns_label("cluster name", &cluster.name);
        }
        let mut vars = self.vars(&cluster.vars);
        let mut resolved = BTreeMap::from([("CLUSTER".to_owned(), cluster.name.value.clone())]);
        let used = vars::resolve_cluster(
            &cluster.name.value,
            &cluster.vars,
            &mut resolved,
            &mut self.errors,
        );
        // A value that did not resolve (an error) keeps its text.
        vars.extend(resolved);
        self.used_by_cluster
            .entry(cluster.name.value.clone())
            .or_default()
            .extend(used);
        let mut suspend_platform = false;
        let mut suspend_apps = false;
        for layer in &cluster.suspend {
            match layer.as_str() {
                "platform" => suspend_platform = true,
                "apps" => suspend_apps = true,
                other => self.errors.push(Error::InvalidLayer {
                    value: shown(other),
                    span: layer.span,
                    help: did_you_mean(other, ["platform", "apps"])
                        .unwrap_or_else(|| "a layer is `platform` or `apps`".to_owned()),
                }),
            }
        }
        Cluster {
            name: cluster.name.value.clone(),
            vars,
            suspend_platform,
            suspend_apps,
            timings: self.timings(&cluster.timings, defaults),
        }
    }

    fn read(&mut self, path: &Spanned<String>) -> Vec<(String, SourceFile)> {
        self.dir.read(path).unwrap_or_else(|error| {
            self.errors.push(error);
            Vec::new()
        })
    }

    /// Reads manifest or patch files and parses them; a file that is not YAML is reported and
    /// left out of the substitution checks. In `resources` (not patches), each document must
    /// be an object Flux can apply.
    fn read_manifests(
        &mut self,
        path: &Spanned<String>,
        kind: FileKind,
    ) -> (Vec<SourceFile>, Vec<Manifest>) {
        let mut files = Vec::new();
        let mut manifests = Vec::new();
        for (shown, file) in self.read(path) {
            match Manifest::parse(shown.clone(), &file.bytes) {
                Ok(manifest) => {
                    // A file named like one fluxspec writes is a collision, reported as such.
                    if kind == FileKind::Resources
                        && !layout::RESERVED_FILE_NAMES.contains(&file.name.as_str())
                    {
                        for (location, reason) in &manifest.not_objects {
                            self.errors.push(Error::NotAnObject {
                                location: location.clone(),
                                reason: reason.clone(),
                                span: path.span,
                            });
                        }
                    }
                    manifests.push(manifest);
                }
                Err(reason) => self.errors.push(Error::InvalidYaml {
                    path: shown,
                    reason,
                    span: path.span,
                }),
            }
            files.push(file);
        }
        (files, manifests)
    }

    fn component(&mut self, component: &syntax::Component) -> Component {
        self.dns_label("component name", &component.name);
        self.unique("variable", component.vars.iter().map(|var| &var.name));
        for var in &component.vars {
            self.var_name(&var.name);
        }
        let default_path = Spanned {
            value: format!("components/{}", component.name.value),
            span: component.name.span,
        };
        let path = component.path.as_ref().unwrap_or(&default_path);
        let (files, manifests) = self.read_manifests(path, FileKind::Resources);
        self.no_collisions(&files, path.span);
        self.components
            .insert(component.name.value.clone(), ComponentFiles { manifests });
        Component {
            name: component.name.value.clone(),
            files,
        }
    }

    /// Reports files whose output names clash with each other or with generated files.
    fn no_collisions(&mut self, files: &[SourceFile], span: SourceSpan) {
        let mut names: BTreeSet<&str> = layout::RESERVED_FILE_NAMES.into_iter().collect();
        for file in files {
            if !names.insert(&file.name) {
                self.errors.push(Error::FileCollision {
                    name: file.name.clone(),
                    span,
                });
            }
        }
    }

    /// A values file: its content and its text.
    fn values(&mut self, path: &Spanned<String>) -> Option<(serde_json::Value, String)> {
        let (_, file) = self
            .dir
            .read_file(path)
            .map_err(|error| self.errors.push(error))
            .ok()?;
        let invalid = |reason: String| Error::InvalidValues {
            path: path.value.clone(),
            reason,
            span: path.span,
        };
        let Ok(text) = String::from_utf8(file.bytes) else {
            self.errors.push(invalid("it is not UTF-8".to_owned()));
            return None;
        };
        match serde_saphyr::from_str_with_options::<serde_json::Value>(
            &text,
            manifests::yaml_options(),
        ) {
            Ok(value @ serde_json::Value::Object(_)) => Some((value, text)),
            Ok(_) => {
                self.errors
                    .push(invalid("the top level is not a mapping".to_owned()));
                None
            }
            Err(error) => {
                self.errors.push(invalid(manifests::yaml_error(&error)));
                None
            }
        }
    }

    fn layer(&mut self, app: &syntax::App) -> Layer {
        match app.layer.as_ref() {
            None => Layer::Apps,
            Some(layer) => match layer.as_str() {
                "apps" => Layer::Apps,
                "platform" => Layer::Platform,
                other => {
                    self.errors.push(Error::InvalidLayer {
                        value: shown(other),
                        span: layer.span,
                        help: did_you_mean(other, ["platform", "apps"])
                            .unwrap_or_else(|| "a layer is `platform` or `apps`".to_owned()),
                    });
                    Layer::Apps
                }
            },
        }
    }

    /// The clusters an app runs on: its `clusters`, or every cluster.
    fn app_clusters<'a>(&mut self, app: &'a syntax::App, all: &[&'a str]) -> Vec<&'a str> {
        match &app.clusters {
            None => all.to_vec(),
            Some(names) => {
                if names.is_empty() {
                    self.warnings.push(Warning::AppOnNoCluster {
                        app: app.name.value.clone(),
                        span: app.clusters_span.unwrap_or(app.name.span),
                    });
                }
                self.unique("cluster", names.iter());
                names
                    .iter()
                    .filter(|name| self.known_cluster(name, all))
                    .map(Spanned::as_str)
                    .collect()
            }
        }
    }

    fn known_cluster(&mut self, name: &Spanned<String>, all: &[&str]) -> bool {
        if all.contains(&name.as_str()) {
            return true;
        }
        self.errors.push(Error::UnknownCluster {
            name: shown(&name.value),
            span: name.span,
            help: unknown_help(&name.value, "cluster", all.iter().copied()),
        });
        false
    }

    /// The app's components and the variables they set: (component names, substitutions,
    /// where each variable was set).
    fn app_components(
        &mut self,
        app: &syntax::App,
        spec: &syntax::Spec,
        substitute: &mut BTreeMap<String, String>,
        value_at: &mut BTreeMap<String, SourceSpan>,
    ) -> (Vec<String>, BTreeMap<String, SourceSpan>) {
        self.unique(
            "component",
            app.components.iter().map(|component| &component.name),
        );
        let mut component_names = Vec::new();
        let mut set_by: BTreeMap<String, SourceSpan> = BTreeMap::new();
        for used in &app.components {
            let Some(component) = spec
                .components
                .iter()
                .find(|component| component.name.value == used.name.value)
            else {
                self.errors.push(Error::UnknownComponent {
                    name: shown(&used.name.value),
                    span: used.name.span,
                    help: unknown_help(
                        &used.name.value,
                        "component",
                        spec.components
                            .iter()
                            .map(|component| component.name.as_str()),
                    ),
                });
                continue;
            };
            component_names.push(used.name.value.clone());
            for value in &used.values {
                if !component
                    .vars
                    .iter()
                    .any(|var| var.name.value == value.name.value)
                {
                    let declared = component.vars.iter().map(|var| var.name.as_str());
                    self.errors.push(Error::UndeclaredComponentVar {
                        component: shown(&component.name.value),
                        var: shown(&value.name.value),
                        span: value.name.span,
                        help: did_you_mean(&value.name.value, declared.clone()).unwrap_or_else(
                            || {
                                format!(
                                    "its variables are {}; set others with `var` in the app",
                                    and_list(declared)
                                )
                            },
                        ),
                    });
                }
            }
            for var in &component.vars {
                let given = used
                    .values
                    .iter()
                    .find(|value| value.name.value == var.name.value);
                let (value, span) = match (given, &var.default) {
                    (Some(given), _) => {
                        value_at.insert(var.name.value.clone(), given.value.span);
                        (given.value.value.clone(), given.name.span)
                    }
                    (None, Some(default)) => {
                        value_at.insert(var.name.value.clone(), default.span);
                        (default.value.clone(), used.name.span)
                    }
                    (None, None) => {
                        self.errors.push(Error::MissingComponentVar {
                            component: shown(&component.name.value),
                            var: shown(&var.name.value),
                            span: used.name.span,
                        });
                        // Counted as set for the substitution checks, which would report the
                        // same mistake again; the model is not used, as there is an error.
                        substitute.insert(var.name.value.clone(), String::new());
                        continue;
                    }
                };
                if let Some(first) = set_by.get(&var.name.value)
                    && substitute.get(&var.name.value) != Some(&value)
                {
                    self.errors.push(Error::Duplicate {
                        what: "variable",
                        name: shown(&var.name.value),
                        span,
                        first: *first,
                    });
                }
                set_by.insert(var.name.value.clone(), span);
                substitute.insert(var.name.value.clone(), value);
            }
        }
        component_names.sort();
        (component_names, set_by)
    }

    /// Checks the `version` lines of each chart and image: syntax, one default, one per cluster,
    /// clusters the app runs on.
    fn version_lines(
        &mut self,
        app: &syntax::App,
        cluster_ref: &dyn Fn(&mut Self, &Spanned<String>) -> bool,
    ) {
        let chart_kind = app.helm.as_ref().map(|helm| {
            if helm.url.value.starts_with("oci://") {
                VersionKind::OciChart
            } else {
                VersionKind::RepositoryChart
            }
        });
        let versioned = app
            .helm
            .iter()
            .zip(chart_kind)
            .map(|(helm, kind)| (helm.versions.as_slice(), kind))
            .chain(
                app.images
                    .iter()
                    .map(|image| (image.versions.as_slice(), VersionKind::Image)),
            );
        for (versions, kind) in versioned {
            let mut default: Option<SourceSpan> = None;
            let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
            for version in versions {
                self.version_syntax(&version.value, kind);
                match &version.cluster {
                    None => {
                        if let Some(first) = default {
                            self.errors.push(Error::DuplicateVersion {
                                what: "the default version".to_owned(),
                                span: version.value.span,
                                first,
                            });
                        }
                        default = Some(version.value.span);
                    }
                    Some(cluster) => {
                        if let Some(first) = seen.get(cluster.as_str()) {
                            self.errors.push(Error::DuplicateVersion {
                                what: format!("the version for cluster `{}`", cluster.value),
                                span: cluster.span,
                                first: *first,
                            });
                        } else {
                            seen.insert(cluster.as_str(), cluster.span);
                        }
                        cluster_ref(self, cluster);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_lines)] // one app's resolution reads best as one sequence
    fn app(
        &mut self,
        app: &syntax::App,
        spec: &syntax::Spec,
        settings: &Settings,
        all_clusters: &[Cluster],
    ) -> App {
        self.dns_label("app name", &app.name);
        let layer = self.layer(app);
        let namespace = app.namespace.as_ref().map_or_else(
            || app.name.value.clone(),
            |namespace| {
                self.dns_label("namespace", namespace);
                namespace.value.clone()
            },
        );

        // The clusters this app runs on.
        let all: Vec<&str> = spec
            .clusters
            .iter()
            .map(|cluster| cluster.name.as_str())
            .collect();
        let clusters = self.app_clusters(app, &all);
        // A reference to a cluster in this app: it must exist and the app must run there.
        let cluster_ref = |resolver: &mut Self, cluster: &Spanned<String>| -> bool {
            if !resolver.known_cluster(cluster, &all) {
                return false;
            }
            if clusters.contains(&cluster.as_str()) {
                return true;
            }
            resolver.errors.push(Error::NotDeployed {
                app: app.name.value.clone(),
                cluster: cluster.value.clone(),
                span: cluster.span,
                help: format!(
                    "`{}` runs on {}; add `{}` to its `clusters`",
                    app.name.value,
                    and_list(clusters.iter().copied()),
                    cluster.value
                ),
            });
            false
        };

        // Dependencies, components, variables.
        self.unique("dependency", app.depends_on.iter());
        let app_names: Vec<&str> = spec.apps.iter().map(|other| other.name.as_str()).collect();
        let mut depends_on: Vec<String> = Vec::new();
        for dependency in &app.depends_on {
            if app_names.contains(&dependency.as_str()) {
                depends_on.push(dependency.value.clone());
            } else {
                self.errors.push(Error::UnknownApp {
                    name: shown(&dependency.value),
                    span: dependency.span,
                    help: unknown_help(&dependency.value, "app", app_names.iter().copied()),
                });
            }
        }
        depends_on.sort();
        let mut substitute = BTreeMap::from([("APP".to_owned(), app.name.value.clone())]);
        // Where each app-level value is written, to resolve its references per cluster.
        let mut value_at: BTreeMap<String, SourceSpan> = BTreeMap::new();
        let (component_names, set_by) =
            self.app_components(app, spec, &mut substitute, &mut value_at);
        let app_vars = self.vars(&app.vars);
        value_at.extend(
            app.vars
                .iter()
                .map(|var| (var.name.value.clone(), var.value.span)),
        );
        for var in &app.vars {
            if let Some(first) = set_by.get(&var.name.value) {
                self.errors.push(Error::Duplicate {
                    what: "variable",
                    name: shown(&var.name.value),
                    span: var.name.span,
                    first: *first,
                });
            }
        }
        substitute.extend(app_vars);

        // Files and chart.
        let mut base_manifests: Vec<SourceFile> = Vec::new();
        let mut base_parsed: Vec<(SourceSpan, Manifest)> = Vec::new();
        for path in &app.manifests {
            let (files, manifests) = self.read_manifests(path, FileKind::Resources);
            base_manifests.extend(files);
            base_parsed.extend(manifests.into_iter().map(|manifest| (path.span, manifest)));
        }
        let manifests_span = app
            .manifests
            .first()
            .map_or(app.name.span, |path| path.span);
        self.no_collisions(&base_manifests, manifests_span);

        let chart = app.helm.as_ref().and_then(|helm| self.chart(helm));
        let base_values_node = app
            .helm
            .iter()
            .flat_map(|helm| helm.values.iter())
            .rfind(|values| values.cluster.is_none());
        let (base_values, base_text) = base_values_node
            .and_then(|values| self.values(&values.path))
            .unzip();
        if let Some(helm) = &app.helm {
            let base_files: Vec<_> = helm
                .values
                .iter()
                .filter(|values| values.cluster.is_none())
                .collect();
            if let [first, second, ..] = base_files.as_slice() {
                self.errors.push(Error::Duplicate {
                    what: "base values file of app",
                    name: shown(&app.name.value),
                    span: second.path.span,
                    first: first.path.span,
                });
            }
        }
        // The HelmRelease fluxspec generates carries the base values.
        if let Some(helm) = &app.helm {
            let (span, path) = base_values_node.map_or((helm.span, "helm"), |values| {
                (values.path.span, values.path.as_str())
            });
            base_parsed.push((
                span,
                Manifest::generated(
                    path.to_owned(),
                    Doc::generated("HelmRelease", &app.name.value, base_values.as_ref()),
                    base_text.as_deref().unwrap_or_default(),
                ),
            ));
        }

        // Per-cluster blocks, versions and values must name clusters the app runs on.
        self.unique(
            "cluster block",
            app.per_cluster.iter().map(|block| &block.name),
        );
        for block in &app.per_cluster {
            cluster_ref(self, &block.name);
        }
        self.unique("image", app.images.iter().map(|image| &image.name));
        for image in &app.images {
            if let Some(reason) = rules::repository_problem(&image.name.value, false) {
                self.errors.push(Error::InvalidImage {
                    value: shown(&image.name.value),
                    reason,
                    span: image.name.span,
                });
            }
        }
        self.version_lines(app, &cluster_ref);
        if let Some(helm) = &app.helm {
            self.unique(
                "values file for cluster",
                helm.values
                    .iter()
                    .filter_map(|values| values.cluster.as_ref()),
            );
            for cluster in helm
                .values
                .iter()
                .filter_map(|values| values.cluster.as_ref())
            {
                cluster_ref(self, cluster);
            }
        }

        let mut deployments = Vec::new();
        for cluster in &clusters {
            let block = app
                .per_cluster
                .iter()
                .find(|block| block.name.as_str() == *cluster);
            let version_for = |resolver: &mut Self,
                               dependency: &Spanned<String>,
                               versions: &[syntax::Version]| {
                let pick = versions
                    .iter()
                    .find(|version| {
                        version
                            .cluster
                            .as_ref()
                            .is_some_and(|name| name.as_str() == *cluster)
                    })
                    .or_else(|| versions.iter().find(|version| version.cluster.is_none()));
                if pick.is_none() {
                    resolver.errors.push(Error::MissingVersion {
                        app: app.name.value.clone(),
                        cluster: (*cluster).to_owned(),
                        span: dependency.span,
                    });
                }
                pick.map(|version| version.value.value.clone())
            };
            let chart_version = app
                .helm
                .as_ref()
                .and_then(|helm| version_for(self, &helm.url, &helm.versions));
            let images = app
                .images
                .iter()
                .filter_map(|image| {
                    version_for(self, &image.name, &image.versions)
                        .map(|tag| (image.name.value.clone(), tag))
                })
                .collect();
            let values_node = app.helm.as_ref().and_then(|helm| {
                helm.values.iter().find(|values| {
                    values
                        .cluster
                        .as_ref()
                        .is_some_and(|name| name.as_str() == *cluster)
                })
            });
            let (values, values_text) = values_node
                .and_then(|values| self.values(&values.path))
                .unzip();
            let (mut deployment, overlay) = self.deployment(
                app,
                block,
                &namespace,
                Deployment {
                    cluster: (*cluster).to_owned(),
                    chart_version,
                    values,
                    images,
                    depends_on: depends_on.clone(),
                    components: component_names.clone(),
                    patches: Vec::new(),
                    manifests: Vec::new(),
                    substitute: substitute.clone(),
                    flux: FluxKnobs {
                        wait: layer == Layer::Platform,
                        timings: settings.timings.clone(),
                        health_checks: Vec::new(),
                        health_check_exprs: Vec::new(),
                        inline_patches: Vec::new(),
                        labels: BTreeMap::new(),
                    },
                },
            );
            let cluster_vars = all_clusters
                .iter()
                .find(|known| known.name == *cluster)
                .map(|known| &known.vars);
            let mut spans = value_at.clone();
            spans.extend(
                block
                    .iter()
                    .flat_map(|block| &block.vars)
                    .map(|var| (var.name.value.clone(), var.value.span)),
            );
            self.resolve_app_values(cluster, &mut deployment.substitute, &spans, cluster_vars);
            // The cluster's values reach the HelmRelease as a patch.
            let values_patch = values_node.map(|node| {
                Manifest::generated(
                    node.path.value.clone(),
                    Doc::generated("HelmRelease", &app.name.value, deployment.values.as_ref()),
                    values_text.as_deref().unwrap_or_default(),
                )
            });
            let mut build = Build::default();
            build
                .resources
                .extend(
                    base_parsed
                        .iter()
                        .chain(&overlay.resources)
                        .map(|(span, manifest)| Origin {
                            span: *span,
                            manifest,
                        }),
                );
            for used in &app.components {
                if let Some(files) = self.components.get(&used.name.value) {
                    build
                        .resources
                        .extend(files.manifests.iter().map(|manifest| Origin {
                            span: used.name.span,
                            manifest,
                        }));
                }
            }
            build
                .patches
                .extend(overlay.patches.iter().map(|(span, manifest, target)| {
                    let origin = Origin {
                        span: *span,
                        manifest,
                    };
                    (origin, target.as_ref().map(selector))
                }));
            if let (Some(node), Some(manifest)) = (values_node, &values_patch) {
                build.patches.push((
                    Origin {
                        span: node.path.span,
                        manifest,
                    },
                    None,
                ));
            }
            build.all_disabled = deployment
                .flux
                .labels
                .get(SUBSTITUTE_KEY)
                .is_some_and(|value| value == "disabled");
            let defined = |name: &str| {
                deployment.substitute.contains_key(name)
                    || cluster_vars.is_some_and(|vars| vars.contains_key(name))
            };
            let (findings, used) = build.check(&defined);
            self.record_findings(
                &app.name.value,
                cluster,
                findings,
                &deployment,
                cluster_vars,
            );
            self.used_by_cluster
                .entry((*cluster).to_owned())
                .or_default()
                .extend(used);
            deployments.push(deployment);
        }

        App {
            name: app.name.value.clone(),
            layer,
            namespace,
            base_manifests,
            chart: chart.map(|source| Chart {
                source,
                base_values,
            }),
            deployments,
        }
    }

    /// Resolves the references in an app's values on one cluster (see [`vars`]); failures are
    /// filed away to be reported once per value with every cluster they fail on.
    fn resolve_app_values(
        &mut self,
        cluster: &str,
        substitute: &mut BTreeMap<String, String>,
        spans: &BTreeMap<String, SourceSpan>,
        cluster_vars: Option<&BTreeMap<String, String>>,
    ) {
        let app = substitute.get("APP").cloned();
        let known = |name: &str| {
            if name == "APP" {
                app.clone()
            } else {
                cluster_vars.and_then(|vars| vars.get(name).cloned())
            }
        };
        let set_by_app: BTreeSet<String> = substitute.keys().cloned().collect();
        let mut used = BTreeSet::new();
        for (name, value) in substitute.iter_mut() {
            // `APP` is the app's name, not a value the spec writes.
            let Some(span) = spans.get(name) else {
                continue;
            };
            match vars::resolve_value(value, &known, &mut used) {
                Ok(Some(text)) => *value = text,
                Ok(None) => {}
                Err(vars::Problem::Malformed(reason)) => {
                    self.malformed_values
                        .insert((span.offset(), span.len(), reason));
                }
                Err(vars::Problem::Undefined(names)) => {
                    for missing in names {
                        let by_app = set_by_app.contains(&missing) && missing != "APP";
                        let entry = self
                            .undefined_refs
                            .entry((span.offset(), span.len(), missing))
                            .or_insert_with(|| (Vec::new(), by_app, BTreeSet::new()));
                        entry.0.push(cluster.to_owned());
                        entry
                            .2
                            .extend(cluster_vars.into_iter().flat_map(BTreeMap::keys).cloned());
                        entry.2.insert("APP".to_owned());
                    }
                }
            }
        }
        self.used_by_cluster
            .entry(cluster.to_owned())
            .or_default()
            .extend(used);
    }

    /// Files away what an app's substitution on one cluster would fail on, to be reported once
    /// per place with every cluster it fails on.
    fn record_findings(
        &mut self,
        app: &str,
        cluster: &str,
        findings: Vec<Finding>,
        deployment: &Deployment,
        cluster_vars: Option<&BTreeMap<String, String>>,
    ) {
        for finding in findings {
            match finding {
                Finding::Undefined {
                    span,
                    location,
                    name,
                } => {
                    let defined: Vec<String> = deployment
                        .substitute
                        .keys()
                        .chain(cluster_vars.into_iter().flat_map(BTreeMap::keys))
                        .cloned()
                        .collect();
                    let entry = self
                        .undefined
                        .entry((span.offset(), span.len(), location, name))
                        .or_insert_with(|| (app.to_owned(), Vec::new(), Vec::new()));
                    entry.1.push(cluster.to_owned());
                    entry.2.extend(defined);
                }
                Finding::Malformed { span, path, error } => {
                    self.malformed
                        .insert((span.offset(), span.len(), path, error));
                }
            }
        }
    }

    /// Reports the substitutions recorded by [`Resolver::record_findings`].
    fn substitution_errors(&mut self) {
        for ((offset, len, location, var), (app, clusters, mut defined)) in
            std::mem::take(&mut self.undefined)
        {
            defined.sort();
            defined.dedup();
            let clusters_text = clusters_text(&clusters);
            let help = did_you_mean(&var, defined.iter().map(String::as_str)).unwrap_or_else(|| {
                format!(
                    "Flux's strict substitution fails on it: set it with `var \"{var}\" \"...\"` in the app or in {clusters_text}, or give it a default: `${{{var}:=...}}`"
                )
            });
            self.errors.push(Error::UndefinedVariable {
                var,
                place: format!("app `{app}` on {clusters_text}"),
                location,
                span: SourceSpan::from((offset, len)),
                help,
            });
        }
        for ((offset, len, name), (clusters, by_app, known)) in
            std::mem::take(&mut self.undefined_refs)
        {
            let help = if by_app {
                format!(
                    "`{name}` is set by the app itself; a `var` value may use only the variables of the cluster it is deployed to, `CLUSTER` and `APP`: write the value out"
                )
            } else {
                vars::undefined_help(
                    &name,
                    "the variables of the cluster it is deployed to, `CLUSTER` and `APP`",
                    known.iter().map(String::as_str),
                )
            };
            self.errors.push(Error::UndefinedVarReference {
                place: clusters_text(&clusters),
                name,
                span: SourceSpan::from((offset, len)),
                help,
            });
        }
        for (offset, len, reason) in std::mem::take(&mut self.malformed_values) {
            self.errors.push(Error::BadVarSubstitution {
                reason,
                span: SourceSpan::from((offset, len)),
            });
        }
        for (offset, len, path, reason) in std::mem::take(&mut self.malformed) {
            self.errors.push(Error::BadSubstitution {
                path,
                reason,
                span: SourceSpan::from((offset, len)),
            });
        }
    }

    /// Warnings about what is declared but never used. Only for a spec without errors: an error
    /// (an unknown component, a file that does not parse) hides uses.
    fn unused(&mut self, spec: &syntax::Spec, model: &Model) {
        for component in &spec.components {
            let name = &component.name;
            if !spec.apps.iter().any(|app| {
                app.components
                    .iter()
                    .any(|used| used.name.value == name.value)
            }) {
                self.warnings.push(Warning::UnusedComponent {
                    name: shown(&name.value),
                    span: name.span,
                });
            }
            let used: BTreeSet<&str> = self
                .components
                .get(&name.value)
                .into_iter()
                .flat_map(|files| files.manifests.iter())
                .flat_map(Manifest::used_names)
                .collect();
            for var in &component.vars {
                if !used.contains(var.name.as_str()) {
                    self.warnings.push(Warning::UnusedComponentVar {
                        component: shown(&name.value),
                        var: shown(&var.name.value),
                        span: var.name.span,
                    });
                }
            }
        }
        for cluster in &spec.clusters {
            let used = self.used_by_cluster.get(&cluster.name.value);
            let deployed = model.apps.iter().any(|app| {
                app.deployments
                    .iter()
                    .any(|d| d.cluster == cluster.name.value)
            });
            for var in &cluster.vars {
                if deployed && !used.is_some_and(|used| used.contains(&var.name.value)) {
                    self.warnings.push(Warning::UnusedClusterVar {
                        cluster: cluster.name.value.clone(),
                        var: shown(&var.name.value),
                        span: var.name.span,
                    });
                }
            }
        }
    }

    /// Dependencies Flux could never satisfy: onto an app missing from a cluster, from the
    /// platform layer onto the apps layer, or in a cycle.
    fn dependencies(&mut self, spec: &syntax::Spec, apps: &[App]) {
        // An index rather than a scan per lookup, which made this quadratic in the number of apps
        // (a second at 10 000). The first app of a name wins, as a scan would find it.
        let mut by_name: BTreeMap<&str, &App> = BTreeMap::new();
        for app in apps {
            by_name.entry(app.name.as_str()).or_insert(app);
        }
        let find = |name: &str| by_name.get(name).copied();
        for declared in &spec.apps {
            let Some(app) = find(&declared.name.value) else {
                continue;
            };
            for dependency in &declared.depends_on {
                let Some(target) = find(&dependency.value) else {
                    continue;
                };
                if app.layer == Layer::Platform && target.layer == Layer::Apps {
                    self.errors.push(Error::LayerInversion {
                        app: app.name.clone(),
                        dependency: target.name.clone(),
                        span: dependency.span,
                    });
                }
                for deployment in &app.deployments {
                    if !target
                        .deployments
                        .iter()
                        .any(|other| other.cluster == deployment.cluster)
                    {
                        self.errors.push(Error::DependencyNotDeployed {
                            app: app.name.clone(),
                            dependency: target.name.clone(),
                            cluster: deployment.cluster.clone(),
                            span: dependency.span,
                        });
                    }
                }
            }
        }
        // Depth-first search from each app in name order; a cycle is reported once, at the
        // `depends-on` entry that closes it. Iterative, so a long chain of apps cannot exhaust
        // the stack.
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = spec
            .apps
            .iter()
            .map(|app| (app.name.as_str(), app.depends_on.iter().collect()))
            .collect();
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for start in edges.keys() {
            if done.contains(start) {
                continue;
            }
            // The path from `start`, each app with the index of its next dependency to visit.
            let mut path: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((app, next)) = path.last().copied() {
                let dependencies = edges.get(app).map_or(&[][..], Vec::as_slice);
                let Some(dependency) = dependencies.get(next) else {
                    path.pop();
                    done.insert(app);
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                let target = dependency.as_str();
                if let Some(position) = path.iter().position(|(on_path, _)| *on_path == target) {
                    let mut cycle: Vec<&str> = path
                        .get(position..)
                        .unwrap_or_default()
                        .iter()
                        .map(|(name, _)| *name)
                        .collect();
                    cycle.push(target);
                    self.errors.push(Error::DependencyCycle {
                        cycle: cycle.join(" -> "),
                        span: dependency.span,
                    });
                } else if edges.contains_key(target) && !done.contains(target) {
                    path.push((target, 0));
                }
            }
        }
    }

    fn version_syntax(&mut self, version: &Spanned<String>, kind: VersionKind) {
        let text = version.value.as_str();
        let problem = match kind {
            VersionKind::Image if !rules::is_image_tag(text) => Some((
                "image tag",
                "a tag is letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`), optionally pinned with `@sha256:<digest>`",
            )),
            VersionKind::OciChart if text.contains('+') => Some((
                "chart version",
                "OCI tags cannot hold `+`: Helm pushes a chart `1.2.3+build` as the tag `1.2.3_build`; write that",
            )),
            VersionKind::OciChart
                if !(rules::is_oci_tag(text)
                    && rules::is_chart_version(&text.replacen('_', "+", 1))) =>
            {
                Some((
                    "chart version",
                    "a chart version is one SemVer version, such as `1.2.3`, `v1.2.3` or `1.2.3-rc.1`",
                ))
            }
            VersionKind::RepositoryChart if !rules::is_chart_version(text) => Some((
                "chart version",
                "a chart version is one SemVer version, such as `1.2.3`, `v1.2.3` or `1.2.3-rc.1`; fluxspec pins one version per cluster, so no range",
            )),
            _ => None,
        };
        if let Some((what, help)) = problem {
            self.errors.push(Error::InvalidVersion {
                what,
                value: shown(&version.value),
                span: version.span,
                help: help.to_owned(),
            });
        }
    }

    fn chart(&mut self, helm: &syntax::Helm) -> Option<ChartSource> {
        let url = &helm.url;
        let invalid =
            |reason: &str, span: SourceSpan, value: &str, help: &str| Error::InvalidChart {
                value: value.to_owned(),
                reason: reason.to_owned(),
                span,
                help: help.to_owned(),
            };
        if let Some(reference) = url.value.strip_prefix("oci://") {
            if let Some(chart) = &helm.chart {
                self.errors.push(invalid(
                    "an oci:// URL names the chart itself",
                    chart.span,
                    &format!("chart=\"{}\"", chart.value),
                    "remove `chart=`",
                ));
            }
            if let Some(reason) = rules::repository_problem(reference, true) {
                self.errors.push(invalid(
                    reason,
                    url.span,
                    &url.value,
                    "an OCI chart URL is `oci://<registry>/<path>/<chart>`, the version in `version`",
                ));
            }
            Some(ChartSource::Oci {
                url: url.value.clone(),
            })
        } else if url.value.starts_with("https://") {
            if let Some(reason) = rules::https_url_problem(&url.value) {
                self.errors.push(invalid(
                    reason,
                    url.span,
                    &url.value,
                    "a Helm repository URL is `https://<host>/<path>`, as `helm repo add` takes it",
                ));
            }
            let Some(chart) = &helm.chart else {
                self.errors.push(invalid(
                    "a Helm repository needs the chart's name",
                    helm.span,
                    &url.value,
                    "name the chart in the repository: `helm \"https://...\" chart=\"name\"`",
                ));
                return None;
            };
            if !rules::is_chart_name(&chart.value) {
                self.errors.push(invalid(
                    "not a chart name",
                    chart.span,
                    &chart.value,
                    "a chart name is letters, digits, `-`, `_` and `.`, as `helm search repo` lists it",
                ));
            }
            Some(ChartSource::Repository {
                url: url.value.clone(),
                chart: chart.value.clone(),
            })
        } else {
            let advice = if url.value.starts_with("http://") {
                "Flux fetches charts over `https://` (or `oci://`): use the repository's https URL"
            } else {
                "use `oci://registry/path/chart` or an `https://` Helm repository with `chart=`"
            };
            self.errors.push(invalid(
                "it is neither `oci://` nor `https://`",
                url.span,
                &url.value,
                advice,
            ));
            None
        }
    }

    /// Completes a deployment with the app's knobs and its cluster block, if any; returns it
    /// with the overlay's parsed manifests and patches.
    fn deployment(
        &mut self,
        app: &syntax::App,
        block: Option<&syntax::AppCluster>,
        namespace: &str,
        mut deployment: Deployment,
    ) -> (Deployment, Overlay) {
        let mut overlay = Overlay::default();
        self.knobs(&app.knobs, namespace, &mut deployment.flux);
        let Some(block) = block else {
            return (deployment, overlay);
        };
        self.knobs(&block.knobs, namespace, &mut deployment.flux);
        for var in &block.vars {
            self.var_name(&var.name);
        }
        self.unique("variable", block.vars.iter().map(|var| &var.name));
        deployment.substitute.extend(
            block
                .vars
                .iter()
                .map(|var| (var.name.value.clone(), var.value.value.clone())),
        );
        let mut overlay_files: Vec<SourceFile> = Vec::new();
        for patch in &block.patches {
            let (files, manifests) = self.read_manifests(&patch.path, FileKind::Patches);
            for file in files {
                overlay_files.push(file.clone());
                deployment.patches.push(OverlayPatch {
                    file,
                    target: target(&patch.target),
                });
            }
            let target = target(&patch.target);
            overlay.patches.extend(
                manifests
                    .into_iter()
                    .map(|manifest| (patch.path.span, manifest, target.clone())),
            );
        }
        for path in &block.manifests {
            let (files, manifests) = self.read_manifests(path, FileKind::Resources);
            overlay_files.extend(files.iter().cloned());
            deployment.manifests.extend(files);
            overlay
                .resources
                .extend(manifests.into_iter().map(|manifest| (path.span, manifest)));
        }
        let span = block.name.span;
        self.no_collisions(&overlay_files, span);
        (deployment, overlay)
    }

    fn knobs(&mut self, knobs: &syntax::Knobs, namespace: &str, flux: &mut FluxKnobs) {
        if let Some(wait) = &knobs.wait {
            flux.wait = wait.value;
        }
        flux.timings = self.timings(&knobs.timings, &flux.timings);
        for check in &knobs.health_checks {
            self.health_check_names(
                check.api_version.as_ref(),
                &check.kind,
                Some(&check.name),
                check.namespace.as_ref(),
            );
            flux.health_checks.push(HealthCheck {
                api_version: check.api_version.as_ref().map(|value| value.value.clone()),
                kind: check.kind.value.clone(),
                name: check.name.value.clone(),
                namespace: check
                    .namespace
                    .as_ref()
                    .map_or_else(|| namespace.to_owned(), |value| value.value.clone()),
            });
        }
        for expr in &knobs.health_check_exprs {
            self.health_check_names(Some(&expr.api_version), &expr.kind, None, None);
            flux.health_check_exprs.push(HealthCheckExpr {
                api_version: expr.api_version.value.clone(),
                kind: expr.kind.value.clone(),
                current: expr.current.value.clone(),
                failed: expr.failed.as_ref().map(|value| value.value.clone()),
                in_progress: expr.in_progress.as_ref().map(|value| value.value.clone()),
            });
        }
        for patch in &knobs.inline_patches {
            self.inline_patch(&patch.patch);
            flux.inline_patches.push(InlinePatch {
                patch: patch.patch.value.clone(),
                target: target(&patch.target),
            });
        }
        self.unique("label", knobs.labels.iter().map(|label| &label.name));
        for label in &knobs.labels {
            if !rules::is_label_key(&label.name.value) {
                self.invalid_name(
                    "label key",
                    &label.name,
                    "a label key is `name` or `prefix/name`: the name at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit; the prefix a DNS subdomain",
                );
            }
            if !rules::is_label_value(&label.value.value) {
                self.invalid_name(
                    "label value",
                    &label.value,
                    "a label value is empty or at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
                );
            }
        }
        flux.labels.extend(
            knobs
                .labels
                .iter()
                .map(|label| (label.name.value.clone(), label.value.value.clone())),
        );
    }

    /// The names in a health check Kubernetes would reject.
    fn health_check_names(
        &mut self,
        api_version: Option<&Spanned<String>>,
        kind: &Spanned<String>,
        name: Option<&Spanned<String>>,
        namespace: Option<&Spanned<String>>,
    ) {
        if let Some(api_version) = api_version
            && !rules::is_api_version(&api_version.value)
        {
            self.invalid_name(
                "API version",
                api_version,
                "an API version is `v1` or `<group>/<version>`, such as `apps/v1`",
            );
        }
        if !rules::is_kind(&kind.value) {
            self.invalid_name(
                "kind",
                kind,
                "a kind is letters and digits, such as `Deployment`",
            );
        }
        if let Some(name) = name
            && !rules::is_object_name(&name.value)
        {
            self.invalid_name(
                "object name",
                name,
                "a Kubernetes object name is at most 253 characters, without `/` or `%`",
            );
        }
        if let Some(namespace) = namespace {
            self.dns_label("namespace", namespace);
        }
    }

    /// An inline patch must be one YAML document, and Flux does not substitute it.
    fn inline_patch(&mut self, patch: &Spanned<String>) {
        match manifests::parse_documents(&patch.value) {
            Ok(documents) if documents.len() != 1 => {
                self.errors.push(Error::InvalidInlinePatch {
                    reason: format!("it holds {} documents", documents.len()),
                    span: patch.span,
                });
            }
            Ok(_) => {}
            Err(reason) => self.errors.push(Error::InvalidInlinePatch {
                reason,
                span: patch.span,
            }),
        }
        if let Ok(references) = substitute::references(&patch.value)
            && let Some(first) = references.first()
        {
            self.errors.push(Error::InlinePatchVariable {
                reference: format!("${{{}}}", first.name),
                span: patch.span,
            });
        }
    }
}

/// What the files a path names are to kustomize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// Objects to apply: manifests and component files.
    Resources,
    /// Patches of those objects.
    Patches,
}

/// How a version is read: an image tag, an OCI chart tag, or a Helm repository chart version.
#[derive(Debug, Clone, Copy)]
enum VersionKind {
    Image,
    OciChart,
    RepositoryChart,
}

/// The parsed files of one app's overlay on one cluster.
#[derive(Debug, Default)]
struct Overlay {
    resources: Vec<(SourceSpan, Manifest)>,
    patches: Vec<(SourceSpan, Manifest, Option<Target>)>,
}

fn selector(target: &Target) -> Selector {
    Selector {
        kind: target.kind.clone(),
        name: target.name.clone(),
        narrowed: target.group.is_some()
            || target.version.is_some()
            || target.label_selector.is_some()
            || target.annotation_selector.is_some(),
    }
}

fn target(target: &syntax::Target) -> Option<Target> {
    let text = |value: &Option<Spanned<String>>| value.as_ref().map(|value| value.value.clone());
    let target = Target {
        group: text(&target.group),
        version: text(&target.version),
        kind: text(&target.kind),
        name: text(&target.name),
        label_selector: text(&target.label_selector),
        annotation_selector: text(&target.annotation_selector),
    };
    (target != Target::default()).then_some(target)
}

//! Stage 2: spanned syntax -> [`Model`].
//!
//! Checks every reference (clusters, apps, components, files), applies defaults, works out each
//! app's versions, values and variables per cluster, and reads the files the spec names. Every
//! error is collected, so one run reports them all. This stage reads the spec directory and
//! writes nothing.

mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::model::{
    App, Chart, ChartSource, Cluster, Component, Deployment, FluxKnobs, HealthCheck,
    HealthCheckExpr, InlinePatch, Layer, Model, OverlayPatch, Settings, SourceFile, Target,
    Timings,
};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::did_you_mean;
use files::SpecDir;

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
    #[error("unknown {what} `{name}`")]
    #[diagnostic(code("fluxspec::unknown-reference"))]
    Unknown {
        what: &'static str,
        name: String,
        #[label("no {what} of this name")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("`{value}` is not a valid {what}")]
    #[diagnostic(code("fluxspec::invalid-value"))]
    Invalid {
        what: &'static str,
        value: String,
        #[label("invalid {what}")]
        span: SourceSpan,
        #[help]
        help: String,
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
        help: Option<String>,
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
    #[diagnostic(code("fluxspec::empty-directory"))]
    EmptyDirectory {
        path: String,
        #[label("empty")]
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
    #[diagnostic(code("fluxspec::invalid-values"))]
    InvalidValues {
        path: String,
        reason: String,
        #[label("invalid values file")]
        span: SourceSpan,
    },
    #[error("two files would be written to `{name}`")]
    #[diagnostic(
        code("fluxspec::file-collision"),
        help(
            "rename one of them; `kustomization.yaml` and the files fluxspec generates are taken"
        )
    )]
    FileCollision {
        name: String,
        #[label("this file collides")]
        span: SourceSpan,
    },
}

/// Where fluxspec reads the spec's referenced files from, and the spec's declarations.
pub(crate) fn resolve(
    spec: &syntax::Spec,
    spec_dir: &Path,
    whole: SourceSpan,
) -> Result<Model, Vec<Error>> {
    let mut resolver = Resolver {
        dir: SpecDir::new(spec_dir),
        errors: Vec::new(),
    };
    let model = resolver.model(spec, whole);
    if resolver.errors.is_empty() {
        Ok(model)
    } else {
        Err(resolver.errors)
    }
}

struct Resolver {
    dir: SpecDir,
    errors: Vec<Error>,
}

/// Variables fluxspec sets itself.
const RESERVED_VARS: &[&str] = &["APP", "CLUSTER"];
/// Files fluxspec writes into `apps/<app>/{base,<cluster>}/`.
const GENERATED_NAMES: &[&str] = &[
    "kustomization.yaml",
    "helmrelease.yaml",
    "helmrepository.yaml",
    "ocirepository.yaml",
    "helmrelease-values.yaml",
    "helmrelease-version.yaml",
];

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Flux's rule for variable names: `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.
fn is_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|first| first == b'_' || first.is_ascii_alphabetic())
        && bytes.all(|byte| byte == b'_' || byte.is_ascii_alphanumeric())
}

/// A Go duration as Flux parses it (`5m`, `1h30m`, `0.5s`).
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return false;
        }
        rest = &rest[number_len..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            // `ms` before `m`, `ns` before `s`: longest unit first.
            .filter(|unit| rest.starts_with(unit))
            .max_by_key(|unit| unit.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
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

        let cluster_names: Vec<&str> = clusters
            .iter()
            .map(|cluster| cluster.name.as_str())
            .collect();
        for app in &spec.apps {
            for cluster in &cluster_names {
                for layer in Layer::ALL {
                    let root = format!("{}-{cluster}", layer.as_str());
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
            .map(|app| self.app(app, spec, &settings))
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
                    name: name.value.clone(),
                    span: name.span,
                    first: *first,
                });
            } else {
                seen.insert(name.as_str(), name.span);
            }
        }
    }

    fn dns_label(&mut self, what: &'static str, name: &Spanned<String>) {
        if !is_dns_label(&name.value) {
            self.errors.push(Error::Invalid {
                what,
                value: name.value.clone(),
                span: name.span,
                help: "use lowercase letters, digits and `-`, at most 63 characters, starting and ending with a letter or digit".to_owned(),
            });
        }
    }

    fn duration(&mut self, value: Option<&Spanned<String>>, fallback: &str) -> String {
        let Some(value) = value else {
            return fallback.to_owned();
        };
        if !is_duration(&value.value) {
            self.errors.push(Error::Invalid {
                what: "duration",
                value: value.value.clone(),
                span: value.span,
                help: "use Go duration syntax, such as `30s`, `5m` or `1h30m`".to_owned(),
            });
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
                    && !trimmed.split('/').any(|part| part == ".." || part.is_empty());
                if !valid {
                    self.errors.push(Error::Invalid {
                        what: "output path",
                        value: path.value.clone(),
                        span: path.span,
                        help: "give the output directory's path from the repository root, starting with `./`, e.g. `./generated`".to_owned(),
                    });
                }
                trimmed.to_owned()
            },
        );
        for name in [&settings.source_name, &settings.source_namespace]
            .into_iter()
            .flatten()
        {
            self.dns_label("name", name);
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
                name: name.value.clone(),
                span: name.span,
                help: "fluxspec sets `APP` to the app's name and `CLUSTER` to the cluster's"
                    .to_owned(),
            });
        } else if !is_var_name(&name.value) {
            self.errors.push(Error::Invalid {
                what: "variable name",
                value: name.value.clone(),
                span: name.span,
                help: "Flux substitutes only names matching `^[_A-Za-z][_A-Za-z0-9]*$`".to_owned(),
            });
        }
    }

    fn cluster(&mut self, cluster: &syntax::Cluster, defaults: &Timings) -> Cluster {
        self.dns_label("cluster name", &cluster.name);
        let mut vars = self.vars(&cluster.vars);
        vars.insert("CLUSTER".to_owned(), cluster.name.value.clone());
        let mut suspend_platform = false;
        let mut suspend_apps = false;
        for layer in &cluster.suspend {
            match layer.as_str() {
                "platform" => suspend_platform = true,
                "apps" => suspend_apps = true,
                _ => self.errors.push(Error::Invalid {
                    what: "layer",
                    value: layer.value.clone(),
                    span: layer.span,
                    help: "a layer is `platform` or `apps`".to_owned(),
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

    fn read(&mut self, path: &Spanned<String>) -> Vec<SourceFile> {
        self.dir.read(path).unwrap_or_else(|error| {
            self.errors.push(error);
            Vec::new()
        })
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
        let files = self.read(path);
        self.no_collisions(&files, path.span);
        Component {
            name: component.name.value.clone(),
            files,
        }
    }

    /// Reports files whose output names clash with each other or with generated files.
    fn no_collisions(&mut self, files: &[SourceFile], span: SourceSpan) {
        let mut names: BTreeSet<&str> = GENERATED_NAMES.iter().copied().collect();
        for file in files {
            if !names.insert(&file.name) {
                self.errors.push(Error::FileCollision {
                    name: file.name.clone(),
                    span,
                });
            }
        }
    }

    fn reference<'a>(
        &mut self,
        what: &'static str,
        name: &Spanned<String>,
        known: impl IntoIterator<Item = &'a str> + Clone,
    ) -> bool {
        if known
            .clone()
            .into_iter()
            .any(|candidate| candidate == name.as_str())
        {
            return true;
        }
        self.errors.push(Error::Unknown {
            what,
            name: name.value.clone(),
            span: name.span,
            help: did_you_mean(&name.value, known),
        });
        false
    }

    fn values(&mut self, path: &Spanned<String>) -> Option<serde_json::Value> {
        let file = self.read(path).into_iter().next()?;
        let invalid = |reason: String| Error::InvalidValues {
            path: path.value.clone(),
            reason,
            span: path.span,
        };
        let Ok(text) = String::from_utf8(file.bytes) else {
            self.errors.push(invalid("it is not UTF-8".to_owned()));
            return None;
        };
        match serde_saphyr::from_str::<serde_json::Value>(&text) {
            Ok(value @ serde_json::Value::Object(_)) => Some(value),
            Ok(_) => {
                self.errors
                    .push(invalid("the top level is not a mapping".to_owned()));
                None
            }
            Err(error) => {
                self.errors.push(invalid(error.to_string()));
                None
            }
        }
    }

    #[allow(clippy::too_many_lines)] // one app's resolution reads best as one sequence
    fn app(&mut self, app: &syntax::App, spec: &syntax::Spec, settings: &Settings) -> App {
        self.dns_label("app name", &app.name);
        let layer = match app.layer.as_ref().map(Spanned::as_str) {
            None | Some("apps") => Layer::Apps,
            Some("platform") => Layer::Platform,
            Some(other) => {
                let span = app.layer.as_ref().map_or(app.name.span, |layer| layer.span);
                self.errors.push(Error::Invalid {
                    what: "layer",
                    value: other.to_owned(),
                    span,
                    help: did_you_mean(other, ["platform", "apps"])
                        .unwrap_or_else(|| "a layer is `platform` or `apps`".to_owned()),
                });
                Layer::Apps
            }
        };
        let namespace = app.namespace.as_ref().map_or_else(
            || app.name.value.clone(),
            |namespace| {
                self.dns_label("namespace", namespace);
                namespace.value.clone()
            },
        );

        // The clusters this app runs on.
        let all_clusters: Vec<&str> = spec
            .clusters
            .iter()
            .map(|cluster| cluster.name.as_str())
            .collect();
        let clusters: Vec<&str> = match &app.clusters {
            None => all_clusters.clone(),
            Some(names) => {
                self.unique("cluster", names.iter());
                names
                    .iter()
                    .filter(|name| self.reference("cluster", name, all_clusters.iter().copied()))
                    .map(Spanned::as_str)
                    .collect()
            }
        };
        let deployed = |name: &str| clusters.contains(&name);
        let not_deployed = |cluster: &Spanned<String>| Error::NotDeployed {
            app: app.name.value.clone(),
            cluster: cluster.value.clone(),
            span: cluster.span,
            help: format!(
                "`{}` runs on {}; add `{}` to its `clusters`",
                app.name.value,
                clusters
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                cluster.value
            ),
        };
        // A reference to a cluster in this app: it must exist and the app must run there.
        let cluster_ref = |resolver: &mut Self, cluster: &Spanned<String>| -> bool {
            if !resolver.reference("cluster", cluster, all_clusters.iter().copied()) {
                return false;
            }
            if deployed(cluster.as_str()) {
                true
            } else {
                resolver.errors.push(not_deployed(cluster));
                false
            }
        };

        // Dependencies and components.
        self.unique("dependency", app.depends_on.iter());
        let app_names: Vec<&str> = spec.apps.iter().map(|other| other.name.as_str()).collect();
        let mut depends_on: Vec<String> = app
            .depends_on
            .iter()
            .filter(|name| self.reference("app", name, app_names.iter().copied()))
            .map(|name| name.value.clone())
            .collect();
        depends_on.sort();

        self.unique(
            "component",
            app.components.iter().map(|component| &component.name),
        );
        let mut component_names = Vec::new();
        let mut substitute = BTreeMap::from([("APP".to_owned(), app.name.value.clone())]);
        let mut set_by: BTreeMap<String, SourceSpan> = BTreeMap::new();
        for used in &app.components {
            let Some(component) = spec
                .components
                .iter()
                .find(|component| component.name.value == used.name.value)
            else {
                self.reference(
                    "component",
                    &used.name,
                    spec.components
                        .iter()
                        .map(|component| component.name.as_str()),
                );
                continue;
            };
            component_names.push(used.name.value.clone());
            for value in &used.values {
                if !component
                    .vars
                    .iter()
                    .any(|var| var.name.value == value.name.value)
                {
                    self.errors.push(Error::UndeclaredComponentVar {
                        component: component.name.value.clone(),
                        var: value.name.value.clone(),
                        span: value.name.span,
                        help: did_you_mean(
                            &value.name.value,
                            component.vars.iter().map(|var| var.name.as_str()),
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
                    (Some(given), _) => (given.value.value.clone(), given.name.span),
                    (None, Some(default)) => (default.value.clone(), used.name.span),
                    (None, None) => {
                        self.errors.push(Error::MissingComponentVar {
                            component: component.name.value.clone(),
                            var: var.name.value.clone(),
                            span: used.name.span,
                        });
                        continue;
                    }
                };
                if let Some(first) = set_by.get(&var.name.value)
                    && substitute.get(&var.name.value) != Some(&value)
                {
                    self.errors.push(Error::Duplicate {
                        what: "variable",
                        name: var.name.value.clone(),
                        span,
                        first: *first,
                    });
                }
                set_by.insert(var.name.value.clone(), span);
                substitute.insert(var.name.value.clone(), value);
            }
        }
        component_names.sort();
        let app_vars = self.vars(&app.vars);
        for var in &app.vars {
            if let Some(first) = set_by.get(&var.name.value) {
                self.errors.push(Error::Duplicate {
                    what: "variable",
                    name: var.name.value.clone(),
                    span: var.name.span,
                    first: *first,
                });
            }
        }
        substitute.extend(app_vars);

        // Files and chart.
        let mut base_manifests: Vec<SourceFile> = Vec::new();
        for path in &app.manifests {
            base_manifests.extend(self.read(path));
        }
        let manifests_span = app
            .manifests
            .first()
            .map_or(app.name.span, |path| path.span);
        self.no_collisions(&base_manifests, manifests_span);

        let chart = app.helm.as_ref().and_then(|helm| self.chart(helm));
        let base_values = app.helm.as_ref().and_then(|helm| {
            helm.values
                .iter()
                .rfind(|values| values.cluster.is_none())
                .and_then(|values| self.values(&values.path))
        });
        if let Some(helm) = &app.helm {
            let base_files: Vec<_> = helm
                .values
                .iter()
                .filter(|values| values.cluster.is_none())
                .collect();
            if base_files.len() > 1 {
                self.errors.push(Error::Duplicate {
                    what: "base values file of app",
                    name: app.name.value.clone(),
                    span: base_files[1].path.span,
                    first: base_files[0].path.span,
                });
            }
        }

        // Per-cluster blocks, versions and values must name clusters the app runs on.
        self.unique(
            "cluster block",
            app.per_cluster.iter().map(|block| &block.name),
        );
        for block in &app.per_cluster {
            cluster_ref(self, &block.name);
        }
        let versioned: Vec<(&Spanned<String>, &[syntax::Version])> = app
            .helm
            .iter()
            .map(|helm| (&helm.url, helm.versions.as_slice()))
            .chain(
                app.images
                    .iter()
                    .map(|image| (&image.name, image.versions.as_slice())),
            )
            .collect();
        self.unique("image", app.images.iter().map(|image| &image.name));
        for (_, versions) in &versioned {
            let mut default: Option<SourceSpan> = None;
            let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
            for version in *versions {
                self.version_syntax(&version.value);
                match &version.cluster {
                    None => {
                        if let Some(first) = default {
                            self.errors.push(Error::Duplicate {
                                what: "default version",
                                name: version.value.value.clone(),
                                span: version.value.span,
                                first,
                            });
                        }
                        default = Some(version.value.span);
                    }
                    Some(cluster) => {
                        if let Some(first) = seen.get(cluster.as_str()) {
                            self.errors.push(Error::Duplicate {
                                what: "version for cluster",
                                name: cluster.value.clone(),
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

        let deployments = clusters
            .iter()
            .map(|cluster| {
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
                let values = app.helm.as_ref().and_then(|helm| {
                    helm.values
                        .iter()
                        .find(|values| {
                            values
                                .cluster
                                .as_ref()
                                .is_some_and(|name| name.as_str() == *cluster)
                        })
                        .and_then(|values| self.values(&values.path))
                });
                self.deployment(
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
                )
            })
            .collect();

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
        // `depends-on` entry that closes it.
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = spec
            .apps
            .iter()
            .map(|app| (app.name.as_str(), app.depends_on.iter().collect()))
            .collect();
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for start in edges.keys() {
            let mut path: Vec<&str> = Vec::new();
            self.visit(start, &edges, &mut path, &mut done);
        }
    }

    fn visit<'a>(
        &mut self,
        app: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a Spanned<String>>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(app) {
            return;
        }
        path.push(app);
        for dependency in edges.get(app).into_iter().flatten() {
            let next = dependency.as_str();
            if let Some(position) = path.iter().position(|on_path| *on_path == next) {
                let mut cycle: Vec<&str> = path[position..].to_vec();
                cycle.push(next);
                self.errors.push(Error::DependencyCycle {
                    cycle: cycle.join(" -> "),
                    span: dependency.span,
                });
            } else if edges.contains_key(next) {
                self.visit(next, edges, path, done);
            }
        }
        path.pop();
        done.insert(app);
    }

    fn version_syntax(&mut self, version: &Spanned<String>) {
        let valid = !version.value.is_empty()
            && version.value.len() <= 128
            && version.value.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '@' | ':')
            });
        if !valid {
            self.errors.push(Error::Invalid {
                what: "version",
                value: version.value.clone(),
                span: version.span,
                help: "a version or tag is letters, digits and `.-_+`, optionally `@sha256:...`"
                    .to_owned(),
            });
        }
    }

    fn chart(&mut self, helm: &syntax::Helm) -> Option<ChartSource> {
        let url = &helm.url;
        if url.value.starts_with("oci://") {
            if let Some(chart) = &helm.chart {
                self.errors.push(Error::Invalid {
                    what: "property for an OCI chart",
                    value: format!("chart=\"{}\"", chart.value),
                    span: chart.span,
                    help: "an oci:// URL names the chart itself; remove `chart=`".to_owned(),
                });
            }
            Some(ChartSource::Oci {
                url: url.value.clone(),
            })
        } else if url.value.starts_with("https://") {
            let Some(chart) = &helm.chart else {
                self.errors.push(Error::Invalid {
                    what: "Helm repository chart",
                    value: url.value.clone(),
                    span: helm.span,
                    help: "name the chart in the repository: `helm \"https://...\" chart=\"name\"`"
                        .to_owned(),
                });
                return None;
            };
            Some(ChartSource::Repository {
                url: url.value.clone(),
                chart: chart.value.clone(),
            })
        } else {
            self.errors.push(Error::Invalid {
                what: "chart URL",
                value: url.value.clone(),
                span: url.span,
                help:
                    "use `oci://registry/path/chart` or an `https://` Helm repository with `chart=`"
                        .to_owned(),
            });
            None
        }
    }

    /// Completes a deployment with the app's knobs and its cluster block, if any.
    fn deployment(
        &mut self,
        app: &syntax::App,
        block: Option<&syntax::AppCluster>,
        namespace: &str,
        mut deployment: Deployment,
    ) -> Deployment {
        self.knobs(&app.knobs, namespace, &mut deployment.flux);
        let Some(block) = block else {
            return deployment;
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
            for file in self.read(&patch.path) {
                overlay_files.push(file.clone());
                deployment.patches.push(OverlayPatch {
                    file,
                    target: target(&patch.target),
                });
            }
        }
        for path in &block.manifests {
            let files = self.read(path);
            overlay_files.extend(files.iter().cloned());
            deployment.manifests.extend(files);
        }
        let span = block.name.span;
        self.no_collisions(&overlay_files, span);
        deployment
    }

    fn knobs(&mut self, knobs: &syntax::Knobs, namespace: &str, flux: &mut FluxKnobs) {
        if let Some(wait) = &knobs.wait {
            flux.wait = wait.value;
        }
        flux.timings = self.timings(&knobs.timings, &flux.timings);
        flux.health_checks
            .extend(knobs.health_checks.iter().map(|check| {
                HealthCheck {
                    api_version: check.api_version.as_ref().map(|value| value.value.clone()),
                    kind: check.kind.value.clone(),
                    name: check.name.value.clone(),
                    namespace: check
                        .namespace
                        .as_ref()
                        .map_or_else(|| namespace.to_owned(), |value| value.value.clone()),
                }
            }));
        flux.health_check_exprs
            .extend(knobs.health_check_exprs.iter().map(|expr| HealthCheckExpr {
                api_version: expr.api_version.value.clone(),
                kind: expr.kind.value.clone(),
                current: expr.current.value.clone(),
                failed: expr.failed.as_ref().map(|value| value.value.clone()),
                in_progress: expr.in_progress.as_ref().map(|value| value.value.clone()),
            }));
        for patch in &knobs.inline_patches {
            if patch.patch.value.contains("${") && !patch.patch.value.contains("$${") {
                self.errors.push(Error::Invalid {
                    what: "inline patch",
                    value: "${...}".to_owned(),
                    span: patch.patch.span,
                    help: "since Flux 2.7 variables are not substituted in `spec.patches`: write the value itself, or use a `patch` file in a cluster block".to_owned(),
                });
            }
            flux.inline_patches.push(InlinePatch {
                patch: patch.patch.value.clone(),
                target: target(&patch.target),
            });
        }
        self.unique("label", knobs.labels.iter().map(|label| &label.name));
        flux.labels.extend(
            knobs
                .labels
                .iter()
                .map(|label| (label.name.value.clone(), label.value.value.clone())),
        );
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

#[cfg(test)]
mod tests {
    use super::{is_dns_label, is_duration, is_var_name};

    #[test]
    fn durations_follow_go_syntax() {
        for valid in ["5m", "1h30m", "0.5s", "100ms", "2h"] {
            assert!(is_duration(valid), "{valid}");
        }
        for invalid in ["", "5", "m", "5 m", "1d", "-5m"] {
            assert!(!is_duration(invalid), "{invalid}");
        }
    }

    #[test]
    fn names_follow_kubernetes_and_flux_rules() {
        assert!(is_dns_label("cert-manager"));
        assert!(!is_dns_label("Cert-Manager"));
        assert!(!is_dns_label("-x"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_var_name("CLUSTER_DOMAIN"));
        assert!(is_var_name("_x1"));
        assert!(!is_var_name("1X"));
        assert!(!is_var_name("A-B"));
    }
}

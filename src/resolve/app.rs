//! One app as it is declared once: its name, layer and namespace, the clusters it runs on and
//! every place it names one, its variables (its components' and its own), its base files and
//! its chart with the base values. What differs per cluster is [`super::deployment`]'s.

use std::collections::BTreeMap;
use std::rc::Rc;

use miette::SourceSpan;

use crate::layout::Layout;
use crate::model::{App, Chart, Cluster, Layer, ReleaseSettings, Settings, SourceFile};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};
use crate::text::and_list;

use super::components::ComponentUses;
use super::defaults::{defaults_for, source_defaults};
use super::deployment::AppBasis;
use super::manifests::{Doc, Manifest};
use super::reading::{FileKind, ParsedFile};
use super::{Error, Resolver, Warning, rules};

/// The clusters an app may name: those of the spec, and among them those it runs on.
pub(super) struct Placement<'a> {
    app: &'a str,
    /// Every cluster of the spec.
    all: Vec<&'a str>,
    /// The clusters the app runs on.
    on: Vec<&'a str>,
}

/// The variables an app sets on every cluster, and the components it uses.
struct AppVariables {
    /// `APP`, its components' variables and its own.
    substitute: BTreeMap<String, String>,
    /// Where each value the spec writes is written, to resolve its references per cluster.
    value_at: BTreeMap<String, SourceSpan>,
    /// The components' names, sorted: those of the overlay, those of the Flux Kustomization.
    components: Vec<String>,
    flux_components: Vec<String>,
}

/// An app's base: its own files, their parsed YAML (with the HelmRelease fluxspec generates),
/// and its chart.
struct Base {
    manifests: Vec<SourceFile>,
    parsed: Vec<ParsedFile>,
    chart: Option<Chart>,
    /// The HelmRelease's settings before the app's own (see [`Resolver::release_settings`]).
    release_start: Option<ReleaseSettings>,
}

impl Resolver {
    pub(super) fn app(
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
        let all = spec
            .clusters
            .iter()
            .map(|cluster| cluster.name.as_str())
            .collect();
        let placement = self.placement(app, all);
        self.check_depends_on(app, spec);
        let variables = self.app_variables(app, spec);
        let app_defaults = defaults_for(spec, layer, None);
        let base = self.base(app, spec, settings, &app_defaults.app_wide);
        self.cluster_references(app, &placement);
        self.values_paths_need_a_chart(app);

        let basis = AppBasis {
            layer,
            namespace,
            components: variables.components,
            flux_components: variables.flux_components,
            substitute: variables.substitute,
            value_at: variables.value_at,
            base: base.parsed,
            release: base.chart.as_ref().map(|chart| chart.release.clone()),
            release_start: base.release_start,
            timings: settings.timings.clone(),
            base_values: base
                .chart
                .as_ref()
                .and_then(|chart| chart.base_values.clone()),
        };
        let mut overrides = Vec::new();
        let deployments = placement
            .on
            .iter()
            .map(|cluster| {
                let cluster_vars = all_clusters
                    .iter()
                    .find(|known| known.name == *cluster)
                    .map(|known| &known.vars);
                let chain = defaults_for(spec, layer, Some(cluster));
                self.deployment(app, &basis, &chain, cluster, cluster_vars, &mut overrides)
            })
            .collect();
        self.report_overrides(&app.name.value, overrides);
        let target_namespace = app.target_namespace.as_ref().is_none_or(|set| set.value);
        App {
            name: app.name.value.clone(),
            layer,
            namespace: basis.namespace,
            target_namespace,
            // Without `targetNamespace`, the namespace holds the chart's objects, or the objects
            // of a namespace the app names.
            uses_namespace: target_namespace || base.chart.is_some() || app.namespace.is_some(),
            base_manifests: base.manifests,
            chart: base.chart,
            deployments,
        }
    }

    /// An app named like a cluster's root Flux Kustomization (`platform-<cluster>`,
    /// `apps-<cluster>`) would clash with it.
    pub(super) fn root_names(
        &mut self,
        spec: &syntax::Spec,
        clusters: &[Cluster],
        settings: &Settings,
    ) {
        let layout = Layout::new(settings);
        for app in &spec.apps {
            for cluster in clusters {
                for layer in Layer::ALL {
                    let root = layout.root_kustomization_name(&cluster.name, layer);
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
    fn placement<'a>(&mut self, app: &'a syntax::App, all: Vec<&'a str>) -> Placement<'a> {
        let on = match &app.clusters {
            None => all.clone(),
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
                    .filter(|name| self.known_cluster(name, &all))
                    .map(Spanned::as_str)
                    .collect()
            }
        };
        Placement {
            app: &app.name.value,
            all,
            on,
        }
    }

    /// A reference to a cluster in an app: it must exist and the app must run there.
    pub(super) fn cluster_ref(&mut self, placement: &Placement<'_>, cluster: &Spanned<String>) {
        if !self.known_cluster(cluster, &placement.all) || placement.on.contains(&cluster.as_str())
        {
            return;
        }
        self.errors.push(Error::NotDeployed {
            app: placement.app.to_owned(),
            cluster: cluster.value.clone(),
            span: cluster.span,
            help: format!(
                "`{}` runs on {}; add `{}` to its `clusters`",
                placement.app,
                and_list(placement.on.iter().copied()),
                cluster.value
            ),
        });
    }

    /// The variables the app sets on every cluster: `APP`, its components', its own (each set
    /// once).
    fn app_variables(&mut self, app: &syntax::App, spec: &syntax::Spec) -> AppVariables {
        let mut substitute = BTreeMap::from([("APP".to_owned(), app.name.value.clone())]);
        let mut value_at: BTreeMap<String, SourceSpan> = BTreeMap::new();
        let ComponentUses {
            overlay,
            flux,
            set_by,
        } = self.app_components(app, spec, &mut substitute, &mut value_at);
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
        AppVariables {
            substitute,
            value_at,
            components: overlay,
            flux_components: flux,
        }
    }

    /// The app's own files and its chart; the HelmRelease fluxspec generates carries the base
    /// values, so it is parsed with the files, for the substitution checks.
    fn base(
        &mut self,
        app: &syntax::App,
        spec: &syntax::Spec,
        settings: &Settings,
        defaults: &[&syntax::Defaults],
    ) -> Base {
        let mut manifests: Vec<SourceFile> = Vec::new();
        let mut parsed: Vec<ParsedFile> = Vec::new();
        for path in &app.manifests {
            let read = self.read_manifests(path, FileKind::Resources);
            manifests.extend(read.files);
            parsed.extend(read.manifests.into_iter().map(|manifest| ParsedFile {
                span: path.span,
                manifest,
            }));
        }

        let interval = &settings.timings.interval;
        let source = app
            .helm
            .as_ref()
            .and_then(|helm| self.chart(helm, interval, &source_defaults(defaults)));
        let (release_start, release) = app
            .helm
            .as_ref()
            .map(|helm| self.release_settings(app, helm, spec, interval, defaults))
            .unzip();
        let base_values_node = app
            .helm
            .iter()
            .flat_map(|helm| helm.values.iter())
            .rfind(|values| values.cluster.is_none());
        let (base_values, base_text) = base_values_node
            .and_then(|values| self.values(&values.path))
            .map(|values| (values.content, values.text))
            .unzip();
        if let Some(helm) = &app.helm {
            self.one_base_values_file(app, helm);
            let (span, path) = base_values_node.map_or((helm.span, "helm"), |values| {
                (values.path.span, values.path.as_str())
            });
            parsed.push(ParsedFile {
                span,
                manifest: Rc::new(Manifest::generated(
                    path.to_owned(),
                    Doc::generated("HelmRelease", &app.name.value, base_values.as_ref()),
                    base_text.as_deref().unwrap_or_default(),
                )),
            });
        }
        Base {
            manifests,
            parsed,
            chart: source.zip(release).map(|(source, release)| Chart {
                source,
                base_values,
                release,
                values_images: app
                    .images
                    .iter()
                    .filter(|image| image.values_path.is_some())
                    .map(|image| image.name.value.clone())
                    .collect(),
            }),
            release_start,
        }
    }

    fn one_base_values_file(&mut self, app: &syntax::App, helm: &syntax::Helm) {
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

    /// Per-cluster blocks, versions and values must name clusters the app runs on; image names
    /// are checked on the way.
    fn cluster_references(&mut self, app: &syntax::App, placement: &Placement<'_>) {
        self.unique(
            "cluster block",
            app.per_cluster.iter().map(|block| &block.name),
        );
        for block in &app.per_cluster {
            self.cluster_ref(placement, &block.name);
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
        self.version_lines(app, placement);
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
                self.cluster_ref(placement, cluster);
            }
        }
    }
}

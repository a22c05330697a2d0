//! Stage 2: spanned syntax -> [`Model`].
//!
//! Checks every reference (clusters, apps, components, files), every name, version and URL the
//! other side would reject ([`rules`]), applies defaults, works out each app's versions, values
//! and variables per cluster (resolving `${...}` inside `var` values, [`vars`]), and reads the
//! files the spec names ([`files`]), checking that they are YAML, that manifests hold objects Flux
//! can apply ([`objects`]) and that Flux can substitute every variable in them ([`manifests`]).
//! Every error is collected, so one run reports them all, with the warnings. This stage reads the
//! spec directory and writes nothing.
//!
//! One file per scope, each adding methods to the one [`Resolver`]: [`settings`] and
//! [`clusters`]; [`components`]; [`app`] (what an app declares once) and, per cluster,
//! [`deployment`] (with its [`versions`], [`knobs`] and [`chart`]); [`reading`] the files;
//! [`substitution`], what Flux's strict substitution would fail on; [`dependencies`] between
//! apps; and the warnings about what is [`unused`]. This file holds the entry point and the
//! checks every scope shares (unique names, DNS labels, known clusters).

mod app;
mod chart;
mod clusters;
mod components;
mod defaults;
mod dependencies;
mod deployment;
mod duplicates;
mod error;
mod file_names;
mod files;
mod helm_settings;
mod knobs;
mod kustomization_knobs;
mod kustomize_dirs;
mod layout_settings;
mod manifests;
pub(crate) use manifests::yaml_options;
mod namespaces;
mod objects;
mod overrides;
mod reading;
mod remotes;
mod repositories;
mod rules;
mod settings;
mod sops;
mod spec_field;
mod substitution;
mod unused;
mod values_images;
mod vars;
mod version_range;
mod versions;
mod warning;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use miette::SourceSpan;

use crate::model::{App, Cluster, Component, Model};
use crate::parse::syntax::{self, Spanned};
use crate::select::UnknownCluster;
use crate::suggest::shown;
use components::ComponentFiles;
pub(crate) use error::{Error, FileError};
use files::SpecDir;
use manifests::{Build, Manifest, Origin, PatchOrigin};
pub(crate) use rules::{is_image_tag, repository_problem};
pub(crate) use versions::is_exact_chart_version;
pub(crate) use warning::Warning;

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
        filed: substitution::Filed::default(),
        applied: duplicates::Applied::new(),
        undecrypted: sops::Undecrypted::default(),
        encrypted_files: BTreeSet::new(),
        app_index: BTreeMap::new(),
        file_cache: reading::FileCache::new(spec),
    };
    let model = resolver.model(spec, whole);
    resolver.applied_objects(spec, &model);
    resolver.substitution_errors();
    resolver.decryption_errors();
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
                patches: vec![PatchOrigin {
                    origin,
                    selector: None,
                }],
                all_disabled: false,
            };
            build.check(&|name| name.len() % 2 == 0).findings.len()
        }
        Err(_) => 1,
    }
}

/// The state of one resolution: what it found so far, and what later checks need.
struct Resolver {
    dir: SpecDir,
    errors: Vec<Error>,
    warnings: Vec<Warning>,
    components: BTreeMap<String, ComponentFiles>,
    /// For each cluster, the variables some substituted object on it references.
    used_by_cluster: BTreeMap<String, BTreeSet<String>>,
    /// Substitution problems, filed away to be reported once per place.
    filed: substitution::Filed,
    /// The objects each app's files hold on each cluster.
    applied: duplicates::Applied,
    /// Encrypted files applied without `decryption`, reported once per place.
    undecrypted: sops::Undecrypted,
    /// The SOPS-encrypted files read so far, by their paths relative to the spec directory.
    encrypted_files: BTreeSet<String>,
    /// Every app's name, with the position in the spec of the first app of that name, for the
    /// lookups each app makes: building the list for each app, or scanning the apps for a name,
    /// made resolve quadratic in the number of apps (half its time at 30 000, then 70 % of it
    /// in the checks that look each app of the model up in the spec).
    app_index: BTreeMap<String, usize>,
    /// The files of the paths the spec names more than once, read and parsed once.
    file_cache: reading::FileCache,
}

const DNS_LABEL_HELP: &str = "use lowercase letters, digits and `-`, at most 63 characters, starting and ending with a letter or digit";

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
        for (position, app) in spec.apps.iter().enumerate() {
            self.app_index
                .entry(app.name.value.clone())
                .or_insert(position);
        }
        self.check_defaults(spec, &settings.timings);

        let mut clusters: Vec<Cluster> = spec
            .clusters
            .iter()
            .map(|cluster| self.cluster(cluster, &settings.timings))
            .collect();
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        let mut components: Vec<Component> = spec
            .components
            .iter()
            .map(|component| self.component(component, spec))
            .collect();
        components.sort_by(|a, b| a.name.cmp(&b.name));

        self.root_names(spec, &clusters, &settings);
        let mut apps: Vec<App> = spec
            .apps
            .iter()
            .map(|app| self.app(app, spec, &settings, &clusters))
            .collect();
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        self.dependencies(spec, &apps);
        let shared_repositories = self.share_repositories(spec, &mut apps);
        self.namespaces(spec, &mut clusters, &apps);
        self.copied_file_names(spec, &apps);

        Model {
            settings,
            clusters,
            components,
            apps,
            shared_repositories,
            encrypted_files: std::mem::take(&mut self.encrypted_files),
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

    /// The first app of the spec named `name`.
    fn spec_app<'s>(&self, spec: &'s syntax::Spec, name: &str) -> Option<&'s syntax::App> {
        self.app_index
            .get(name)
            .and_then(|&position| spec.apps.get(position))
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

    fn known_cluster(&mut self, name: &Spanned<String>, all: &[&str]) -> bool {
        if all.contains(&name.as_str()) {
            return true;
        }
        self.errors
            .push(UnknownCluster::new(&name.value, all.iter().copied(), Some(name.span)).into());
        false
    }
}

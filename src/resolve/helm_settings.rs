//! An app's HelmRelease settings: those of its `helm` block, for every cluster, and those a
//! cluster block's `helm` changes, each checked for what helm-controller would reject. The
//! escape hatch `spec-field` is [`super::spec_field`]'s; the typed `install`, `upgrade` and
//! `drift-detection` merge into a `spec-field` of the same name (render writes them into its
//! object), each layer over the weaker ones.

use serde_json::Value;

use crate::model::{ReleaseRef, ReleaseSettings, Remediation, ValuesFrom};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};
use crate::text::comma_list;

use super::defaults::empty_release;
use super::{Error, Resolver, rules};

/// What changes an app's HelmRelease settings on one cluster, weakest first.
pub(super) struct ClusterRelease<'a> {
    /// The cluster's `defaults` block.
    pub(super) defaults: Option<&'a syntax::Defaults>,
    /// The app's `helm` settings.
    pub(super) app: &'a syntax::HelmSettings,
    /// The app's cluster block's `helm`.
    pub(super) block: Option<&'a syntax::HelmSettings>,
}
use crate::select::unknown_help;

const DRIFT_MODES: &[&str] = &["enabled", "warn", "disabled"];
const UPGRADE_STRATEGIES: &[&str] = &["rollback", "uninstall"];
const VALUES_KINDS: &[&str] = &["ConfigMap", "Secret"];
/// Helm's limit on a release name.
const RELEASE_NAME_MAX: usize = 53;

impl Resolver {
    /// The HelmRelease's settings on every cluster, and what they start from before the app's
    /// own (its name, dependencies and the spec-wide and layer `defaults`); `interval` is the
    /// default interval.
    pub(super) fn release_settings(
        &mut self,
        app: &syntax::App,
        helm: &syntax::Helm,
        spec: &syntax::Spec,
        interval: &str,
        defaults: &[&syntax::Defaults],
    ) -> (ReleaseSettings, ReleaseSettings) {
        let release_name = helm.release_name.as_ref().map(|name| {
            if !rules::is_dns_subdomain(&name.value) || name.value.len() > RELEASE_NAME_MAX {
                self.helm_setting(
                    "release name",
                    name,
                    "a Helm release name is at most 53 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
                );
            }
            name.value.clone()
        });
        let mut start = ReleaseSettings {
            release_name,
            depends_on: self.release_dependencies(app, helm, spec),
            ..empty_release(interval)
        };
        self.apply_default_release_settings(defaults, &mut start);
        let mut settings = start.clone();
        self.apply_release_settings(&helm.settings, &mut settings);
        (start, settings)
    }

    /// The settings on one cluster: `start` changed by the cluster's `defaults`, then by the
    /// app's settings (checked already, on every cluster), then by the cluster block's `helm`;
    /// `None` when they are the app's everywhere.
    pub(super) fn cluster_release_settings(
        &mut self,
        app_wide: &ReleaseSettings,
        start: &ReleaseSettings,
        layers: &ClusterRelease<'_>,
    ) -> Option<ReleaseSettings> {
        if layers.defaults.is_none() && layers.block.is_none() {
            return None;
        }
        let mut settings = start.clone();
        self.apply_default_release_settings(layers.defaults.as_slice(), &mut settings);
        self.quietly(|resolver| resolver.apply_release_settings(layers.app, &mut settings));
        if let Some(block) = layers.block {
            self.apply_release_settings(block, &mut settings);
        }
        (settings != *app_wide).then_some(settings)
    }

    /// Checks each setting given and writes it over `settings`; a cluster's `values-from` come
    /// after the app's (later ones win in Helm's merge). A `spec-field` replaces a weaker one of
    /// its name, and drops the weaker typed settings it sets itself (`upgrade`'s
    /// `remediation.retries`): render merges the typed settings left into its object.
    pub(super) fn apply_release_settings(
        &mut self,
        given: &syntax::HelmSettings,
        settings: &mut ReleaseSettings,
    ) {
        self.unique(
            "spec-field",
            given.spec_fields.iter().map(|field| &field.name),
        );
        for field in &given.spec_fields {
            if let Some(value) = self.spec_field(field) {
                self.set_twice(given, field, &value);
                drop_typed_keys(settings, &field.name.value, &value);
                settings.extra.insert(field.name.value.clone(), value);
            }
        }
        if let Some(interval) = &given.interval {
            settings.interval = self.duration(Some(interval), "");
        }
        if let Some(timeout) = &given.timeout {
            settings.timeout = Some(self.duration(Some(timeout), ""));
        }
        if let Some(install) = &given.install {
            self.remediation(install, &mut settings.install);
        }
        if let Some(upgrade) = &given.upgrade {
            self.remediation(upgrade, &mut settings.upgrade);
        }
        if let Some(mode) = &given.drift_detection {
            settings.drift_detection = Some(self.choice("drift detection mode", mode, DRIFT_MODES));
        }
        if let Some(max_history) = &given.max_history {
            settings.max_history = Some(self.count_setting(
                "max-history",
                max_history,
                0,
                "a number of revisions, 0 or more (0 keeps every revision)",
            ));
        }
        for values in &given.values_from {
            settings.values_from.push(self.values_from(values));
        }
        if let Some(suspend) = &given.suspend {
            settings.suspend = Some(suspend.value);
        }
    }

    /// In one block, a `spec-field` and a typed node may not set the same key (`upgrade`'s
    /// `remediation.retries` and `upgrade { retries }`): neither is stronger.
    fn set_twice(
        &mut self,
        given: &syntax::HelmSettings,
        field: &syntax::SpecField,
        value: &Value,
    ) {
        for (pointer, node) in typed_keys(given, &field.name.value) {
            if value.pointer(pointer).is_some() {
                let key = pointer.trim_start_matches('/').replace('/', ".");
                self.errors.push(Error::InvalidSpecField {
                    name: field.name.value.clone(),
                    reason: format!(
                        "`{}.{key}` is also set by `{node}` in the same block",
                        field.name.value
                    ),
                    span: field.value.span,
                    label: "set twice",
                    help: Some(format!(
                        "keep one: drop `{key}` from this `spec-field`, or drop `{node}` (the two merge into one `{}`)",
                        field.name.value
                    )),
                });
            }
        }
    }

    fn remediation(&mut self, given: &syntax::Remediation, remediation: &mut Remediation) {
        if let Some(retries) = &given.retries {
            remediation.retries = Some(self.count_setting(
                "retries",
                retries,
                i64::MIN,
                "a number of retries (a negative number retries forever)",
            ));
        }
        if let Some(last) = &given.remediate_last_failure {
            remediation.remediate_last_failure = Some(last.value);
        }
        if let Some(strategy) = &given.strategy {
            remediation.strategy =
                Some(self.choice("remediation strategy", strategy, UPGRADE_STRATEGIES));
        }
    }

    fn values_from(&mut self, given: &syntax::ValuesFrom) -> ValuesFrom {
        let kind = self.choice("values-from kind", &given.kind, VALUES_KINDS);
        if !rules::is_dns_subdomain(&given.name.value) {
            self.invalid_name(
                "object name",
                &given.name,
                "the ConfigMap or Secret's name, in the HelmRelease's namespace",
            );
        }
        ValuesFrom {
            kind,
            name: given.name.value.clone(),
            key: given.key.as_ref().map(|key| key.value.clone()),
            target_path: given.target_path.as_ref().map(|path| path.value.clone()),
            optional: given.optional.as_ref().map(|optional| optional.value),
        }
    }

    /// The HelmReleases this one waits for: apps with a chart, in their namespaces.
    fn release_dependencies(
        &mut self,
        app: &syntax::App,
        helm: &syntax::Helm,
        spec: &syntax::Spec,
    ) -> Vec<ReleaseRef> {
        self.unique(
            "HelmRelease dependency",
            helm.depends_on.iter().map(|dependency| &dependency.app),
        );
        let namespace_of = |other: &syntax::App| {
            other.namespace.as_ref().map_or_else(
                || other.name.value.clone(),
                |namespace| namespace.value.clone(),
            )
        };
        let own_namespace = namespace_of(app);
        let mut refs = Vec::new();
        for dependency in &helm.depends_on {
            let name = &dependency.app;
            let Some(other) = self.spec_app(spec, &name.value) else {
                self.errors.push(Error::InvalidReleaseDependency {
                    message: format!("no app is named `{}`", shown(&name.value)),
                    span: name.span,
                    label: "unknown app",
                    help: unknown_help(
                        &name.value,
                        "app",
                        spec.apps
                            .iter()
                            .filter(|other| other.helm.is_some())
                            .map(|other| other.name.as_str()),
                    ),
                });
                continue;
            };
            if other.helm.is_none() {
                self.errors.push(Error::InvalidReleaseDependency {
                    message: format!("app `{}` has no chart, so no HelmRelease", name.value),
                    span: name.span,
                    label: "no `helm` block",
                    help: format!(
                        "a HelmRelease waits only for HelmReleases; to wait for `{}`'s Flux Kustomization, write `depends-on \"{}\"` in the app, outside `helm`",
                        name.value, name.value
                    ),
                });
                continue;
            }
            if name.value == app.name.value {
                self.errors.push(Error::InvalidReleaseDependency {
                    message: format!("`{}`'s HelmRelease depends on itself", name.value),
                    span: name.span,
                    label: "itself",
                    help: "remove this `depends-on`".to_owned(),
                });
                continue;
            }
            let namespace = namespace_of(other);
            if let Some(given) = &dependency.namespace
                && given.value != namespace
            {
                self.errors.push(Error::InvalidReleaseDependency {
                    message: format!(
                        "`{}`'s HelmRelease is in namespace `{namespace}`, not `{}`",
                        name.value,
                        shown(&given.value)
                    ),
                    span: given.span,
                    label: "another namespace",
                    help: format!("write `namespace=\"{namespace}\"`, or leave it out"),
                });
            }
            refs.push(ReleaseRef {
                name: name.value.clone(),
                namespace: (namespace != own_namespace).then_some(namespace),
            });
        }
        refs.sort_by(|a, b| a.name.cmp(&b.name));
        refs
    }

    /// One of `allowed`, or an error with a did-you-mean.
    pub(super) fn choice(
        &mut self,
        what: &'static str,
        value: &Spanned<String>,
        allowed: &[&str],
    ) -> String {
        if !allowed.contains(&value.as_str()) {
            let help = did_you_mean(&value.value, allowed.iter().copied())
                .unwrap_or_else(|| format!("a {what} is one of {}", comma_list(allowed)));
            self.errors.push(Error::InvalidHelmSetting {
                what,
                value: shown(&value.value),
                span: value.span,
                help,
            });
        }
        value.value.clone()
    }

    /// An integer at least `min` that fits Kubernetes' int64.
    fn count_setting(
        &mut self,
        what: &'static str,
        value: &Spanned<i128>,
        min: i64,
        help: &str,
    ) -> i64 {
        match i64::try_from(value.value) {
            Ok(number) if number >= min => number,
            _ => {
                self.errors.push(Error::InvalidHelmSetting {
                    what,
                    value: value.value.to_string(),
                    span: value.span,
                    help: help.to_owned(),
                });
                0
            }
        }
    }

    fn helm_setting(&mut self, what: &'static str, value: &Spanned<String>, help: &str) {
        self.errors.push(Error::InvalidHelmSetting {
            what,
            value: shown(&value.value),
            span: value.span,
            help: help.to_owned(),
        });
    }
}

/// The keys of the `spec-field` `name` that `given`'s typed nodes set: each one's JSON pointer in
/// the field's object, and the node.
fn typed_keys(given: &syntax::HelmSettings, name: &str) -> Vec<(&'static str, &'static str)> {
    let remediation = |remediation: Option<&syntax::Remediation>, nodes: [&'static str; 3]| {
        remediation.map_or_else(Vec::new, |remediation| {
            [
                (
                    remediation.retries.is_some(),
                    "/remediation/retries",
                    nodes[0],
                ),
                (
                    remediation.remediate_last_failure.is_some(),
                    "/remediation/remediateLastFailure",
                    nodes[1],
                ),
                (
                    remediation.strategy.is_some(),
                    "/remediation/strategy",
                    nodes[2],
                ),
            ]
            .into_iter()
            .filter(|(set, _, _)| *set)
            .map(|(_, pointer, node)| (pointer, node))
            .collect()
        })
    };
    match name {
        "install" => remediation(
            given.install.as_ref(),
            [
                "install { retries }",
                "install { remediate-last-failure }",
                "install { strategy }",
            ],
        ),
        "upgrade" => remediation(
            given.upgrade.as_ref(),
            [
                "upgrade { retries }",
                "upgrade { remediate-last-failure }",
                "upgrade { strategy }",
            ],
        ),
        "driftDetection" if given.drift_detection.is_some() => vec![("/mode", "drift-detection")],
        _ => Vec::new(),
    }
}

/// Drops the typed settings (of weaker layers) that the `spec-field` `name` sets itself.
fn drop_typed_keys(settings: &mut ReleaseSettings, name: &str, value: &Value) {
    let sets = |pointer: &str| value.pointer(pointer).is_some();
    let remediation = match name {
        "install" => &mut settings.install,
        "upgrade" => &mut settings.upgrade,
        "driftDetection" => {
            if sets("/mode") {
                settings.drift_detection = None;
            }
            return;
        }
        _ => return,
    };
    if sets("/remediation/retries") {
        remediation.retries = None;
    }
    if sets("/remediation/remediateLastFailure") {
        remediation.remediate_last_failure = None;
    }
    if sets("/remediation/strategy") {
        remediation.strategy = None;
    }
}

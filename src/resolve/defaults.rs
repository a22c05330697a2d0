//! `defaults` blocks: which apply to an app on a cluster, in what order, and the checks each
//! gets once, where it is written.
//!
//! Precedence, weakest first: spec-wide `defaults`, `defaults layer="..."`, the cluster's
//! `defaults`, the app, the app's cluster block. Each level is applied over the one before with
//! the rules of an app's knobs (single values replace, lists add, remediation fields replace one
//! by one), so a default is the value written into each object unless something stronger sets
//! it. Source settings are app-wide (a chart's source is shared by its clusters), so only the
//! spec-wide and layer defaults give them.

use crate::model::{FluxKnobs, Layer, ReleaseSettings, Remediation, Timings};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};

use super::{Error, Resolver};

/// The namespace health checks of a default are checked with: any valid one will do.
const CHECK_NAMESPACE: &str = "default";

/// The `defaults` blocks an app starts from on one cluster.
pub(super) struct Chain<'a> {
    /// Spec-wide, then the app's layer's: those of every cluster.
    pub(super) app_wide: Vec<&'a syntax::Defaults>,
    /// The cluster's.
    pub(super) cluster: Option<&'a syntax::Defaults>,
}

impl<'a> Chain<'a> {
    /// Every block, weakest first.
    pub(super) fn all(&self) -> Vec<&'a syntax::Defaults> {
        self.app_wide.iter().copied().chain(self.cluster).collect()
    }
}

/// The `defaults` blocks an app in `layer` starts from on `cluster` (with `None`, on every
/// cluster).
pub(super) fn defaults_for<'a>(
    spec: &'a syntax::Spec,
    layer: Layer,
    cluster: Option<&str>,
) -> Chain<'a> {
    let spec_wide = spec.defaults.iter().filter(|block| block.layer.is_none());
    let for_layer = spec.defaults.iter().filter(|block| {
        block
            .layer
            .as_ref()
            .is_some_and(|given| given.value == layer.as_str())
    });
    Chain {
        app_wide: spec_wide.chain(for_layer).collect(),
        cluster: cluster.and_then(|cluster| {
            spec.clusters
                .iter()
                .find(|known| known.name.value == cluster)
                .and_then(|known| known.defaults.as_ref())
        }),
    }
}

/// The source settings the chain gives, the later block winning field by field.
pub(super) fn source_defaults(chain: &[&syntax::Defaults]) -> syntax::SourceSettings {
    let mut merged = syntax::SourceSettings::default();
    for block in chain {
        let given = &block.source;
        let pick = |ours: &mut Option<Spanned<String>>, theirs: &Option<Spanned<String>>| {
            if theirs.is_some() {
                ours.clone_from(theirs);
            }
        };
        pick(&mut merged.interval, &given.interval);
        pick(&mut merged.secret_ref, &given.secret_ref);
        pick(&mut merged.provider, &given.provider);
    }
    merged
}

impl Resolver {
    /// Checks every `defaults` block once: one per scope, a known layer, and each knob and
    /// setting as an app's would be checked. Applying them to each app then repeats no error.
    pub(super) fn check_defaults(&mut self, spec: &syntax::Spec, timings: &Timings) {
        let mut seen: Vec<(Option<&str>, &syntax::Defaults)> = Vec::new();
        for block in &spec.defaults {
            let layer = block.layer.as_ref().map(Spanned::as_str);
            if let Some((_, first)) = seen.iter().find(|(scope, _)| *scope == layer) {
                self.errors.push(Error::Duplicate {
                    what: "defaults block",
                    name: layer.map_or_else(|| "spec-wide".to_owned(), shown),
                    span: block.span,
                    first: first.span,
                });
            }
            seen.push((layer, block));
            if let Some(layer) = &block.layer
                && !Layer::ALL.iter().any(|known| known.as_str() == layer.value)
            {
                self.errors.push(Error::InvalidLayer {
                    value: shown(&layer.value),
                    span: layer.span,
                    help: did_you_mean(&layer.value, ["platform", "apps"])
                        .unwrap_or_else(|| "a layer is `platform` or `apps`".to_owned()),
                });
            }
        }
        let blocks = spec
            .defaults
            .iter()
            .chain(spec.clusters.iter().filter_map(|c| c.defaults.as_ref()));
        for block in blocks {
            self.check_defaults_block(block, timings);
        }
    }

    fn check_defaults_block(&mut self, block: &syntax::Defaults, timings: &Timings) {
        let mut knobs = FluxKnobs::new(false, timings.clone());
        self.knobs(&block.knobs, CHECK_NAMESPACE, &mut knobs);
        let mut release = empty_release(&timings.interval);
        self.apply_release_settings(&block.helm, &mut release);
        self.duration(block.source.interval.as_ref(), "");
        self.secret_ref(block.source.secret_ref.as_ref());
        if let Some(provider) = &block.source.provider {
            self.choice("provider", provider, super::chart::PROVIDERS);
        }
    }

    /// Runs `apply` keeping no error or warning it reports: for defaults, checked once by
    /// [`Resolver::check_defaults`], and for an app's own settings applied again per cluster.
    pub(super) fn quietly<T>(&mut self, apply: impl FnOnce(&mut Self) -> T) -> T {
        let errors = self.errors.len();
        let warnings = self.warnings.len();
        let result = apply(self);
        self.errors.truncate(errors);
        self.warnings.truncate(warnings);
        result
    }

    /// Applies the chain's HelmRelease settings over `settings`, weakest first.
    pub(super) fn apply_default_release_settings(
        &mut self,
        chain: &[&syntax::Defaults],
        settings: &mut ReleaseSettings,
    ) {
        self.quietly(|resolver| {
            for block in chain {
                resolver.apply_release_settings(&block.helm, settings);
            }
        });
    }

    /// Applies the chain's Flux Kustomization knobs over `flux`, weakest first.
    pub(super) fn apply_default_knobs(
        &mut self,
        chain: &[&syntax::Defaults],
        namespace: &str,
        flux: &mut FluxKnobs,
    ) {
        self.quietly(|resolver| {
            for block in chain {
                resolver.knobs(&block.knobs, namespace, flux);
            }
        });
    }
}

/// HelmRelease settings with nothing set but the interval.
pub(super) fn empty_release(interval: &str) -> ReleaseSettings {
    ReleaseSettings {
        release_name: None,
        depends_on: Vec::new(),
        interval: interval.to_owned(),
        timeout: None,
        install: Remediation::default(),
        upgrade: Remediation::default(),
        drift_detection: None,
        max_history: None,
        values_from: Vec::new(),
        suspend: None,
        extra: std::collections::BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;
    use crate::parse;

    fn model(spec: &str) -> Model {
        let syntax = parse::parse(spec).into_result().expect("parses");
        let dir = std::env::temp_dir();
        let whole = miette::SourceSpan::from(0..spec.len());
        super::super::resolve(&syntax, &dir, whole)
            .into_result()
            .expect("resolves")
    }

    /// Each level sets `timeout` for the apps below it; the strongest one given wins.
    #[test]
    fn each_level_wins_over_the_weaker_ones() {
        let model = model(
            r#"
defaults { timeout "1m"; retry-interval "7m"; helm { install { retries 1; }; max-history 4; }; }
defaults layer="apps" { timeout "2m"; helm { install { retries 2; }; }; }
cluster "dev"
cluster "prod" { defaults { timeout "3m"; helm { max-history 9; }; }; }
app "plain" { layer "platform"; }
app "layered" { }
app "own" { timeout "4m"; cluster "prod" { timeout "5m"; }; }
app "chart" {
    helm "oci://ghcr.io/x/charts/chart" { version "1.0.0"; install { remediate-last-failure #true; }; }
}
"#,
        );
        let timeout = |app: &str, cluster: &str| {
            let app = model.apps.iter().find(|a| a.name == app).expect("app");
            let deployment = app.deployments.iter().find(|d| d.cluster == cluster);
            deployment.expect("cluster").flux.timings.timeout.clone()
        };
        assert_eq!(timeout("plain", "dev"), "1m"); // spec-wide
        assert_eq!(timeout("layered", "dev"), "2m"); // layer over spec-wide
        assert_eq!(timeout("layered", "prod"), "3m"); // cluster over layer
        assert_eq!(timeout("own", "dev"), "4m"); // app over the defaults
        assert_eq!(timeout("own", "prod"), "5m"); // app-in-cluster over all
        let chart = model
            .apps
            .iter()
            .find(|a| a.name == "chart")
            .expect("chart");
        let release = &chart.chart.as_ref().expect("a chart").release;
        // Remediation fields merge one by one: the layer's retries, the app's flag.
        assert_eq!(release.install.retries, Some(2));
        assert_eq!(release.install.remediate_last_failure, Some(true));
        assert_eq!(release.max_history, Some(4));
        let prod = chart.deployments.iter().find(|d| d.cluster == "prod");
        let prod = prod
            .and_then(|d| d.release.as_ref())
            .expect("prod settings");
        assert_eq!(prod.max_history, Some(9));
        assert_eq!(prod.install.retries, Some(2));
        let dev = chart.deployments.iter().find(|d| d.cluster == "dev");
        assert!(
            dev.expect("dev").release.is_none(),
            "dev has the app's settings"
        );
    }
}

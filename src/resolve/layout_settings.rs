//! `settings { layout }`: the order of cluster and layer under `app-flux-kustomizations/`, and
//! the names of the root Kustomizations and the cluster ConfigMap, checked so that every name
//! they give is one Kubernetes accepts and the two layers' roots never share one.

use crate::layout::{self, Layout};
use crate::model::{Layer, LayoutSettings};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};

use super::{Error, Resolver, rules};

/// The `app-flux-kustomizations` values, cluster first (the default) and layer first.
const ORDERS: [&str; 2] = ["<cluster>/<layer>", "<layer>/<cluster>"];

impl Resolver {
    pub(super) fn layout_settings(
        &mut self,
        given: Option<&syntax::LayoutSettings>,
    ) -> LayoutSettings {
        let mut settings = LayoutSettings {
            layer_first: false,
            root_kustomization: layout::DEFAULT_ROOT_KUSTOMIZATION.to_owned(),
            cluster_config: layout::DEFAULT_CLUSTER_CONFIG.to_owned(),
        };
        let Some(given) = given else {
            return settings;
        };
        if let Some(order) = &given.app_flux_kustomizations {
            settings.layer_first = order.value == ORDERS[1];
            if !ORDERS.contains(&order.as_str()) {
                self.errors.push(Error::InvalidLayout {
                    value: shown(&order.value),
                    span: order.span,
                    help: did_you_mean(&order.value, ORDERS).unwrap_or_else(|| {
                        "the directories under `app-flux-kustomizations/` are `\"<cluster>/<layer>\"` (the default) or `\"<layer>/<cluster>\"`".to_owned()
                    }),
                });
            }
        }
        if let Some(root) = &given.root_kustomization {
            self.root_kustomization_template(root);
            settings.root_kustomization.clone_from(&root.value);
        }
        if let Some(name) = &given.cluster_config {
            if !rules::is_dns_subdomain(&name.value) {
                self.invalid_name(
                    "ConfigMap name",
                    name,
                    "a Kubernetes object name: lowercase letters, digits, `-` and `.`",
                );
            }
            settings.cluster_config.clone_from(&name.value);
        }
        settings
    }

    /// The root Kustomizations' name must tell the layers apart and, with any cluster name, be
    /// a name Kubernetes accepts.
    fn root_kustomization_template(&mut self, template: &Spanned<String>) {
        let invalid = |help: String| Error::InvalidLayout {
            value: shown(&template.value),
            span: template.span,
            help,
        };
        let rest = template
            .value
            .replace(layout::LAYER_PLACEHOLDER, "")
            .replace(layout::CLUSTER_PLACEHOLDER, "");
        if !template.value.contains(layout::LAYER_PLACEHOLDER) {
            self.errors.push(invalid(format!(
                "the two layers' root Kustomizations need different names: write `{}` in it",
                layout::LAYER_PLACEHOLDER
            )));
        } else if rest.contains(['{', '}']) {
            self.errors.push(invalid(format!(
                "the name may use `{}` and `{}` only",
                layout::LAYER_PLACEHOLDER,
                layout::CLUSTER_PLACEHOLDER
            )));
        } else {
            // A cluster name is a DNS label: `a` stands for the shortest.
            let example = Layout::root_name_from(&template.value, "a", Layer::Platform);
            if !rules::is_dns_subdomain(&example) {
                self.errors.push(invalid(
                    "with the layer and cluster written in, a Kubernetes object name: lowercase letters, digits, `-` and `.`".to_owned(),
                ));
            }
        }
    }
}

//! The Flux Kustomization knobs about an app's lifecycle and inputs: `deletion-policy`,
//! `force`, `decryption` and `substitute-from`, each checked for what Flux would reject and
//! applied over the weaker levels with the rules of every knob (single values replace, lists add).

use crate::model::{Decryption, FluxKnobs, SubstituteSource};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::{did_you_mean, shown};
use crate::text::comma_list;

use super::{Error, Resolver};

/// kustomize-controller's `spec.deletionPolicy` values.
const DELETION_POLICIES: &[&str] = &["MirrorPrune", "Delete", "WaitForTermination", "Orphan"];
/// kustomize-controller's `spec.decryption.provider` values.
const DECRYPTION_PROVIDERS: &[&str] = &["sops"];
/// What `postBuild.substituteFrom` reads.
const SUBSTITUTE_KINDS: &[&str] = &["ConfigMap", "Secret"];

impl Resolver {
    pub(super) fn kustomization_knobs(&mut self, knobs: &syntax::Knobs, flux: &mut FluxKnobs) {
        if let Some(policy) = &knobs.deletion_policy {
            self.kustomization_choice("deletion policy", policy, DELETION_POLICIES);
            flux.deletion_policy = Some(policy.value.clone());
        }
        if let Some(force) = &knobs.force {
            flux.force = force.value;
        }
        if let Some(Spanned { value: decryption, .. }) = &knobs.decryption {
            self.kustomization_choice(
                "decryption provider",
                &decryption.provider,
                DECRYPTION_PROVIDERS,
            );
            flux.decryption = Some(Decryption {
                provider: decryption.provider.value.clone(),
                secret: self.secret_ref(decryption.secret.as_ref()),
            });
        }
        for source in &knobs.substitute_from {
            self.kustomization_choice("substitution source kind", &source.kind, SUBSTITUTE_KINDS);
            if !super::rules::is_dns_subdomain(&source.name.value) {
                self.invalid_name(
                    "object name",
                    &source.name,
                    "the name of a ConfigMap or Secret in the Flux Kustomization's namespace: lowercase letters, digits, `-` and `.`",
                );
            }
            self.unique("variable", source.vars.iter());
            for var in &source.vars {
                self.var_name(var);
            }
            // A stronger level naming the same object replaces the weaker one's entry.
            flux.substitute_from.retain(|known| {
                known.kind != source.kind.value || known.name != source.name.value
            });
            flux.substitute_from.push(SubstituteSource {
                kind: source.kind.value.clone(),
                name: source.name.value.clone(),
                optional: source.optional.as_ref().is_some_and(|optional| optional.value),
                vars: source.vars.iter().map(|var| var.value.clone()).collect(),
            });
        }
    }

    fn kustomization_choice(&mut self, what: &'static str, value: &Spanned<String>, allowed: &[&str]) {
        if !allowed.contains(&value.as_str()) {
            self.errors.push(Error::InvalidKustomizationSetting {
                what,
                value: shown(&value.value),
                span: value.span,
                help: did_you_mean(&value.value, allowed.iter().copied())
                    .unwrap_or_else(|| format!("a {what} is one of {}", comma_list(allowed))),
            });
        }
    }
}

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
        if let Some(Spanned {
            value: decryption, ..
        }) = &knobs.decryption
        {
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
            flux.substitute_from
                .retain(|known| known.kind != source.kind.value || known.name != source.name.value);
            flux.substitute_from.push(SubstituteSource {
                kind: source.kind.value.clone(),
                name: source.name.value.clone(),
                optional: source
                    .optional
                    .as_ref()
                    .is_some_and(|optional| optional.value),
                vars: source.vars.iter().map(|var| var.value.clone()).collect(),
            });
        }
    }

    fn kustomization_choice(
        &mut self,
        what: &'static str,
        value: &Spanned<String>,
        allowed: &[&str],
    ) {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::model::{Deployment, Model};
    use crate::parse;

    fn model_in(dir: &Path, spec: &str) -> Model {
        let syntax = parse::parse(spec).into_result().expect("parses");
        let whole = miette::SourceSpan::from(0..spec.len());
        super::super::resolve(&syntax, dir, whole)
            .into_result()
            .expect("resolves")
    }

    fn deployment<'a>(model: &'a Model, app: &str, cluster: &str) -> &'a Deployment {
        let app = model.apps.iter().find(|a| a.name == app).expect("app");
        app.deployments
            .iter()
            .find(|d| d.cluster == cluster)
            .expect("cluster")
    }

    /// A cluster block's `depends-on` adds to the app's list, or replaces it (even with none).
    #[test]
    fn cluster_blocks_add_to_or_replace_the_dependencies() {
        let model = model_in(
            &std::env::temp_dir(),
            r#"
cluster "dev"
cluster "prod"
cluster "test"
app "a"
app "b"
app "web" {
    depends-on "a"
    cluster "dev" { depends-on "b"; }
    cluster "prod" { depends-on replace=#true "b"; }
    cluster "test" { depends-on replace=#true; }
}
"#,
        );
        assert_eq!(deployment(&model, "web", "dev").depends_on, ["a", "b"]);
        assert_eq!(deployment(&model, "web", "prod").depends_on, ["b"]);
        assert!(deployment(&model, "web", "test").depends_on.is_empty());
    }

    /// `deletion-policy` and `force` follow the precedence of every knob; `suspend` is one
    /// cluster's.
    #[test]
    fn lifecycle_knobs_follow_the_defaults_chain() {
        let model = model_in(
            &std::env::temp_dir(),
            r#"
defaults { deletion-policy "Orphan"; }
cluster "dev" { defaults { force #true; }; }
cluster "prod"
app "web" {
    cluster "prod" { deletion-policy "Delete"; suspend #true; }
}
"#,
        );
        let dev = &deployment(&model, "web", "dev").flux;
        assert_eq!(dev.deletion_policy.as_deref(), Some("Orphan"));
        assert!(dev.force && !dev.suspend);
        let prod = &deployment(&model, "web", "prod").flux;
        assert_eq!(prod.deletion_policy.as_deref(), Some("Delete"));
        assert!(!prod.force && prod.suspend);
    }

    /// The variables a `substitute-from` source declares are defined for the substitution
    /// check; without the declaration the same manifest is an error.
    #[test]
    fn declared_source_variables_count_as_defined() {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(
            dir.path().join("cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {token: \"${API_TOKEN}\"}\n",
        )
        .expect("write");
        let with_source = r#"
cluster "dev"
app "web" {
    manifests "cm.yaml"
    substitute-from "Secret" "web-secrets" optional=#true { var "API_TOKEN"; }
}
"#;
        let model = model_in(dir.path(), with_source);
        let sources = &deployment(&model, "web", "dev").flux.substitute_from;
        assert_eq!(sources.len(), 1);
        assert!(sources[0].optional);
        let without = with_source.replace("{ var \"API_TOKEN\"; }", "");
        let syntax = parse::parse(&without).into_result().expect("parses");
        let resolved = super::super::resolve(
            &syntax,
            dir.path(),
            miette::SourceSpan::from(0..without.len()),
        );
        assert_eq!(resolved.errors.len(), 1, "{:?}", resolved.errors);
    }

    /// A `decryption` knob is emitted only where an encrypted file is applied.
    #[test]
    fn decryption_is_kept_only_where_an_encrypted_file_is_applied() {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(
            dir.path().join("secret.sops.yaml"),
            include_str!("../../tests/fixtures/sops/admin-secret.sops.yaml"),
        )
        .expect("write");
        let model = model_in(
            dir.path(),
            r#"
defaults { decryption "sops"; }
cluster "dev"
app "plain"
app "secret" { manifests "secret.sops.yaml"; }
"#,
        );
        assert!(deployment(&model, "plain", "dev").flux.decryption.is_none());
        let decryption = deployment(&model, "secret", "dev").flux.decryption.as_ref();
        let decryption = decryption.expect("decryption");
        assert_eq!(decryption.provider, "sops");
        assert_eq!(decryption.secret, None, "the controller's own key");
    }
}

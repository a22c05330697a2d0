//! SOPS-encrypted files: recognised by content (a document whose top level holds a `sops` map),
//! copied byte for byte and never read for substitution; the Flux Kustomizations that apply one
//! get `spec.decryption`, which the spec must give (a `decryption` knob, usually in `defaults`).
//! An encrypted file without its MAC is refused: SOPS would refuse to decrypt it.

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;
use serde_json::Value;

use crate::model::Deployment;
use crate::parse::syntax;
use crate::text::{and_list, plural};

use super::manifests::{self, Manifest};
use super::reading::ParsedFile;
use super::{Error, Resolver};

/// The key SOPS adds at the top level of each document it encrypts.
const SOPS_KEY: &str = "sops";

/// What a file's content says about SOPS.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Encryption {
    Plain,
    Encrypted,
    /// A `sops` map without its `mac`.
    MissingMac,
}

/// Whether `text` is a SOPS-encrypted YAML file. Only text with a top-level `sops:` line is
/// parsed again.
pub(super) fn encryption(text: &str) -> Encryption {
    let has_sops_line = text.lines().any(|line| {
        line.strip_prefix(SOPS_KEY)
            .is_some_and(|rest| rest.starts_with(':'))
    });
    if !has_sops_line {
        return Encryption::Plain;
    }
    let Ok(documents) = manifests::parse_documents(text) else {
        return Encryption::Plain;
    };
    let sections: Vec<&serde_json::Map<String, Value>> = documents
        .iter()
        .filter_map(|document| document.get(SOPS_KEY)?.as_object())
        .collect();
    if sections.is_empty() {
        Encryption::Plain
    } else if sections.iter().all(|section| {
        section
            .get("mac")
            .is_some_and(|mac| mac.as_str().is_some_and(|mac| !mac.is_empty()))
    }) {
        Encryption::Encrypted
    } else {
        Encryption::MissingMac
    }
}

/// An encrypted file applied where the spec gives no `decryption`: the spec node naming it, the
/// file, the app and the clusters.
#[derive(Debug, Default)]
pub(super) struct Undecrypted {
    files: BTreeMap<(usize, usize), UndecryptedFile>,
}

#[derive(Debug)]
struct UndecryptedFile {
    span: SourceSpan,
    path: String,
    app: String,
    clusters: BTreeSet<String>,
}

impl Resolver {
    /// Keeps the deployment's `decryption` only if it applies an encrypted file, and files away
    /// an encrypted file it applies without one.
    pub(super) fn decryption(
        &mut self,
        app: &syntax::App,
        files: &[&ParsedFile],
        deployment: &mut Deployment,
    ) {
        let from_components = app.components.iter().flat_map(|used| {
            self.components
                .get(&used.name.value)
                .into_iter()
                .flat_map(|files| &files.manifests)
                .map(move |manifest| (used.name.span, &**manifest))
        });
        let encrypted: Vec<(SourceSpan, &Manifest)> = files
            .iter()
            .map(|file| (file.span, &*file.manifest))
            .chain(from_components)
            .filter(|(_, manifest)| manifest.encrypted)
            .collect();
        if encrypted.is_empty() {
            deployment.flux.decryption = None;
            return;
        }
        if deployment.flux.decryption.is_some() {
            return;
        }
        let found: Vec<(SourceSpan, String)> = encrypted
            .into_iter()
            .map(|(span, manifest)| (span, manifest.path.clone()))
            .collect();
        for (span, path) in found {
            self.undecrypted
                .files
                .entry((span.offset(), span.len()))
                .or_insert_with(|| UndecryptedFile {
                    span,
                    path,
                    app: app.name.value.clone(),
                    clusters: BTreeSet::new(),
                })
                .clusters
                .insert(deployment.cluster.clone());
        }
    }

    /// Reports each encrypted file applied without `decryption`, once per spec node.
    pub(super) fn decryption_errors(&mut self) {
        let undecrypted = std::mem::take(&mut self.undecrypted);
        for file in undecrypted.files.into_values() {
            self.errors.push(Error::SopsWithoutDecryption {
                path: file.path,
                app: file.app,
                clusters: format!(
                    "{} {}",
                    plural(file.clusters.len(), "cluster"),
                    and_list(file.clusters.iter().map(String::as_str))
                ),
                span: file.span,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Encryption, encryption};

    #[test]
    fn a_real_sops_output_is_encrypted() {
        let text = include_str!("../../tests/fixtures/sops/admin-secret.sops.yaml");
        assert_eq!(encryption(text), Encryption::Encrypted);
    }

    #[test]
    fn a_sops_map_without_its_mac_is_told_apart() {
        let text = include_str!("../../tests/fixtures/sops/admin-secret.sops.yaml");
        let without = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("mac:"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(encryption(&without), Encryption::MissingMac);
    }

    #[test]
    fn plain_files_and_nested_sops_keys_are_plain() {
        assert_eq!(encryption("kind: ConfigMap\n"), Encryption::Plain);
        assert_eq!(
            encryption("data:\n  sops: {mac: x}\n"),
            Encryption::Plain,
            "only a top-level key counts"
        );
        assert_eq!(encryption("sops: just text\n"), Encryption::Plain);
    }
}

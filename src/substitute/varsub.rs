//! The variable handling of kustomize-controller's `postBuild`, ported from `fluxcd/pkg`
//! `kustomize/kustomize_varsub.go`: merging `substituteFrom` and `substitute`, the rule for
//! variable names, the substitution strategy, strict mode, and the label and annotation that turn
//! substitution off for one object. The text itself is substituted by [`envsubst`].

use std::collections::BTreeMap;

use super::{SubstituteError, envsubst};

/// The annotation and label key that turns substitution off for one object.
pub const SUBSTITUTE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The value of [`SUBSTITUTE_KEY`] that turns substitution off.
const DISABLED_VALUE: &str = "disabled";

/// The pattern every supplied variable name must match (Go regexp, ASCII classes).
pub(super) const VAR_NAME_PATTERN: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";

/// When substitution runs (`spec.postBuild.substituteStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only when at least one variable is defined (the default).
    #[default]
    WithVariables,
    /// Always, so `${X:=default}` resolves even with no variables.
    Always,
}

/// The variables of one Flux Kustomization and how to apply them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    vars: BTreeMap<String, String>,
    strategy: Strategy,
    strict: bool,
}

impl Substitution {
    /// Merges the variables as kustomize-controller does: each `substituteFrom`
    /// source in list order (whatever its kind; a later one overwrites an earlier
    /// one), then the inline `substitute` map, which wins. Newlines (`\n`) are
    /// removed from every value. Secret values must already be decoded.
    ///
    /// Strict mode is on (the `StrictPostBuildSubstitutions` default); see
    /// [`Substitution::strict`]. Fails if a name does not match
    /// `^[_[:alpha:]][_[:alpha:][:digit:]]*$` (first in name order). Upstream
    /// checks this when it substitutes an object, so it fails only if some
    /// object is substituted; here it fails up front.
    pub fn new(
        from_sources: &[BTreeMap<String, String>],
        inline: &BTreeMap<String, String>,
        strategy: Strategy,
    ) -> Result<Self, SubstituteError> {
        let mut vars = BTreeMap::new();
        for (name, value) in from_sources.iter().flatten().chain(inline) {
            vars.insert(name.clone(), value.replace('\n', ""));
        }
        if let Some(bad) = vars.keys().find(|name| !is_valid_var_name(name)) {
            return Err(SubstituteError::InvalidVarName(bad.clone()));
        }
        Ok(Self {
            vars,
            strategy,
            strict: true,
        })
    }

    /// Turns strict mode on or off (kustomize-controller's
    /// `StrictPostBuildSubstitutions` feature gate). Off, an unset variable
    /// reads as the empty string.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The merged variables, by name.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// Substitutes one object's YAML text. With no variable defined and
    /// [`Strategy::WithVariables`], the text comes back unchanged and unparsed,
    /// so `${X:=default}` stays literal. The caller skips objects for which
    /// [`is_disabled`] holds and parses the result as YAML.
    pub fn apply(&self, text: &str) -> Result<String, SubstituteError> {
        if self.vars.is_empty() && self.strategy == Strategy::WithVariables {
            return Ok(text.to_owned());
        }
        envsubst(text, |name| self.vars.get(name).cloned(), self.strict)
    }
}

/// Whether an object opts out of substitution: its label or annotation
/// [`SUBSTITUTE_KEY`] is exactly `disabled`.
pub fn is_disabled(
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    [labels, annotations]
        .iter()
        .any(|map| map.get(SUBSTITUTE_KEY).is_some_and(|v| v == DISABLED_VALUE))
}

/// Flux's rule for variable names, `^[_[:alpha:]][_[:alpha:][:digit:]]*$` with Go's ASCII
/// classes; `resolve` checks spec variables with it too.
pub fn is_valid_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

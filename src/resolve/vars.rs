//! Variable values that use other variables, resolved when the spec compiles.
//!
//! Flux substitutes once: the value of a variable is pasted into the manifests as it is, so a
//! `${DOMAIN}` inside a `var` value would reach the cluster literally. fluxspec resolves such
//! references instead, with Flux's syntax (`substitute::envsubst`: defaults such as
//! `${X:=d}`, and `$${X}` for a literal `${X}`), in this order:
//!
//! 1. a cluster's `var` values may use the cluster's other `var`s and `CLUSTER`, in any order of
//!    declaration; a cycle is an error;
//! 2. an app's values (its `var`s, its cluster blocks' `var`s, the values it gives components and
//!    the components' defaults) may use the resolved variables of the cluster it is deployed to,
//!    `CLUSTER` and `APP`, resolved once per cluster.
//!
//! A reference to anything else, without a default, is an error at the value's span.

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;

use super::Error;
use crate::parse::syntax::Var;
use crate::substitute::{envsubst, references};
use crate::suggest::did_you_mean;

/// A value whose references did not resolve.
#[derive(Debug)]
pub(super) enum Problem {
    /// `${…}` does not parse.
    Malformed(String),
    /// Variables used without a default that are not defined.
    Undefined(Vec<String>),
}

/// Substitutes `text` with the variables `known` gives; `Ok(None)` when it holds no `$` and so
/// stays as it is. The names it references are added to `used`.
pub(super) fn resolve_value(
    text: &str,
    known: &dyn Fn(&str) -> Option<String>,
    used: &mut BTreeSet<String>,
) -> Result<Option<String>, Problem> {
    if !text.contains('$') {
        return Ok(None);
    }
    let refs = references(text).map_err(|error| Problem::Malformed(error.to_string()))?;
    used.extend(refs.iter().map(|var| var.name.clone()));
    let mut undefined: Vec<String> = refs
        .iter()
        .filter(|var| !var.has_default && known(&var.name).is_none())
        .map(|var| var.name.clone())
        .collect();
    undefined.dedup();
    if !undefined.is_empty() {
        return Err(Problem::Undefined(undefined));
    }
    envsubst(text, known, true)
        .map(Some)
        .map_err(|error| Problem::Malformed(error.to_string()))
}

/// The help for a reference to an unknown variable: the likely name, or what may be used.
pub(super) fn undefined_help<'a>(
    name: &str,
    allowed: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> String {
    did_you_mean(name, known).unwrap_or_else(|| {
        format!(
            "a `var` value may use {allowed}: define `{name}` there, give it a default (`${{{name}:=...}}`), or write `$${{{name}}}` for a literal `${{{name}}}`"
        )
    })
}

/// Resolves one cluster's variables (its `var`s; `CLUSTER` is in `resolved` already) in
/// dependency order. Reports malformed values, undefined references and cycles into `errors`;
/// a value that cannot be resolved is kept as written. Returns the names the values use.
pub(super) fn resolve_cluster(
    cluster: &str,
    vars: &[Var],
    resolved: &mut BTreeMap<String, String>,
    errors: &mut Vec<Error>,
) -> BTreeSet<String> {
    // The last declaration of a name wins, as in the model; a duplicate is reported elsewhere.
    let by_name: BTreeMap<&str, &Var> = vars.iter().map(|var| (var.name.as_str(), var)).collect();
    let mut state = ClusterState {
        cluster,
        by_name: &by_name,
        resolved,
        visiting: Vec::new(),
        done: BTreeSet::new(),
        used: BTreeSet::new(),
        errors,
    };
    for name in by_name.keys() {
        state.visit(name);
    }
    state.used
}

struct ClusterState<'a, 'b> {
    cluster: &'a str,
    by_name: &'a BTreeMap<&'a str, &'a Var>,
    resolved: &'b mut BTreeMap<String, String>,
    /// The variables being resolved, outermost first: a reference back into it is a cycle.
    visiting: Vec<&'a str>,
    done: BTreeSet<&'a str>,
    used: BTreeSet<String>,
    errors: &'b mut Vec<Error>,
}

impl<'a> ClusterState<'a, '_> {
    fn visit(&mut self, name: &'a str) {
        if self.done.contains(name) {
            return;
        }
        let Some(var) = self.by_name.get(name).copied() else {
            return;
        };
        self.visiting.push(name);
        let value = &var.value;
        // Resolve what this value uses first; a name on the path is a cycle.
        if let Ok(refs) = references(&value.value) {
            for reference in refs {
                let target = reference.name.as_str();
                let Some((&target, _)) = self.by_name.get_key_value(target) else {
                    continue;
                };
                if let Some(position) = self.visiting.iter().position(|on| *on == target) {
                    self.cycle(position, target, value.span);
                } else {
                    self.visit(target);
                }
            }
        }
        self.visiting.pop();
        self.done.insert(name);
        let lookup = |name: &str| self.resolved.get(name).cloned();
        match resolve_value(&value.value, &lookup, &mut self.used) {
            Ok(Some(text)) => {
                self.resolved.insert(name.to_owned(), text);
            }
            Ok(None) => {
                self.resolved.insert(name.to_owned(), value.value.clone());
            }
            Err(Problem::Malformed(reason)) => {
                self.errors.push(Error::BadVarSubstitution {
                    reason,
                    span: value.span,
                });
            }
            Err(Problem::Undefined(names)) => {
                for missing in names {
                    // A variable of the cycle is undefined only because the cycle was cut.
                    if self.by_name.contains_key(missing.as_str()) {
                        continue;
                    }
                    let known = self.by_name.keys().copied().chain(["CLUSTER"]);
                    self.errors.push(Error::UndefinedVarReference {
                        help: undefined_help(
                            &missing,
                            &format!(
                                "the other `var`s of cluster `{}` and `CLUSTER`",
                                self.cluster
                            ),
                            known,
                        ),
                        place: format!("cluster `{}`", self.cluster),
                        name: missing,
                        span: value.span,
                    });
                }
            }
        }
    }

    /// Reports the cycle `visiting[position..]` closed by a reference to `target` from the value
    /// at `span`.
    fn cycle(&mut self, position: usize, target: &str, span: SourceSpan) {
        let mut names: Vec<&str> = self.visiting.get(position..).unwrap_or_default().to_vec();
        names.push(target);
        let other = self
            .by_name
            .get(target)
            .map(|var| var.value.span)
            .filter(|other| *other != span);
        self.errors.push(Error::VarCycle {
            cycle: names
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(" -> "),
            target: target.to_owned(),
            span,
            other,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use miette::SourceSpan;

    use super::{Problem, resolve_cluster, resolve_value};
    use crate::parse::syntax::{Spanned, Var};
    use crate::resolve::Error;

    fn var(name: &str, value: &str, at: usize) -> Var {
        Var {
            name: Spanned {
                value: name.to_owned(),
                span: SourceSpan::from(at..at + 1),
            },
            value: Spanned {
                value: value.to_owned(),
                span: SourceSpan::from(at + 10..at + 11),
            },
        }
    }

    fn cluster(vars: &[Var]) -> (BTreeMap<String, String>, Vec<Error>) {
        let mut resolved = BTreeMap::from([("CLUSTER".to_owned(), "dev".to_owned())]);
        let mut errors = Vec::new();
        resolve_cluster("dev", vars, &mut resolved, &mut errors);
        (resolved, errors)
    }

    #[test]
    fn cluster_values_resolve_in_any_order() {
        let (resolved, errors) = cluster(&[
            var("URL", "https://${HOST}/", 0),
            var("HOST", "app.${DOMAIN}", 20),
            var("DOMAIN", "${CLUSTER}.example.com", 40),
            var("LEVEL", "${UNSET:=info}", 60),
            var("LITERAL", "$${NOT_A_VAR}", 80),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(resolved["URL"], "https://app.dev.example.com/");
        assert_eq!(resolved["LEVEL"], "info");
        assert_eq!(resolved["LITERAL"], "${NOT_A_VAR}");
    }

    #[test]
    fn cycles_and_undefined_references_are_errors() {
        let (_, errors) = cluster(&[var("A", "${B}", 0), var("B", "x${A}", 20)]);
        let [
            Error::VarCycle {
                cycle, span, other, ..
            },
        ] = errors.as_slice()
        else {
            panic!("{errors:?}");
        };
        assert_eq!(cycle, "`A` -> `B` -> `A`");
        assert_eq!(*span, SourceSpan::from(30..31));
        assert_eq!(*other, Some(SourceSpan::from(10..11)));
        let (_, errors) = cluster(&[var("A", "${A}", 0)]);
        assert!(matches!(
            errors.as_slice(),
            [Error::VarCycle { other: None, .. }]
        ));
        let (_, errors) = cluster(&[var("DOMAIN", "x", 0), var("B", "${DOMIAN}", 20)]);
        let [Error::UndefinedVarReference { name, help, .. }] = errors.as_slice() else {
            panic!("{errors:?}");
        };
        assert_eq!(name, "DOMIAN");
        assert_eq!(help, "did you mean `DOMAIN`?");
        let (_, errors) = cluster(&[var("A", "${A", 0)]);
        assert!(matches!(
            errors.as_slice(),
            [Error::BadVarSubstitution { .. }]
        ));
    }

    #[test]
    fn values_without_dollar_are_untouched() {
        let known = |_: &str| None;
        let mut used = BTreeSet::new();
        assert!(matches!(
            resolve_value("plain", &known, &mut used),
            Ok(None)
        ));
        assert!(matches!(
            resolve_value("${X}", &known, &mut used),
            Err(Problem::Undefined(names)) if names == ["X"]
        ));
        assert!(used.contains("X"));
    }
}

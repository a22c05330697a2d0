//! Flux `postBuild` variable substitution, ported from kustomize-controller.
//!
//! This module reproduces what kustomize-controller does to each rendered object
//! before applying it: the `envsubst` dialect of `fluxcd/pkg/envsubst` (a fork of
//! `drone/envsubst`) and the variable handling of `fluxcd/pkg/kustomize`
//! (`kustomize_varsub.go`), ported from fluxcd/pkg commit
//! `e2cfd1a2d1815a81b3e77ef750e6528282ccccd6` (tags `envsubst/v1.7.0`,
//! `kustomize/v1.39.0`, the versions kustomize-controller builds with). Parsing,
//! escapes, glob matching and the string functions follow the Go code step by
//! step, on bytes, so odd inputs come out the same way.
//!
//! Boundary: the module is pure. It works on text and maps the caller supplies;
//! it reads no `ConfigMap` or `Secret`, does not render objects to YAML or parse
//! them back, and does not decide which objects to skip. The caller renders each
//! object, asks [`is_disabled`], calls [`Substitution::apply`] on the YAML text and
//! parses the result. Unlike Go, it never panics: where upstream would panic
//! (a negative substring length) or would hand invalid UTF-8 to the YAML parser,
//! it returns an error.
//!
//! One file per upstream source: `varsub` (kustomize_varsub.go: merging, names, strategy, the
//! opt-out), `eval` (eval.go and template.go: evaluating and listing references), `parse` and
//! `scan` (parse/parse.go, parse/node.go, parse/scan.go), `functions` (funcs.go), `glob`
//! (path/match.go), and `go_std` (the Go standard library functions the others rely on).

mod eval;
mod functions;
mod glob;
mod go_std;
mod parse;
mod scan;
mod varsub;

pub use eval::{VarRef, envsubst, references};
use parse::MAX_DEPTH;
use varsub::VAR_NAME_PATTERN;
pub use varsub::{SUBSTITUTE_KEY, Strategy, Substitution, is_disabled, is_valid_var_name};

/// Why substitution failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    /// Strict mode: a variable without a default operator is not set.
    #[error("variable not set (strict mode): \"{0}\"")]
    VarNotSet(String),
    /// A supplied variable name does not match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.
    #[error("'{0}' var name is invalid, must match '{VAR_NAME_PATTERN}'")]
    InvalidVarName(String),
    /// A `${…}` expression is malformed.
    #[error("bad substitution")]
    BadSubstitution,
    /// A `${name` has no closing brace.
    #[error("missing closing brace")]
    MissingClosingBrace,
    /// `${` is not followed by a variable name.
    #[error("unable to parse variable name")]
    ParseVariableName,
    /// A function argument is missing or malformed.
    #[error("unable to parse substitution within function")]
    ParseFuncSubstitution,
    /// A default operator is malformed.
    #[error("unable to parse default function")]
    ParseDefaultFunction,
    /// `${v:pos:len}` with bounds Go would panic on (a negative length).
    #[error("substring bounds out of range")]
    SubstringOutOfRange,
    /// `${…}` is nested deeper than this port supports.
    #[error("substitution nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A function cut a multi-byte character, so the result is not UTF-8.
    #[error("substitution result is not valid utf-8")]
    InvalidUtf8,
}

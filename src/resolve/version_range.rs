//! SemVer ranges as Flux reads them: source-controller and helm-controller parse a chart
//! version or an `OCIRepository`'s `ref.semver` with Masterminds/semver (v3) `NewConstraint`,
//! whose grammar this follows. The `semver` crate's `VersionReq` is Cargo's grammar (`1.2`
//! means `^1.2`, no `||`, no hyphen ranges, no `x` in `>=1.x`), so it would accept what Flux
//! refuses and refuse what Flux accepts.
//!
//! The grammar: alternatives separated by `||`; each a list of constraints separated by
//! whitespace or one comma; a constraint is an operator (`=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`,
//! `=<`, `~`, `~>`, `^` or none) and a version `v?X(.Y(.Z)?)?(-pre)?(+build)?` whose numbers may
//! be `x`, `X` or `*`; or a hyphen range `A - B` (spaces required).

use super::rules::{is_version_number, version_parts};

/// The operators Masterminds accepts before a version (none is `=`).
const OPERATORS: [&str; 12] = [
    "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];

/// Whether `text` is a constraint Masterminds/semver's `NewConstraint` accepts.
pub(super) fn is_version_range(text: &str) -> bool {
    text.split("||").all(is_constraint_list)
}

/// One alternative: constraints separated by whitespace or a comma.
fn is_constraint_list(text: &str) -> bool {
    let mut rest = text.trim_start();
    let mut first = true;
    loop {
        if !first {
            let spaced = rest.trim_start();
            let had_space = spaced.len() < rest.len();
            rest = match spaced.strip_prefix(',') {
                Some(after) => after.trim_start(),
                None if had_space => spaced,
                None => return false,
            };
        }
        let Some(after) = constraint(rest) else {
            return false;
        };
        rest = after;
        first = false;
        if rest.trim_start().is_empty() {
            return true;
        }
    }
}

/// Reads one constraint at the start of `text`; returns what follows it.
fn constraint(text: &str) -> Option<&str> {
    let operator_end = text
        .find(|c: char| !matches!(c, '=' | '!' | '<' | '>' | '~' | '^'))
        .unwrap_or(text.len());
    let (operator, rest) = text.split_at(operator_end);
    if !OPERATORS.contains(&operator) {
        return None;
    }
    let rest = version(rest.trim_start())?;
    if !operator.is_empty() {
        return Some(rest);
    }
    // A hyphen range, `1.2 - 1.4.5`: the spaces around the hyphen are required.
    let spaced = rest.trim_start();
    if spaced.len() < rest.len()
        && let Some(after) = spaced.strip_prefix('-')
        && after.starts_with(char::is_whitespace)
    {
        return version(after.trim_start());
    }
    Some(rest)
}

/// Reads one version at the start of `text`; returns what follows it.
fn version(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '*')))
        .unwrap_or(text.len());
    let (version, rest) = text.split_at(end);
    is_constraint_version(version).then_some(rest)
}

/// `v?X(.Y(.Z)?)?(-pre)?(+build)?`, each number digits or a wildcard (`x`, `X`, `*`).
fn is_constraint_version(text: &str) -> bool {
    let number = |part: &str| matches!(part, "x" | "X" | "*") || is_version_number(part);
    // Masterminds refuses a numeric pre-release identifier with a leading zero (`1.0.0-01`).
    let no_leading_zero = |part: &str| {
        part.split('.').all(|id| {
            !(id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    version_parts(text).is_some_and(|parts| {
        parts.numbers.iter().all(|part| number(part)) && parts.pre.is_none_or(no_leading_zero)
    })
}

#[cfg(test)]
mod tests {
    use super::is_version_range;

    /// Cases from Masterminds/semver's `TestNewConstraint` and Flux's documentation.
    #[test]
    fn ranges_follow_masterminds_constraints() {
        for valid in [
            "*",
            "x",
            "1.x",
            "1.2.X",
            ">=1.0.0",
            ">= 1.0.0",
            ">=1.0.0-alpha",
            "~1.2",
            "~>1.2.3",
            "^1.2",
            ">=1.0 <2.0",
            ">=1.0, <2.0",
            ">=1.1 <2 || >=3.0",
            "1.2 - 1.4.5",
            "=1.2.3",
            "!=4.1",
            "=<1.0",
            "v1.2.3",
            "1.2.3+build.1",
            " >=1.0 ",
        ] {
            assert!(is_version_range(valid), "{valid}");
        }
        for invalid in [
            "",
            " ",
            "latest",
            ">>1.0",
            "=>=1.0",
            "1.x.x.x",
            "1..2",
            ">=1.0,,<2",
            ">=1.0 ||",
            "|| 1.0",
            "1.0-",
            "1.0.0-01",
            "1.2 -1.4",
            ">1 - 2",
            "1x",
            "1.0 <",
            "1|2",
        ] {
            assert!(!is_version_range(invalid), "{invalid}");
        }
    }
}

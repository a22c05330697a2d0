//! The syntax rules Kubernetes, Flux, Helm and OCI registries apply to names, versions and URLs,
//! as predicates. Each says what the other side would reject, so `resolve` can reject it first.

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a letter or
/// digit, at most 63 characters. Namespaces and most names.
pub(super) fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters. Object names.
pub(super) fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// Flux's rule for variable names, as the substitution engine applies it.
pub(super) fn is_var_name(name: &str) -> bool {
    crate::substitute::is_valid_var_name(name)
}

/// Why Flux would reject a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DurationProblem {
    /// Not what Flux's CRDs accept: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
    Syntax,
    /// Longer than Go's `time.Duration` holds (2562047h47m16.854775807s): `time.ParseDuration`
    /// fails with "invalid duration".
    TooLong,
}

/// Nanoseconds per unit, for the units Flux's CRDs accept.
const DURATION_UNITS: [(&str, u64); 4] = [
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// What Flux would reject in a duration (`5m`, `1h30m`, `0.5s`), if anything: the syntax its
/// CRDs validate, then Go's `time.ParseDuration`, whose arithmetic (`uint64` nanoseconds, the
/// fraction through `float64`) this follows step by step, so the largest accepted value is the
/// same.
pub(super) fn duration_problem(text: &str) -> Option<DurationProblem> {
    const LIMIT: u64 = 1 << 63;
    let mut rest = text.as_bytes();
    if rest.is_empty() {
        return Some(DurationProblem::Syntax);
    }
    let mut total: u64 = 0;
    let mut too_long = false;
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Some(DurationProblem::Syntax);
        }
        let (whole, after) = rest.split_at(digits);
        // Go's `leadingInt`: an error past 1<<63.
        let mut value: u64 = 0;
        for &digit in whole {
            if value > LIMIT / 10 {
                too_long = true;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            if value > LIMIT {
                too_long = true;
            }
        }
        rest = after;
        // Go's `leadingFraction`: digits past overflow are skipped, not an error.
        let mut fraction: u64 = 0;
        let mut scale = 1.0_f64;
        if let Some((b'.', after)) = rest.split_first() {
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Some(DurationProblem::Syntax);
            }
            let mut overflow = false;
            for &digit in after.get(..digits).unwrap_or_default() {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(digit - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            rest = after.get(digits..).unwrap_or_default();
        }
        let Some((unit, nanos)) = DURATION_UNITS
            .iter()
            .filter(|(unit, _)| rest.starts_with(unit.as_bytes()))
            // `ms` before `m`.
            .max_by_key(|(unit, _)| unit.len())
        else {
            return Some(DurationProblem::Syntax);
        };
        rest = rest.get(unit.len()..).unwrap_or_default();
        if too_long || value > LIMIT / nanos {
            too_long = true;
            continue;
        }
        value *= nanos;
        if fraction > 0 {
            // As Go: `v += uint64(float64(f) * (float64(unit) / scale))`.
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let part = (fraction as f64 * (*nanos as f64 / scale)) as u64;
            value = value.saturating_add(part);
            if value > LIMIT {
                too_long = true;
                continue;
            }
        }
        total = total.saturating_add(value);
        if total > LIMIT {
            too_long = true;
        }
    }
    // Positive durations stop one short of 1<<63.
    (too_long || total > LIMIT - 1).then_some(DurationProblem::TooLong)
}

/// The name part of a Kubernetes label key or a label value: alphanumerics, `-`, `_`, `.`,
/// starting and ending with an alphanumeric, at most 63 characters.
fn is_label_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name.
pub(super) fn is_label_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty() && is_dns_subdomain(prefix) && is_label_name(name)
        }
        None => is_label_name(key),
    }
}

/// A label value: empty, or a name as in a key.
pub(super) fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_label_name(value)
}

/// An `apiVersion`: `v1`, or `group/version`.
pub(super) fn is_api_version(text: &str) -> bool {
    let is_version = |version: &str| is_dns_label(version);
    match text.split_once('/') {
        Some((group, version)) => is_dns_subdomain(group) && is_version(version),
        None => is_version(text),
    }
}

/// The loosest rule Kubernetes has for an object name (`ValidatePathSegmentName`): not empty,
/// not `.` or `..`, no `/` or `%`, at most 253 characters. Most kinds want a DNS subdomain, but
/// some accept more (`system:controller` names a ClusterRole), and a health check may name any.
pub(super) fn is_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name != "."
        && name != ".."
        && !name.contains(['/', '%'])
        && !name.chars().any(char::is_control)
}

/// A Kubernetes kind: a letter, then letters and digits (`Deployment`, `HelmRelease`).
pub(super) fn is_kind(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The parts of a version as Masterminds semver writes one, `v?X(.Y(.Z)?)?(-pre)?(+build)?`:
/// one to three numbers, and dot-separated alphanumeric identifiers after `-` and `+`. What a
/// number may be is the caller's (digits in a version, also wildcards in a range).
pub(super) struct VersionParts<'a> {
    pub(super) numbers: Vec<&'a str>,
    pub(super) pre: Option<&'a str>,
}

pub(super) fn version_parts(text: &str) -> Option<VersionParts<'_>> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let (text, build) = match text.split_once('+') {
        Some((text, build)) => (text, Some(build)),
        None => (text, None),
    };
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let identifiers = |part: &str| {
        part.split('.')
            .all(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    let numbers: Vec<&str> = core.split('.').collect();
    ((1..=3).contains(&numbers.len())
        && pre.is_none_or(identifiers)
        && build.is_none_or(identifiers))
    .then_some(VersionParts { numbers, pre })
}

/// A number of a version: digits, at most 19 (Go's `uint64`).
pub(super) fn is_version_number(part: &str) -> bool {
    !part.is_empty() && part.len() <= 19 && part.bytes().all(|b| b.is_ascii_digit())
}

/// A version as Helm parses a chart's (Masterminds semver, lenient): `1.2.3`, `v1.2`,
/// `1.2.3-rc.1+build.5`. One version, not a range.
pub(super) fn is_chart_version(text: &str) -> bool {
    version_parts(text).is_some_and(|parts| parts.numbers.iter().all(|n| is_version_number(n)))
}

/// An OCI tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub(super) fn is_oci_tag(text: &str) -> bool {
    text.len() <= 128
        && text.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// An image tag for kustomize's `newTag`: a tag, optionally pinned by digest
/// (`1.2.3@sha256:<64 hex>`).
pub(crate) fn is_image_tag(text: &str) -> bool {
    match text.split_once('@') {
        Some((tag, digest)) => is_oci_tag(tag) && is_digest(digest),
        None => is_oci_tag(text),
    }
}

fn is_digest(text: &str) -> bool {
    let hex = |digits: &str, len: usize| {
        digits.len() == len
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match text.split_once(':') {
        Some(("sha256", digits)) => hex(digits, 64),
        Some(("sha512", digits)) => hex(digits, 128),
        _ => false,
    }
}

/// A registry host: DNS names or an IPv4 address, with an optional port.
fn is_registry_host(text: &str) -> bool {
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    !host.is_empty()
        && host.split('.').all(|part| {
            !part.is_empty()
                && part.len() <= 63
                && !part.starts_with('-')
                && !part.ends_with('-')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && port.is_none_or(|port| {
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
        })
}

/// One path component of a repository name: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn is_repository_component(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    let mut separator = String::new();
    for &byte in bytes {
        if alnum(&byte) {
            if !matches!(separator.as_str(), "" | "." | "_" | "__")
                && !separator.bytes().all(|b| b == b'-')
            {
                return false;
            }
            separator.clear();
        } else if matches!(byte, b'.' | b'_' | b'-') {
            separator.push(char::from(byte));
        } else {
            return false;
        }
    }
    true
}

/// What is wrong with an image or chart repository reference (`registry/path/name`), if
/// anything. `registry` says whether the first component must be a registry host.
pub(crate) fn repository_problem(text: &str, registry: bool) -> Option<&'static str> {
    if text.is_empty() {
        return Some("it is empty");
    }
    if text.len() > 255 {
        return Some("it is longer than 255 characters");
    }
    let mut parts: Vec<&str> = text.split('/').collect();
    let last = parts.last().copied().unwrap_or_default();
    // The host's port is in the first component; a `:` or `@` in the last is a tag or digest.
    if last.contains(['@', ':']) {
        return Some("it includes a tag or digest; give the version in `version` instead");
    }
    let has_host = parts.len() > 1
        && parts
            .first()
            .is_some_and(|first| first.contains(['.', ':']) || *first == "localhost");
    if has_host {
        let host = parts.remove(0);
        if !is_registry_host(host) {
            return Some("its registry host is not a valid host name");
        }
    } else if registry {
        return Some("it does not start with a registry host");
    }
    if parts.is_empty() || !parts.iter().all(|part| is_repository_component(part)) {
        return Some(
            "its path components must be lowercase letters and digits, separated by `.`, `_`, `__` or `-`",
        );
    }
    None
}

/// What is wrong with an `https://` Helm repository URL, if anything.
pub(super) fn https_url_problem(url: &str) -> Option<&'static str> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !is_registry_host(host) {
        return Some("its host is not a valid host name");
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
    {
        return Some("its path holds whitespace, a query or a fragment");
    }
    None
}

/// A Helm chart name as `chart=` gives it: letters, digits, `-`, `_` and `.`.
pub(super) fn is_chart_name(name: &str) -> bool {
    name.len() <= 250
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::{
        DurationProblem, duration_problem, https_url_problem, is_api_version, is_chart_version,
        is_dns_label, is_dns_subdomain, is_image_tag, is_label_key, is_label_value, is_object_name,
        is_oci_tag, is_var_name, repository_problem,
    };

    #[test]
    fn durations_follow_flux_syntax_and_go_range() {
        for valid in [
            "5m",
            "1h30m",
            "0.5s",
            "100ms",
            "2h",
            "2562047h47m16.854775807s",
            "9223372036854ms",
            "2562047h",
        ] {
            assert_eq!(duration_problem(valid), None, "{valid}");
        }
        for invalid in [
            "", "5", "m", "5 m", "1d", "-5m", "5mm", "3µs", "10ns", ".5s", "5.s", "1h.",
        ] {
            assert_eq!(
                duration_problem(invalid),
                Some(DurationProblem::Syntax),
                "{invalid}"
            );
        }
        for too_long in [
            "2562048h",
            "2562047h47m16.854775808s",
            "9223372036855ms",
            "99999999999999999999h",
            "1000000h1000000h1000000h",
        ] {
            assert_eq!(
                duration_problem(too_long),
                Some(DurationProblem::TooLong),
                "{too_long}"
            );
        }
    }

    #[test]
    fn names_follow_kubernetes_and_flux_rules() {
        assert!(is_dns_label("cert-manager"));
        assert!(!is_dns_label("Cert-Manager"));
        assert!(!is_dns_label("-x"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("cert-manager.io"));
        assert!(!is_dns_subdomain("cert-manager..io"));
        assert!(is_var_name("CLUSTER_DOMAIN"));
        assert!(is_var_name("_x1"));
        assert!(!is_var_name("1X"));
        assert!(!is_var_name("A-B"));
        assert!(is_label_key("app.kubernetes.io/name"));
        assert!(is_label_key("grafana_dashboard"));
        assert!(!is_label_key("/name"));
        assert!(!is_label_key("a/b/c"));
        assert!(!is_label_key("-x"));
        assert!(is_label_value(""));
        assert!(!is_label_value("a b"));
        assert!(!is_label_value(&"a".repeat(64)));
        assert!(is_object_name("system:controller"));
        assert!(!is_object_name("a/b"));
        assert!(!is_object_name(".."));
        assert!(is_api_version("v1"));
        assert!(is_api_version("apps/v1"));
        assert!(is_api_version("postgresql.cnpg.io/v1"));
        assert!(!is_api_version("apps/"));
        assert!(!is_api_version("Apps/v1"));
    }

    #[test]
    fn versions_follow_helm_and_oci_rules() {
        for valid in [
            "1.2.3",
            "v1.18.2",
            "1.2",
            "10",
            "1.0.0-rc.1",
            "1.0.0+build.1",
            "1.0.0-x-y",
        ] {
            assert!(is_chart_version(valid), "{valid}");
        }
        for invalid in [
            "", "v", "1.2.3.4", ">=1.0", "1.x", "1.0.0-", "1..2", "latest", "1.0 ",
        ] {
            assert!(!is_chart_version(invalid), "{invalid}");
        }
        assert!(is_oci_tag("v1.2.3_build"));
        assert!(is_oci_tag("latest"));
        assert!(!is_oci_tag("1.2.3+build"));
        assert!(!is_oci_tag(".x"));
        assert!(!is_oci_tag(&"a".repeat(129)));
        assert!(is_image_tag("2024.10.22-7ca5933"));
        assert!(is_image_tag(&format!("1.0@sha256:{}", "a".repeat(64))));
        assert!(!is_image_tag(&format!("1.0@sha256:{}", "a".repeat(63))));
        assert!(!is_image_tag("sha256:abc"));
    }

    #[test]
    fn repositories_and_urls() {
        for valid in [
            "traefik/whoami",
            "nginx",
            "ghcr.io/immich-app/immich-server",
            "localhost:5000/a/b",
            "registry.example.com:443/x__y/z-1",
        ] {
            assert_eq!(repository_problem(valid, false), None, "{valid}");
        }
        for invalid in [
            "",
            "nginx:1.2",
            "ghcr.io/x/y:1.0",
            "ghcr.io/x/y@sha256:abc",
            "Ghcr.io/X",
            "ghcr.io/",
            "a//b",
            "a/-b",
            "bad_host.io:x/a",
        ] {
            assert!(repository_problem(invalid, false).is_some(), "{invalid}");
        }
        assert!(repository_problem("charts/podinfo", true).is_some());
        assert_eq!(
            repository_problem("ghcr.io/stefanprodan/charts/podinfo", true),
            None
        );
        assert_eq!(
            https_url_problem("https://kubernetes.github.io/ingress-nginx"),
            None
        );
        assert_eq!(https_url_problem("https://charts.example.com"), None);
        assert!(https_url_problem("https://exa mple.com").is_some());
        assert!(https_url_problem("https://example.com/charts?x=1").is_some());
        assert!(https_url_problem("https:///charts").is_some());
    }
}

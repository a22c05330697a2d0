//! The string functions of `${…}` expressions (`${v,,}`, `${v#glob}`, `${v:pos:len}`,
//! `${v/old/new}`, defaults), ported from `fluxcd/pkg` `envsubst/funcs.go` with the dispatch of
//! `lookupFunc` in `envsubst/template.go`. They work on bytes, as the Go functions do on strings.

use super::SubstituteError;
use super::glob::glob_match;
use super::go_std::{decode_rune, go_atoi, go_replace, go_to_lower, go_to_upper};

/// `lookupFunc` and the functions of envsubst/funcs.go.
pub(super) fn apply_func(op: &str, s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, SubstituteError> {
    let first = args.first().map(Vec::as_slice);
    Ok(match (op, first) {
        (",", _) => map_first(s, go_to_lower),
        (",,", _) => map_runes(s, go_to_lower),
        ("^", _) => map_first(s, go_to_upper),
        ("^^", _) => map_runes(s, go_to_upper),
        ("#", None) => s.len().to_string().into_bytes(),
        ("#", Some(pattern)) => trim_prefix(s, pattern, false),
        ("##", Some(pattern)) => trim_prefix(s, pattern, true),
        ("%", Some(pattern)) => trim_suffix(s, pattern, false),
        ("%%", Some(pattern)) => trim_suffix(s, pattern, true),
        (":", _) => substr(s, args)?,
        ("/#", _) => match args {
            [old, new] if s.starts_with(old) => go_replace(s, old, new, 1),
            _ => s.to_vec(),
        },
        ("/%", _) => match args {
            // In bounds: `s` ends with `old`, so it is at least as long.
            [old, new] if s.ends_with(old) => [&s[..s.len() - old.len()], new.as_slice()].concat(),
            _ => s.to_vec(),
        },
        ("/" | "//", Some(old)) => {
            let new = args.get(1).map_or(&[][..], Vec::as_slice);
            go_replace(s, old, new, if op == "/" { 1 } else { usize::MAX })
        }
        ("##" | "%" | "%%" | "/" | "//", None) => s.to_vec(),
        // `toDefault`, also for `:?`, `:+` and unknown casings such as `,^`.
        _ if s.is_empty() && !args.is_empty() => args.concat(),
        _ => s.to_vec(),
    })
}

/// `toSubstr`: byte offsets; unparsable numbers leave the value alone.
fn substr(s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, SubstituteError> {
    let Some(first) = args.first() else {
        return Ok(s.to_vec());
    };
    let Some(mut pos) = go_atoi(first) else {
        return Ok(s.to_vec());
    };
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if pos < 0 {
        pos = len.wrapping_add(pos).max(0);
    }
    let tail = |pos: i64| -> Vec<u8> {
        usize::try_from(pos)
            .ok()
            .and_then(|p| s.get(p..))
            .unwrap_or_default()
            .to_vec()
    };
    let Some(second) = args.get(1) else {
        return Ok(tail(pos));
    };
    let Some(length) = go_atoi(second) else {
        return Ok(s.to_vec());
    };
    let end = pos.wrapping_add(length);
    if end >= len {
        return Ok(tail(pos));
    }
    // Go slices s[pos:end] here and panics when end < pos.
    match (usize::try_from(pos), usize::try_from(end)) {
        (Ok(p), Ok(e)) if p <= e => Ok(s.get(p..e).unwrap_or_default().to_vec()),
        _ => Err(SubstituteError::SubstringOutOfRange),
    }
}

/// `trimShortest` / `trimLongest`: cut the shortest or longest non-empty prefix
/// the glob matches; a malformed pattern leaves the value alone.
fn trim_prefix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    // `end` and `cut` never exceed `s.len()`, so every slice is in bounds.
    let mut cut = 0;
    for end in (1..=s.len()).rev() {
        match glob_match(pattern, &s[..end]) {
            Err(()) => return s.to_vec(),
            Ok(true) if longest => return s[end..].to_vec(),
            Ok(true) => cut = end,
            Ok(false) => {}
        }
    }
    s[cut..].to_vec()
}

/// `trimShortestSuffix` / `trimLongestSuffix`: the prefix trim on the value and
/// pattern reversed rune by rune (so `[a-z]` classes break, as upstream).
fn trim_suffix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    reverse_runes(&trim_prefix(
        &reverse_runes(s),
        &reverse_runes(pattern),
        longest,
    ))
}

fn reverse_runes(s: &[u8]) -> Vec<u8> {
    let mut runes = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        // `decode_rune` of a non-empty slice returns a width within it.
        let (r, w) = decode_rune(rest);
        runes.push(r);
        rest = &rest[w..];
    }
    runes.iter().rev().collect::<String>().into_bytes()
}

fn map_first(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    // `s` is not empty, and `decode_rune` returns a width within it.
    let (r, w) = decode_rune(s);
    let mut out = f(r).to_string().into_bytes();
    out.extend_from_slice(&s[w..]);
    out
}

/// `strings.ToUpper`/`ToLower`: map every rune; invalid bytes become U+FFFD.
fn map_runes(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        // `decode_rune` of a non-empty slice returns a width within it.
        let (r, w) = decode_rune(rest);
        out.push(f(r));
        rest = &rest[w..];
    }
    out.into_bytes()
}

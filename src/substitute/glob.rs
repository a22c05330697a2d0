//! Glob matching for `${v#glob}` and `${v%glob}`, ported from `fluxcd/pkg`
//! `envsubst/path/match.go`: Go's `path.Match`, except that `*` and `?` also match `/`, a trailing
//! `*` matches the rest, and errors surface only where matching reaches the malformed part.

use super::go_std::decode_rune;

pub(super) fn glob_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(true);
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            for i in 0..name.len() {
                // In bounds: `i < name.len()`, so `i + 1 <= name.len()`.
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut pattern = pattern;
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    // `i` stays below `pattern.len()` inside the loop (an escape skips only when a byte
    // follows), and at most equal to it after, so the indexing and the split are in bounds.
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Whether `chunk` matches the start of `s`, and the rest of `s`; `Err` for a
/// malformed pattern. A mismatch returns an empty rest, as Go does.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<(&'a [u8], bool), ()> {
    const MISMATCH: Result<(&[u8], bool), ()> = Ok((&[], false));
    while let Some(&c) = chunk.first() {
        if s.is_empty() {
            return MISMATCH;
        }
        match c {
            // Slicing in this loop is in bounds: `chunk` starts with `c` and `s` is not empty
            // (both checked above), and `decode_rune` returns a width within `s`.
            b'[' => {
                let (r, n) = decode_rune(s);
                s = &s[n..];
                chunk = &chunk[1..];
                let mut negated = false;
                if let [b'^', rest @ ..] = chunk {
                    negated = true;
                    chunk = rest;
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if let [b']', rest @ ..] = chunk
                        && ranges > 0
                    {
                        chunk = rest;
                        break;
                    }
                    let lo;
                    (lo, chunk) = get_esc(chunk)?;
                    let mut hi = lo;
                    if let [b'-', rest @ ..] = chunk {
                        (hi, chunk) = get_esc(rest)?;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    return MISMATCH;
                }
            }
            b'?' => {
                s = &s[decode_rune(s).1..];
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                }
                let Some(&want) = chunk.first() else {
                    return Err(());
                };
                if want != s[0] {
                    return MISMATCH;
                }
                s = &s[1..];
                chunk = &chunk[1..];
            }
        }
    }
    Ok((s, true))
}

/// `getEsc`: a possibly escaped rune of a character class.
fn get_esc(chunk: &[u8]) -> Result<(char, &[u8]), ()> {
    let mut chunk = chunk;
    match chunk {
        [] | [b'-' | b']', ..] => return Err(()),
        [b'\\', rest @ ..] => {
            if rest.is_empty() {
                return Err(());
            }
            chunk = rest;
        }
        _ => {}
    }
    // `chunk` is not empty here (matched above), and `decode_rune` returns a width within it.
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == char::REPLACEMENT_CHARACTER && n == 1) || rest.is_empty() {
        return Err(());
    }
    Ok((r, rest))
}

//! The Go standard library functions the port relies on, reproduced byte for byte:
//! `utf8.DecodeRune`, `strconv.Atoi`, `strings.Replace` and the simple case mappings of
//! `unicode.ToLower` and `unicode.ToUpper`.

/// `strconv.Atoi`: optional sign, ASCII digits, 64-bit range.
pub(super) fn go_atoi(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// `strings.Replace(s, old, new, n)`, byte for byte (an empty `old` matches
/// before every rune and at the end).
pub(super) fn go_replace(s: &[u8], old: &[u8], new: &[u8], n: usize) -> Vec<u8> {
    if old == new || n == 0 {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    // Slicing below is in bounds: `start <= s.len()` holds at the top of each pass (checked
    // for an empty `old`; a match of a non-empty `old` ends inside `s`), and `j` is a match
    // position at or after `start`.
    let mut start = 0;
    for i in 0..n {
        let j = if old.is_empty() {
            if start > s.len() {
                break;
            }
            if i == 0 {
                start
            } else if start == s.len() {
                break;
            } else {
                start + decode_rune(&s[start..]).1
            }
        } else {
            match find(&s[start..], old) {
                Some(k) => start + k,
                None => break,
            }
        };
        out.extend_from_slice(&s[start..j]);
        out.extend_from_slice(new);
        start = j + old.len();
    }
    out.extend_from_slice(s.get(start..).unwrap_or_default());
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `unicode.ToLower` (simple mapping): only U+0130 lowercases to two runes,
/// and its simple mapping is the first.
pub(super) fn go_to_lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// `unicode.ToUpper` (simple mapping): where the full mapping has several
/// runes, use the simple one (Greek iota subscripts) or keep the rune.
pub(super) fn go_to_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    if upper.len() == 1 {
        return upper.next().unwrap_or(c);
    }
    let simple = match c {
        '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
            char::from_u32(u32::from(c) + 8)
        }
        '\u{1FB3}' => Some('\u{1FBC}'),
        '\u{1FC3}' => Some('\u{1FCC}'),
        '\u{1FF3}' => Some('\u{1FFC}'),
        _ => None,
    };
    simple.unwrap_or(c)
}

/// `utf8.DecodeRune`: the first rune and its width; an invalid byte is U+FFFD
/// of width 1. `s` must not be empty.
pub(super) fn decode_rune(s: &[u8]) -> (char, usize) {
    // In bounds by `min`; the width returned is at most `head.len()`, or 1 for a non-empty `s`.
    let head = &s[..s.len().min(4)];
    head.utf8_chunks()
        .next()
        .and_then(|chunk| chunk.valid().chars().next())
        .map_or((char::REPLACEMENT_CHARACTER, 1), |r| (r, r.len_utf8()))
}

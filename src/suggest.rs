//! How names the user wrote appear in messages: "did you mean ...?" for misspelt names, by edit
//! distance, and [`shown`], which escapes what a terminal would not show as written.

/// Suggests the candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        // A third of the name's length, at least one edit: `prdo` -> `prod`, not `db` -> `dev`;
        // and never every character: `b` -> `a` is no typo.
        .filter(|(distance, _)| {
            let len = name.chars().count();
            *distance <= (len / 3).max(1) && *distance < len
        })
        .min()
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

/// User text as a message shows it: control characters (NUL, escape, ...), bidirectional
/// controls (U+200E/F, U+202A-202E, U+2066-2069, which can make a line read differently from what
/// it holds) and other invisible format characters are escaped as `\u{202e}`, never written raw.
pub(crate) fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_hidden(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A character that is not shown as itself: controls, bidirectional and other format
/// characters, line and paragraph separators.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, shown};

    #[test]
    fn hidden_characters_are_escaped() {
        assert_eq!(shown("web"), "web");
        assert_eq!(shown("café"), "café");
        assert_eq!(shown("a\u{202e}b\0c\n"), "a\\u{202e}b\\u{0}c\\u{a}");
        assert_eq!(shown("\u{2066}x\u{200f}"), "\\u{2066}x\\u{200f}");
    }

    #[test]
    fn suggests_close_names_only() {
        let clusters = ["dev", "prod"];
        assert_eq!(
            did_you_mean("prdo", clusters).as_deref(),
            Some("did you mean `prod`?")
        );
        assert_eq!(did_you_mean("staging", clusters), None);
        assert_eq!(did_you_mean("b", ["a"]), None);
    }
}

//! Text that messages share: lists of names and counted nouns, one definition each.
//!
//! Two ways to list names, kept apart because messages already say both: [`and_list`] writes
//! prose (`` `a`, `b` and `c` ``, each name once), [`comma_list`] an enumeration
//! (`` `a`, `b`, `c` ``, every name in order). Pure functions of their arguments; nothing here
//! knows what the names are.

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// How many paths [`path_lines`] shows before it only counts the rest.
const LISTED_PATHS: usize = 20;

/// Items as prose: `a`, `a and b`, `a, b and c` (with `conjunction` in place of `and`); `None`
/// when there are none.
pub(crate) fn join_prose<S: Borrow<str>>(items: &[S], conjunction: &str) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.borrow().to_owned()),
        [init @ .., last] => Some(format!(
            "{} {conjunction} {}",
            init.join(", "),
            last.borrow()
        )),
    }
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``: each name in backticks and once, in
/// the order given; `none` when there are none.
pub(crate) fn and_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = BTreeSet::new();
    let names: Vec<String> = names
        .into_iter()
        .filter(|name| seen.insert(*name))
        .map(|name| format!("`{name}`"))
        .collect();
    join_prose(&names, "and").unwrap_or_else(|| "none".to_owned())
}

/// `` `a`, `b`, `c` ``: every name in backticks, in the order given, separated by commas.
pub(crate) fn comma_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `noun`, or its plural (`noun` + `s`) unless `n` is 1.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

/// `1 file`, `2 files`, `0 files`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// `paths` one per line, each after a newline and two spaces, so that no path is wrapped
/// mid-name: the first [`LISTED_PATHS`] of them, then `and N more`.
pub(crate) fn path_lines(paths: &[String]) -> String {
    let mut lines = String::new();
    for path in paths.iter().take(LISTED_PATHS) {
        lines.push_str("\n  ");
        lines.push_str(path);
    }
    if paths.len() > LISTED_PATHS {
        // Writing to a String cannot fail.
        let _ = write!(lines, "\n  and {} more", paths.len() - LISTED_PATHS);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{and_list, comma_list, count, join_prose, path_lines, plural};

    #[test]
    fn prose_joins_the_last_item_with_the_conjunction() {
        assert_eq!(join_prose::<&str>(&[], "or"), None);
        assert_eq!(join_prose(&["a"], "or").as_deref(), Some("a"));
        assert_eq!(join_prose(&["a", "b"], "or").as_deref(), Some("a or b"));
        let owned = ["a", "b", "c"].map(str::to_owned);
        assert_eq!(join_prose(&owned, "and").as_deref(), Some("a, b and c"));
    }

    #[test]
    fn and_list_names_each_once_in_backticks() {
        assert_eq!(and_list([]), "none");
        assert_eq!(and_list(["dev"]), "`dev`");
        assert_eq!(and_list(["dev", "prod"]), "`dev` and `prod`");
        assert_eq!(
            and_list(["prod", "dev", "prod", "stage"]),
            "`prod`, `dev` and `stage`"
        );
    }

    #[test]
    fn comma_list_names_every_one_in_backticks() {
        assert_eq!(comma_list(&[]), "");
        assert_eq!(comma_list(&["app"]), "`app`");
        assert_eq!(comma_list(&["a", "b", "a"]), "`a`, `b`, `a`");
    }

    #[test]
    fn counts_use_the_plural_unless_one() {
        assert_eq!(plural(1, "cluster"), "cluster");
        assert_eq!(plural(2, "cluster"), "clusters");
        assert_eq!(count(0, "warning"), "0 warnings");
        assert_eq!(count(1, "error"), "1 error");
        assert_eq!(count(3, "error"), "3 errors");
    }

    #[test]
    fn path_lines_shows_twenty_then_counts() {
        assert_eq!(path_lines(&[]), "");
        assert_eq!(path_lines(&["a".to_owned(), "b".to_owned()]), "\n  a\n  b");
        let many: Vec<String> = (0..23).map(|n| format!("f{n}")).collect();
        let lines = path_lines(&many);
        assert!(lines.starts_with("\n  f0\n  f1\n"), "{lines}");
        assert!(lines.ends_with("\n  f19\n  and 3 more"), "{lines}");
        assert_eq!(lines.lines().count(), 22);
    }
}

//! Where a `${...}` is in a file's text, for messages: the first line of each name, and the
//! line and column of the first expression that does not parse.

use std::collections::BTreeMap;

use crate::substitute::references;

/// A line and a column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineColumn {
    pub(super) line: usize,
    pub(super) column: usize,
}

/// The first line of each `${NAME` in the text, skipping `$${` escapes.
pub(super) fn first_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let mut dollars = 0;
        for (at, c) in line.char_indices() {
            if c == '$' {
                dollars += 1;
                continue;
            }
            // `$$` is a literal `$`: an odd run of `$` ends with a real one.
            if c == '{' && dollars % 2 == 1 {
                let rest = line.get(at + 1..).unwrap_or_default();
                let rest = rest.strip_prefix(['#', '!']).unwrap_or(rest);
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let name = rest.get(..end).unwrap_or_default();
                if !name.is_empty() {
                    lines.entry(name.to_owned()).or_insert(number + 1);
                }
            }
            dollars = 0;
        }
    }
    lines
}

/// The line and column (both from 1, the column in characters) of the first `${` that starts
/// an expression `references` cannot parse, looking one line at a time and skipping comments.
/// `None` when the bad expression spans lines.
pub(super) fn first_malformed(text: &str) -> Option<LineColumn> {
    for (number, line) in text.lines().enumerate() {
        // A `#` at the start or after a space starts a YAML comment, never substituted (a `#`
        // inside a quoted string is rare enough to misplace the column, not the line).
        let code = match line.find(" #") {
            Some(at) => line.get(..at).unwrap_or(line),
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        if references(code).is_ok() {
            continue;
        }
        // The starts of `${` that are not `$${` escapes; the bad one is the last whose text up
        // to the next start still parses without it.
        let mut starts = Vec::new();
        let mut dollars = 0;
        for (at, c) in code.char_indices() {
            if c == '{' && dollars % 2 == 1 {
                starts.push(at - 1);
            }
            dollars = if c == '$' { dollars + 1 } else { 0 };
        }
        for (index, &start) in starts.iter().enumerate() {
            let end = starts.get(index + 1).copied().unwrap_or(code.len());
            if references(code.get(..end).unwrap_or(code)).is_err() {
                let column = code.get(..start).unwrap_or_default().chars().count() + 1;
                return Some(LineColumn {
                    line: number + 1,
                    column,
                });
            }
        }
        return Some(LineColumn {
            line: number + 1,
            column: 1,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{LineColumn, first_lines, first_malformed};

    fn at(line: usize, column: usize) -> LineColumn {
        LineColumn { line, column }
    }

    #[test]
    fn malformed_expressions_are_located() {
        assert_eq!(first_malformed("a: ${X}\nb: c\n"), None);
        assert_eq!(first_malformed("a: 1\nb: ok ${X} ${Y\n"), Some(at(2, 12)));
        assert_eq!(
            first_malformed("# ${\na: $${\nb: ${A:=${B}\n"),
            Some(at(3, 4))
        );
        assert_eq!(first_malformed("a: ${\n  X}\n"), Some(at(1, 4)));
        assert_eq!(first_malformed("é: ${}\n"), Some(at(1, 4)));
    }

    #[test]
    fn lines_skip_escapes() {
        let lines = first_lines("a: $${X}\nb: ${X}\nc: $$${Y:=1}\nd: ${#Z}\n");
        assert_eq!(lines.get("X"), Some(&2));
        assert_eq!(lines.get("Y"), Some(&3));
        assert_eq!(lines.get("Z"), Some(&4));
    }
}

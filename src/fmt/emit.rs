//! Writes a [`Block`] back out in canonical layout: four spaces per level, one node per line,
//! at most one blank line in a row, none at the top or bottom of a block, a trailing comment as
//! many spaces after the code as in the source (at least one).

use super::blocks::{Block, Line, Node, Text, Trailing};

const INDENT: usize = 4;

/// Canonical text of the top-level block.
pub(super) fn emit(block: &Block) -> String {
    let mut writer = Writer::default();
    writer.block(block, 0);
    writer.out
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Nothing written in the current block yet: a blank line here would be noise.
    block_start: bool,
    blank_pending: bool,
}

impl Writer {
    fn block(&mut self, block: &Block, level: usize) {
        self.block_start = true;
        self.blank_pending = false;
        for line in &block.header {
            self.line(line, level);
        }
        for node in &block.nodes {
            self.node(node, level);
        }
        for line in &block.footer {
            self.line(line, level);
        }
        self.blank_pending = false;
    }

    fn begin_line(&mut self, level: usize) {
        if self.blank_pending {
            self.out.push('\n');
            self.blank_pending = false;
        }
        self.block_start = false;
        self.out.push_str(&" ".repeat(level * INDENT));
    }

    fn line(&mut self, line: &Line, level: usize) {
        match line {
            Line::Blank => self.blank_pending = !self.block_start,
            Line::Text(text) => {
                self.begin_line(level);
                self.text(text, level);
                self.out.push('\n');
            }
        }
    }

    /// Writes `text` at the current position; the lines after its first get the new
    /// indentation in place of the old (a multi-line string's value depends only on the
    /// indentation of its lines relative to its closing line, which this keeps).
    fn text(&mut self, text: &Text, level: usize) {
        let mut lines = text.text.split('\n');
        if let Some(first) = lines.next() {
            self.out.push_str(first);
        }
        let rest: Vec<&str> = lines
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        let new = " ".repeat(level * INDENT);
        let shifted = reindent(&rest, &text.indent, &new);
        for line in &shifted {
            self.out.push('\n');
            self.out.push_str(line);
        }
    }

    fn trailing(&mut self, trailing: &Trailing) {
        self.out.push_str(&" ".repeat(trailing.spaces.max(1)));
        self.out.push_str(&trailing.text);
    }

    fn node(&mut self, node: &Node, level: usize) {
        for line in &node.leading {
            self.line(line, level);
        }
        self.begin_line(level);
        if let Some(prefix) = &node.prefix {
            self.text(prefix, level);
            self.out.push(' ');
        }
        self.text(&node.head, level);
        if let Some(children) = &node.children {
            if children.is_empty() {
                self.out.push_str(" {}");
            } else {
                self.out.push_str(" {");
                if let Some(comment) = &children.brace_comment {
                    self.trailing(comment);
                }
                self.out.push('\n');
                self.block(children, level + 1);
                self.begin_line(level);
                self.out.push('}');
            }
            if let Some(after) = &node.after_children {
                self.out.push(' ');
                self.out.push_str(after);
            }
        }
        if let Some(trailing) = &node.trailing {
            self.trailing(trailing);
        }
        self.out.push('\n');
    }
}

/// `lines` with the indentation `old` at their start replaced by `new`. Blank lines stay as
/// they are. If a line that is not blank does not start with `old`, every line stays as it is:
/// moving only some lines could change a multi-line string.
fn reindent<'a>(lines: &[&'a str], old: &str, new: &str) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let blank = |line: &str| line.trim().is_empty();
    if old == new
        || lines
            .iter()
            .any(|line| !blank(line) && !line.starts_with(old))
    {
        return lines.iter().map(|line| Cow::Borrowed(*line)).collect();
    }
    lines
        .iter()
        .map(|line| {
            if blank(line) {
                Cow::Borrowed(*line)
            } else {
                Cow::Owned(format!("{new}{}", &line[old.len()..]))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::reindent;

    #[test]
    fn reindenting_keeps_relative_indentation() {
        assert_eq!(
            reindent(&["  a", "", "    b"], "  ", "    "),
            ["    a", "", "      b"]
        );
        assert_eq!(
            reindent(&["        a", "          b"], "        ", "    "),
            ["    a", "      b"]
        );
        assert_eq!(reindent(&["\t  a", "\t"], "\t", "    "), ["      a", "\t"]);
        assert_eq!(
            reindent(&["    a", " b"], "    ", "        "),
            ["    a", " b"]
        );
    }
}

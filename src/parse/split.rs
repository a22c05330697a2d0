//! Cuts spec text into groups of whole top-level nodes before the `kdl` crate sees it, and
//! refuses input that would exhaust its stack.
//!
//! The `kdl` parser recurses once per nested `{` or `/*` and, while recovering from errors, once
//! per error, so a few thousand levels or a few tens of thousands of errors overflow any stack. A
//! spec nests three or four levels deep, so this module rejects nesting deeper than
//! [`MAX_DEPTH`], and hands `kdl` at most [`MAX_CHUNK_BYTES`] at a time, which bounds the errors
//! one call can recover from. Cutting only between top-level nodes changes nothing for a valid
//! document: KDL gives no meaning to what lies between two top-level nodes.
//!
//! The scan knows just enough of KDL v2 to find braces and node ends: strings (quoted, multi-line,
//! raw), comments (line, nested block, slashdash) and line continuations. It cuts only where a
//! top-level node certainly ends (`\n` or `;` outside any string, comment or block); not cutting is
//! always safe, so anything unusual simply stays in one chunk.

use std::ops::Range;

use miette::SourceSpan;

/// Deepest nesting of `{ }` blocks, and of `/* */` comments, accepted. A spec needs four.
pub(super) const MAX_DEPTH: usize = 32;
/// Longest text handed to `kdl` at once; a longer top-level node is refused. The largest node of
/// a real spec, an app with inline patches, is a few kilobytes.
pub(super) const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// Why part of the text is not handed to `kdl`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A `{` or `/*` opens level [`MAX_DEPTH`]` + 1`.
    TooDeep { at: SourceSpan },
    /// One top-level node is longer than [`MAX_CHUNK_BYTES`].
    TooLong { at: SourceSpan, len: usize },
}

/// The scan's result: byte ranges of `text`, each holding whole top-level nodes, in order; and
/// the reasons the rest was refused.
#[derive(Debug, Default)]
pub(super) struct Split {
    pub(super) chunks: Vec<Range<usize>>,
    pub(super) refused: Vec<Refusal>,
}

/// KDL's newline characters (CRLF counts as one; the caller handles that).
fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0085}' | '\u{000B}' | '\u{000C}' | '\u{2028}' | '\u{2029}'
    )
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn starts_with(&self, prefix: &str) -> bool {
        self.text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips a `//` comment up to, not including, its newline.
    fn line_comment(&mut self) {
        while let Some(c) = self.peek() {
            if is_newline(c) {
                return;
            }
            self.bump();
        }
    }

    /// Skips a `/* */` comment whose `/*` was consumed; comments nest. Refuses too deep nesting.
    fn block_comment(&mut self, outer_depth: usize) -> Result<(), SourceSpan> {
        let mut depth = 1;
        while depth > 0 {
            if self.starts_with("/*") {
                depth += 1;
                if outer_depth + depth > MAX_DEPTH {
                    return Err(SourceSpan::from(self.pos..self.pos + 2));
                }
                self.pos += 2;
            } else if self.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if self.bump().is_none() {
                return Ok(()); // unterminated: `kdl` reports it
            }
        }
        Ok(())
    }

    /// Skips a quoted string whose opening quote was consumed. `"""` strings may span lines; a
    /// single-line string ends at an unescaped newline, where `kdl` reports it unterminated.
    fn quoted(&mut self) {
        let multi_line = self.starts_with("\"\"");
        if multi_line {
            self.pos += 2;
        }
        while let Some(c) = self.bump() {
            match c {
                // An escape takes the next character, whatever it is (`\"`, `\\`, or a newline in
                // a whitespace escape).
                '\\' => {
                    self.bump();
                }
                '"' if !multi_line => return,
                '"' if self.starts_with("\"\"") => {
                    self.pos += 2;
                    return;
                }
                c if !multi_line && is_newline(c) => {
                    self.pos -= c.len_utf8();
                    return;
                }
                _ => {}
            }
        }
    }

    /// Skips a raw string `#"…"#` (any number of `#`, or `#"""…"""#`) whose hashes and opening
    /// quote were consumed. No escapes: it ends at the first matching quote and hashes.
    fn raw(&mut self, hashes: usize) {
        let quotes = if self.starts_with("\"\"") {
            self.pos += 2;
            "\"\"\""
        } else {
            "\""
        };
        let close = format!("{quotes}{}", "#".repeat(hashes));
        match self.text.get(self.pos..).and_then(|rest| rest.find(&close)) {
            Some(found) => self.pos += found + close.len(),
            None => self.pos = self.text.len(),
        }
    }
}

/// Splits `text` into chunks of whole top-level nodes, each at most [`MAX_CHUNK_BYTES`] long
/// unless refused.
pub(super) fn split(text: &str) -> Split {
    chunks(text, node_ends(text))
}

/// Where one top-level node (or a run of them that cannot be cut) lies, and the first place it
/// nests too deep, if any.
struct NodeEnd {
    start: usize,
    /// Just past the node's terminator.
    end: usize,
    too_deep: Option<SourceSpan>,
}

/// The top-level nodes of `text`, in order.
fn node_ends(text: &str) -> Vec<NodeEnd> {
    let mut scanner = Scanner { text, pos: 0 };
    // The node being scanned starts here; it may end only at depth 0.
    let mut node_start = 0;
    let mut depth = 0usize;
    let mut too_deep: Option<SourceSpan> = None;
    // A `/-` at the top level comments out the next node, which may start on a later line.
    let mut slashdash = false;
    // A `\` outside strings joins the next line to this one.
    let mut continuation = false;
    let mut ends: Vec<NodeEnd> = Vec::new();

    while let Some(c) = scanner.bump() {
        match c {
            '/' if scanner.starts_with("/") => scanner.line_comment(),
            '/' if scanner.starts_with("*") => {
                scanner.pos += 1;
                if let Err(at) = scanner.block_comment(depth) {
                    too_deep.get_or_insert(at);
                    // Skip the rest of the comment without counting, as `kdl` will not be asked.
                    scanner.block_comment(0).ok();
                }
            }
            '/' if scanner.starts_with("-") => {
                scanner.pos += 1;
                if depth == 0 {
                    slashdash = true;
                }
            }
            '"' => {
                scanner.quoted();
                slashdash = false;
            }
            '#' => {
                let mut hashes = 1;
                while scanner.starts_with("#") {
                    scanner.pos += 1;
                    hashes += 1;
                }
                if scanner.starts_with("\"") {
                    scanner.pos += 1;
                    scanner.raw(hashes);
                }
                slashdash = false;
            }
            '\\' => continuation = true,
            '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    too_deep.get_or_insert(SourceSpan::from(scanner.pos - 1..scanner.pos));
                }
                slashdash = false;
            }
            '}' => depth = depth.saturating_sub(1),
            c if is_newline(c) || c == ';' => {
                // Only `\n` (alone or after `\r`) and `;` cut: never cutting is always safe.
                let mut cuts = matches!(c, '\n' | ';');
                if c == '\r' && scanner.starts_with("\n") {
                    scanner.pos += 1;
                    cuts = true;
                }
                let joined = continuation;
                if c != ';' {
                    continuation = false;
                }
                if depth == 0 && !joined && !slashdash && cuts {
                    ends.push(NodeEnd {
                        start: node_start,
                        end: scanner.pos,
                        too_deep: too_deep.take(),
                    });
                    node_start = scanner.pos;
                }
            }
            c if c.is_whitespace() || c == '\u{FEFF}' => {}
            _ => slashdash = false,
        }
    }
    if node_start < text.len() {
        ends.push(NodeEnd {
            start: node_start,
            end: text.len(),
            too_deep: too_deep.take(),
        });
    }
    ends
}

/// Groups consecutive nodes into chunks of at most [`MAX_CHUNK_BYTES`]; refuses a node too deep
/// or too long.
fn chunks(text: &str, ends: Vec<NodeEnd>) -> Split {
    let mut split = Split::default();
    let mut chunk: Option<Range<usize>> = None;
    for NodeEnd {
        start,
        end,
        too_deep,
    } in ends
    {
        if let Some(at) = too_deep {
            split.refused.push(Refusal::TooDeep { at });
            split.chunks.extend(chunk.take());
            continue;
        }
        if end - start > MAX_CHUNK_BYTES {
            split.refused.push(Refusal::TooLong {
                at: first_line(text, start),
                len: end - start,
            });
            split.chunks.extend(chunk.take());
            continue;
        }
        chunk = match chunk {
            Some(open) if end - open.start <= MAX_CHUNK_BYTES => Some(open.start..end),
            Some(open) => {
                split.chunks.push(open);
                Some(start..end)
            }
            None => Some(start..end),
        };
    }
    split.chunks.extend(chunk);
    split
}

/// The first line of the node starting at `start`, without leading blank lines, for pointing
/// at a node too long to show.
fn first_line(text: &str, start: usize) -> SourceSpan {
    let rest = text.get(start..).unwrap_or_default();
    let skipped = rest.len() - rest.trim_start().len();
    let line_start = start + skipped;
    let line = text.get(line_start..).unwrap_or_default();
    let len = line.find(is_newline).unwrap_or(line.len()).min(80);
    // Never cut a character in two: shorten to a boundary.
    let len = (0..=len)
        .rev()
        .find(|&len| line.is_char_boundary(len))
        .unwrap_or(0);
    SourceSpan::from(line_start..line_start + len)
}

#[cfg(test)]
mod tests {
    use super::{MAX_CHUNK_BYTES, MAX_DEPTH, Refusal, split};

    /// Joins the chunks back: nothing may be lost or reordered.
    fn rejoined(text: &str) -> String {
        split(text)
            .chunks
            .iter()
            .map(|range| &text[range.clone()])
            .collect()
    }

    #[test]
    fn a_valid_document_is_one_chunk_with_every_byte() {
        let text = "cluster \"dev\" {\n    var \"A\" \"{\"\n}\napp \"a\"; app \"b\"\n";
        assert_eq!(split(text).chunks, vec![0..text.len()]);
        assert!(split(text).refused.is_empty());
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let open = "{".repeat(MAX_DEPTH + 5);
        for text in [
            format!("a \"{open}\"\n"),
            format!("a #\"{open}\"#\n"),
            format!("a ##\"\"\"\n{open}\"#\n\"\"\"##\n"),
            format!("a \"\"\"\n{open}\n\"\"\"\n"),
            format!("// {open}\na\n"),
            format!("/* {open} */ a\n"),
            format!("a \"\\\"{open}\"\n"),
        ] {
            let result = split(&text);
            assert!(result.refused.is_empty(), "{text}: {:?}", result.refused);
            assert_eq!(rejoined(&text), text);
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let deep = format!(
            "{}{}",
            "a {".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        let text = format!("before\n{deep}\nafter\n");
        let result = split(&text);
        let at = text.find(&deep).unwrap_or_default() + 3 * MAX_DEPTH + 2;
        assert_eq!(
            result.refused,
            vec![Refusal::TooDeep {
                at: (at..at + 1).into()
            }]
        );
        // The nodes around it are still parsed.
        let kept: Vec<&str> = result.chunks.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(kept, vec!["before\n", "after\n"]);

        let at_limit = format!("{}{}", "a {".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(split(&at_limit).refused.is_empty());
        let comments = format!(
            "{}{}",
            "/*".repeat(MAX_DEPTH + 1),
            "*/".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            split(&comments).refused.as_slice(),
            [Refusal::TooDeep { .. }]
        ));
    }

    #[test]
    fn cuts_only_between_top_level_nodes() {
        let node = format!("app \"x\" {{\n    var \"A\" \"{}\"\n}}\n", "y".repeat(1000));
        let text = node.repeat(200);
        let result = split(&text);
        assert!(result.chunks.len() > 1);
        for range in &result.chunks {
            assert!(range.len() <= MAX_CHUNK_BYTES);
            assert!(text[range.clone()].starts_with("app"));
        }
        assert_eq!(rejoined(&text), text);
    }

    #[test]
    fn slashdash_and_continuations_keep_their_node_together() {
        let filler = format!("// {}\n", "x".repeat(MAX_CHUNK_BYTES - 10));
        for joined in [
            "/-\napp \"a\"\n",
            "app \\\n  \"a\"\n",
            "app \\ // note\n \"a\"\n",
        ] {
            let text = format!("{filler}{joined}");
            let result = split(&text);
            assert_eq!(rejoined(&text), text);
            assert!(
                result
                    .chunks
                    .iter()
                    .any(|range| &text[range.clone()] == joined),
                "{joined:?} was cut: {:?}",
                result.chunks
            );
        }
    }

    #[test]
    fn a_node_longer_than_the_limit_is_refused() {
        let long = format!("app \"a\" {{\n{}}}\n", "    var \"A\" \"b\"\n".repeat(5000));
        let text = format!("cluster \"c\"\n{long}");
        let result = split(&text);
        assert!(matches!(
            result.refused.as_slice(),
            [Refusal::TooLong { len, .. }] if *len == long.len()
        ));
        assert_eq!(result.chunks, vec![0.."cluster \"c\"\n".len()]);
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "", "\"", "#", "#\"", "/*", "/", "\\", "}", "{", "\r", "\"\\", "é\"é", "\u{2028}",
        ] {
            assert_eq!(rejoined(text), text);
        }
    }
}

//! Finding things in the source by its tokens: where a node and its children end, where its
//! content stops before spaces and comments, the comments and slashdashed nodes between two
//! nodes line by line, and the text of a range with the indentation of its line.

use std::ops::Range;

use super::{Extent, Item, Segment, Source, Text, Trailing, internal};
use crate::fmt::Error;
use crate::fmt::lex::{self, Kind, Token};

impl<'a> Source<'a> {
    pub(super) fn slice(&self, range: Range<usize>) -> &'a str {
        &self.text[range]
    }

    /// The index of the token that starts at `offset`.
    fn token_at(&self, offset: usize) -> Result<usize, Error> {
        if offset == self.text.len() {
            return Ok(self.tokens.len());
        }
        self.tokens
            .binary_search_by_key(&offset, |token| token.start)
            .map_err(|_| internal("a node or gap does not start at a token"))
    }

    fn line_start(&self, offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        self.line_starts[line.saturating_sub(1)]
    }

    /// The number of space characters just before `offset`.
    fn spaces_before(&self, offset: usize) -> usize {
        self.text[..offset]
            .chars()
            .rev()
            .take_while(|&c| lex::is_space(c))
            .count()
    }

    /// The indentation of the line holding `offset`.
    pub(super) fn indent(&self, offset: usize) -> String {
        self.text[self.line_start(offset)..]
            .chars()
            .take_while(|&c| lex::is_space(c))
            .collect()
    }

    pub(super) fn text(&self, range: Range<usize>) -> Text {
        Text {
            text: self.slice(range.clone()).to_owned(),
            indent: self.indent(range.start),
        }
    }

    /// The index of the `}` matching the `{` at `open`.
    fn matching_close(&self, open: usize) -> Result<usize, Error> {
        let mut depth = 0usize;
        for (index, token) in self.tokens.iter().enumerate().skip(open) {
            match token.kind {
                Kind::OpenBrace => depth += 1,
                Kind::CloseBrace => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(index);
                    }
                }
                _ => {}
            }
        }
        Err(internal("an unclosed `{`"))
    }

    /// Finds where the node starting at byte `start` ends, and its children block.
    pub(super) fn extent(&self, start: usize) -> Result<Extent, Error> {
        let mut index = self.token_at(start)?;
        let mut children = None;
        let mut slashdash = false;
        let mut escaping = false;
        let end = loop {
            let Some(token) = self.tokens.get(index) else {
                break self.text.len();
            };
            match token.kind {
                Kind::Newline | Kind::Semicolon | Kind::CloseBrace => break token.start,
                Kind::LineComment if !escaping => break token.start,
                Kind::OpenBrace => {
                    let close = self.matching_close(index)?;
                    if !slashdash && children.is_none() {
                        children = Some((token.start, self.tokens[close].start));
                    }
                    slashdash = false;
                    index = close;
                }
                Kind::Slashdash => slashdash = true,
                Kind::Escline => escaping = true,
                Kind::EscapedNewline => escaping = false,
                Kind::Whitespace | Kind::LineComment | Kind::BlockComment => {}
                Kind::String | Kind::Other => slashdash = false,
            }
            index += 1;
        };
        Ok(Extent {
            head_end: children.map_or(end, |(open, _)| open),
            children,
            end,
        })
    }

    /// The end of the last token in `range` that is not whitespace, a line continuation or
    /// (with `keep_continued_comment`) after a comment that a continuation carries: a head that
    /// ends `\ // note` keeps its newline, or the next text would land inside the comment.
    pub(super) fn content_end(&self, range: Range<usize>) -> Result<usize, Error> {
        let first = self.token_at(range.start)?;
        let mut last = self.token_at(range.end)?;
        while last > first && self.tokens[last - 1].is_space() {
            last -= 1;
        }
        if last == first {
            return Ok(range.start);
        }
        let token = self.tokens[last - 1];
        if token.kind == Kind::LineComment {
            // Only a continuation's comment can sit inside a node: keep the newline after it.
            if let Some(newline) = self.tokens[last..]
                .iter()
                .find(|token| token.kind == Kind::EscapedNewline)
                .filter(|newline| newline.end <= range.end)
            {
                return Ok(newline.end);
            }
        }
        Ok(token.end)
    }

    /// The end of the last token in `range` that is neither space nor a block comment.
    pub(super) fn code_end(&self, range: Range<usize>) -> Result<usize, Error> {
        Ok(self
            .tokens_in(range.clone())?
            .iter()
            .rev()
            .find(|token| !token.is_space() && token.kind != Kind::BlockComment)
            .map_or(range.start, |token| token.end))
    }

    /// The items between two nodes, split into source lines.
    pub(super) fn segments(&self, range: Range<usize>) -> Result<Vec<Segment>, Error> {
        let mut segments = vec![Segment::default()];
        let mut index = self.token_at(range.start)?;
        while let Some(&token) = self.tokens.get(index) {
            if token.start >= range.end {
                break;
            }
            match token.kind {
                Kind::Newline | Kind::EscapedNewline => segments.push(Segment::default()),
                Kind::Whitespace | Kind::Semicolon | Kind::Escline => {}
                Kind::LineComment | Kind::BlockComment => {
                    if let Some(segment) = segments.last_mut() {
                        segment.items.push(Item {
                            start: token.start,
                            end: token.end,
                            slashdash: false,
                        });
                    }
                }
                Kind::Slashdash => {
                    // The commented-out node starts at the next token that is not space.
                    let node = self.tokens[index + 1..]
                        .iter()
                        .find(|token| !token.is_space() && token.kind != Kind::Newline)
                        .ok_or_else(|| internal("a `/-` before nothing"))?;
                    let extent = self.extent(node.start)?;
                    let end = self.content_end(node.start..extent.end)?;
                    if let Some(segment) = segments.last_mut() {
                        segment.items.push(Item {
                            start: token.start,
                            end,
                            slashdash: true,
                        });
                    }
                    index = self.token_at(extent.end)?;
                    continue;
                }
                Kind::OpenBrace | Kind::CloseBrace | Kind::String | Kind::Other => {
                    return Err(internal("text between nodes that is not a comment"));
                }
            }
            index += 1;
        }
        Ok(segments)
    }

    /// The items of a segment as one piece of text, separated by single spaces.
    pub(super) fn join(&self, items: &[Item]) -> Option<Text> {
        let first = items.first()?;
        let text = items
            .iter()
            .map(|item| self.slice(item.start..item.end))
            .collect::<Vec<_>>()
            .join(" ");
        Some(Text {
            text,
            indent: self.indent(first.start),
        })
    }

    pub(super) fn trailing(&self, items: &[Item]) -> Option<Trailing> {
        let first = items.first()?;
        Some(Trailing {
            text: self.join(items)?.text,
            spaces: self.spaces_before(first.start),
        })
    }

    pub(super) fn tokens_in(&self, range: Range<usize>) -> Result<&[Token], Error> {
        Ok(&self.tokens[self.token_at(range.start)?..self.token_at(range.end)?])
    }

    /// The tokens of `range` that are not space, run together: `x = "y"` becomes `x="y"`.
    pub(super) fn compact(&self, range: Range<usize>) -> Result<String, Error> {
        Ok(self
            .tokens_in(range)?
            .iter()
            .filter(|token| !token.is_space())
            .map(|token| token.text(self.text))
            .collect())
    }
}

//! The spec as the formatter sees it: blocks of nodes, each node with the comments that belong
//! to it, every piece a slice of the original text.
//!
//! The `kdl` crate says where each node starts (its spans are exact) and what its entries are;
//! the tokens of [`super::lex`] say where everything else is. Nothing is read back from the
//! crate's own formatting data, which drops a comment after a closing brace. Every comment and
//! slashdashed node of the source ends up in exactly one place here: the node it trails (same
//! line), the node it precedes, the header of its block (comments before the first node, set off
//! by a blank line) or the block's footer (after the last node).

use std::ops::Range;

use kdl::{KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;

use super::Error;
use super::lex::{self, Kind, Token};
use super::order::Context;

/// Text copied from the source, with the indentation of the line it started on, so the lines
/// after its first can be shifted along with it.
#[derive(Debug, Clone)]
pub(super) struct Text {
    pub(super) text: String,
    /// The whitespace before the first non-space character of the source line it started on.
    pub(super) indent: String,
}

/// A line of comments (or a slashdashed node), or a blank line.
#[derive(Debug, Clone)]
pub(super) enum Line {
    Blank,
    Text(Text),
}

/// Comments on the same line after a node or a `{`, and how many spaces set them off.
#[derive(Debug, Clone)]
pub(super) struct Trailing {
    pub(super) text: String,
    pub(super) spaces: usize,
}

#[derive(Debug, Default)]
pub(super) struct Block {
    /// After the `{` on its line.
    pub(super) brace_comment: Option<Trailing>,
    /// Comments that open the block and stay at its top whatever node comes first.
    pub(super) header: Vec<Line>,
    pub(super) nodes: Vec<Node>,
    /// Comments after the last node.
    pub(super) footer: Vec<Line>,
}

impl Block {
    pub(super) fn is_empty(&self) -> bool {
        self.brace_comment.is_none()
            && self.header.is_empty()
            && self.nodes.is_empty()
            && self.footer.is_empty()
    }
}

#[derive(Debug)]
pub(super) struct Node {
    /// Position in the canonical order of its block.
    pub(super) rank: usize,
    /// A line with one canonical form (see [`Context::canonical_props`]).
    canonical: bool,
    pub(super) leading: Vec<Line>,
    /// Block comments before the node on its own line: `/* x */ node`.
    pub(super) prefix: Option<Text>,
    /// The name and entries.
    pub(super) head: Text,
    pub(super) children: Option<Block>,
    /// Whatever follows the children block before the end of the node (a slashdashed block).
    pub(super) after_children: Option<String>,
    pub(super) trailing: Option<Trailing>,
}

/// A comment or a slashdashed node found between nodes.
#[derive(Debug, Clone, Copy)]
struct Item {
    start: usize,
    end: usize,
    slashdash: bool,
}

/// The items of one source line of the text between two nodes.
#[derive(Debug, Default)]
struct Segment {
    items: Vec<Item>,
}

/// Where a node's parts are.
struct Extent {
    /// Where the name and entries end: the children's `{`, or the end of the node.
    head_end: usize,
    /// The `{` and `}` of the children block.
    children: Option<(usize, usize)>,
    /// Where the node ends: its terminator (newline, `;`, `//`, the parent's `}`) or the end.
    end: usize,
}

pub(super) struct Source<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// Byte offsets where lines start (after each `\n`).
    line_starts: Vec<usize>,
}

fn internal(what: &str) -> Error {
    Error::Unsafe {
        reason: format!("the formatter lost track of the source ({what})"),
    }
}

impl<'a> Source<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        Self {
            text,
            tokens: lex::tokenize(text),
            line_starts,
        }
    }

    fn slice(&self, range: Range<usize>) -> &'a str {
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
    fn indent(&self, offset: usize) -> String {
        self.text[self.line_start(offset)..]
            .chars()
            .take_while(|&c| lex::is_space(c))
            .collect()
    }

    fn text(&self, range: Range<usize>) -> Text {
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
    fn extent(&self, start: usize) -> Result<Extent, Error> {
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
    fn content_end(&self, range: Range<usize>) -> Result<usize, Error> {
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
    fn code_end(&self, range: Range<usize>) -> Result<usize, Error> {
        Ok(self
            .tokens_in(range.clone())?
            .iter()
            .rev()
            .find(|token| !token.is_space() && token.kind != Kind::BlockComment)
            .map_or(range.start, |token| token.end))
    }

    /// The items between two nodes, split into source lines.
    fn segments(&self, range: Range<usize>) -> Result<Vec<Segment>, Error> {
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
    fn join(&self, items: &[Item]) -> Option<Text> {
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

    fn trailing(&self, items: &[Item]) -> Option<Trailing> {
        let first = items.first()?;
        Some(Trailing {
            text: self.join(items)?.text,
            spaces: self.spaces_before(first.start),
        })
    }

    /// Adds comments found on `node`'s line after it. A line in canonical form keeps only a
    /// `//` comment there (Renovate's patterns allow no other); block comments move above it.
    fn trail(&self, node: &mut Node, items: &[Item]) {
        let (above, after): (Vec<Item>, Vec<Item>) = items
            .iter()
            .partition(|item| node.canonical && self.slice(item.start..item.end).starts_with("/*"));
        node.leading.extend(
            above
                .iter()
                .map(|item| Line::Text(self.text(item.start..item.end))),
        );
        add_trailing(&mut node.trailing, self.trailing(&after));
    }

    fn line(&self, segment: &Segment) -> Line {
        self.join(&segment.items).map_or(Line::Blank, Line::Text)
    }

    /// Builds the block of `nodes`, which lie in `region` of the source (between the braces, or
    /// the whole text at the top level).
    pub(super) fn block(
        &self,
        nodes: &[KdlNode],
        region: Range<usize>,
        context: Context,
    ) -> Result<Block, Error> {
        let top = context == Context::Top;
        let mut block = Block::default();
        let mut cursor = region.start;
        let mut lines: Vec<Line> = Vec::new();
        for kdl_node in nodes {
            let start = kdl_node.span().offset();
            if start < cursor || start >= region.end {
                return Err(internal("a node outside its block"));
            }
            let mut segments = self.segments(cursor..start)?.into_iter();
            // The gap has at least one segment: the rest of the line before it.
            let first = segments.next().unwrap_or_default();
            let before_node = segments.next_back();
            let mut prefix = None;
            let same_line_as_node = before_node.is_none();
            // The rest of the previous node's (or the `{`'s) line.
            let first_is_trailing =
                !first.items.iter().any(|item| item.slashdash) && (!block.nodes.is_empty() || !top);
            if first_is_trailing {
                if let Some(previous) = block.nodes.last_mut() {
                    self.trail(previous, &first.items);
                } else {
                    block.brace_comment = self.trailing(&first.items);
                }
            } else if same_line_as_node && is_prefix(&first) {
                prefix = self.join(&first.items);
            } else if !first.items.is_empty() {
                lines.push(self.line(&first));
            }
            lines.extend(segments.map(|segment| self.line(&segment)));
            if let Some(segment) = before_node {
                if is_prefix(&segment) {
                    prefix = self.join(&segment.items);
                } else if !segment.items.is_empty() {
                    lines.push(self.line(&segment));
                }
            }
            let mut leading = std::mem::take(&mut lines);
            if block.nodes.is_empty() {
                block.header = split_header(&mut leading);
            }
            let (node, end) = self.node(kdl_node, context, leading, prefix)?;
            block.nodes.push(node);
            cursor = end;
        }
        let mut segments = self.segments(cursor..region.end)?.into_iter();
        let first = segments.next().unwrap_or_default();
        if first.items.iter().any(|item| item.slashdash) || (top && block.nodes.is_empty()) {
            block.footer.push(self.line(&first));
        } else if let Some(previous) = block.nodes.last_mut() {
            self.trail(previous, &first.items);
        } else {
            block.brace_comment = self.trailing(&first.items);
        }
        block
            .footer
            .extend(segments.map(|segment| self.line(&segment)));
        // Blank lines at the end of a block carry nothing.
        while matches!(block.footer.last(), Some(Line::Blank)) {
            block.footer.pop();
        }
        block.nodes.sort_by_key(|node| node.rank);
        Ok(block)
    }

    /// Builds one node; returns it and where it ends.
    fn node(
        &self,
        kdl_node: &KdlNode,
        context: Context,
        mut leading: Vec<Line>,
        prefix: Option<Text>,
    ) -> Result<(Node, usize), Error> {
        let start = kdl_node.span().offset();
        let name = kdl_node.name().value();
        let extent = self.extent(start)?;
        let mut head_end = self.content_end(start..extent.head_end)?;
        // Block comments after the last entry of a node without children trail it.
        let mut trailing_comments = Vec::new();
        if extent.children.is_none() {
            let code_end = self.code_end(start..head_end)?;
            if code_end < head_end {
                trailing_comments = self
                    .tokens_in(code_end..head_end)?
                    .iter()
                    .filter(|token| token.is_comment())
                    .map(|token| Item {
                        start: token.start,
                        end: token.end,
                        slashdash: false,
                    })
                    .collect();
                head_end = code_end;
            }
        }
        let canonical = context.canonical_props(name);
        let head = if let Some(props) = canonical {
            let (head, comments) = self.canonical_head(kdl_node, start..head_end, props)?;
            leading.extend(comments.into_iter().map(Line::Text));
            head
        } else {
            self.head(kdl_node, start..head_end)?
        };
        let (children, after_children) = match (kdl_node.children(), extent.children) {
            (Some(document), Some((open, close))) => {
                let block = self.block(document.nodes(), open + 1..close, context.child(name))?;
                let after_start = close + 1;
                let after_end = self.content_end(after_start..extent.end)?;
                let after = (after_end > after_start)
                    .then(|| self.slice(after_start..after_end).trim_start().to_owned());
                (Some(block), after)
            }
            (None, None) => (None, None),
            _ => return Err(internal("a children block the parser did not see")),
        };
        let mut node = Node {
            rank: context.rank(name),
            canonical: canonical.is_some(),
            leading,
            prefix,
            head,
            children,
            after_children,
            trailing: None,
        };
        self.trail(&mut node, &trailing_comments);
        Ok((node, extent.end))
    }

    fn tokens_in(&self, range: Range<usize>) -> Result<&[Token], Error> {
        Ok(&self.tokens[self.token_at(range.start)?..self.token_at(range.end)?])
    }

    /// The tokens of `range` that are not space, run together: `x = "y"` becomes `x="y"`.
    fn compact(&self, range: Range<usize>) -> Result<String, Error> {
        Ok(self
            .tokens_in(range)?
            .iter()
            .filter(|token| !token.is_space())
            .map(|token| token.text(self.text))
            .collect())
    }

    /// A node's name and entries: single spaces between entries when the head is one line with
    /// no comments in it, the source text otherwise (so comments inside keep their place).
    fn head(&self, node: &KdlNode, range: Range<usize>) -> Result<Text, Error> {
        let tokens = self.tokens_in(range.clone())?;
        let verbatim = tokens.iter().any(|token| {
            token.is_comment()
                || matches!(
                    token.kind,
                    Kind::Slashdash | Kind::Escline | Kind::EscapedNewline | Kind::Newline
                )
                || token.text(self.text).contains('\n')
        });
        let entry_ranges: Vec<Range<usize>> = node.entries().iter().map(entry_range).collect();
        let in_order = entry_ranges
            .windows(2)
            .all(|pair| pair[0].end <= pair[1].start)
            && entry_ranges
                .iter()
                .all(|entry| entry.start >= range.start && entry.end <= range.end);
        if verbatim || !in_order {
            return Ok(self.text(range));
        }
        let name_end = entry_ranges.first().map_or(range.end, |entry| entry.start);
        let mut text = self.compact(range.start..name_end)?;
        for entry in entry_ranges {
            text.push(' ');
            text.push_str(&self.compact(entry)?);
        }
        Ok(Text {
            text,
            indent: self.indent(range.start),
        })
    }

    /// `name "X" prop="y"`, whatever form the source used, for the lines Renovate's patterns
    /// read (`version "X" cluster="c"`, `helm "URL" chart="c"`, `image "name"`): the argument
    /// first, then the properties in the order of `props`, every value a plain quoted string.
    /// Comments inside the line move to their own lines above it.
    fn canonical_head(
        &self,
        node: &KdlNode,
        range: Range<usize>,
        props: &[&str],
    ) -> Result<(Text, Vec<Text>), Error> {
        let name = node.name().value();
        let span = SourceSpan::from(range.clone());
        let unformattable = |what: &str| Error::Unformattable {
            reason: format!("a `{name}` line with {what}"),
            span,
        };
        let tokens = self.tokens_in(range.clone())?;
        if tokens.iter().any(|token| token.kind == Kind::Slashdash) {
            return Err(unformattable("a slashdash (`/-`) in it"));
        }
        if node.ty().is_some() || node.entries().iter().any(|entry| entry.ty().is_some()) {
            return Err(unformattable("a type annotation"));
        }
        let mut argument = None;
        let mut values: Vec<Option<&str>> = vec![None; props.len()];
        for entry in node.entries() {
            let slot = match entry.name().map(kdl::KdlIdentifier::value) {
                None => &mut argument,
                Some(prop) => match props.iter().position(|known| *known == prop) {
                    Some(index) => &mut values[index],
                    None => return Err(unformattable(&format!("the property `{prop}`"))),
                },
            };
            let KdlValue::String(text) = entry.value() else {
                return Err(unformattable("a value that is not a string"));
            };
            if slot.replace(text.as_str()).is_some() {
                return Err(unformattable("a value given twice"));
            }
        }
        let argument = argument.ok_or_else(|| unformattable("no argument"))?;
        let mut text = format!("{name} {}", quote(argument));
        for (prop, value) in props.iter().zip(values) {
            if let Some(value) = value {
                text.push(' ');
                text.push_str(prop);
                text.push('=');
                text.push_str(&quote(value));
            }
        }
        let comments = tokens
            .iter()
            .filter(|token| token.is_comment())
            .map(|token| self.text(token.start..token.end))
            .collect();
        Ok((
            Text {
                text,
                indent: self.indent(range.start),
            },
            comments,
        ))
    }
}

/// Adds `more` after the comments already trailing a node.
fn add_trailing(slot: &mut Option<Trailing>, more: Option<Trailing>) {
    match (slot.as_mut(), more) {
        (Some(existing), Some(more)) => {
            existing.text.push(' ');
            existing.text.push_str(&more.text);
        }
        (None, more) => *slot = more,
        (Some(_), None) => {}
    }
}

/// Block comments alone (no line comment, no slashdash) can stay in front of a node.
fn is_prefix(segment: &Segment) -> bool {
    !segment.items.is_empty() && segment.items.iter().all(|item| !item.slashdash)
}

/// The lines of the first node's leading comments that stay at the top of its block: its first
/// paragraph, when a blank line sets it off from the node (a file's opening comment), with that
/// blank line. Later paragraphs (a section heading) stay with the node.
fn split_header(leading: &mut Vec<Line>) -> Vec<Line> {
    let Some(first_blank) = leading.iter().position(|line| matches!(line, Line::Blank)) else {
        return Vec::new();
    };
    let mut rest = leading.split_off(first_blank + 1);
    // The node keeps a blank line before it, for when it is not first any more.
    rest.insert(0, Line::Blank);
    std::mem::replace(leading, rest)
}

fn entry_range(entry: &KdlEntry) -> Range<usize> {
    let span = entry.span();
    span.offset()..span.offset() + span.len()
}

/// `value` as a KDL quoted string.
pub(super) fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            // Control characters, newlines KDL knows beyond `\n`, bidi controls and the BOM
            // may not appear literally in a KDL string.
            c if c.is_control()
                || lex::is_newline(c)
                || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}') =>
            {
                // Rust's `\u{...}` escape is KDL's too.
                quoted.extend(c.escape_unicode());
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

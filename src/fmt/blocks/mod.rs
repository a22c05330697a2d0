//! The spec as the formatter sees it: blocks of nodes, each node with the comments that belong
//! to it, every piece a slice of the original text.
//!
//! The `kdl` crate says where each node starts (its spans are exact) and what its entries are;
//! the tokens of [`super::lex`] say where everything else is. Nothing is read back from the
//! crate's own formatting data, which drops a comment after a closing brace. Every comment and
//! slashdashed node of the source ends up in exactly one place here: the node it trails (same
//! line), the node it precedes, the header of its block (comments before the first node, set off
//! by a blank line) or the block's footer (after the last node).
//!
//! This file holds the blocks and how they are assembled; [`tokens`] finds things in the source
//! by its tokens (where a node ends, the comments between two nodes), [`head`] writes a node's
//! name and entries.

mod head;
mod tokens;

use std::ops::Range;

use kdl::KdlNode;

use super::Error;
use super::lex::{self, Token};
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

/// The spec's text with its tokens, which the methods here and in [`tokens`] and [`head`] read.
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
}

impl Source<'_> {
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

//! Byte offsets <-> LSP positions. The compiler's spans are byte offsets into UTF-8 text; LSP
//! positions are a line and a character counted in UTF-16 code units (the protocol's default
//! encoding, the only one every client supports).

use std::ops::Range;

use lsp_types::{Position, Range as LspRange};
use miette::SourceSpan;

/// Where each line of a text starts, to convert offsets both ways.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        LineIndex { text, line_starts }
    }

    /// The position of byte `offset` (clamped to the text, and back to a character boundary).
    pub(crate) fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let character = self.text[start..offset].encode_utf16().count();
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of `position`; a position past the end of its line is the line's end.
    pub(crate) fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = self.text[start..].split('\n').next().unwrap_or_default();
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    pub(crate) fn range(&self, bytes: Range<usize>) -> LspRange {
        LspRange::new(self.position(bytes.start), self.position(bytes.end))
    }

    pub(crate) fn span_range(&self, span: SourceSpan) -> LspRange {
        self.range(bytes(span))
    }
}

/// The bytes a span covers.
pub(crate) fn bytes(span: SourceSpan) -> Range<usize> {
    span.offset()..span.offset() + span.len()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The bytes of `name` inside `span` (a value span may hold the quotes, or `cluster="..."`):
/// where the name itself is, for an edit or a precise range; the whole span if it is not there.
pub(crate) fn name_in(text: &str, span: SourceSpan, name: &str) -> Range<usize> {
    let whole = bytes(span);
    let Some(inside) = text.get(whole.clone()) else {
        return whole;
    };
    let quoted = format!("\"{name}\"");
    if let Some(at) = inside.rfind(&quoted) {
        return whole.start + at + 1..whole.start + at + 1 + name.len();
    }
    inside.rfind(name).map_or(whole.clone(), |at| {
        whole.start + at..whole.start + at + name.len()
    })
}

/// The word under `offset`: letters, digits and `-_.` (node names, app and cluster names,
/// variable names), with its bytes.
pub(crate) fn word_at(text: &str, offset: usize) -> Option<(Range<usize>, &str)> {
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(at, _)| at);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(at, _)| offset + at);
    (start < end).then(|| (start..end, &text[start..end]))
}

/// The variable of a `${NAME}` (or `${NAME:=default}`) reference under `offset`, with the bytes
/// of its name.
pub(crate) fn variable_reference_at(text: &str, offset: usize) -> Option<(Range<usize>, &str)> {
    let (range, word) = word_at(text, offset)?;
    let before = &text[..range.start];
    (before.ends_with("${") && !before.ends_with("$${")).then_some((range, word))
}

#[cfg(test)]
mod tests {
    use lsp_types::Position;

    use super::{LineIndex, variable_reference_at};

    #[test]
    fn positions_count_utf16_units() {
        let text = "a\nwé😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').expect("x is in the text");
        assert_eq!(index.position(x), Position::new(1, 4));
        assert_eq!(index.offset(Position::new(1, 4)), x);
        assert_eq!(index.offset(Position::new(1, 99)), text.len() - 1);
        assert_eq!(index.offset(Position::new(9, 0)), text.len());
    }

    #[test]
    fn finds_variable_references() {
        let text = "a: ${DOMAIN:=x} $${ESC}";
        assert_eq!(
            variable_reference_at(text, 6).map(|(_, n)| n),
            Some("DOMAIN")
        );
        assert_eq!(variable_reference_at(text, 20), None);
        assert_eq!(variable_reference_at(text, 0), None);
    }
}

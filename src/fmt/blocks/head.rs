//! A node's head (its name and entries) as the formatter writes it: single spaces between
//! entries, or the one canonical form of the lines Renovate's patterns read; and KDL quoting.

use std::ops::Range;

use kdl::{KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;

use super::{Source, Text};
use crate::fmt::Error;
use crate::fmt::lex::{Kind, quote};

impl Source<'_> {
    /// A node's name and entries: single spaces between entries when the head is one line with
    /// no comments in it, the source text otherwise (so comments inside keep their place).
    pub(super) fn head(&self, node: &KdlNode, range: Range<usize>) -> Result<Text, Error> {
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
    pub(super) fn canonical_head(
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

fn entry_range(entry: &KdlEntry) -> Range<usize> {
    let span = entry.span();
    span.offset()..span.offset() + span.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn odd_strings_are_quoted() {
        let quoted = crate::fmt::quote("a\"b\\c\u{1}\u{2028}\n");
        let parsed: kdl::KdlDocument = format!("v {quoted}").parse().expect("quoted parses");
        assert_eq!(
            parsed.nodes()[0].entries()[0].value(),
            &kdl::KdlValue::String("a\"b\\c\u{1}\u{2028}\n".to_owned())
        );
    }
}

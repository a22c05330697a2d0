//! A lossless KDL v2 tokenizer: every byte of the source lands in exactly one token.
//!
//! It knows only what the formatter needs to move text around safely: where comments, strings,
//! braces and node terminators are. Strings and comments are single tokens, so a `{`, `//` or
//! newline inside one is never mistaken for structure. It does not validate: the `kdl` crate has
//! parsed the same text successfully before this runs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Spaces and tabs (and the other Unicode spaces KDL allows, and a byte-order mark).
    Whitespace,
    /// A newline that ends a line of KDL.
    Newline,
    /// A newline preceded by `\` (a line continuation): the node goes on.
    EscapedNewline,
    /// `\` starting a line continuation.
    Escline,
    /// `// ...` up to (not including) the newline.
    LineComment,
    /// `/* ... */`, nested.
    BlockComment,
    /// `/-`: comments out the next node, entry or children block.
    Slashdash,
    OpenBrace,
    CloseBrace,
    Semicolon,
    /// A quoted, raw or multi-line string, delimiters included.
    String,
    /// Anything else: identifiers, numbers, keywords, `=`, `(`, `)`.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    pub(super) fn text(self, source: &str) -> &str {
        &source[self.start..self.end]
    }

    /// Whitespace or a newline of either kind: carries no content.
    pub(super) fn is_space(self) -> bool {
        matches!(
            self.kind,
            Kind::Whitespace | Kind::Newline | Kind::EscapedNewline | Kind::Escline
        )
    }

    pub(super) fn is_comment(self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

/// KDL v2 newlines other than `\r\n`, which is matched first.
pub(super) fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters a KDL string may not hold literally: control characters, newlines KDL knows
/// beyond `\n`, bidi controls and the byte order mark.
pub(crate) fn must_escape(c: char) -> bool {
    c.is_control()
        || is_newline(c)
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// `value` as a KDL quoted string.
pub(crate) fn quote(value: &str) -> String {
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
            // Rust's `\u{...}` escape is KDL's too.
            c if must_escape(c) => quoted.extend(c.escape_unicode()),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// KDL v2 unicode-space, plus the byte-order mark KDL allows at the start.
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// Characters that end an identifier, number or keyword.
fn ends_word(c: char) -> bool {
    is_space(c)
        || is_newline(c)
        || matches!(
            c,
            '\\' | '/' | '(' | ')' | '{' | '}' | '[' | ']' | ';' | '"' | '#' | '='
        )
}

/// Splits `source` into tokens that cover it exactly, in order.
pub(super) fn tokenize(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    // Inside a line continuation: the next newline does not end the node.
    let mut escaping = false;
    while position < source.len() {
        let rest = &source[position..];
        let (kind, length) = next_token(rest, escaping);
        let kind = match kind {
            Kind::Newline if escaping => Kind::EscapedNewline,
            other => other,
        };
        escaping = match kind {
            Kind::Escline => true,
            Kind::Whitespace | Kind::LineComment | Kind::BlockComment => escaping,
            _ => false,
        };
        tokens.push(Token {
            kind,
            start: position,
            end: position + length,
        });
        position += length;
    }
    tokens
}

/// The kind and byte length of the token at the start of `rest` (never empty).
fn next_token(rest: &str, escaping: bool) -> (Kind, usize) {
    let mut chars = rest.chars();
    // `rest` is not empty: the caller stops at the end of the source.
    let first = chars.next().unwrap_or('\0');
    let second = chars.next();
    if rest.starts_with("\r\n") {
        return (Kind::Newline, 2);
    }
    if is_newline(first) {
        return (Kind::Newline, first.len_utf8());
    }
    if is_space(first) {
        let length = rest
            .char_indices()
            .find(|&(_, c)| !is_space(c))
            .map_or(rest.len(), |(index, _)| index);
        return (Kind::Whitespace, length);
    }
    match (first, second) {
        ('/', Some('/')) => {
            let length = rest
                .char_indices()
                .find(|&(_, c)| is_newline(c))
                .map_or(rest.len(), |(index, _)| index);
            return (Kind::LineComment, length);
        }
        ('/', Some('*')) => return (Kind::BlockComment, block_comment_length(rest)),
        ('/', Some('-')) => return (Kind::Slashdash, 2),
        ('"', _) => return (Kind::String, quoted_string_length(rest)),
        ('#', Some('#' | '"')) => {
            if let Some(length) = raw_string_length(rest) {
                return (Kind::String, length);
            }
        }
        _ => {}
    }
    let single = |kind| (kind, first.len_utf8());
    match first {
        '{' => single(Kind::OpenBrace),
        '}' => single(Kind::CloseBrace),
        ';' => single(Kind::Semicolon),
        // A `\` is only a line continuation outside one; inside, a second is just text.
        '\\' if !escaping => single(Kind::Escline),
        '\\' | '/' | '(' | ')' | '[' | ']' | '=' => single(Kind::Other),
        _ => {
            // A word; a leading `#` is part of a keyword such as `#true`.
            let length = rest
                .char_indices()
                .skip(1)
                .find(|&(_, c)| ends_word(c))
                .map_or(rest.len(), |(index, _)| index);
            (Kind::Other, length)
        }
    }
}

/// `/* ... */` with nesting; to the end of the source if unterminated.
fn block_comment_length(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    let mut index = 0;
    while index + 1 < bytes.len() {
        match (bytes[index], bytes[index + 1]) {
            (b'/', b'*') => {
                depth += 1;
                index += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                index += 2;
                if depth == 0 {
                    return index;
                }
            }
            _ => index += 1,
        }
    }
    rest.len()
}

/// `"..."` or `"""..."""`, with backslash escapes; to the end of the source if unterminated.
fn quoted_string_length(rest: &str) -> usize {
    let (delimiter, open) = if rest.starts_with("\"\"\"") {
        ("\"\"\"", 3)
    } else {
        ("\"", 1)
    };
    let bytes = rest.as_bytes();
    let mut index = open;
    while index < bytes.len() {
        if bytes[index] == b'\\' {
            // Skips the escaped character; a whitespace escape's remaining whitespace is
            // ordinary string content for this purpose.
            index += 2;
        } else if rest[index..].starts_with(delimiter) {
            return index + delimiter.len();
        } else {
            index += 1;
        }
    }
    rest.len()
}

/// `#"..."#`, `##"..."##`, `#"""..."""#`: no escapes, closed by the quotes and as many `#`.
/// `None` when the `#`s are not followed by a quote (a keyword such as `#true`).
fn raw_string_length(rest: &str) -> Option<usize> {
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    let after = &rest[hashes..];
    if !after.starts_with('"') {
        return None;
    }
    let quotes = if after.starts_with("\"\"\"") { 3 } else { 1 };
    let closing = format!("{}{}", "\"".repeat(quotes), "#".repeat(hashes));
    let body_start = hashes + quotes;
    Some(
        rest[body_start..]
            .find(&closing)
            .map_or(rest.len(), |index| body_start + index + closing.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(Kind, &str)> {
        tokenize(source)
            .into_iter()
            .map(|token| (token.kind, token.text(source)))
            .collect()
    }

    #[test]
    fn tokens_cover_the_source_exactly() {
        let source = "a 1 /* x /* y */ */ b=\"s{\\\"\" // c\r\n/-d #\"r\"# #true\n";
        let tokens = tokenize(source);
        let joined: String = tokens.iter().map(|token| token.text(source)).collect();
        assert_eq!(joined, source);
        assert!(tokens.windows(2).all(|pair| pair[0].end == pair[1].start));
    }

    #[test]
    fn strings_and_comments_hide_structure() {
        use Kind::*;
        assert_eq!(
            kinds("a \"{ // }\" /* { */ #\"}\"# {"),
            vec![
                (Other, "a"),
                (Whitespace, " "),
                (String, "\"{ // }\""),
                (Whitespace, " "),
                (BlockComment, "/* { */"),
                (Whitespace, " "),
                (String, "#\"}\"#"),
                (Whitespace, " "),
                (OpenBrace, "{"),
            ]
        );
    }

    #[test]
    fn multi_line_strings_are_one_token() {
        let source = "p \"\"\"\n    a \"\"\n    \"\"\" #\"\"\"\n    b \"#\n    \"\"\"#\n";
        let strings: Vec<&str> = tokenize(source)
            .into_iter()
            .filter(|token| token.kind == Kind::String)
            .map(|token| token.text(source))
            .collect();
        assert_eq!(
            strings,
            [
                "\"\"\"\n    a \"\"\n    \"\"\"",
                "#\"\"\"\n    b \"#\n    \"\"\"#"
            ]
        );
    }

    #[test]
    fn a_continuation_newline_is_escaped_even_after_a_comment() {
        use Kind::*;
        assert_eq!(
            kinds("a \\ // c\n  1\n"),
            vec![
                (Other, "a"),
                (Whitespace, " "),
                (Escline, "\\"),
                (Whitespace, " "),
                (LineComment, "// c"),
                (EscapedNewline, "\n"),
                (Whitespace, "  "),
                (Other, "1"),
                (Newline, "\n"),
            ]
        );
    }

    #[test]
    fn keywords_and_properties_are_words() {
        use Kind::*;
        assert_eq!(
            kinds("w #false k=v"),
            vec![
                (Other, "w"),
                (Whitespace, " "),
                (Other, "#false"),
                (Whitespace, " "),
                (Other, "k"),
                (Other, "="),
                (Other, "v"),
            ]
        );
    }
}

//! The parser of `${…}` expressions, ported from `fluxcd/pkg` `envsubst/parse/parse.go`, with the
//! parse tree of `envsubst/parse/node.go`. It drives the scanner token by token as upstream does,
//! and bounds the nesting depth, which Go does not.

use super::SubstituteError;
use super::scan::{
    Accept, ESC_ALL, ESC_DOLLAR, SCAN_ESCAPE, SCAN_IDENT, SCAN_LBRACK, SCAN_RBRACK, Scanner, Token,
    accept_casing_func, accept_colon, accept_default_func, accept_hash_func, accept_ident,
    accept_not_closing, accept_not_slash, accept_one_colon, accept_one_equal, accept_one_hash,
    accept_percent_func, accept_replace_func, accept_rune, accept_slash, reject_colon_close,
};

/// Deepest `${…}` nesting accepted; Go has no limit, but a Rust stack is finite.
pub(super) const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Text(Vec<u8>),
    Func {
        param: String,
        op: String,
        args: Vec<Node>,
    },
}

impl Node {
    fn func(param: &[u8], op: &[u8]) -> Self {
        Node::Func {
            param: String::from_utf8_lossy(param).into_owned(),
            op: String::from_utf8_lossy(op).into_owned(),
            args: Vec::new(),
        }
    }

    fn push_arg(&mut self, arg: Node) {
        if let Node::Func { args, .. } = self {
            args.push(arg);
        }
    }
}

pub(super) struct Parser {
    sc: Scanner,
    depth: usize,
}

impl Parser {
    pub(super) fn new(text: &str) -> Self {
        Parser {
            sc: Scanner::new(text),
            depth: 0,
        }
    }

    /// `parseAny`, as a loop instead of right-nested lists.
    pub(super) fn parse(mut self) -> Result<Vec<Node>, SubstituteError> {
        let mut nodes = Vec::new();
        loop {
            self.sc.accept = accept_rune;
            self.sc.mode = SCAN_IDENT | SCAN_LBRACK | SCAN_ESCAPE;
            self.sc.escape_chars = ESC_DOLLAR;
            match self.sc.scan() {
                Token::Ident => nodes.push(Node::Text(self.sc.token().to_vec())),
                Token::Eof => return Ok(nodes),
                Token::Lbrack => nodes.push(self.parse_func()?),
                Token::Illegal | Token::Rbrack => return Err(SubstituteError::BadSubstitution),
            }
        }
    }

    fn parse_func(&mut self) -> Result<Node, SubstituteError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SubstituteError::TooDeep);
        }
        let node = self.parse_func_inner();
        self.depth -= 1;
        node
    }

    fn parse_func_inner(&mut self) -> Result<Node, SubstituteError> {
        self.sc.escape_chars = ESC_ALL;
        if self.sc.peek() == '#' {
            return self.parse_len_func();
        }
        let name = self.scan_token(accept_ident, SCAN_IDENT, SubstituteError::ParseVariableName)?;
        match self.sc.peek() {
            ':' => return self.parse_default_or_substr(&name),
            '=' => return self.parse_default_func(&name),
            ',' | '^' => return self.parse_casing_func(&name),
            '/' => return self.parse_replace_func(&name),
            '#' => return self.parse_remove_func(&name, accept_hash_func),
            '%' => return self.parse_remove_func(&name, accept_percent_func),
            _ => {}
        }
        self.sc.accept = accept_ident;
        self.sc.mode = SCAN_RBRACK;
        match self.sc.scan() {
            Token::Rbrack => Ok(Node::func(&name, b"")),
            _ => Err(SubstituteError::MissingClosingBrace),
        }
    }

    /// Scans one identifier token with `accept` and `mode`, or fails with `err`.
    fn scan_token(
        &mut self,
        accept: Accept,
        mode: u8,
        err: SubstituteError,
    ) -> Result<Vec<u8>, SubstituteError> {
        self.sc.accept = accept;
        self.sc.mode = mode;
        match self.sc.scan() {
            Token::Ident => Ok(self.sc.token().to_vec()),
            _ => Err(err),
        }
    }

    fn parse_param(&mut self, accept: Accept, mode: u8) -> Result<Node, SubstituteError> {
        self.sc.accept = accept;
        self.sc.mode = mode | SCAN_LBRACK;
        match self.sc.scan() {
            Token::Lbrack => self.parse_func(),
            Token::Ident | Token::Rbrack => Ok(Node::Text(self.sc.token().to_vec())),
            Token::Illegal | Token::Eof => Err(SubstituteError::ParseFuncSubstitution),
        }
    }

    fn parse_default_or_substr(&mut self, name: &[u8]) -> Result<Node, SubstituteError> {
        self.sc.read();
        let r = self.sc.peek();
        // Go unreads by the width of the peeked rune, not of the ':'.
        self.sc.unread();
        if matches!(r, '=' | '-' | '?' | '+') {
            self.parse_default_func(name)
        } else {
            self.parse_substr_func(name)
        }
    }

    fn parse_substr_func(&mut self, name: &[u8]) -> Result<Node, SubstituteError> {
        let op = self.scan_token(
            accept_one_colon,
            SCAN_IDENT,
            SubstituteError::BadSubstitution,
        )?;
        let mut node = Node::func(name, &op);
        node.push_arg(self.parse_param(reject_colon_close, SCAN_IDENT)?);
        self.sc.accept = accept_colon;
        self.sc.mode = SCAN_IDENT | SCAN_RBRACK;
        match self.sc.scan() {
            Token::Rbrack => return Ok(node),
            Token::Ident => {}
            Token::Illegal | Token::Eof | Token::Lbrack => {
                return Err(SubstituteError::BadSubstitution);
            }
        }
        node.push_arg(self.parse_param(accept_not_closing, SCAN_IDENT)?);
        self.consume_rbrack()?;
        Ok(node)
    }

    fn parse_remove_func(&mut self, name: &[u8], accept: Accept) -> Result<Node, SubstituteError> {
        let op = self.scan_token(accept, SCAN_IDENT, SubstituteError::BadSubstitution)?;
        let mut node = Node::func(name, &op);
        node.push_arg(self.parse_param(accept_not_closing, SCAN_IDENT)?);
        self.consume_rbrack()?;
        Ok(node)
    }

    fn parse_replace_func(&mut self, name: &[u8]) -> Result<Node, SubstituteError> {
        let op = self.scan_token(
            accept_replace_func,
            SCAN_IDENT,
            SubstituteError::BadSubstitution,
        )?;
        let mut node = Node::func(name, &op);
        node.push_arg(self.parse_param(accept_not_slash, SCAN_IDENT | SCAN_ESCAPE)?);
        self.scan_token(accept_slash, SCAN_IDENT, SubstituteError::BadSubstitution)?;
        if self.sc.peek() != '}' {
            node.push_arg(self.parse_param(accept_not_closing, SCAN_IDENT | SCAN_ESCAPE)?);
        }
        self.consume_rbrack()?;
        Ok(node)
    }

    fn parse_default_func(&mut self, name: &[u8]) -> Result<Node, SubstituteError> {
        let accept: Accept = if self.sc.peek() == '=' {
            accept_one_equal
        } else {
            accept_default_func
        };
        let op = self.scan_token(accept, SCAN_IDENT, SubstituteError::ParseDefaultFunction)?;
        let mut node = Node::func(name, &op);
        while self.sc.peek() != '}' {
            node.push_arg(self.parse_param(accept_not_closing, SCAN_IDENT)?);
        }
        self.consume_rbrack()?;
        Ok(node)
    }

    fn parse_casing_func(&mut self, name: &[u8]) -> Result<Node, SubstituteError> {
        let op = self.scan_token(
            accept_casing_func,
            SCAN_IDENT,
            SubstituteError::BadSubstitution,
        )?;
        self.consume_rbrack()?;
        Ok(Node::func(name, &op))
    }

    fn parse_len_func(&mut self) -> Result<Node, SubstituteError> {
        let op = self.scan_token(
            accept_one_hash,
            SCAN_IDENT,
            SubstituteError::BadSubstitution,
        )?;
        let param = self.scan_token(accept_ident, SCAN_IDENT, SubstituteError::BadSubstitution)?;
        self.consume_rbrack()?;
        Ok(Node::func(&param, &op))
    }

    fn consume_rbrack(&mut self) -> Result<(), SubstituteError> {
        self.sc.mode = SCAN_RBRACK;
        match self.sc.scan() {
            Token::Rbrack => Ok(()),
            _ => Err(SubstituteError::BadSubstitution),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The parse-tree cases of upstream `envsubst/parse/parse_test.go`.

    use super::{Node, Parser};

    fn show(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|node| match node {
                Node::Text(text) => format!("T({})", String::from_utf8_lossy(text)),
                Node::Func { param, op, args } => format!("F({param}|{op}|{})", show(args)),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn parse_trees_match_upstream() {
        let cases: &[(&str, &str)] = &[
            ("text", "T(text)"),
            ("}text", "T(}text)"),
            ("http://github.com", "T(http://github.com)"),
            ("$${string}", "T(${string})"),
            ("$$string", "T($string)"),
            (r"\\.\pipe\pipename", r"T(\\.\pipe\pipename)"),
            ("${string}", "F(string||)"),
            ("${string,}", "F(string|,|)"),
            ("${string,,}", "F(string|,,|)"),
            ("${string^}", "F(string|^|)"),
            ("${string^^}", "F(string|^^|)"),
            ("${string:position}", "F(string|:|T(position))"),
            (
                "${string:position:length}",
                "F(string|:|T(position),T(length))",
            ),
            ("${string#substring}", "F(string|#|T(substring))"),
            ("${string##substring}", "F(string|##|T(substring))"),
            ("${string%substring}", "F(string|%|T(substring))"),
            ("${string%%substring}", "F(string|%%|T(substring))"),
            (
                "${string/substring/replacement}",
                "F(string|/|T(substring),T(replacement))",
            ),
            (
                "${string//substring/replacement}",
                "F(string|//|T(substring),T(replacement))",
            ),
            (
                "${string/#substring/replacement}",
                "F(string|/#|T(substring),T(replacement))",
            ),
            (
                "${string/%substring/replacement}",
                "F(string|/%|T(substring),T(replacement))",
            ),
            ("${string=default}", "F(string|=|T(default))"),
            ("${string:=default}", "F(string|:=|T(default))"),
            ("${string:-default}", "F(string|:-|T(default))"),
            ("${string:?default}", "F(string|:?|T(default))"),
            ("${string:+default}", "F(string|:+|T(default))"),
            ("${#string}", "F(string|#|)"),
            ("${string#$%:*{}", "F(string|#|T($%:*{))"),
            ("hello ${#string} world", "T(hello ),F(string|#|),T( world)"),
            (
                r"\\ hello ${#string} world \\",
                r"T(\\ hello ),F(string|#|),T( world \\)",
            ),
            (
                r"${string/\/position/length}",
                "F(string|/|T(/position),T(length))",
            ),
            (
                r"${string/\/position\\/length}",
                r"F(string|/|T(/position\),T(length))",
            ),
            (
                r"${string/position/\/length}",
                "F(string|/|T(position),T(/length))",
            ),
            (
                r"${string/position/\/length\\}",
                r"F(string|/|T(position),T(/length\))",
            ),
            (
                r"${string/position/\/leng\\th}",
                r"F(string|/|T(position),T(/leng\th))",
            ),
            ("${string:${position}}", "F(string|:|F(position||))"),
            (
                "${string:${stringy:position:length}:${stringz,,}}",
                "F(string|:|F(stringy|:|T(position),T(length)),F(stringz|,,|))",
            ),
            ("${string#${stringz}}", "F(string|#|F(stringz||))"),
            ("${string=${stringz}}", "F(string|=|F(stringz||))"),
            ("${string=prefix-${var}}", "F(string|=|T(prefix-),F(var||))"),
            ("${string=${var}-suffix}", "F(string|=|F(var||),T(-suffix))"),
            (
                "${string=prefix-${var}-suffix}",
                "F(string|=|T(prefix-),F(var||),T(-suffix))",
            ),
            (
                "${string=prefix${var} suffix}",
                "F(string|=|T(prefix),F(var||),T( suffix))",
            ),
            (
                "${string//${stringy}/${stringz}}",
                "F(string|//|F(stringy||),F(stringz||))",
            ),
        ];
        let mut failures = Vec::new();
        for (text, want) in cases {
            match Parser::new(text).parse() {
                Ok(nodes) if show(&nodes) == *want => {}
                got => failures.push(format!("{text:?}: want {want}, got {got:?}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

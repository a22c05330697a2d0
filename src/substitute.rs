//! Flux `postBuild` variable substitution, ported from kustomize-controller.
//!
//! This module reproduces what kustomize-controller does to each rendered object
//! before applying it: the `envsubst` dialect of `fluxcd/pkg/envsubst` (a fork of
//! `drone/envsubst`) and the variable handling of `fluxcd/pkg/kustomize`
//! (`kustomize_varsub.go`), ported from fluxcd/pkg commit
//! `e2cfd1a2d1815a81b3e77ef750e6528282ccccd6` (tags `envsubst/v1.7.0`,
//! `kustomize/v1.39.0`, the versions kustomize-controller builds with). Parsing,
//! escapes, glob matching and the string functions follow the Go code step by
//! step, on bytes, so odd inputs come out the same way.
//!
//! Boundary: the module is pure. It works on text and maps the caller supplies;
//! it reads no `ConfigMap` or `Secret`, does not render objects to YAML or parse
//! them back, and does not decide which objects to skip. The caller renders each
//! object, asks [`is_disabled`], calls [`Substitution::apply`] on the YAML text and
//! parses the result. Unlike Go, it never panics: where upstream would panic
//! (a negative substring length) or would hand invalid UTF-8 to the YAML parser,
//! it returns an error.

use std::collections::BTreeMap;

/// The annotation and label key that turns substitution off for one object.
pub const SUBSTITUTE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The value of [`SUBSTITUTE_KEY`] that turns substitution off.
const DISABLED_VALUE: &str = "disabled";

/// The pattern every supplied variable name must match (Go regexp, ASCII classes).
const VAR_NAME_PATTERN: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";

/// Deepest `${…}` nesting accepted; Go has no limit, but a Rust stack is finite.
const MAX_DEPTH: usize = 128;

/// Why substitution failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    /// Strict mode: a variable without a default operator is not set.
    #[error("variable not set (strict mode): \"{0}\"")]
    VarNotSet(String),
    /// A supplied variable name does not match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.
    #[error("'{0}' var name is invalid, must match '{VAR_NAME_PATTERN}'")]
    InvalidVarName(String),
    /// A `${…}` expression is malformed.
    #[error("bad substitution")]
    BadSubstitution,
    /// A `${name` has no closing brace.
    #[error("missing closing brace")]
    MissingClosingBrace,
    /// `${` is not followed by a variable name.
    #[error("unable to parse variable name")]
    ParseVariableName,
    /// A function argument is missing or malformed.
    #[error("unable to parse substitution within function")]
    ParseFuncSubstitution,
    /// A default operator is malformed.
    #[error("unable to parse default function")]
    ParseDefaultFunction,
    /// `${v:pos:len}` with bounds Go would panic on (a negative length).
    #[error("substring bounds out of range")]
    SubstringOutOfRange,
    /// `${…}` is nested deeper than this port supports.
    #[error("substitution nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A function cut a multi-byte character, so the result is not UTF-8.
    #[error("substitution result is not valid utf-8")]
    InvalidUtf8,
}

/// When substitution runs (`spec.postBuild.substituteStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only when at least one variable is defined (the default).
    #[default]
    WithVariables,
    /// Always, so `${X:=default}` resolves even with no variables.
    Always,
}

/// The variables of one Flux Kustomization and how to apply them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    vars: BTreeMap<String, String>,
    strategy: Strategy,
    strict: bool,
}

impl Substitution {
    /// Merges the variables as kustomize-controller does: each `substituteFrom`
    /// source in list order (whatever its kind; a later one overwrites an earlier
    /// one), then the inline `substitute` map, which wins. Newlines (`\n`) are
    /// removed from every value. Secret values must already be decoded.
    ///
    /// Strict mode is on (the `StrictPostBuildSubstitutions` default); see
    /// [`Substitution::strict`]. Fails if a name does not match
    /// `^[_[:alpha:]][_[:alpha:][:digit:]]*$` (first in name order). Upstream
    /// checks this when it substitutes an object, so it fails only if some
    /// object is substituted; here it fails up front.
    pub fn new(
        from_sources: &[BTreeMap<String, String>],
        inline: &BTreeMap<String, String>,
        strategy: Strategy,
    ) -> Result<Self, SubstituteError> {
        let mut vars = BTreeMap::new();
        for (name, value) in from_sources.iter().flatten().chain(inline) {
            vars.insert(name.clone(), value.replace('\n', ""));
        }
        if let Some(bad) = vars.keys().find(|name| !is_valid_var_name(name)) {
            return Err(SubstituteError::InvalidVarName(bad.clone()));
        }
        Ok(Self {
            vars,
            strategy,
            strict: true,
        })
    }

    /// Turns strict mode on or off (kustomize-controller's
    /// `StrictPostBuildSubstitutions` feature gate). Off, an unset variable
    /// reads as the empty string.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The merged variables, by name.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// Substitutes one object's YAML text. With no variable defined and
    /// [`Strategy::WithVariables`], the text comes back unchanged and unparsed,
    /// so `${X:=default}` stays literal. The caller skips objects for which
    /// [`is_disabled`] holds and parses the result as YAML.
    pub fn apply(&self, text: &str) -> Result<String, SubstituteError> {
        if self.vars.is_empty() && self.strategy == Strategy::WithVariables {
            return Ok(text.to_owned());
        }
        envsubst(text, |name| self.vars.get(name).cloned(), self.strict)
    }
}

/// Whether an object opts out of substitution: its label or annotation
/// [`SUBSTITUTE_KEY`] is exactly `disabled`.
pub fn is_disabled(
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    [labels, annotations]
        .iter()
        .any(|map| map.get(SUBSTITUTE_KEY).is_some_and(|v| v == DISABLED_VALUE))
}

/// Evaluates `${…}` expressions in `text`. `$$` is a literal `$`; `$var`
/// without braces is left alone. In strict mode a variable for which `lookup`
/// gives `None` is an error unless a default operator (`=`, `:=`, `:-`, and the
/// accepted `:?`, `:+`) follows it; otherwise it reads as the empty string.
/// Function arguments are evaluated before the variable is looked up.
pub fn envsubst(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<String, SubstituteError> {
    let nodes = Parser::new(text).parse()?;
    let mapper = |name: &str| {
        let value = lookup(name);
        if strict {
            value
        } else {
            Some(value.unwrap_or_default())
        }
    };
    let mut out = Vec::with_capacity(text.len());
    for node in &nodes {
        eval(node, &mapper, &mut out)?;
    }
    String::from_utf8(out).map_err(|_| SubstituteError::InvalidUtf8)
}

/// One `${…}` reference found by [`references`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    /// The variable name.
    pub name: String,
    /// Whether a default operator makes an unset variable acceptable.
    pub has_default: bool,
}

/// Every variable `text` references, in text order, nested ones included and
/// repeats kept; escaped `$${…}` is not a reference. A reference without a
/// default must be defined for strict mode to pass; a nested one must be
/// defined even when the outer variable is set (arguments are evaluated first).
pub fn references(text: &str) -> Result<Vec<VarRef>, SubstituteError> {
    fn walk(node: &Node, refs: &mut Vec<VarRef>) {
        if let Node::Func { param, op, args } = node {
            refs.push(VarRef {
                name: param.clone(),
                has_default: is_default_op(op),
            });
            for arg in args {
                walk(arg, refs);
            }
        }
    }
    let mut refs = Vec::new();
    for node in &Parser::new(text).parse()? {
        walk(node, &mut refs);
    }
    Ok(refs)
}

/// Flux's rule for variable names, `^[_[:alpha:]][_[:alpha:][:digit:]]*$` with Go's ASCII
/// classes; `resolve` checks spec variables with it too.
pub fn is_valid_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

// ---------------------------------------------------------------------------
// Parse tree (envsubst/parse/node.go)

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
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

// ---------------------------------------------------------------------------
// Scanner (envsubst/parse/scan.go), on bytes like Go's strings

/// Go's `eof` rune; a NUL in the text reads as end of input, as upstream.
const EOF: char = '\0';

const SCAN_IDENT: u8 = 1;
const SCAN_LBRACK: u8 = 1 << 1;
const SCAN_RBRACK: u8 = 1 << 2;
const SCAN_ESCAPE: u8 = 1 << 3;

const ESC_DOLLAR: u8 = 1;
const ESC_BACKSLASH: u8 = 1 << 1;
const ESC_ALL: u8 = ESC_DOLLAR | ESC_BACKSLASH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Illegal,
    Eof,
    Ident,
    Lbrack,
    Rbrack,
}

/// Accepts a rune at byte offset `i` (counted from the token start, after it).
type Accept = fn(char, usize) -> bool;

struct Scanner {
    buf: Vec<u8>,
    pos: usize,
    start: usize,
    width: usize,
    mode: u8,
    escape_chars: u8,
    accept: Accept,
}

impl Scanner {
    fn read(&mut self) -> char {
        match self.buf.get(self.pos..).filter(|rest| !rest.is_empty()) {
            None => {
                self.width = 0;
                EOF
            }
            Some(rest) => {
                let (r, w) = decode_rune(rest);
                self.width = w;
                self.pos += w;
                r
            }
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(self.width);
    }

    /// Drops the escape byte just read; `pos` stays, so it now points past
    /// the escaped character, which joins the token.
    fn skip(&mut self) {
        if let Some(i) = self.pos.checked_sub(1).filter(|&i| i < self.buf.len()) {
            self.buf.remove(i);
        }
    }

    fn peek(&mut self) -> char {
        let r = self.read();
        self.unread();
        r
    }

    fn token(&self) -> &[u8] {
        self.buf.get(self.start..self.pos).unwrap_or_default()
    }

    fn scan(&mut self) -> Token {
        self.start = self.pos;
        let r = self.read();
        if r == EOF {
            Token::Eof
        } else if self.scan_lbrack(r) {
            Token::Lbrack
        } else if self.scan_rbrack(r) {
            Token::Rbrack
        } else if self.scan_ident(r) {
            Token::Ident
        } else {
            Token::Illegal
        }
    }

    fn scan_ident(&mut self, r: char) -> bool {
        if self.mode & SCAN_IDENT == 0 {
            return false;
        }
        if self.scan_escaped(r) {
            self.skip();
        } else if !(self.accept)(r, self.pos.saturating_sub(self.start)) {
            return false;
        }
        loop {
            let r = self.read();
            if r == EOF {
                self.unread();
                break;
            }
            if self.scan_lbrack(r) {
                self.unread();
                self.unread();
                break;
            }
            if self.scan_escaped(r) {
                self.skip();
                continue;
            }
            if !(self.accept)(r, self.pos.saturating_sub(self.start)) {
                self.unread();
                break;
            }
        }
        true
    }

    fn scan_lbrack(&mut self, r: char) -> bool {
        if self.mode & SCAN_LBRACK == 0 || r != '$' {
            return false;
        }
        if self.read() == '{' {
            return true;
        }
        self.unread();
        false
    }

    fn scan_rbrack(&self, r: char) -> bool {
        self.mode & SCAN_RBRACK != 0 && r == '}'
    }

    fn scan_escaped(&mut self, r: char) -> bool {
        if self.mode & SCAN_ESCAPE == 0 {
            return false;
        }
        if r == '$' && self.escape_chars & ESC_DOLLAR != 0 && self.peek() == '$' {
            return true;
        }
        r == '\\' && self.escape_chars & ESC_BACKSLASH != 0 && matches!(self.peek(), '/' | '\\')
    }
}

fn accept_rune(_: char, _: usize) -> bool {
    true
}

/// Go's `unicode.IsLetter || unicode.IsDigit || '_'`; exact for ASCII, close
/// (Rust's `Alphabetic`/`Numeric` properties) beyond it.
fn accept_ident(r: char, _: usize) -> bool {
    r.is_alphanumeric() || r == '_'
}

fn accept_colon(r: char, _: usize) -> bool {
    r == ':'
}

fn accept_one_hash(r: char, i: usize) -> bool {
    r == '#' && i == 1
}

fn accept_not_closing(r: char, _: usize) -> bool {
    r != '}'
}

fn accept_hash_func(r: char, i: usize) -> bool {
    r == '#' && i < 3
}

fn accept_percent_func(r: char, i: usize) -> bool {
    r == '%' && i < 3
}

fn accept_default_func(r: char, i: usize) -> bool {
    (i == 1 && r == ':') || (i == 2 && matches!(r, '=' | '-' | '?' | '+'))
}

fn accept_replace_func(r: char, i: usize) -> bool {
    (i == 1 && r == '/') || (i == 2 && matches!(r, '/' | '#' | '%'))
}

fn accept_one_equal(r: char, i: usize) -> bool {
    i == 1 && r == '='
}

fn accept_one_colon(r: char, i: usize) -> bool {
    i == 1 && r == ':'
}

fn reject_colon_close(r: char, _: usize) -> bool {
    r != ':' && r != '}'
}

fn accept_slash(r: char, _: usize) -> bool {
    r == '/'
}

fn accept_not_slash(r: char, _: usize) -> bool {
    r != '/'
}

fn accept_casing_func(r: char, i: usize) -> bool {
    matches!(r, ',' | '^') && i < 3
}

// ---------------------------------------------------------------------------
// Parser (envsubst/parse/parse.go)

struct Parser {
    sc: Scanner,
    depth: usize,
}

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            sc: Scanner {
                buf: text.as_bytes().to_vec(),
                pos: 0,
                start: 0,
                width: 0,
                mode: 0,
                escape_chars: 0,
                accept: accept_rune,
            },
            depth: 0,
        }
    }

    /// `parseAny`, as a loop instead of right-nested lists.
    fn parse(mut self) -> Result<Vec<Node>, SubstituteError> {
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

// ---------------------------------------------------------------------------
// Evaluation (envsubst/template.go)

/// `isDefaultOp`: operators that accept an unset variable in strict mode.
fn is_default_op(op: &str) -> bool {
    matches!(op, "-" | "+" | "=" | "?" | ":-" | ":+" | ":=" | ":?")
}

fn eval(
    node: &Node,
    mapper: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<u8>,
) -> Result<(), SubstituteError> {
    match node {
        Node::Text(text) => out.extend_from_slice(text),
        Node::Func { param, op, args } => {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                let mut value = Vec::new();
                eval(arg, mapper, &mut value)?;
                values.push(value);
            }
            let value = match mapper(param) {
                Some(value) => value,
                None if is_default_op(op) => String::new(),
                None => return Err(SubstituteError::VarNotSet(param.clone())),
            };
            out.extend(apply_func(op, value.as_bytes(), &values)?);
        }
    }
    Ok(())
}

/// `lookupFunc` and the functions of envsubst/funcs.go.
fn apply_func(op: &str, s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, SubstituteError> {
    let first = args.first().map(Vec::as_slice);
    Ok(match (op, first) {
        (",", _) => map_first(s, go_to_lower),
        (",,", _) => map_runes(s, go_to_lower),
        ("^", _) => map_first(s, go_to_upper),
        ("^^", _) => map_runes(s, go_to_upper),
        ("#", None) => s.len().to_string().into_bytes(),
        ("#", Some(pattern)) => trim_prefix(s, pattern, false),
        ("##", Some(pattern)) => trim_prefix(s, pattern, true),
        ("%", Some(pattern)) => trim_suffix(s, pattern, false),
        ("%%", Some(pattern)) => trim_suffix(s, pattern, true),
        (":", _) => substr(s, args)?,
        ("/#", _) => match args {
            [old, new] if s.starts_with(old) => go_replace(s, old, new, 1),
            _ => s.to_vec(),
        },
        ("/%", _) => match args {
            // In bounds: `s` ends with `old`, so it is at least as long.
            [old, new] if s.ends_with(old) => [&s[..s.len() - old.len()], new.as_slice()].concat(),
            _ => s.to_vec(),
        },
        ("/" | "//", Some(old)) => {
            let new = args.get(1).map_or(&[][..], Vec::as_slice);
            go_replace(s, old, new, if op == "/" { 1 } else { usize::MAX })
        }
        ("##" | "%" | "%%" | "/" | "//", None) => s.to_vec(),
        // `toDefault`, also for `:?`, `:+` and unknown casings such as `,^`.
        _ if s.is_empty() && !args.is_empty() => args.concat(),
        _ => s.to_vec(),
    })
}

/// `toSubstr`: byte offsets; unparsable numbers leave the value alone.
fn substr(s: &[u8], args: &[Vec<u8>]) -> Result<Vec<u8>, SubstituteError> {
    let Some(first) = args.first() else {
        return Ok(s.to_vec());
    };
    let Some(mut pos) = go_atoi(first) else {
        return Ok(s.to_vec());
    };
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if pos < 0 {
        pos = len.wrapping_add(pos).max(0);
    }
    let tail = |pos: i64| -> Vec<u8> {
        usize::try_from(pos)
            .ok()
            .and_then(|p| s.get(p..))
            .unwrap_or_default()
            .to_vec()
    };
    let Some(second) = args.get(1) else {
        return Ok(tail(pos));
    };
    let Some(length) = go_atoi(second) else {
        return Ok(s.to_vec());
    };
    let end = pos.wrapping_add(length);
    if end >= len {
        return Ok(tail(pos));
    }
    // Go slices s[pos:end] here and panics when end < pos.
    match (usize::try_from(pos), usize::try_from(end)) {
        (Ok(p), Ok(e)) if p <= e => Ok(s.get(p..e).unwrap_or_default().to_vec()),
        _ => Err(SubstituteError::SubstringOutOfRange),
    }
}

/// `strconv.Atoi`: optional sign, ASCII digits, 64-bit range.
fn go_atoi(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// `strings.Replace(s, old, new, n)`, byte for byte (an empty `old` matches
/// before every rune and at the end).
fn go_replace(s: &[u8], old: &[u8], new: &[u8], n: usize) -> Vec<u8> {
    if old == new || n == 0 {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    // Slicing below is in bounds: `start <= s.len()` holds at the top of each pass (checked
    // for an empty `old`; a match of a non-empty `old` ends inside `s`), and `j` is a match
    // position at or after `start`.
    let mut start = 0;
    for i in 0..n {
        let j = if old.is_empty() {
            if start > s.len() {
                break;
            }
            if i == 0 {
                start
            } else if start == s.len() {
                break;
            } else {
                start + decode_rune(&s[start..]).1
            }
        } else {
            match find(&s[start..], old) {
                Some(k) => start + k,
                None => break,
            }
        };
        out.extend_from_slice(&s[start..j]);
        out.extend_from_slice(new);
        start = j + old.len();
    }
    out.extend_from_slice(s.get(start..).unwrap_or_default());
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `trimShortest` / `trimLongest`: cut the shortest or longest non-empty prefix
/// the glob matches; a malformed pattern leaves the value alone.
fn trim_prefix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    // `end` and `cut` never exceed `s.len()`, so every slice is in bounds.
    let mut cut = 0;
    for end in (1..=s.len()).rev() {
        match glob_match(pattern, &s[..end]) {
            Err(()) => return s.to_vec(),
            Ok(true) if longest => return s[end..].to_vec(),
            Ok(true) => cut = end,
            Ok(false) => {}
        }
    }
    s[cut..].to_vec()
}

/// `trimShortestSuffix` / `trimLongestSuffix`: the prefix trim on the value and
/// pattern reversed rune by rune (so `[a-z]` classes break, as upstream).
fn trim_suffix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    reverse_runes(&trim_prefix(
        &reverse_runes(s),
        &reverse_runes(pattern),
        longest,
    ))
}

fn reverse_runes(s: &[u8]) -> Vec<u8> {
    let mut runes = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        // `decode_rune` of a non-empty slice returns a width within it.
        let (r, w) = decode_rune(rest);
        runes.push(r);
        rest = &rest[w..];
    }
    runes.iter().rev().collect::<String>().into_bytes()
}

fn map_first(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    // `s` is not empty, and `decode_rune` returns a width within it.
    let (r, w) = decode_rune(s);
    let mut out = f(r).to_string().into_bytes();
    out.extend_from_slice(&s[w..]);
    out
}

/// `strings.ToUpper`/`ToLower`: map every rune; invalid bytes become U+FFFD.
fn map_runes(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        // `decode_rune` of a non-empty slice returns a width within it.
        let (r, w) = decode_rune(rest);
        out.push(f(r));
        rest = &rest[w..];
    }
    out.into_bytes()
}

/// `unicode.ToLower` (simple mapping): only U+0130 lowercases to two runes,
/// and its simple mapping is the first.
fn go_to_lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// `unicode.ToUpper` (simple mapping): where the full mapping has several
/// runes, use the simple one (Greek iota subscripts) or keep the rune.
fn go_to_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    if upper.len() == 1 {
        return upper.next().unwrap_or(c);
    }
    let simple = match c {
        '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
            char::from_u32(u32::from(c) + 8)
        }
        '\u{1FB3}' => Some('\u{1FBC}'),
        '\u{1FC3}' => Some('\u{1FCC}'),
        '\u{1FF3}' => Some('\u{1FFC}'),
        _ => None,
    };
    simple.unwrap_or(c)
}

/// `utf8.DecodeRune`: the first rune and its width; an invalid byte is U+FFFD
/// of width 1. `s` must not be empty.
fn decode_rune(s: &[u8]) -> (char, usize) {
    // In bounds by `min`; the width returned is at most `head.len()`, or 1 for a non-empty `s`.
    let head = &s[..s.len().min(4)];
    head.utf8_chunks()
        .next()
        .and_then(|chunk| chunk.valid().chars().next())
        .map_or((char::REPLACEMENT_CHARACTER, 1), |r| (r, r.len_utf8()))
}

// ---------------------------------------------------------------------------
// Glob matching (envsubst/path/match.go): Go's path.Match, except that `*` and
// `?` also match `/`, a trailing `*` matches the rest, and errors surface only
// where matching reaches the malformed part.

fn glob_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(true);
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            for i in 0..name.len() {
                // In bounds: `i < name.len()`, so `i + 1 <= name.len()`.
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut pattern = pattern;
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    // `i` stays below `pattern.len()` inside the loop (an escape skips only when a byte
    // follows), and at most equal to it after, so the indexing and the split are in bounds.
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Whether `chunk` matches the start of `s`, and the rest of `s`; `Err` for a
/// malformed pattern. A mismatch returns an empty rest, as Go does.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<(&'a [u8], bool), ()> {
    const MISMATCH: Result<(&[u8], bool), ()> = Ok((&[], false));
    while let Some(&c) = chunk.first() {
        if s.is_empty() {
            return MISMATCH;
        }
        match c {
            // Slicing in this loop is in bounds: `chunk` starts with `c` and `s` is not empty
            // (both checked above), and `decode_rune` returns a width within `s`.
            b'[' => {
                let (r, n) = decode_rune(s);
                s = &s[n..];
                chunk = &chunk[1..];
                let mut negated = false;
                if let [b'^', rest @ ..] = chunk {
                    negated = true;
                    chunk = rest;
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if let [b']', rest @ ..] = chunk
                        && ranges > 0
                    {
                        chunk = rest;
                        break;
                    }
                    let lo;
                    (lo, chunk) = get_esc(chunk)?;
                    let mut hi = lo;
                    if let [b'-', rest @ ..] = chunk {
                        (hi, chunk) = get_esc(rest)?;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    return MISMATCH;
                }
            }
            b'?' => {
                s = &s[decode_rune(s).1..];
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                }
                let Some(&want) = chunk.first() else {
                    return Err(());
                };
                if want != s[0] {
                    return MISMATCH;
                }
                s = &s[1..];
                chunk = &chunk[1..];
            }
        }
    }
    Ok((s, true))
}

/// `getEsc`: a possibly escaped rune of a character class.
fn get_esc(chunk: &[u8]) -> Result<(char, &[u8]), ()> {
    let mut chunk = chunk;
    match chunk {
        [] | [b'-' | b']', ..] => return Err(()),
        [b'\\', rest @ ..] => {
            if rest.is_empty() {
                return Err(());
            }
            chunk = rest;
        }
        _ => {}
    }
    // `chunk` is not empty here (matched above), and `decode_rune` returns a width within it.
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == char::REPLACEMENT_CHARACTER && n == 1) || rest.is_empty() {
        return Err(());
    }
    Ok((r, rest))
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

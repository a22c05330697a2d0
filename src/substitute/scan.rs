//! The scanner of `${…}` expressions, ported from `fluxcd/pkg` `envsubst/parse/scan.go`. It reads
//! bytes as Go reads strings, so odd inputs (NUL, invalid UTF-8, escapes) split into the same
//! tokens; the parser sets its mode, escape set and acceptance function before each token.

use super::go_std::decode_rune;

/// Go's `eof` rune; a NUL in the text reads as end of input, as upstream.
const EOF: char = '\0';

pub(super) const SCAN_IDENT: u8 = 1;
pub(super) const SCAN_LBRACK: u8 = 1 << 1;
pub(super) const SCAN_RBRACK: u8 = 1 << 2;
pub(super) const SCAN_ESCAPE: u8 = 1 << 3;

pub(super) const ESC_DOLLAR: u8 = 1;
const ESC_BACKSLASH: u8 = 1 << 1;
pub(super) const ESC_ALL: u8 = ESC_DOLLAR | ESC_BACKSLASH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Illegal,
    Eof,
    Ident,
    Lbrack,
    Rbrack,
}

/// Accepts a rune at byte offset `i` (counted from the token start, after it).
pub(super) type Accept = fn(char, usize) -> bool;

pub(super) struct Scanner {
    buf: Vec<u8>,
    pos: usize,
    start: usize,
    width: usize,
    pub(super) mode: u8,
    pub(super) escape_chars: u8,
    pub(super) accept: Accept,
}

impl Scanner {
    /// A scanner at the start of `text`, accepting any rune, in no mode yet.
    pub(super) fn new(text: &str) -> Self {
        Scanner {
            buf: text.as_bytes().to_vec(),
            pos: 0,
            start: 0,
            width: 0,
            mode: 0,
            escape_chars: 0,
            accept: accept_rune,
        }
    }

    pub(super) fn read(&mut self) -> char {
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

    pub(super) fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(self.width);
    }

    /// Drops the escape byte just read; `pos` stays, so it now points past
    /// the escaped character, which joins the token.
    fn skip(&mut self) {
        if let Some(i) = self.pos.checked_sub(1).filter(|&i| i < self.buf.len()) {
            self.buf.remove(i);
        }
    }

    pub(super) fn peek(&mut self) -> char {
        let r = self.read();
        self.unread();
        r
    }

    pub(super) fn token(&self) -> &[u8] {
        self.buf.get(self.start..self.pos).unwrap_or_default()
    }

    pub(super) fn scan(&mut self) -> Token {
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

pub(super) fn accept_rune(_: char, _: usize) -> bool {
    true
}

/// Go's `unicode.IsLetter || unicode.IsDigit || '_'`; exact for ASCII, close
/// (Rust's `Alphabetic`/`Numeric` properties) beyond it.
pub(super) fn accept_ident(r: char, _: usize) -> bool {
    r.is_alphanumeric() || r == '_'
}

pub(super) fn accept_colon(r: char, _: usize) -> bool {
    r == ':'
}

pub(super) fn accept_one_hash(r: char, i: usize) -> bool {
    r == '#' && i == 1
}

pub(super) fn accept_not_closing(r: char, _: usize) -> bool {
    r != '}'
}

pub(super) fn accept_hash_func(r: char, i: usize) -> bool {
    r == '#' && i < 3
}

pub(super) fn accept_percent_func(r: char, i: usize) -> bool {
    r == '%' && i < 3
}

pub(super) fn accept_default_func(r: char, i: usize) -> bool {
    (i == 1 && r == ':') || (i == 2 && matches!(r, '=' | '-' | '?' | '+'))
}

pub(super) fn accept_replace_func(r: char, i: usize) -> bool {
    (i == 1 && r == '/') || (i == 2 && matches!(r, '/' | '#' | '%'))
}

pub(super) fn accept_one_equal(r: char, i: usize) -> bool {
    i == 1 && r == '='
}

pub(super) fn accept_one_colon(r: char, i: usize) -> bool {
    i == 1 && r == ':'
}

pub(super) fn reject_colon_close(r: char, _: usize) -> bool {
    r != ':' && r != '}'
}

pub(super) fn accept_slash(r: char, _: usize) -> bool {
    r == '/'
}

pub(super) fn accept_not_slash(r: char, _: usize) -> bool {
    r != '/'
}

pub(super) fn accept_casing_func(r: char, i: usize) -> bool {
    matches!(r, ',' | '^') && i < 3
}

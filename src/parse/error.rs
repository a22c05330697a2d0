//! The mistakes in the shape of a spec that parsing reports, each with its stable code.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A mistake in the shape of the spec.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error("{message}")]
    #[diagnostic(code("fluxspec::kdl-syntax"))]
    Syntax {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },
    #[error("unknown node `{name}` in `{parent}`")]
    #[diagnostic(code("fluxspec::unknown-node"))]
    UnknownNode {
        name: String,
        parent: String,
        #[label("unknown node")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("`defaults` has no knob `{name}` (in `{parent}`)")]
    #[diagnostic(code("fluxspec::unknown-default"))]
    UnknownDefault {
        name: String,
        parent: String,
        #[label("not a knob")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    #[error("unknown property `{name}` on `{node}`")]
    #[diagnostic(code("fluxspec::unknown-property"))]
    UnknownProperty {
        name: String,
        node: String,
        #[label("unknown property")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("property `{name}` is given twice")]
    #[diagnostic(code("fluxspec::duplicate-property"))]
    DuplicateProperty {
        name: String,
        #[label("second `{name}`")]
        span: SourceSpan,
    },
    #[error("too many arguments to `{node}`")]
    #[diagnostic(code("fluxspec::unexpected-argument"), help("remove this argument"))]
    UnexpectedArgument {
        node: String,
        #[label("unexpected argument")]
        span: SourceSpan,
    },
    #[error("`{node}` takes no children block")]
    #[diagnostic(
        code("fluxspec::unexpected-children"),
        help("remove the `{{ ... }}` block")
    )]
    UnexpectedChildren {
        node: String,
        #[label("unexpected block")]
        span: SourceSpan,
    },
    #[error("`{node}` needs {what}")]
    #[diagnostic(code("fluxspec::missing-argument"))]
    MissingArgument {
        node: String,
        what: &'static str,
        #[label("missing {what}")]
        span: SourceSpan,
    },
    #[error("`{node}` needs the property `{name}`")]
    #[diagnostic(code("fluxspec::missing-property"))]
    MissingProperty {
        node: String,
        name: &'static str,
        #[label("add `{name}=...`")]
        span: SourceSpan,
    },
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code("fluxspec::wrong-type"))]
    WrongType {
        expected: &'static str,
        found: &'static str,
        #[label("expected {expected}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    #[error("blocks nest deeper than {max} levels")]
    #[diagnostic(
        code("fluxspec::too-deep"),
        help("a spec nests at most four levels (`app {{ cluster {{ ... }} }}`): close the blocks")
    )]
    TooDeep {
        max: usize,
        #[label("one level too deep")]
        span: SourceSpan,
    },
    #[error("this node is {len} bytes long; the limit is {max}")]
    #[diagnostic(
        code("fluxspec::node-too-long"),
        help("move long inline text (an `inline-patch`) into a file and reference it")
    )]
    NodeTooLong {
        len: usize,
        max: usize,
        #[label("this node")]
        span: SourceSpan,
    },
    #[error("`{name}` is a child node of `{node}`, not a property")]
    #[diagnostic(code("fluxspec::property-for-child"))]
    PropertyForChild {
        name: String,
        node: String,
        #[label("a property")]
        span: SourceSpan,
        #[help]
        help: String,
    },
    /// No label: the snippet would print the line, and the character, raw.
    #[error("line {line}, column {column}: the spec holds `{shown}`, a character KDL forbids")]
    #[diagnostic(
        code("fluxspec::forbidden-character"),
        help(
            "control and bidirectional characters can make a line read differently from what it holds: delete it (in a string that really needs it, write the escape `{shown}`)"
        )
    )]
    ForbiddenCharacter {
        line: usize,
        column: usize,
        /// The character as an escape, `\u{202e}`.
        shown: String,
    },
    #[error("`{name}` is given twice")]
    #[diagnostic(code("fluxspec::duplicate-node"), help("keep one of them"))]
    DuplicateNode {
        name: String,
        #[label("second `{name}`")]
        span: SourceSpan,
        #[label("first given here")]
        first: SourceSpan,
    },
}

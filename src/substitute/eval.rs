//! Evaluating a parsed text, ported from `fluxcd/pkg` `envsubst/eval.go` (`Eval`, the entry
//! point) and `envsubst/template.go` (`Template.Execute`, `isDefaultOp`): each `${…}` is looked up
//! after its arguments are evaluated, then its function applied. Also lists a text's references,
//! which resolve uses to check that every variable is defined.

use super::SubstituteError;
use super::functions::apply_func;
use super::parse::{Node, Parser};

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

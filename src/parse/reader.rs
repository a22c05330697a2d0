//! Typed access to one KDL node: its arguments, properties and children, with an error for every
//! entry that does not fit the node's shape. Errors are collected, never returned early, so one run
//! reports every mistake.

use std::borrow::Cow;

use kdl::{KdlEntry, KdlIdentifier, KdlNode, KdlValue};
use miette::SourceSpan;

use super::Error;
use super::syntax::Spanned;
use crate::suggest::{did_you_mean, shown};
use crate::text::comma_list;

/// Which properties a node accepts.
pub(super) enum Props<'a> {
    Only(&'a [&'a str]),
    /// Any name: the properties are data, as in `component "db" DB_NAME="x"`.
    Any,
}

#[derive(Default)]
pub(super) struct Reader {
    pub(super) errors: Vec<Error>,
    /// Where the text `kdl` parsed starts in the spec: `kdl` sees one chunk at a time (see
    /// `split`), and every span it reports is shifted by this much.
    pub(super) offset: usize,
}

pub(super) fn name(node: &KdlNode) -> &str {
    node.name().value()
}

fn args(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|entry| entry.name().is_none())
}

/// A value as KDL text, strings always quoted (`"web"`, where `kdl` would write `web`).
fn literal(value: &KdlValue) -> String {
    match value {
        // Rust's escapes of printable text are KDL v2's.
        KdlValue::String(text) => format!("{text:?}"),
        other => other.to_string(),
    }
}

fn type_name(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

impl Reader {
    /// A span of the chunk being read, as a span of the whole spec.
    pub(super) fn at(&self, span: SourceSpan) -> SourceSpan {
        SourceSpan::new((span.offset() + self.offset).into(), span.len())
    }

    /// The span to underline for the node as a whole: its name, which is short and always
    /// present.
    pub(super) fn name_span(&self, node: &KdlNode) -> SourceSpan {
        self.at(node.name().span())
    }

    /// A property named like one of the node's child nodes (`app "web" namespace="web"`,
    /// `image "nginx" version="1.27"`) is a usual mistake of people new to KDL: it is reported
    /// with the rewrite and then read as that child node, so what would follow from its absence
    /// (a version missing, an app on every cluster) is not reported too. Returns the node with
    /// such properties moved into its block.
    pub(super) fn props_as_children<'a>(
        &mut self,
        node: &'a KdlNode,
        props: &[&str],
        children: &[&str],
    ) -> Cow<'a, KdlNode> {
        let misplaced = |entry: &KdlEntry| {
            entry
                .name()
                .is_some_and(|key| !props.contains(&key.value()) && children.contains(&key.value()))
        };
        if !node.entries().iter().any(misplaced) {
            return Cow::Borrowed(node);
        }
        let mut fixed = node.clone();
        let mut lifted = Vec::new();
        fixed.entries_mut().retain(|entry| {
            if misplaced(entry) {
                lifted.push(entry.clone());
                false
            } else {
                true
            }
        });
        let head: Vec<String> = std::iter::once(name(node).to_owned())
            .chain(args(node).map(|entry| literal(entry.value())))
            .collect();
        let head = head.join(" ");
        for (index, entry) in lifted.into_iter().enumerate() {
            let Some(key) = entry.name() else { continue };
            let child_name = key.value().to_owned();
            let rewrite = format!("{child_name} {}", literal(entry.value()));
            self.errors.push(Error::PropertyForChild {
                name: child_name.clone(),
                node: name(node).to_owned(),
                help: format!(
                    "`{child_name}` is a child node: write it inside the block, `{head} {{ {rewrite} }}`"
                ),
                span: self.at(entry.span()),
            });
            let mut identifier = KdlIdentifier::from(child_name);
            identifier.set_span(key.span());
            let mut child = KdlNode::new(identifier);
            let mut argument = KdlEntry::new(entry.value().clone());
            argument.set_span(entry.span());
            child.push(argument);
            child.set_span(entry.span());
            fixed.ensure_children().nodes_mut().insert(index, child);
        }
        Cow::Owned(fixed)
    }

    /// Checks the node's entries against its shape: how many arguments, which properties, whether
    /// it may have children. Every surplus or unknown entry is an error.
    pub(super) fn shape(
        &mut self,
        node: &KdlNode,
        max_args: Option<usize>,
        props: &Props<'_>,
        children: bool,
    ) {
        let node_name = name(node);
        if let Some(max) = max_args {
            for entry in args(node).skip(max) {
                self.errors.push(Error::UnexpectedArgument {
                    node: node_name.to_owned(),
                    span: self.at(entry.span()),
                });
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for entry in node.entries() {
            let Some(prop) = entry.name() else { continue };
            let prop = prop.value();
            if let Props::Only(allowed) = props
                && !allowed.contains(&prop)
            {
                self.errors.push(Error::UnknownProperty {
                    name: shown(prop),
                    node: node_name.to_owned(),
                    span: self.at(entry.span()),
                    help: did_you_mean(prop, allowed.iter().copied()).or_else(|| {
                        Some(if allowed.is_empty() {
                            format!("`{node_name}` takes no properties")
                        } else {
                            format!("`{node_name}` accepts {}", comma_list(allowed))
                        })
                    }),
                });
            }
            if seen.contains(&prop) {
                self.errors.push(Error::DuplicateProperty {
                    name: shown(prop),
                    span: self.at(entry.span()),
                });
            }
            seen.push(prop);
        }
        if !children && let Some(block) = node.children() {
            self.errors.push(Error::UnexpectedChildren {
                node: node_name.to_owned(),
                span: self.at(block.span()),
            });
        }
    }

    /// The entry's value as a string; any other type is an error.
    fn string(&mut self, entry: &KdlEntry) -> Spanned<String> {
        match entry.value() {
            KdlValue::String(text) => Spanned {
                value: text.clone(),
                span: self.at(entry.span()),
            },
            other => {
                let help = match other {
                    KdlValue::Integer(_) | KdlValue::Float(_) => Some(
                        "quote it: a number such as `1.10` would lose its trailing zero".to_owned(),
                    ),
                    _ => None,
                };
                self.errors.push(Error::WrongType {
                    expected: "a string",
                    found: type_name(other),
                    span: self.at(entry.span()),
                    help,
                });
                // The spec is invalid now, but its meaning is still checked: keeping the value,
                // as KDL prints it, spares a second, misleading error (a version or a variable
                // reported missing) about the same mistake.
                Spanned {
                    value: other.to_string(),
                    span: self.at(entry.span()),
                }
            }
        }
    }

    /// The `index`th argument as a string; an error names `what` when it is missing.
    pub(super) fn required_arg(
        &mut self,
        node: &KdlNode,
        index: usize,
        what: &'static str,
    ) -> Option<Spanned<String>> {
        if let Some(entry) = args(node).nth(index) {
            Some(self.string(entry))
        } else {
            self.errors.push(Error::MissingArgument {
                node: name(node).to_owned(),
                what,
                span: self.at(node.name().span()),
            });
            None
        }
    }

    /// All arguments as strings, perhaps none.
    pub(super) fn strings(&mut self, node: &KdlNode) -> Vec<Spanned<String>> {
        args(node).map(|entry| self.string(entry)).collect()
    }

    /// All arguments as strings, at least one.
    pub(super) fn string_args(
        &mut self,
        node: &KdlNode,
        what: &'static str,
    ) -> Vec<Spanned<String>> {
        let values = self.strings(node);
        if args(node).next().is_none() {
            self.errors.push(Error::MissingArgument {
                node: name(node).to_owned(),
                what,
                span: self.at(node.name().span()),
            });
        }
        values
    }

    pub(super) fn bool_arg(&mut self, node: &KdlNode) -> Option<Spanned<bool>> {
        self.typed_arg(node, "#true or #false", |value| match value {
            KdlValue::Bool(value) => Some(*value),
            _ => None,
        })
    }

    /// The first argument as an integer.
    pub(super) fn int_arg(&mut self, node: &KdlNode) -> Option<Spanned<i128>> {
        self.typed_arg(node, "an integer", |value| match value {
            KdlValue::Integer(value) => Some(*value),
            _ => None,
        })
    }

    /// The first argument, if `read` takes its value as `what`; else a located error.
    fn typed_arg<T>(
        &mut self,
        node: &KdlNode,
        what: &'static str,
        read: impl Fn(&KdlValue) -> Option<T>,
    ) -> Option<Spanned<T>> {
        let Some(entry) = args(node).next() else {
            self.errors.push(Error::MissingArgument {
                node: name(node).to_owned(),
                what,
                span: self.at(node.name().span()),
            });
            return None;
        };
        if let Some(value) = read(entry.value()) {
            Some(Spanned {
                value,
                span: self.at(entry.span()),
            })
        } else {
            self.errors.push(Error::WrongType {
                expected: what,
                found: type_name(entry.value()),
                span: self.at(entry.span()),
                help: None,
            });
            None
        }
    }

    /// A property that must be `#true` or `#false`.
    pub(super) fn bool_prop(&mut self, node: &KdlNode, key: &str) -> Option<Spanned<bool>> {
        let entry = node
            .entries()
            .iter()
            .find(|entry| entry.name().is_some_and(|name| name.value() == key))?;
        if let KdlValue::Bool(value) = entry.value() {
            Some(Spanned {
                value: *value,
                span: self.at(entry.span()),
            })
        } else {
            self.errors.push(Error::WrongType {
                expected: "#true or #false",
                found: type_name(entry.value()),
                span: self.at(entry.span()),
                help: None,
            });
            None
        }
    }

    pub(super) fn prop(&mut self, node: &KdlNode, key: &str) -> Option<Spanned<String>> {
        let entry = node
            .entries()
            .iter()
            .find(|entry| entry.name().is_some_and(|name| name.value() == key))?;
        Some(self.string(entry))
    }

    pub(super) fn required_prop(
        &mut self,
        node: &KdlNode,
        key: &'static str,
    ) -> Option<Spanned<String>> {
        let value = self.prop(node, key);
        let present = node
            .entries()
            .iter()
            .any(|entry| entry.name().is_some_and(|name| name.value() == key));
        if !present {
            self.errors.push(Error::MissingProperty {
                node: name(node).to_owned(),
                name: key,
                span: self.at(node.name().span()),
            });
        }
        value
    }

    /// Every property as a `name=value` pair, for nodes whose properties are data.
    pub(super) fn props_as_vars(&mut self, node: &KdlNode) -> Vec<super::syntax::Var> {
        node.entries()
            .iter()
            .filter_map(|entry| {
                let key = entry.name()?;
                let value = self.string(entry);
                Some(super::syntax::Var {
                    name: Spanned {
                        value: key.value().to_owned(),
                        span: self.at(key.span()),
                    },
                    value,
                })
            })
            .collect()
    }

    /// Reports `node` as a second node of its name in a block whose first is at `first`.
    pub(super) fn duplicate_node(&mut self, node: &KdlNode, first: SourceSpan) {
        self.errors.push(Error::DuplicateNode {
            name: name(node).to_owned(),
            span: self.name_span(node),
            first,
        });
    }

    /// Stores a single-valued child, reporting a second occurrence.
    pub(super) fn once<T>(
        &mut self,
        slot: &mut Option<Spanned<T>>,
        value: Option<Spanned<T>>,
        node: &KdlNode,
    ) {
        let Some(value) = value else { return };
        if let Some(first) = slot {
            self.errors.push(Error::DuplicateNode {
                name: name(node).to_owned(),
                span: self.at(node.span()),
                first: first.span,
            });
        } else {
            *slot = Some(value);
        }
    }

    pub(super) fn unknown_node(&mut self, node: &KdlNode, parent: &str, allowed: &[&str]) {
        let node_name = name(node);
        self.errors.push(Error::UnknownNode {
            name: shown(node_name),
            parent: parent.to_owned(),
            span: self.at(node.name().span()),
            help: did_you_mean(node_name, allowed.iter().copied())
                .or_else(|| Some(format!("`{parent}` accepts {}", comma_list(allowed)))),
        });
    }
}

/// The children of a node; none when it has no block.
pub(super) fn children(node: &KdlNode) -> &[KdlNode] {
    node.children().map_or(&[], |block| block.nodes())
}

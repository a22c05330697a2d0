//! `fluxspec fmt`: the spec in canonical layout, with every comment kept.
//!
//! Canonical means: four spaces per level, one node per line, the children of each block in the
//! order of [`order`] (stable, so apps, clusters and version lines keep their relative order),
//! single spaces between the entries of a one-line node, and the lines Renovate's patterns read
//! in their one form: `version "X" cluster="c"`, `helm "URL" chart="c"`, `image "name"`. Comments
//! stay with the node they precede or trail; multi-line strings and `\` continuations keep their
//! lines.
//!
//! The formatter never re-serialises the `kdl` crate's document (that loses comments after a
//! closing brace): it moves slices of the source text ([`blocks`]) and writes them out
//! ([`emit`]). Before anything is written, [`verify`] checks the result by independent means:
//! the same comments, the same KDL document up to node order, the same compiled output, and a
//! second pass that changes nothing. If any check fails the spec is left alone.

mod blocks;
mod emit;
mod lex;
mod order;
mod verify;

use kdl::KdlDocument;
use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::compile::{CompileError, ReadError, SpecErrors, SpecSource};
use crate::tree::FileTree;
pub(crate) use lex::{must_escape, quote};

/// Why a spec could not be formatted.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum Error {
    #[error("cannot format {reason}")]
    #[diagnostic(
        code("fluxspec::fmt-unsupported"),
        help(
            "write it as `version \"X\" cluster=\"c\"`, `helm \"URL\" chart=\"c\"` or `image \"name\"`, with no `/-` or type annotation inside"
        )
    )]
    Unformattable {
        reason: String,
        #[label("this line")]
        span: SourceSpan,
    },
    #[error("refusing to write the formatted spec: {reason}")]
    #[diagnostic(
        code("fluxspec::fmt-unsafe"),
        help(
            "this is a bug in `fluxspec fmt`; the spec was left as it was. Please report it with the spec"
        )
    )]
    Unsafe { reason: String },
}

/// Everything `fluxspec fmt` can fail with.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum FmtError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadError),
    /// The spec does not compile: fmt only formats a spec it can check it kept intact.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] SpecErrors),
    #[error("{error}")]
    #[diagnostic(forward(error))]
    Format {
        error: Error,
        #[source_code]
        source_code: NamedSource<String>,
    },
}

/// The canonical text of KDL `source`, checked to hold the same comments and nodes.
pub(crate) fn format(source: &str) -> Result<String, Error> {
    let formatted = format_once(source)?;
    if formatted != source {
        verify::same_comments(source, &formatted).map_err(|reason| Error::Unsafe { reason })?;
        let before = parse(source)?;
        let after = KdlDocument::parse(&formatted).map_err(|_| Error::Unsafe {
            reason: "the result would not be valid KDL".to_owned(),
        })?;
        if !verify::same_document(&before, &after) {
            return Err(Error::Unsafe {
                reason: "it would change a node or a value".to_owned(),
            });
        }
        if format_once(&formatted)? != formatted {
            return Err(Error::Unsafe {
                reason: "formatting the result again would change it".to_owned(),
            });
        }
    }
    Ok(formatted)
}

fn parse(source: &str) -> Result<KdlDocument, Error> {
    // The callers have compiled the spec, so it parses; this is a guard, not a diagnostic.
    KdlDocument::parse(source).map_err(|error| Error::Unsafe {
        reason: format!("the spec is not valid KDL ({error})"),
    })
}

fn format_once(source: &str) -> Result<String, Error> {
    let document = parse(source)?;
    let text = blocks::Source::new(source);
    let block = text.block(document.nodes(), 0..source.len(), order::Context::Top)?;
    Ok(emit::emit(&block))
}

/// What `text` compiles to, as the text of `source`.
fn compile_text(source: &SpecSource, text: String) -> Result<FileTree, FmtError> {
    match source.load_text(text) {
        Ok(loaded) => Ok(source.render(&loaded)),
        Err(CompileError::Read(error)) => Err(error.into()),
        Err(CompileError::Spec(errors)) => Err(errors.into()),
    }
}

/// Writes the formatted spec over the original, atomically ([`crate::sync::spec_file`]).
pub(crate) fn write_spec(
    source: &SpecSource,
    formatted: &str,
) -> Result<(), crate::sync::SyncError> {
    crate::sync::spec_file::write(&source.path, formatted)
}

/// The spec's text and its canonical text. The spec must compile, and compile to the same
/// output once formatted.
pub(crate) fn format_spec(source: &SpecSource) -> Result<(String, String), FmtError> {
    let original = source.read()?;
    let formatted = format_text(source, &original)?;
    Ok((original, formatted))
}

/// The canonical text of `original`, the spec `source` names as an editor holds it (not
/// necessarily what is on disk), with the same checks as [`format_spec`].
pub(crate) fn format_text(source: &SpecSource, original: &str) -> Result<String, FmtError> {
    let original = original.to_owned();
    let tree = compile_text(source, original.clone())?;
    let formatted = format(&original).map_err(|error| FmtError::Format {
        error,
        source_code: NamedSource::new(source.shown_as.clone(), original.clone()),
    })?;
    if formatted != original {
        let unsafe_error = |reason: &str| FmtError::Format {
            error: Error::Unsafe {
                reason: reason.to_owned(),
            },
            source_code: NamedSource::new(source.shown_as.clone(), original.clone()),
        };
        match compile_text(source, formatted.clone()) {
            Ok(formatted_tree) if formatted_tree == tree => {}
            Ok(_) => return Err(unsafe_error("it would change the compiled output")),
            Err(_) => return Err(unsafe_error("the result would not compile")),
        }
    }
    Ok(formatted)
}

#[cfg(test)]
mod tests {
    use super::format;

    #[track_caller]
    fn formats(source: &str, expected: &str) {
        let formatted = format(source).unwrap_or_else(|error| panic!("{error:?}"));
        assert_eq!(formatted, expected, "\n{formatted}");
        assert_eq!(
            format(expected).expect("formats"),
            expected,
            "not idempotent"
        );
    }

    #[test]
    fn version_lines_take_the_canonical_form() {
        formats(
            "app \"a\" {\n  image \"i\" {\n    version cluster=\"dev\" #\"1.2\"#\n    version v1.3\n  }\n}\n",
            "app \"a\" {\n    image \"i\" {\n        version \"1.2\" cluster=\"dev\"\n        version \"v1.3\"\n    }\n}\n",
        );
    }

    #[test]
    fn comments_inside_a_version_line_move_above_it() {
        formats(
            "app \"a\" {\n    image \"i\" {\n        version /* pinned */ \"1\" \\ // why\n            cluster=\"dev\"\n    }\n}\n",
            "app \"a\" {\n    image \"i\" {\n        /* pinned */\n        // why\n        version \"1\" cluster=\"dev\"\n    }\n}\n",
        );
    }

    #[test]
    fn chart_and_image_lines_take_the_canonical_form_too() {
        formats(
            "app \"a\" {\n    helm chart=ingress #\"https://x\"# {\n        version \"1\"\n    }\n    image /* i */ nginx {\n        version \"2\"\n    }\n}\n",
            "app \"a\" {\n    helm \"https://x\" chart=\"ingress\" {\n        version \"1\"\n    }\n    /* i */\n    image \"nginx\" {\n        version \"2\"\n    }\n}\n",
        );
    }

    #[test]
    fn a_slashdash_in_a_version_line_is_refused() {
        assert!(format("app \"a\" {\n    image \"i\" {\n        version \"1\" /-cluster=\"dev\"\n    }\n}\n").is_err());
    }

    #[test]
    fn nodes_move_into_canonical_order_with_their_comments() {
        formats(
            "// file header\n\n// the app\napp \"a\" {\n    label \"k\" \"v\" // trails label\n    // above layer\n    layer \"apps\"\n} // after app\ncluster \"c\" {}\n",
            "// file header\n\ncluster \"c\" {}\n\n// the app\napp \"a\" {\n    // above layer\n    layer \"apps\"\n    label \"k\" \"v\" // trails label\n} // after app\n",
        );
    }

    #[test]
    fn a_comment_after_a_closing_brace_survives() {
        formats(
            "a {\n    b { c 1 }   // note\n}\n",
            "a {\n    b {\n        c 1\n    }   // note\n}\n",
        );
    }

    #[test]
    fn layout_is_normalised() {
        formats(
            "\n\na   1    x = \"y\";b 2\n\n\n\nc {\n\n  d 3\n\n}\n\n",
            "a 1 x=\"y\"\nb 2\n\nc {\n    d 3\n}\n",
        );
    }

    #[test]
    fn multi_line_strings_and_continuations_move_as_a_whole() {
        formats(
            "a {\n  p \"\"\"\n    x: 1\n    \"\"\" k=\"v\"\n  q 1 \\\n    2\n}\n",
            "a {\n    p \"\"\"\n      x: 1\n      \"\"\" k=\"v\"\n    q 1 \\\n      2\n}\n",
        );
    }

    #[test]
    fn crlf_becomes_lf() {
        formats("a 1\r\nb {\r\n    c 2\r\n}\r\n", "a 1\nb {\n    c 2\n}\n");
    }

    #[test]
    fn empty_and_comment_only_specs() {
        formats("", "");
        formats("\n\n// only\n\n\n/* this */\n\n", "// only\n\n/* this */\n");
    }

    /// Each block's nodes in reverse canonical order (nodes of one name keep their order).
    fn scrambled(source: &str) -> String {
        fn reverse(block: &mut super::blocks::Block) {
            block.nodes.sort_by_key(|node| std::cmp::Reverse(node.rank));
            for node in &mut block.nodes {
                if let Some(children) = &mut node.children {
                    reverse(children);
                }
            }
        }
        let document: kdl::KdlDocument = source.parse().expect("spec parses");
        let mut block = super::blocks::Source::new(source)
            .block(
                document.nodes(),
                0..source.len(),
                super::order::Context::Top,
            )
            .expect("blocks");
        reverse(&mut block);
        super::emit::emit(&block)
    }

    /// The order nodes are written in does not matter: a spec with every block reversed formats
    /// to the same text, comments and all.
    #[test]
    fn formatting_does_not_depend_on_node_order() {
        for (name, spec) in [
            ("example", include_str!("../../spec/homelab.kdl")),
            ("awkward", include_str!("../../tests/fmt_cases/awkward.kdl")),
            ("starter", include_str!("../init/starter/homelab.kdl")),
        ] {
            let canonical = format(spec).expect("formats");
            let scrambled = scrambled(spec);
            assert_ne!(scrambled, canonical, "{name}: scrambling changed nothing");
            assert_eq!(format(&scrambled).expect("formats"), canonical, "{name}");
        }
    }

    #[test]
    fn slashdashed_nodes_and_block_comments_stay() {
        formats(
            "a {\n    /-b 1 { c 2 }\n    /* x */ d 3 /* y */\n    /-e 4\n}\n",
            "a {\n    /-b 1 { c 2 }\n    /* x */ d 3 /* y */\n    /-e 4\n}\n",
        );
    }
}

//! Checks that formatting lost nothing, by means independent of how the formatter works: the
//! same comments (each compared line by line without its indentation) and slashdashes, and the
//! same KDL document up to the order of differently named nodes within a block.

use std::collections::BTreeMap;

use kdl::{KdlDocument, KdlNode};

use super::lex::{self, Kind};

/// Every comment's text (each line trimmed, as indentation may change), sorted, and the number
/// of slashdashes.
fn comments(source: &str) -> (Vec<String>, usize) {
    let tokens = lex::tokenize(source);
    let mut texts: Vec<String> = tokens
        .iter()
        .filter(|token| token.is_comment())
        .map(|token| {
            token
                .text(source)
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    texts.sort();
    let slashdashes = tokens
        .iter()
        .filter(|token| token.kind == Kind::Slashdash)
        .count();
    (texts, slashdashes)
}

/// What `formatted` lost or gained in comments, if anything.
pub(super) fn same_comments(original: &str, formatted: &str) -> Result<(), String> {
    let (before, before_slashdashes) = comments(original);
    let (after, after_slashdashes) = comments(formatted);
    if before_slashdashes != after_slashdashes {
        return Err(format!(
            "it would turn {before_slashdashes} slashdash(es) into {after_slashdashes}"
        ));
    }
    if before != after {
        let lost: Vec<&String> = before.iter().filter(|c| !after.contains(c)).collect();
        let gained: Vec<&String> = after.iter().filter(|c| !before.contains(c)).collect();
        return Err(format!(
            "it would change the comments (lost {lost:?}, gained {gained:?}, {} before, {} after)",
            before.len(),
            after.len()
        ));
    }
    Ok(())
}

/// Whether two documents hold the same nodes: per block, the nodes of each name in the same
/// order with the same entries and children (nodes of different names may have moved).
pub(super) fn same_document(a: &KdlDocument, b: &KdlDocument) -> bool {
    fn by_name(document: &KdlDocument) -> BTreeMap<&str, Vec<&KdlNode>> {
        let mut map: BTreeMap<&str, Vec<&KdlNode>> = BTreeMap::new();
        for node in document.nodes() {
            map.entry(node.name().value()).or_default().push(node);
        }
        map
    }
    fn same_node(a: &KdlNode, b: &KdlNode) -> bool {
        // Arguments in order; properties by name, as their order carries no meaning in KDL.
        let entries = |node: &KdlNode| {
            let mut entries: Vec<_> = node
                .entries()
                .iter()
                .map(|entry| {
                    (
                        entry.name().map(|name| name.value().to_owned()),
                        entry.ty().map(|ty| ty.value().to_owned()),
                        entry.value().clone(),
                    )
                })
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries
        };
        a.ty().map(kdl::KdlIdentifier::value) == b.ty().map(kdl::KdlIdentifier::value)
            && entries(a) == entries(b)
            && match (a.children(), b.children()) {
                (None, None) => true,
                (Some(a), Some(b)) => same_document(a, b),
                _ => false,
            }
    }
    let (a, b) = (by_name(a), by_name(b));
    a.len() == b.len()
        && a.iter().all(|(name, nodes)| {
            b.get(name).is_some_and(|others| {
                nodes.len() == others.len()
                    && nodes.iter().zip(others).all(|(a, b)| same_node(a, b))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> KdlDocument {
        KdlDocument::parse(text).expect("test KDL parses")
    }

    #[test]
    fn moving_differently_named_nodes_keeps_the_document() {
        assert!(same_document(
            &parse("a 1\nb { c 2; d 3 }\n"),
            &parse("b {\n    d 3\n    c 2\n}\na 1\n")
        ));
    }

    #[test]
    fn reordering_nodes_of_one_name_or_changing_a_value_does_not() {
        assert!(!same_document(&parse("a 1\na 2\n"), &parse("a 2\na 1\n")));
        assert!(!same_document(
            &parse("a \"1.0\"\n"),
            &parse("a \"1.00\"\n")
        ));
        assert!(!same_document(
            &parse("a { b 1 }\n"),
            &parse("a { b 1; b 1 }\n")
        ));
        assert!(!same_document(&parse("a {}\n"), &parse("a\n")));
        assert!(!same_document(&parse("a 1 2\n"), &parse("a 2 1\n")));
        assert!(same_document(&parse("a x=1 2\n"), &parse("a 2 x=1\n")));
    }

    #[test]
    fn a_lost_or_changed_comment_is_found() {
        assert!(
            same_comments(
                "a 1 // x\n/* y\n  z */ b\n",
                "/* y\n      z */ b\na 1 // x\n"
            )
            .is_ok()
        );
        assert!(same_comments("a 1 // x\n", "a 1\n").is_err());
        assert!(same_comments("a 1 // x\n", "a 1 // y\n").is_err());
        assert!(same_comments("/-a 1\n", "a 1\n").is_err());
    }
}

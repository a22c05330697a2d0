//! The README's and docs' claims about diagnostics: every code they mention exists.

mod common;

use std::collections::BTreeSet;
use std::fs;

/// The codes the source declares: `code("fluxspec::...")`.
fn source_codes() -> BTreeSet<String> {
    let files = common::files_under(&common::repo_root().join("src"), |path| {
        path.extension().is_some_and(|extension| extension == "rs")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    files
        .iter()
        .flat_map(|file| {
            let text = fs::read_to_string(file).expect("read source");
            text.match_indices("code(\"fluxspec::")
                .map(|(at, prefix)| {
                    let rest = &text[at + prefix.len()..];
                    rest[..rest.find('"').expect("a closing quote")].to_owned()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

// Issue 13: the README's error example showed `fluxspec::unknown-reference`, a code that does
// not exist.
#[test]
fn every_code_the_readme_and_docs_mention_exists() {
    let root = common::repo_root();
    let documented = common::diagnostic_codes(
        &fs::read_to_string(root.join("docs/errors.md")).expect("errors.md"),
    );
    let declared = source_codes();
    assert!(declared.len() > 40, "{declared:?}");
    let mut pages = vec![root.join("README.md")];
    pages.extend(
        common::files_under(&root.join("docs"), |path| {
            path.extension().is_some_and(|extension| extension == "md")
        })
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let mut failures = Vec::new();
    for page in pages {
        let text = fs::read_to_string(&page).expect("read page");
        for code in common::diagnostic_codes(&text) {
            if !documented.contains(&code) || !declared.contains(&code) {
                failures.push(format!(
                    "{}: `fluxspec::{code}` is {}",
                    common::show(&page),
                    if declared.contains(&code) {
                        "not in docs/errors.md"
                    } else {
                        "no code the source declares"
                    }
                ));
            }
        }
    }
    common::assert_no_failures("unknown diagnostic code", &failures);
}

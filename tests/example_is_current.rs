//! `generated/` is committed; it must be what `fluxspec compile` makes of `spec/homelab.kdl`.
//! This runs `fluxspec check` on them, so the test command (and so CI) fails when someone edits
//! the spec, the templates or `generated/` without compiling, and prints the diff that is missing.

mod common;

#[test]
fn generated_matches_the_example_spec() {
    let check = common::run(
        common::repo_root(),
        &[
            "--color",
            "never",
            "check",
            "--spec",
            "spec/homelab.kdl",
            "--out",
            "generated",
        ],
    );
    assert_eq!(
        check.code,
        Some(0),
        "generated/ is stale: run `cargo run -- compile` and commit the result.\n\
         --- what compile would change\n{}\n--- stderr\n{}",
        check.stdout,
        check.stderr
    );
}

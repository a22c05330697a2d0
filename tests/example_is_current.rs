//! `generated/` is committed; it must be what `fluxspec compile` makes of `spec/homelab.kdl`.
//! This runs `fluxspec check` on them, so the test command (and so CI) fails when someone edits
//! the spec, the templates or `generated/` without compiling, and prints the diff that is missing.

use std::path::Path;
use std::process::Command;

#[test]
fn generated_matches_the_example_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_fluxspec"))
        .current_dir(root)
        .args(["--color", "never", "check"])
        .args(["--spec", "spec/homelab.kdl", "--out", "generated"])
        .output()
        .expect("cannot run fluxspec");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "generated/ is stale ({}): run `cargo run -- compile` and commit the result.\n\
         --- what compile would change\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}

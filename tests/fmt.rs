//! `fluxspec fmt` through the binary: the example stays formatted; a spec full of awkward
//! comments and layouts formats to its reviewed canonical text with every comment kept, the
//! compiled output unchanged, and every version where Renovate's patterns find it; formatting is
//! idempotent; `--check` exit codes; the file's mode is kept.

mod common;

use common::run;
use std::fs;

/// A spec directory in a temp dir: the starter's files, with `spec` as its homelab.kdl.
fn spec_dir(spec: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    common::copy_tree(
        &common::repo_root().join("src/init/starter"),
        &temp.path().join("spec"),
    );
    fs::write(temp.path().join("spec/homelab.kdl"), spec).expect("write spec");
    temp
}

/// Every comment in `spec`, found without a KDL parser: each `//` to the end of its line (a URL
/// such as `oci://` counts too, harmlessly: it must survive as well) and each `/* ... */`,
/// with the indentation of its lines removed.
fn comments(spec: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = spec;
    while let Some(start) = rest.find(['/']) {
        let after = &rest[start..];
        if after.starts_with("//") {
            let end = after.find('\n').unwrap_or(after.len());
            found.push(after[..end].trim_end().to_owned());
            rest = &after[end..];
        } else if after.starts_with("/*") {
            let end = after.find("*/").expect("closed block comment") + 2;
            let lines: Vec<&str> = after[..end].lines().map(str::trim).collect();
            found.push(lines.join("\n"));
            rest = &after[end..];
        } else {
            rest = &after[1..];
        }
    }
    found.sort();
    found
}

#[test]
fn the_example_spec_is_formatted() {
    let output = run(common::repo_root(), &["fmt", "--check"]);
    output.expect_code(0);
    assert_eq!(output.stdout, "");
}

#[test]
fn an_awkward_spec_formats_to_its_reviewed_text_keeping_comments_and_output() {
    let awkward = include_str!("fmt_cases/awkward.kdl");
    let expected = include_str!("fmt_cases/awkward.formatted.kdl");
    let temp = spec_dir(awkward);
    let root = temp.path();
    run(root, &["compile", "--quiet"]).expect_code(0);

    // --check: exit 1, the diff on stdout, the spec untouched.
    let check = run(root, &["fmt", "--check"]);
    check.expect_code(1);
    let diff = check.stdout;
    assert!(
        diff.starts_with("--- a/spec/homelab.kdl\n+++ b/spec/homelab.kdl\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains(
            "\n-  image \"traefik/whoami\" { version v1.11.0 } // after a one-line block\n"
        )
    );
    assert!(diff.contains("\n+        version \"v1.11.0\"\n"));
    assert!(check.stderr.contains("`spec/homelab.kdl` is not formatted"));
    let spec = root.join("spec/homelab.kdl");
    assert_eq!(fs::read_to_string(&spec).expect("spec"), awkward);

    // `fluxspec renovate` checks that Renovate's patterns see every version of the spec: they
    // miss some in the awkward form...
    let renovate = run(root, &["renovate"]);
    renovate.expect_code(2);
    assert!(
        renovate
            .stderr
            .contains("fluxspec::renovate-missed-version")
    );

    let fmt = run(root, &["fmt"]);
    fmt.expect_code(0);
    assert_eq!(fmt.stdout, "formatted spec/homelab.kdl\n");
    let formatted = fs::read_to_string(&spec).expect("spec");
    assert_eq!(formatted, expected);
    assert_eq!(comments(&formatted), comments(awkward));
    assert!(comments(awkward).len() > 15, "{:?}", comments(awkward));

    // The compiled output did not change.
    let check = run(root, &["check"]);
    check.expect_code(0);
    // ...and see them all in the formatted one.
    run(root, &["renovate"]).expect_code(0);

    // Idempotent: a second fmt changes nothing and says nothing.
    let again = run(root, &["fmt"]);
    again.expect_code(0);
    assert_eq!(again.stdout, "");
    assert_eq!(fs::read_to_string(&spec).expect("spec"), expected);
    run(root, &["fmt", "--check"]).expect_code(0);
}

#[test]
fn version_lines_always_come_out_in_the_form_renovate_matches() {
    let spec = include_str!("../src/init/starter/homelab.kdl").replace(
        "version \"6.9.2\" cluster=\"dev\"",
        "version cluster=dev #\"6.9.2\"#",
    );
    let temp = spec_dir(&spec);
    run(temp.path(), &["fmt"]).expect_code(0);
    let formatted = fs::read_to_string(temp.path().join("spec/homelab.kdl")).expect("spec");
    assert!(
        formatted.contains("\n        version \"6.9.2\" cluster=\"dev\"               // dev runs")
    );
    for line in formatted
        .lines()
        .filter(|line| line.trim_start().starts_with("version "))
    {
        let line = line.split(" //").next().unwrap_or(line).trim();
        let ok = line
            .strip_prefix("version \"")
            .and_then(|rest| rest.split_once('"'))
            .is_some_and(|(_, tail)| tail.is_empty() || tail.starts_with(" cluster=\""));
        assert!(ok, "not canonical: {line}");
    }
}

#[test]
fn an_invalid_spec_is_not_formatted() {
    let spec = "cluster \"dev\" {}\napp \"a\" {\n  colour \"blue\"\n}\n";
    let temp = spec_dir(spec);
    for args in [&["fmt", "--check"][..], &["fmt"][..]] {
        let output = run(temp.path(), args);
        output.expect_code(2);
        assert!(output.stderr.contains("fluxspec::unknown-node"));
        assert_eq!(
            fs::read_to_string(temp.path().join("spec/homelab.kdl")).expect("spec"),
            spec
        );
    }
    let missing = run(temp.path(), &["fmt", "--spec", "nope.kdl"]);
    missing.expect_code(2);
    assert!(missing.stderr.contains("cannot read the spec `nope.kdl`"));
}

#[cfg(unix)]
#[test]
fn formatting_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let temp = spec_dir("cluster   \"dev\"   {}\n");
    let spec = temp.path().join("spec/homelab.kdl");
    fs::set_permissions(&spec, fs::Permissions::from_mode(0o640)).expect("chmod");
    run(temp.path(), &["fmt"]).expect_code(0);
    assert_eq!(
        fs::read_to_string(&spec).expect("spec"),
        "cluster \"dev\" {}\n"
    );
    let mode = fs::metadata(&spec).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

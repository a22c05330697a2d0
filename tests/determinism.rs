//! The output is a function of the spec alone: the same bytes on every run, from any working
//! directory and locale, and whatever order the spec declares its clusters, components and apps.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

/// Copies `spec/` into `root/spec` so a test can change it.
fn copy_spec(root: &Path) -> PathBuf {
    common::copy_tree(&common::repo_root().join("spec"), &root.join("spec"));
    root.join("spec/homelab.kdl")
}

/// Compiles `spec` from `cwd` into its default output directory, `root/generated` (where
/// `output-path` puts it), then moves that to `root/<name>` for comparing.
fn compile(cwd: &Path, spec: &Path, root: &Path, name: &str, env: &[(&str, &str)]) {
    common::finish(
        common::fluxspec(cwd)
            .args(["compile", "--quiet", "--spec"])
            .arg(spec)
            .envs(env.iter().copied()),
    )
    .expect_code(0);
    fs::rename(root.join("generated"), root.join(name)).expect("move the output aside");
}

fn assert_same_trees(a: &Path, b: &Path) {
    let (left, right) = (common::tree::read_tree(a), common::tree::read_tree(b));
    assert!(
        left.len() > 100,
        "expected the example's whole tree, got {} files",
        left.len()
    );
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        right.keys().collect::<Vec<_>>(),
        "different file sets"
    );
    for (path, bytes) in &left {
        assert!(right[path] == *bytes, "{path} differs");
    }
}

#[test]
fn compiling_twice_from_anywhere_gives_identical_bytes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let spec = copy_spec(temp.path());
    // Relative paths from the project root...
    compile(
        temp.path(),
        Path::new("spec/homelab.kdl"),
        temp.path(),
        "first",
        &[],
    );
    // ...and absolute ones from elsewhere, in another locale and time zone.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    compile(
        elsewhere.path(),
        &spec,
        temp.path(),
        "second",
        &[
            ("LC_ALL", "tr_TR.UTF-8"),
            ("LANG", "tr_TR.UTF-8"),
            ("TZ", "Pacific/Chatham"),
        ],
    );
    assert_same_trees(&temp.path().join("first"), &temp.path().join("second"));
    // And the committed tree is exactly that output.
    assert_same_trees(&temp.path().join("first"), &common::generated_dir());
}

#[test]
fn declaration_order_does_not_matter() {
    let temp = tempfile::tempdir().expect("temp dir");
    let spec = copy_spec(temp.path());
    compile(temp.path(), &spec, temp.path(), "in-order", &[]);

    let text = fs::read_to_string(&spec).expect("read spec");
    let mut document: kdl::KdlDocument = text.parse().expect("the example parses");
    let before: Vec<String> = document.nodes().iter().map(ToString::to_string).collect();
    document.nodes_mut().reverse();
    let reordered = document.to_string();
    assert_ne!(text, reordered);
    // The example interleaves clusters, components and apps; reversing must really move them.
    let after: Vec<String> = document.nodes().iter().map(ToString::to_string).collect();
    assert_eq!(before.first(), after.last());
    fs::write(&spec, reordered).expect("write reordered spec");
    compile(temp.path(), &spec, temp.path(), "reversed", &[]);

    assert_same_trees(&temp.path().join("in-order"), &temp.path().join("reversed"));
}

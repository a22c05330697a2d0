//! `settings { layout }` through the binary: switching the layout of an existing output tree is
//! one compile that moves every owned file, prunes the old ones (with the directories they
//! leave empty), leaves an unowned file where it is, and after which `check` is clean.

mod common;

use std::fs;
use std::path::Path;

use common::{copy_tree, run, write};

/// The example spec's `settings` block, which the switch extends.
const SETTINGS: &str = "settings {\n";

fn compile(dir: &Path) {
    run(dir, &["compile", "--quiet"]).expect_code(0);
}

#[test]
fn switching_the_layout_moves_owned_files_and_leaves_unowned_ones() {
    let temp = tempfile::tempdir().expect("a temp dir");
    let root = temp.path();
    fs::create_dir(root.join(".git")).expect("a repository root");
    copy_tree(&common::repo_root().join("spec"), &root.join("spec"));
    compile(root);
    let out = root.join("generated");
    let old_app = out.join("app-flux-kustomizations/dev/apps/podinfo.yaml");
    assert!(old_app.is_file(), "the default layout is <cluster>/<layer>");
    // Someone's own file inside a directory fluxspec owns files in.
    write(&out, "app-flux-kustomizations/dev/apps/NOTES.md", "mine\n");

    let spec_path = root.join("spec/homelab.kdl");
    let spec = fs::read_to_string(&spec_path).expect("the spec");
    let switched = spec.replacen(
        SETTINGS,
        "settings {\n    layout {\n        app-flux-kustomizations \"<layer>/<cluster>\"\n        \
         root-kustomization \"{cluster}-{layer}\"\n        cluster-config \"cluster-vars\"\n    }\n",
        1,
    );
    assert_ne!(spec, switched, "the example spec has a `settings` block");
    fs::write(&spec_path, switched).expect("write the spec");
    compile(root);

    assert!(!old_app.exists(), "the old path is pruned");
    assert!(
        !out.join("app-flux-kustomizations/dev/platform").exists(),
        "a directory the move empties is removed"
    );
    let new_app = out.join("app-flux-kustomizations/apps/dev/podinfo.yaml");
    let moved = fs::read_to_string(&new_app).expect("the app's Kustomization moved");
    assert!(moved.contains("name: cluster-vars"), "{moved}");
    let root_kustomization =
        fs::read_to_string(out.join("clusters/dev/apps.yaml")).expect("the root");
    assert!(
        root_kustomization.contains("name: dev-apps")
            && root_kustomization.contains("- name: dev-platform")
            && root_kustomization.contains("path: ./generated/app-flux-kustomizations/apps/dev"),
        "{root_kustomization}"
    );
    assert_eq!(
        fs::read_to_string(out.join("app-flux-kustomizations/dev/apps/NOTES.md"))
            .expect("the unowned file stays"),
        "mine\n"
    );
    run(root, &["check"]).expect_code(0);
}

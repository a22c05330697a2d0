//! `fluxspec init`: in an empty directory it writes a starter spec that compiles, passes `check`
//! and `fmt --check`, and whose output kustomize builds; it never overwrites anything.

mod common;

use std::fs;

use common::run;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    common::files_under(dir, |_| true)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|path| path.strip_prefix(dir).expect("under dir").to_path_buf())
        .collect()
}

#[test]
fn init_in_an_empty_directory_gives_a_working_repository() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();

    let init = run(root, &["init"]);
    init.expect_code(0);
    let stdout = init.stdout;
    assert!(stdout.contains("wrote    spec/homelab.kdl\n"), "{stdout}");

    // The first compile wrote every file the manifest lists, and said so.
    let generated: Vec<PathBuf> = files(&root.join("generated"))
        .into_iter()
        .filter(|path| path != Path::new(".fluxspec-manifest"))
        .collect();
    assert!(generated.len() > 20, "{generated:?}");
    assert!(
        stdout.contains(&format!(
            "0 changed, {} created, 0 deleted, 0 unchanged\n",
            generated.len()
        )),
        "{stdout}"
    );
    for cluster in ["dev", "prod"] {
        assert!(generated.contains(&PathBuf::from(format!("clusters/{cluster}/apps.yaml"))));
    }

    let check = run(root, &["check"]);
    check.expect_code(0);
    assert_eq!(
        check.stdout,
        format!(
            "0 changed, 0 created, 0 deleted, {} unchanged\n",
            generated.len()
        )
    );
    let fmt = run(root, &["fmt", "--check"]);
    fmt.expect_code(0);
    assert_eq!(fmt.stdout, "");

    // What Flux will build from it builds.
    let kubectl = common::tool("kubectl");
    for file in files(&root.join("generated")) {
        if file.ends_with("kustomization.yaml") {
            let dir = root
                .join("generated")
                .join(file.parent().expect("in a directory"));
            let build = Command::new(&kubectl)
                .arg("kustomize")
                .arg(&dir)
                .output()
                .expect("run kubectl");
            assert!(
                build.status.success(),
                "kubectl kustomize {}: {}",
                dir.display(),
                String::from_utf8_lossy(&build.stderr)
            );
        }
    }
}

/// The starter is what the issue promises: two clusters, one Helm app, one image app, one
/// component, and every node explained by a comment on its line or the line above.
#[test]
fn the_starter_spec_has_the_promised_shape_and_comments() {
    let temp = tempfile::tempdir().expect("temp dir");
    run(temp.path(), &["init", "repo"]).expect_code(0);
    let spec = fs::read_to_string(temp.path().join("repo/spec/homelab.kdl")).expect("spec");
    let count = |prefix: &str| {
        spec.lines()
            .filter(|line| line.trim_start().starts_with(prefix))
            .count()
    };
    assert_eq!(count("cluster \""), 2);
    assert_eq!(count("app \""), 2);
    assert_eq!(
        count("component \"") - count("component \"ingress\" APP_PORT"),
        1
    );
    assert_eq!(count("helm \""), 1);
    assert_eq!(count("image \""), 1);
    let lines: Vec<&str> = spec.lines().map(str::trim).collect();
    for (index, line) in lines.iter().enumerate() {
        let code = !line.is_empty() && !line.starts_with("//") && *line != "}";
        let explained = line.contains(" // ") || index > 0 && lines[index - 1].starts_with("//");
        assert!(
            !code || explained,
            "line {} has no comment: {line}",
            index + 1
        );
    }
}

#[test]
fn a_second_init_refuses_and_changes_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    run(root, &["init"]).expect_code(0);
    let spec = root.join("spec/homelab.kdl");
    fs::write(&spec, "// my own spec\n").expect("edit the spec");
    let before = files(root);

    let again = run(root, &["init"]);
    again.expect_code(2);
    let stderr = again.stderr;
    assert!(
        stderr.contains("a spec already exists at `spec/homelab.kdl`"),
        "{stderr}"
    );
    assert!(stderr.contains("fluxspec::init-exists"), "{stderr}");
    assert_eq!(again.stdout, "");
    assert_eq!(fs::read_to_string(&spec).expect("spec"), "// my own spec\n");
    assert_eq!(files(root), before);
}

#[test]
fn init_refuses_when_starter_files_or_output_are_in_the_way() {
    // One starter file (not the spec) already there: nothing is written.
    let temp = tempfile::tempdir().expect("temp dir");
    let values = temp.path().join("spec/apps/podinfo/values.yaml");
    fs::create_dir_all(values.parent().expect("parent")).expect("mkdir");
    fs::write(&values, "mine: true\n").expect("write");
    let output = run(temp.path(), &["init"]);
    output.expect_code(2);
    assert!(output.stderr.contains("1 starter file(s) are in the way"));
    assert_eq!(
        files(temp.path()),
        [PathBuf::from("spec/apps/podinfo/values.yaml")]
    );
    assert_eq!(fs::read_to_string(&values).expect("values"), "mine: true\n");

    // An output directory with content: the first compile would take it over.
    let temp = tempfile::tempdir().expect("temp dir");
    fs::create_dir(temp.path().join("generated")).expect("mkdir");
    fs::write(temp.path().join("generated/README"), "mine\n").expect("write");
    let output = run(temp.path(), &["init"]);
    output.expect_code(2);
    assert!(output.stderr.contains("`generated` already has content"));
    assert_eq!(files(temp.path()), [PathBuf::from("generated/README")]);
}

//! The sync engine's rules, one test each, proven on the real binary in temp directories: what a
//! compile writes and leaves alone, what it prunes, what it refuses, what `check` reports and how
//! it exits, how the output looks, and that two compiles of one directory never overlap.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::tree::{Stamp, dirs_of, fresh_compile, read_dirs, read_tree, stamps, touched};
use common::{Run, copy_tree, finish, fluxspec, run, write};

// No cluster variables: a spec whose apps did not use one would warn about it, and these tests
// expect a quiet stderr. `whoami` substitutes the built-in `${CLUSTER}` instead.
/// What `check` says last about a stale tree.
const STALE: &str = "`generated` is not what the spec compiles to; run `fluxspec compile`\n";

const CLUSTERS: &str = r#"
cluster "dev" {
}
cluster "prod" {
}
"#;

/// A chart app: its per-cluster tag lands in `apps/podinfo/<cluster>/ocirepository.yaml`.
const PODINFO: &str = r#"
app "podinfo" {
    helm "oci://ghcr.io/stefanprodan/charts/podinfo" {
        version "6.9.1"
        version "6.9.2" cluster="dev"
    }
}
"#;

/// An app with a manifest of its own, copied to `apps/whoami/base/`.
const WHOAMI: &str = r#"
app "whoami" {
    manifests "apps/whoami/deployment.yaml"
    image "traefik/whoami" {
        version "v1.11.0"
    }
}
"#;

/// A third app, for specs that grow.
const GRAFANA: &str = r#"
app "grafana" {
    helm "oci://ghcr.io/grafana/helm-charts/grafana" {
        version "9.2.1"
    }
}
"#;

const WHOAMI_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: whoami
spec:
  template:
    spec:
      containers:
        - name: whoami
          image: traefik/whoami
          env:
            - name: WHOAMI_NAME
              value: whoami.${CLUSTER}.example.com
";

/// A repository in a temp directory: `spec/homelab.kdl` and the output at `generated/`, the
/// defaults of `--spec` and `--out`, so commands run in its root need neither.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(apps: &[&str]) -> Self {
        let project = Self {
            dir: tempfile::tempdir().expect("cannot create a temp dir"),
        };
        write(
            project.root(),
            "spec/apps/whoami/deployment.yaml",
            WHOAMI_DEPLOYMENT,
        );
        project.set_apps(apps);
        project
    }

    /// A project whose `generated/` is compiled from `apps`.
    fn compiled(apps: &[&str]) -> Self {
        let project = Self::new(apps);
        project.compile();
        project
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn out(&self) -> PathBuf {
        self.root().join("generated")
    }

    /// Rewrites the spec with the two clusters and `apps`.
    fn set_apps(&self, apps: &[&str]) {
        write(
            self.root(),
            "spec/homelab.kdl",
            format!("{CLUSTERS}{}", apps.concat()),
        );
    }

    /// Replaces `from` (which must occur) by `to` in the spec.
    fn edit_spec(&self, from: &str, to: &str) {
        let path = self.root().join("spec/homelab.kdl");
        let text = fs::read_to_string(&path).expect("cannot read the spec");
        assert!(text.contains(from), "the spec has no `{from}`:\n{text}");
        fs::write(&path, text.replacen(from, to, 1)).expect("cannot write the spec");
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.root(), args)
    }

    fn compile(&self) -> Run {
        let run = self.run(&["compile"]);
        run.expect_code(0);
        run
    }

    /// `generated/` as a clean compile of the current spec would write it.
    fn fresh(&self) -> BTreeMap<String, Vec<u8>> {
        fresh_compile(self.root(), "spec/homelab.kdl")
    }

    fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        read_tree(&self.out())
    }
}

/// Everything about a tree a run could change: contents, inodes and times, directories.
#[derive(Debug, PartialEq)]
struct Snapshot {
    files: BTreeMap<String, Vec<u8>>,
    stamps: BTreeMap<String, Stamp>,
    dirs: BTreeSet<String>,
}

fn snapshot(root: &Path) -> Snapshot {
    Snapshot {
        files: read_tree(root),
        stamps: stamps(root),
        dirs: read_dirs(root),
    }
}

/// Lets the clock move on, so that a file rewritten after this has another mtime than before
/// (the inode comparison does not need it; the mtime one does on coarse-grained filesystems).
fn tick() {
    std::thread::sleep(Duration::from_millis(20));
}

fn owned_paths(out: &Path) -> BTreeSet<String> {
    let manifest = fs::read_to_string(out.join(".fluxspec-manifest")).expect("no manifest");
    manifest
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (_, path) = line
                .split_once("  ")
                .expect("a manifest line is `hash  path`");
            path.to_owned()
        })
        .collect()
}

#[test]
fn unchanged_files_keep_mtime_and_inode() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let before = stamps(&project.out());
    tick();
    let run = project.compile();
    assert_eq!(touched(&before, &stamps(&project.out())), BTreeSet::new());
    let files = before.len() - 1; // all but the manifest
    assert_eq!(
        run.stdout,
        format!("0 changed, 0 created, 0 deleted, {files} unchanged\n")
    );
}

#[test]
fn one_change_rewrites_that_file_and_the_manifest_only() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let before = stamps(&project.out());
    tick();
    // The dev tag of podinfo is only in dev's OCIRepository; the manifest records its new hash.
    project.edit_spec(r#""6.9.2" cluster="dev""#, r#""6.9.3" cluster="dev""#);
    project.compile();
    assert_eq!(
        touched(&before, &stamps(&project.out())),
        BTreeSet::from([
            ".fluxspec-manifest".to_owned(),
            "apps/podinfo/dev/ocirepository.yaml".to_owned(),
        ])
    );
    assert_eq!(project.tree(), project.fresh());
}

#[test]
fn pruning_deletes_owned_files_and_empty_dirs_but_not_user_files() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let whoami_files: BTreeSet<String> = project
        .tree()
        .into_keys()
        .filter(|path| path.contains("whoami"))
        .collect();
    // The files of whoami are its base, its two overlays and its Flux Kustomization per cluster.
    assert!(whoami_files.contains("apps/whoami/base/deployment.yaml"));
    assert!(whoami_files.contains("apps/whoami/prod/kustomization.yaml"));
    assert!(whoami_files.contains("app-flux-kustomizations/dev/apps/whoami.yaml"));
    // A person's files beside whoami's: one in a directory fluxspec would otherwise remove.
    let user_files = BTreeMap::from([
        ("apps/whoami/dev/NOTES.md".to_owned(), b"keep me\n".to_vec()),
        ("apps/README.md".to_owned(), b"apps live here\n".to_vec()),
    ]);
    for (path, contents) in &user_files {
        write(&project.out(), path, contents);
    }
    let user_stamps = stamps(&project.out());

    project.set_apps(&[PODINFO]);
    let run = project.compile();

    let fresh = project.fresh();
    let mut expected = fresh.clone();
    expected.extend(user_files.clone());
    assert_eq!(project.tree(), expected);
    for path in &whoami_files {
        assert!(
            run.stdout
                .contains(&format!("--- a/generated/{path}\n+++ /dev/null\n")),
            "the diff does not show {path} deleted:\n{}",
            run.stdout
        );
    }
    let after = stamps(&project.out());
    for path in user_files.keys() {
        assert_eq!(after[path], user_stamps[path], "{path} was touched");
    }
    // Empty directories go (apps/whoami/base, apps/whoami/prod); ones holding a user file stay.
    let expected_dirs = dirs_of(fresh.keys().chain(user_files.keys()));
    assert_eq!(read_dirs(&project.out()), expected_dirs);
    assert!(expected_dirs.contains("apps/whoami/dev"));
    assert!(!expected_dirs.contains("apps/whoami/base"));
    let mut generated: BTreeSet<String> = fresh.into_keys().collect();
    generated.remove(".fluxspec-manifest");
    assert_eq!(owned_paths(&project.out()), generated);
}

// Regression: directories of owned files that were gone already (deleted by hand, or by a
// killed compile) stayed behind, empty, when the spec stopped generating them; so did their
// parent when they were gone too.
#[test]
fn pruning_removes_the_empty_dirs_of_files_deleted_already() {
    // The only file of apps/whoami/prod/ gone; and every directory below apps/whoami/ gone, as a
    // compile killed just before removing apps/whoami itself leaves it.
    let deletions: [fn(&Path); 2] = [
        |out| fs::remove_file(out.join("apps/whoami/prod/kustomization.yaml")).expect("not there"),
        |out| {
            for dir in ["base", "dev", "prod"] {
                fs::remove_dir_all(out.join("apps/whoami").join(dir)).expect("not there");
            }
        },
    ];
    for delete in deletions {
        let project = Project::compiled(&[PODINFO, WHOAMI]);
        delete(&project.out());
        project.set_apps(&[PODINFO]);
        project.compile();
        let fresh = project.fresh();
        assert_eq!(project.tree(), fresh);
        assert_eq!(read_dirs(&project.out()), dirs_of(fresh.keys()));
    }
}

#[test]
fn unowned_file_at_a_generated_path_is_refused_and_left_untouched() {
    let project = Project::compiled(&[PODINFO]);
    // Someone keeps their own grafana overlay where fluxspec is about to generate one.
    write(
        &project.out(),
        "apps/grafana/dev/kustomization.yaml",
        "resources: [mine.yaml]\n",
    );
    let before = snapshot(&project.out());
    project.set_apps(&[PODINFO, GRAFANA]);

    for args in [&["compile"][..], &["check"], &["compile", "--dry-run"]] {
        let run = project.run(args);
        run.expect_code(2);
        assert!(
            run.stderr.contains("fluxspec::unowned-file")
                && run.stderr.contains("apps/grafana/dev/kustomization.yaml"),
            "`fluxspec {args:?}` does not name the unowned file:\n{}",
            run.stderr
        );
        // The compile stops before writing anything at all, not only before that file.
        assert_eq!(snapshot(&project.out()), before, "`fluxspec {args:?}`");
    }
}

#[test]
fn without_its_manifest_every_file_is_unowned() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    fs::remove_file(project.out().join(".fluxspec-manifest")).expect("no manifest");
    let before = snapshot(&project.out());
    let files = before.files.len();
    assert!(files > 20, "too few files to test the cut-off: {files}");
    let run = project.run(&["compile"]);
    run.expect_code(2);
    // The first 20 paths in order, one per line, then a count of the rest.
    let listed: Vec<String> = before
        .files
        .keys()
        .take(20)
        .map(|path| format!("  │   {path}\n"))
        .collect();
    let expected = format!(
        "  × {files} file(s) that fluxspec did not write are in the way:\n{}  │   and {} more\n",
        listed.concat(),
        files - 20
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert_eq!(snapshot(&project.out()), before);
}

#[test]
fn adopt_takes_over_an_unowned_file() {
    let project = Project::compiled(&[PODINFO]);
    let path = "apps/grafana/dev/kustomization.yaml";
    write(&project.out(), path, "resources: [mine.yaml]\n");
    project.set_apps(&[PODINFO, GRAFANA]);

    let run = project.run(&["compile", "--adopt"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "--- a/generated/{path}\n+++ b/generated/{path}\n@@ -1 +1,"
        )),
        "the diff does not show the adopted file replaced:\n{}",
        run.stdout
    );
    // Adopting was asked for: it is not a hand edit to warn about.
    assert_eq!(run.stderr, "");
    assert_eq!(project.tree(), project.fresh());
    assert!(owned_paths(&project.out()).contains(path));
    project.run(&["check"]).expect_code(0);
}

#[test]
fn hand_edit_is_reported_by_check_and_restored_by_compile() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let path = "apps/podinfo/prod/ocirepository.yaml";
    let generated = fs::read_to_string(project.out().join(path)).expect("not generated");
    let edited = generated.replace("tag: \"6.9.1\"", "tag: \"6.9.9\"");
    assert_ne!(edited, generated);
    write(&project.out(), path, &edited);
    let before = snapshot(&project.out());

    let check = project.run(&["check"]);
    check.expect_code(1);
    assert!(
        check
            .stdout
            .contains("-    tag: \"6.9.9\"\n+    tag: \"6.9.1\"\n"),
        "the diff does not show the edit reverted:\n{}",
        check.stdout
    );
    assert_eq!(
        check.stderr,
        format!(
            "warning: `{path}` was edited by hand; `fluxspec compile` will restore it (edit the spec instead)\n{STALE}"
        )
    );
    assert_eq!(snapshot(&project.out()), before, "check wrote");

    let compile = project.compile();
    assert_eq!(
        compile.stdout, check.stdout,
        "compile shows what check showed"
    );
    assert_eq!(
        compile.stderr,
        format!(
            "warning: `{path}` was edited by hand; compile restored it (edit the spec instead)\n"
        )
    );
    assert_eq!(
        fs::read_to_string(project.out().join(path)).ok(),
        Some(generated)
    );
    project.run(&["check"]).expect_code(0);
}

// Regression: the warning for a hand-edited file that is no longer generated said "restored".
#[test]
fn hand_edited_file_that_is_no_longer_generated_is_deleted_with_a_warning() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let path = "apps/whoami/base/deployment.yaml";
    write(&project.out(), path, "edited\n");
    project.set_apps(&[PODINFO]);

    let check = project.run(&["check"]);
    check.expect_code(1);
    assert_eq!(
        check.stderr,
        format!(
            "warning: `{path}` was edited by hand; `fluxspec compile` will delete it (it is no longer generated)\n{STALE}"
        )
    );
    let compile = project.compile();
    assert_eq!(
        compile.stderr,
        format!(
            "warning: `{path}` was edited by hand; compile deleted it (it is no longer generated)\n"
        )
    );
    assert!(!project.out().join(path).exists());
}

#[test]
fn check_exits_0_when_current() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let before = snapshot(&project.out());
    let run = project.run(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(snapshot(&project.out()), before);
}

#[test]
fn check_exits_1_when_stale() {
    // (what makes the tree stale, how the change shows in `--stat`)
    type Staleness = fn(&Project);
    let cases: [(&str, Staleness, &str); 4] = [
        (
            "a changed file",
            |project| project.edit_spec(r#""6.9.1""#, r#""6.9.5""#),
            "changed  apps/podinfo/prod/ocirepository.yaml\n",
        ),
        (
            "a missing file",
            |project| {
                fs::remove_file(project.out().join("clusters/dev/apps.yaml")).expect("not there");
            },
            "created  clusters/dev/apps.yaml\n",
        ),
        (
            "an owned file no longer generated",
            |project| project.set_apps(&[PODINFO]),
            "deleted  apps/whoami/base/deployment.yaml\n",
        ),
        (
            "a new app",
            |project| project.set_apps(&[PODINFO, WHOAMI, GRAFANA]),
            "created  apps/grafana/base/helmrelease.yaml\n",
        ),
    ];
    for (what, make_stale, stat_line) in cases {
        let project = Project::compiled(&[PODINFO, WHOAMI]);
        make_stale(&project);
        let before = snapshot(&project.out());
        let run = project.run(&["check", "--stat"]);
        run.expect_code(1);
        assert!(
            run.stdout.contains(stat_line),
            "{what}: `check --stat` does not list `{stat_line}`:\n{}",
            run.stdout
        );
        assert_eq!(snapshot(&project.out()), before, "{what}: check wrote");
        project.compile();
        project.run(&["check"]).expect_code(0);
    }
}

#[test]
fn check_of_a_missing_output_dir_exits_1_and_creates_nothing() {
    let project = Project::new(&[PODINFO]);
    let run = project.run(&["check", "--stat"]);
    run.expect_code(1);
    assert!(run.stdout.contains("created  clusters/dev/apps.yaml\n"));
    assert!(!project.out().exists());
}

#[test]
fn check_exits_2_for_an_invalid_spec_and_bad_usage() {
    let project = Project::compiled(&[PODINFO]);
    let before = snapshot(&project.out());
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "an invalid cluster name",
            &["check", "--spec", "bad/homelab.kdl"],
            "fluxspec::invalid-name",
        ),
        (
            "a missing spec",
            &["check", "--spec", "nowhere/homelab.kdl"],
            "fluxspec::unreadable-spec",
        ),
        (
            "an unknown flag",
            &["check", "--frobnicate"],
            "unexpected argument '--frobnicate'",
        ),
        (
            "an unknown format",
            &["check", "--format", "yaml"],
            "invalid value 'yaml' for '--format <FORMAT>'",
        ),
        (
            "an unknown colour choice",
            &["check", "--color", "sometimes"],
            "invalid value 'sometimes' for '--color <COLOR>'",
        ),
    ];
    write(
        project.root(),
        "bad/homelab.kdl",
        "cluster \"Not_A_Name\" {}\n",
    );
    for (what, args, message) in cases {
        let run = project.run(args);
        run.expect_code(2);
        assert!(
            run.stderr.contains(message),
            "{what}: stderr does not say `{message}`:\n{}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{what}");
    }
    assert_eq!(snapshot(&project.out()), before);
    // `--help` documents the codes, and asking for it is no error.
    let help = project.run(&["check", "--help"]);
    help.expect_code(0);
    let top = project.run(&["--help"]);
    top.expect_code(0);
    for code in [
        "0 success (for `check`: the output is current)",
        "1 `check` found the output stale",
        "2 the spec is invalid, the arguments are wrong",
    ] {
        assert!(
            top.stdout.contains(code),
            "--help does not say `{code}`:\n{}",
            top.stdout
        );
    }
}

/// The JSON report: one object with counts and one entry per changed file.
#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct JsonReport {
    clean: bool,
    changed: usize,
    created: usize,
    deleted: usize,
    unchanged: usize,
    files: Vec<JsonFile>,
}

#[derive(Debug, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct JsonFile {
    path: String,
    status: String,
    hand_edited: bool,
}

fn parse_json(run: &Run) -> JsonReport {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("not the JSON report ({error}):\n{}", run.stdout))
}

#[test]
fn json_lists_every_change_with_its_status() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let old = project.tree();
    // A version bump, an app removed, an app added and a hand edit, all at once.
    project.set_apps(&[PODINFO.replace("6.9.2", "6.9.3").as_str(), GRAFANA]);
    let hand_edited = "clusters/prod/apps.yaml";
    write(&project.out(), hand_edited, "edited\n");
    let new = project.fresh();

    // The expected list, from the two clean trees: a path only in the old one is deleted, only
    // in the new one created, in both with other content changed.
    let mut expected = Vec::new();
    for (path, contents) in &old {
        let status = match new.get(path) {
            None => "deleted",
            Some(new_contents) if new_contents != contents || path == hand_edited => "changed",
            Some(_) => continue,
        };
        if path != ".fluxspec-manifest" {
            expected.push((path.clone(), status));
        }
    }
    for path in new.keys().filter(|path| !old.contains_key(*path)) {
        expected.push((path.clone(), "created"));
    }
    let expected: Vec<JsonFile> = expected
        .into_iter()
        .map(|(path, status)| JsonFile {
            hand_edited: path == hand_edited,
            path,
            status: status.to_owned(),
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        expected
            .iter()
            .any(|file| file.path == "apps/podinfo/dev/ocirepository.yaml"
                && file.status == "changed")
    );
    assert!(expected.iter().any(|file| file.path == "apps/whoami/base/deployment.yaml"
        && file.status == "deleted"));
    assert!(
        expected
            .iter()
            .any(|file| file.path == "apps/grafana/base/helmrelease.yaml"
                && file.status == "created")
    );
    let count = |status: &str| expected.iter().filter(|file| file.status == status).count();
    let report = JsonReport {
        clean: false,
        changed: count("changed"),
        created: count("created"),
        deleted: count("deleted"),
        unchanged: new.len() - 1 - count("changed") - count("created"),
        files: Vec::new(),
    };

    let check = project.run(&["check", "--format", "json"]);
    check.expect_code(1);
    let mut checked = parse_json(&check);
    assert_eq!(std::mem::take(&mut checked.files), expected);
    assert_eq!(checked, report);

    let compile = project.run(&["compile", "--format", "json"]);
    compile.expect_code(0);
    assert_eq!(
        compile.stdout, check.stdout,
        "compile reports what it did as check did"
    );

    let clean = parse_json(project.run(&["check", "--format", "json"]).expect_code(0));
    assert_eq!(
        clean,
        JsonReport {
            clean: true,
            changed: 0,
            created: 0,
            deleted: 0,
            unchanged: new.len() - 1,
            files: Vec::new(),
        }
    );
}

#[test]
fn quiet_prints_nothing_on_stdout() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    project.set_apps(&[PODINFO, GRAFANA]);
    for (args, code) in [
        (&["check", "--quiet"][..], 1),
        (&["check", "-q", "--format", "json"], 1),
        (&["check", "-q", "--stat"], 1),
        (&["compile", "--dry-run", "-q"], 0),
        (&["compile", "--quiet"], 0),
        (&["check", "--quiet"], 0),
    ] {
        let run = project.run(args);
        run.expect_code(code);
        assert_eq!(run.stdout, "", "`fluxspec {args:?}`");
        assert_eq!(run.stderr, "", "`fluxspec {args:?}`");
    }
    assert_eq!(project.tree(), project.fresh());
}

#[test]
fn dry_run_writes_nothing() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    project.set_apps(&[PODINFO.replace("6.9.2", "6.9.3").as_str(), GRAFANA]);
    write(&project.out(), "clusters/prod/apps.yaml", "edited\n");
    // Debris of a killed compile: a dry run reports around it and leaves it too.
    write(&project.out(), "apps/.fluxspec-tmp-abc123", "half written");
    let before = snapshot(&project.out());
    tick();

    let dry_run = project.run(&["compile", "--dry-run"]);
    dry_run.expect_code(0);
    assert_eq!(snapshot(&project.out()), before);
    assert!(
        dry_run
            .stdout
            .contains("--- a/generated/apps/whoami/base/deployment.yaml\n+++ /dev/null\n")
            && dry_run
                .stdout
                .contains("--- /dev/null\n+++ b/generated/apps/grafana/base/helmrelease.yaml\n"),
        "{}",
        dry_run.stdout
    );
    assert_eq!(
        dry_run.stderr,
        "warning: `clusters/prod/apps.yaml` was edited by hand; compile would restore it (edit the spec instead)\n"
    );
    // What the dry run showed is what the compile then does.
    let compile = project.compile();
    assert_eq!(compile.stdout, dry_run.stdout);
    assert_eq!(project.tree(), project.fresh(), "the temp file is gone too");

    // Into a directory that does not exist yet, a dry run does not create it.
    let empty = Project::new(&[PODINFO]);
    let run = empty.run(&["compile", "--dry-run", "--stat"]);
    run.expect_code(0);
    assert!(run.stdout.contains("created  clusters/dev/apps.yaml\n"));
    assert!(!empty.out().exists());
}

const ESCAPE: char = '\u{1b}';

/// Command-line flags, environment variables, and whether the output is to be coloured.
type ColourCase = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    bool,
);

#[test]
fn colour_follows_the_flag_then_the_environment() {
    let project = Project::compiled(&[PODINFO]);
    project.edit_spec(r#""6.9.1""#, r#""6.9.5""#);
    // (flag, environment, whether stdout is coloured). stdout is a pipe here, so `auto` colours
    // only when CLICOLOR_FORCE asks for it, and NO_COLOR overrides that; a flag overrides both.
    let cases: [ColourCase; 7] = [
        (&[], &[], false),
        (&["--color", "auto"], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
        (&["--color", "never"], &[], false),
        (&["--color", "always"], &[], true),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
    ];
    for (flags, environment, coloured) in cases {
        let mut command = fluxspec(project.root());
        command
            .arg("check")
            .args(flags)
            .envs(environment.iter().copied());
        let run = finish(&mut command);
        run.expect_code(1);
        assert_eq!(
            run.stdout.contains(ESCAPE),
            coloured,
            "{flags:?} {environment:?}:\n{}",
            run.stdout
        );
        if coloured {
            // Removed lines red, added lines green.
            assert!(
                run.stdout.contains("\u{1b}[31m-    tag: \"6.9.1\""),
                "{}",
                run.stdout
            );
            assert!(
                run.stdout.contains("\u{1b}[32m+    tag: \"6.9.5\""),
                "{}",
                run.stdout
            );
        }
    }
}

// Regression: diagnostics on stderr ignored `--color`, coloured by miette's own detection.
#[test]
fn diagnostics_colour_follows_the_flag_then_the_environment() {
    let project = Project::new(&[PODINFO]);
    write(
        project.root(),
        "spec/homelab.kdl",
        "cluster \"Not_A_Name\" {}\n",
    );
    let cases: [ColourCase; 5] = [
        (&[], &[], false),
        (&[], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
    ];
    for (flags, environment, coloured) in cases {
        let mut command = fluxspec(project.root());
        command
            .arg("check")
            .args(flags)
            .envs(environment.iter().copied());
        let run = finish(&mut command);
        run.expect_code(2);
        assert!(run.stderr.contains("Not_A_Name"), "{}", run.stderr);
        assert_eq!(
            run.stderr.contains(ESCAPE),
            coloured,
            "{flags:?} {environment:?}:\n{}",
            run.stderr
        );
    }
}

/// A diagnostic with miette's line wrapping undone (at spaces; a word broken at a hyphen stays
/// broken), for matching sentences in it.
fn unwrapped(diagnostic: &str) -> String {
    diagnostic.replace("\n  │ ", " ")
}

#[test]
fn refuses_unsafe_output_dirs() {
    let project = Project::new(&[PODINFO]);
    let home = project.root().join("home");
    fs::create_dir(&home).expect("cannot create home");
    // $HOME as a symlink to the real directory, as on systems where /home is one.
    let home_link = project.root().join("home-link");
    std::os::unix::fs::symlink(&home, &home_link).expect("cannot link");
    let home = home.to_str().expect("a UTF-8 temp dir").to_owned();
    let home_link = home_link.to_str().expect("a UTF-8 temp dir").to_owned();
    let home_dot = format!("{home}/.");
    // (--out, $HOME, why it is refused)
    let cases: [(&str, &str, &str); 9] = [
        (&home, &home, "it is the home directory"),
        (&home_dot, &home, "it is the home directory"),
        (&home, &home_link, "it is the home directory"),
        (&home_link, &home, "it is the home directory"),
        (".", &home, "it contains the spec"),
        ("spec", &home, "it contains the spec"),
        ("../elsewhere", &home, "it goes through `..`"),
        ("generated/../generated", &home, "it goes through `..`"),
        ("/", &home, "it is the filesystem root"),
    ];
    let before = snapshot(project.root());
    for (out, home, reason) in cases {
        // `check` and a dry run first: they write nothing even if the guard were missing.
        for command in [&["check"][..], &["compile", "--dry-run"], &["compile"]] {
            let mut args = command.to_vec();
            args.extend(["--out", out]);
            let mut command = fluxspec(project.root());
            command.args(&args).env("HOME", home);
            let run = finish(&mut command);
            run.expect_code(2);
            assert!(
                run.stderr.contains("fluxspec::unsafe-output")
                    && unwrapped(&run.stderr).contains(reason),
                "{args:?} with HOME={home}: stderr does not say `{reason}`:\n{}",
                run.stderr
            );
            assert_eq!(snapshot(project.root()), before, "{args:?} wrote");
        }
    }
    assert!(!Path::new("/.fluxspec-manifest").exists());
}

/// Runs `compile`, `compile --adopt` and `check`: each must refuse, naming `link`, and leave
/// `outside` as it was.
fn assert_refused_at_link(project: &Project, link: &str, outside: &Path) {
    let before = snapshot(outside);
    for args in [&["compile"][..], &["compile", "--adopt"], &["check"]] {
        let run = project.run(args);
        run.expect_code(2);
        assert!(
            run.stderr.contains("fluxspec::not-a-file")
                && run.stderr.contains(&format!("generated/{link}")),
            "{args:?} does not refuse at {link}:\n{}",
            run.stderr
        );
        assert_eq!(snapshot(outside), before, "{args:?} wrote outside");
    }
}

#[test]
fn never_writes_or_deletes_through_a_symlink() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let outside = project.root().join("outside");
    write(&outside, "ocirepository.yaml", "not fluxspec's\n");
    write(&outside, "base/deployment.yaml", WHOAMI_DEPLOYMENT);
    write(
        &outside,
        "base/kustomization.yaml",
        "resources: [deployment.yaml]\n",
    );
    let link = |path: &str, target: &Path| {
        let path = project.out().join(path);
        if path.is_dir() {
            fs::remove_dir_all(&path).expect("cannot remove");
        } else {
            fs::remove_file(&path).expect("cannot remove");
        }
        std::os::unix::fs::symlink(target, &path).expect("cannot link");
    };

    // A generated file replaced by a link to a file outside, which the spec now changes.
    let file_link = "apps/podinfo/prod/ocirepository.yaml";
    link(file_link, &outside.join("ocirepository.yaml"));
    project.edit_spec(r#""6.9.1""#, r#""6.9.5""#);
    assert_refused_at_link(&project, file_link, &outside);
    fs::remove_file(project.out().join(file_link)).expect("no link");
    project.compile();

    // A generated directory replaced by a link to a directory outside, and the app removed: the
    // prune must not delete through it.
    link("apps/whoami", &outside);
    project.set_apps(&[PODINFO.replace("6.9.1", "6.9.5").as_str()]);
    assert_refused_at_link(&project, "apps/whoami", &outside);
    fs::remove_file(project.out().join("apps/whoami")).expect("no link");
    project.compile();

    // A link where a new app's directory goes, to a directory outside.
    std::os::unix::fs::symlink(&outside, project.out().join("apps/grafana")).expect("cannot link");
    project.set_apps(&[PODINFO.replace("6.9.1", "6.9.5").as_str(), GRAFANA]);
    assert_refused_at_link(&project, "apps/grafana", &outside);
}

#[test]
fn a_compile_waits_for_the_lock_on_the_output_dir() {
    let project = Project::compiled(&[PODINFO]);
    project.set_apps(&[PODINFO, WHOAMI]);
    let before = snapshot(&project.out());
    let mut lock = fd_lock::RwLock::new(fs::File::open(project.out()).expect("no output dir"));
    let guard = lock.write().expect("cannot lock the output dir");

    let mut compile = fluxspec(project.root())
        .args(["compile", "--quiet"])
        .spawn()
        .expect("cannot start fluxspec");
    let mut check = fluxspec(project.root())
        .args(["check", "--quiet"])
        .spawn()
        .expect("cannot start fluxspec");
    // A compile of this spec takes milliseconds; a second is ample for one not waiting to end.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        compile.try_wait().expect("cannot poll").is_none(),
        "compile did not wait"
    );
    assert!(
        check.try_wait().expect("cannot poll").is_none(),
        "check did not wait"
    );
    assert_eq!(
        snapshot(&project.out()),
        before,
        "compile wrote while locked out"
    );

    drop(guard);
    assert_eq!(compile.wait().expect("cannot wait").code(), Some(0));
    // The check may have run before or after the compile; either way it ended normally.
    assert!(matches!(
        check.wait().expect("cannot wait").code(),
        Some(0 | 1)
    ));
    assert_eq!(project.tree(), project.fresh());
}

#[test]
fn diff_and_stat_of_a_version_bump() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    project.edit_spec(r#""6.9.2" cluster="dev""#, r#""6.9.3" cluster="dev""#);
    let stat = project.run(&["check", "--stat"]);
    stat.expect_code(1);
    insta::assert_snapshot!("version_bump_stat", stat.stdout);
    let diff = project.compile();
    insta::assert_snapshot!("version_bump_diff", diff.stdout);
}

/// The example spec copied into a temp dir, `spec/` beside the output as in the repository.
fn example_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("cannot create a temp dir");
    copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    dir
}

/// Issue 10, acceptance 3: a one-version bump rewrites exactly the files whose content changes.
#[test]
fn one_version_bump_rewrites_exactly_the_files_it_changes() {
    // (the spec line bumped, the one file holding that version in that cluster)
    let cases = [
        // An OCI chart: the cluster's OCIRepository holds the tag.
        (
            (
                r#"version "6.9.2" cluster="dev""#,
                r#"version "6.9.3" cluster="dev""#,
            ),
            "apps/podinfo/dev/ocirepository.yaml",
        ),
        // A chart from a Helm repository: the overlay's HelmRelease patch holds the version.
        (
            (
                r#"version "4.13.0" cluster="dev""#,
                r#"version "4.13.1" cluster="dev""#,
            ),
            "apps/ingress-nginx/dev/helmrelease-version.yaml",
        ),
        // An image: the app's Flux Kustomization in that cluster holds the tag (`images:`).
        (
            (r#"version "2.2.15""#, r#"version "2.2.16""#),
            "app-flux-kustomizations/prod/apps/miniflux.yaml",
        ),
    ];
    for ((from, to), rewritten) in cases {
        let project = example_project();
        let root = project.path();
        run(root, &["compile", "--quiet"]).expect_code(0);
        let out = root.join("generated");
        let before = stamps(&out);
        let old = read_tree(&out);
        let spec = root.join("spec/homelab.kdl");
        let text = fs::read_to_string(&spec).expect("no spec");
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` is not one line of the spec"
        );
        fs::write(&spec, text.replace(from, to)).expect("cannot write the spec");
        tick();

        let bump = run(root, &["compile", "--stat"]);
        bump.expect_code(0);
        assert_eq!(
            bump.stdout,
            format!(
                "changed  {rewritten}\n1 changed, 0 created, 0 deleted, {} unchanged\n",
                old.len() - 2
            )
        );
        // Exactly that file and the manifest (which records its new hash) have a new inode or
        // time; and they are exactly the files whose content differs.
        let expected = BTreeSet::from([".fluxspec-manifest".to_owned(), rewritten.to_owned()]);
        assert_eq!(touched(&before, &stamps(&out)), expected, "bump `{from}`");
        let new = read_tree(&out);
        let differing: BTreeSet<String> = new
            .iter()
            .filter(|(path, contents)| old.get(*path) != Some(*contents))
            .map(|(path, _)| path.clone())
            .collect();
        assert_eq!(differing, expected, "bump `{from}`");
    }
}

/// `text` without whitespace and miette's margin, for matching text it may have wrapped anywhere.
fn squeezed(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_whitespace() && c != '│')
        .collect()
}

/// Appends `line` to the committed manifest of `project`, as a pull request could.
fn plant_manifest_line(project: &Project, line: &str) {
    let path = project.out().join(".fluxspec-manifest");
    let mut text = fs::read_to_string(&path).expect("no manifest");
    text.push_str(line);
    text.push('\n');
    fs::write(&path, text).expect("cannot write the manifest");
}

/// The number the line `line` will have once appended to `project`'s manifest.
fn next_manifest_line(project: &Project) -> usize {
    let text = fs::read_to_string(project.out().join(".fluxspec-manifest")).expect("no manifest");
    text.lines().count() + 1
}

// Regression: a planted manifest line (absolute, `..`, or an alias of a live file) made `compile`
// delete that file, outside the output directory or not, and exit 0.
#[test]
fn a_manifest_path_that_is_not_plain_and_relative_deletes_nothing() {
    // Each case: its name, and the manifest path to plant with the file it would delete.
    type Plant = fn(&Project) -> (String, PathBuf);
    const LIVE: &str = "apps/whoami/base/deployment.yaml";
    let hash = "0".repeat(64);
    let cases: [(&str, Plant); 4] = [
        ("absolute", |project| {
            let victim = project.root().join("victim.txt");
            (victim.display().to_string(), victim)
        }),
        ("..", |project| {
            (
                "../spec/homelab.kdl".to_owned(),
                project.root().join("spec/homelab.kdl"),
            )
        }),
        ("empty component", |project| {
            (
                "apps//whoami/base/deployment.yaml".to_owned(),
                project.out().join(LIVE),
            )
        }),
        ("`.` component", |project| {
            (
                "./apps/whoami/base/deployment.yaml".to_owned(),
                project.out().join(LIVE),
            )
        }),
    ];
    for (case, plant) in cases {
        let project = Project::compiled(&[PODINFO, WHOAMI]);
        write(project.root(), "victim.txt", "not fluxspec's\n");
        let (listed, victim) = plant(&project);
        let number = next_manifest_line(&project);
        plant_manifest_line(&project, &format!("{hash}  {listed}"));
        let before = snapshot(project.root());
        for args in [&["compile"][..], &["check"]] {
            let run = project.run(args);
            run.expect_code(2);
            // A long temp path wraps anywhere: compare without the wrapping.
            let stderr = squeezed(&run.stderr);
            assert!(
                stderr.contains("fluxspec::invalid-manifest")
                    && stderr.contains(&squeezed(&format!("line {number} `{hash}  {listed}`")))
                    && stderr.contains("--adopt"),
                "{case}, {args:?}: the message does not name the line:\n{}",
                run.stderr
            );
            assert!(
                victim.is_file(),
                "{case}, {args:?}: deleted {}",
                victim.display()
            );
            assert_eq!(snapshot(project.root()), before, "{case}, {args:?} wrote");
        }
        // `--adopt` ignores the line: nothing it names is deleted, the rest compiles.
        project.run(&["compile", "--adopt"]).expect_code(0);
        assert!(
            victim.is_file(),
            "{case}: --adopt deleted {}",
            victim.display()
        );
        assert!(project.root().join("victim.txt").is_file());
        assert_eq!(project.tree(), project.fresh(), "{case}");
        project.run(&["check"]).expect_code(0);
    }
}

// Regression: a manifest path through a symlinked directory inside the output directory must
// be refused before anything is deleted, naming the manifest line.
#[test]
fn a_manifest_path_through_a_symlinked_parent_deletes_nothing() {
    let project = Project::compiled(&[PODINFO, WHOAMI]);
    let outside = project.root().join("outside");
    write(&outside, "victim.yaml", "not fluxspec's\n");
    std::os::unix::fs::symlink(&outside, project.out().join("linked")).expect("cannot link");
    let number = next_manifest_line(&project);
    plant_manifest_line(&project, &format!("{}  linked/victim.yaml", "0".repeat(64)));
    // A real prune is due too: whoami goes.
    project.set_apps(&[PODINFO]);
    let before = snapshot(project.root());
    for args in [&["compile"][..], &["compile", "--adopt"], &["check"]] {
        let run = project.run(args);
        run.expect_code(2);
        let stderr = unwrapped(&run.stderr);
        assert!(
            stderr.contains("generated/linked")
                && stderr.contains(&format!("line {number} of the manifest")),
            "{args:?}: the message does not name the link and the line:\n{}",
            run.stderr
        );
        assert!(outside.join("victim.yaml").is_file());
        assert_eq!(
            snapshot(project.root()),
            before,
            "{args:?} wrote or deleted"
        );
    }
}

// Regression: a file where the output directory belongs gave only "File exists (os error 17)".
#[test]
fn a_file_where_the_output_directory_belongs_is_refused() {
    let project = Project::new(&[PODINFO]);
    write(project.root(), "generated", "not a directory\n");
    for args in [&["compile"][..], &["check"]] {
        let run = project.run(args);
        run.expect_code(2);
        assert!(
            unwrapped(&run.stderr).contains("fluxspec::output-not-a-directory")
                && run.stderr.contains("is a file, not a directory")
                && run.stderr.contains("move it away"),
            "{args:?}:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        fs::read_to_string(project.out()).expect("generated is gone"),
        "not a directory\n"
    );
}

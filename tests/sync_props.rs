//! Laws of the sync engine over random histories of spec edits: after every edit, `compile` then
//! `check` exits 0, the output is exactly what a clean compile gives, compiling again writes
//! nothing, and files a person keeps in the output directory are never modified or deleted.
//!
//! A case is a small spec (clusters with a variable; apps that are OCI charts, Helm-repository
//! charts or images with a manifest, with a per-cluster version and an app variable) and a
//! sequence of edits to it: apps and clusters added and removed, versions, overrides and
//! variables changed.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use proptest::prelude::*;

use common::tree::{dirs_of, fresh_compile, read_dirs, read_tree, stamps};
use common::{run, write};

const CLUSTERS: usize = 4;
const APPS: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

/// Files a person keeps in the output directory, at paths fluxspec never generates; one in the
/// directory of an app that comes and goes, one in a cluster's.
const USER_FILES: [(&str, &str); 3] = [
    ("README.md", "# our Flux tree\n"),
    ("apps/alpha/NOTES.md", "alpha needs a GPU node\n"),
    (
        "clusters/c1/extra.yaml",
        "apiVersion: v1\nkind: Namespace\n",
    ),
];

#[derive(Debug, Clone)]
struct App {
    /// Minor of the version every cluster gets.
    version: u8,
    /// A cluster that gets another version, and that version's minor.
    pinned: Option<(usize, u8)>,
    /// Value of the app's `LOG_LEVEL` variable, if it sets one.
    log_level: Option<u8>,
}

#[derive(Debug, Clone)]
struct Spec {
    /// Cluster number -> the value of its `CLUSTER_DOMAIN`.
    clusters: BTreeMap<usize, u8>,
    /// Index in [`APPS`] -> the app.
    apps: BTreeMap<usize, App>,
}

#[derive(Debug, Clone)]
enum Edit {
    AddApp(usize, App),
    RemoveApp(usize),
    SetVersion(usize, u8),
    Pin(usize, Option<(usize, u8)>),
    SetLogLevel(usize, Option<u8>),
    SetDomain(usize, u8),
    AddCluster(usize, u8),
    RemoveCluster(usize),
}

impl Spec {
    /// Applies `edit`, or ignores it where it does not apply (an app or cluster that is not
    /// there, the last cluster removed).
    fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::AddApp(app, value) => {
                self.apps.insert(*app, value.clone());
            }
            Edit::RemoveApp(app) => {
                self.apps.remove(app);
            }
            Edit::SetVersion(app, version) => {
                if let Some(app) = self.apps.get_mut(app) {
                    app.version = *version;
                }
            }
            Edit::Pin(app, pinned) => {
                if let Some(app) = self.apps.get_mut(app) {
                    app.pinned = *pinned;
                }
            }
            Edit::SetLogLevel(app, level) => {
                if let Some(app) = self.apps.get_mut(app) {
                    app.log_level = *level;
                }
            }
            Edit::SetDomain(cluster, domain) => {
                if let Some(value) = self.clusters.get_mut(cluster) {
                    *value = *domain;
                }
            }
            Edit::AddCluster(cluster, domain) => {
                self.clusters.insert(*cluster, *domain);
            }
            Edit::RemoveCluster(cluster) => {
                if self.clusters.len() > 1 {
                    self.clusters.remove(cluster);
                }
            }
        }
    }

    /// The spec as KDL. App `i` is an OCI chart, a Helm-repository chart or an image by `i % 3`;
    /// a version pinned to a cluster that is not in the spec is left out.
    fn to_kdl(&self) -> String {
        let mut kdl = String::new();
        for (cluster, domain) in &self.clusters {
            let _ = writeln!(
                kdl,
                "cluster \"c{cluster}\" {{\n    var \"CLUSTER_DOMAIN\" \"d{domain}.example.com\"\n}}"
            );
        }
        for (index, app) in &self.apps {
            let name = APPS[*index];
            let layer = if index % 2 == 0 { "platform" } else { "apps" };
            let _ = writeln!(kdl, "app \"{name}\" {{\n    layer \"{layer}\"");
            let source = match index % 3 {
                0 => format!("helm \"oci://registry.example.com/charts/{name}\""),
                1 => format!("helm \"https://charts.example.com\" chart=\"{name}\""),
                _ => {
                    let _ = writeln!(kdl, "    manifests \"apps/{name}/deployment.yaml\"");
                    format!("image \"registry.example.com/{name}\"")
                }
            };
            let _ = writeln!(
                kdl,
                "    {source} {{\n        version \"1.{}.0\"",
                app.version
            );
            if let Some((cluster, version)) = app.pinned
                && self.clusters.contains_key(&cluster)
            {
                let _ = writeln!(
                    kdl,
                    "        version \"2.{version}.0\" cluster=\"c{cluster}\""
                );
            }
            kdl.push_str("    }\n");
            if let Some(level) = app.log_level {
                let _ = writeln!(kdl, "    var \"LOG_LEVEL\" \"level{level}\"");
            }
            kdl.push_str("}\n");
        }
        kdl
    }
}

fn app() -> impl Strategy<Value = App> {
    (
        0..3u8,
        proptest::option::of((0..CLUSTERS, 0..3u8)),
        proptest::option::of(0..3u8),
    )
        .prop_map(|(version, pinned, log_level)| App {
            version,
            pinned,
            log_level,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::btree_map(0..CLUSTERS, 0..3u8, 1..=CLUSTERS),
        proptest::collection::btree_map(0..APPS.len(), app(), 0..=APPS.len()),
    )
        .prop_map(|(clusters, apps)| Spec { clusters, apps })
}

fn edit() -> impl Strategy<Value = Edit> {
    let app_index = 0..APPS.len();
    let cluster = 0..CLUSTERS;
    prop_oneof![
        (app_index.clone(), app()).prop_map(|(index, app)| Edit::AddApp(index, app)),
        app_index.clone().prop_map(Edit::RemoveApp),
        (app_index.clone(), 0..3u8).prop_map(|(index, version)| Edit::SetVersion(index, version)),
        (
            app_index.clone(),
            proptest::option::of((cluster.clone(), 0..3u8))
        )
            .prop_map(|(index, pinned)| Edit::Pin(index, pinned)),
        (app_index, proptest::option::of(0..3u8))
            .prop_map(|(index, level)| Edit::SetLogLevel(index, level)),
        (cluster.clone(), 0..3u8).prop_map(|(cluster, domain)| Edit::SetDomain(cluster, domain)),
        (cluster.clone(), 0..3u8).prop_map(|(cluster, domain)| Edit::AddCluster(cluster, domain)),
        cluster.prop_map(Edit::RemoveCluster),
    ]
}

/// Checks the laws after the spec at `root/spec` changed; `Err` says which broke.
fn compile_and_check(
    root: &Path,
    user_stamps: &BTreeMap<String, common::tree::Stamp>,
) -> Result<(), TestCaseError> {
    let out = root.join("generated");
    let compile = run(root, &["compile", "--quiet"]);
    prop_assert_eq!(compile.code, Some(0), "compile: {}", compile.stderr);
    let check = run(root, &["check"]);
    prop_assert_eq!(check.code, Some(0), "check after compile: {}", check.stdout);

    let before = stamps(&out);
    let again = run(root, &["compile", "--stat"]);
    prop_assert_eq!(again.code, Some(0), "second compile: {}", again.stderr);
    prop_assert!(
        again
            .stdout
            .starts_with("0 changed, 0 created, 0 deleted, "),
        "the second compile changed files: {}",
        again.stdout
    );
    prop_assert_eq!(&stamps(&out), &before, "the second compile wrote");

    // The user files are untouched: same content, same inode and times.
    let tree = read_tree(&out);
    for (path, contents) in USER_FILES {
        prop_assert_eq!(tree.get(path).map(Vec::as_slice), Some(contents.as_bytes()));
        prop_assert_eq!(
            before.get(path),
            user_stamps.get(path),
            "{} was rewritten",
            path
        );
    }
    // The rest is exactly a clean compile, directories included.
    let fresh = fresh_compile(root, "spec/homelab.kdl");
    let mut expected = fresh.clone();
    expected
        .extend(USER_FILES.map(|(path, contents)| (path.to_owned(), contents.as_bytes().to_vec())));
    prop_assert!(tree == expected, "the tree is not a clean compile's");
    let mut dirs = dirs_of(fresh.keys());
    dirs.extend(dirs_of(USER_FILES.map(|(path, _)| path)));
    prop_assert_eq!(read_dirs(&out), dirs);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_edit_compiles_to_a_clean_tree_and_spares_user_files(
        initial in spec(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let root = dir.path();
        for name in APPS {
            write(
                root,
                &format!("spec/apps/{name}/deployment.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {name}\n          image: registry.example.com/{name}\n          env:\n            - name: DOMAIN\n              value: {name}.${{CLUSTER_DOMAIN}}\n"
                ),
            );
        }
        for (path, contents) in USER_FILES {
            write(&root.join("generated"), path, contents);
        }
        let user_stamps = stamps(&root.join("generated"));

        let mut spec = initial;
        write(root, "spec/homelab.kdl", spec.to_kdl());
        compile_and_check(root, &user_stamps)?;
        for edit in &edits {
            spec.apply(edit);
            write(root, "spec/homelab.kdl", spec.to_kdl());
            compile_and_check(root, &user_stamps)?;
        }
    }
}

//! `fluxspec import`: the round trip on the example (importing `generated/` gives a spec that
//! compiles to the same tree, byte for byte), the spec and report it writes (reviewed
//! snapshots), and that it never overwrites a spec.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::run;
use common::tree::read_tree;

/// Files of the example's output that the imported spec compiles differently, each with why.
/// Empty: the round trip is exact.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn import_example(into: &Path) -> common::Run {
    let generated = common::generated_dir();
    let run = run(
        into,
        &[
            "import",
            generated.to_str().expect("UTF-8 path"),
            "--into",
            ".",
        ],
    );
    run.expect_code(0);
    run
}

#[test]
fn importing_the_example_output_gives_a_spec_that_compiles_to_the_same_tree() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    import_example(root);
    run(root, &["compile", "--deny-warnings"]).expect_code(0);

    let original = read_tree(&common::generated_dir());
    let compiled = read_tree(&root.join("generated"));
    let paths: BTreeSet<&String> = original.keys().chain(compiled.keys()).collect();
    let differing: Vec<&str> = paths
        .into_iter()
        .filter(|path| original.get(*path) != compiled.get(*path))
        .map(String::as_str)
        .collect();
    let known: Vec<&str> = KNOWN_DIFFERENCES.iter().map(|(path, _)| *path).collect();
    assert_eq!(
        differing, known,
        "files the imported spec compiles differently from generated/"
    );
    // The imported spec is in canonical layout and its output is current.
    run(root, &["fmt", "--check"]).expect_code(0);
    run(root, &["check"]).expect_code(0);
}

#[test]
fn the_imported_example_spec_and_report_are_as_reviewed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let import = import_example(root);
    let spec = fs::read_to_string(root.join("spec/homelab.kdl")).expect("the spec");
    let report = fs::read_to_string(root.join("spec/import-report.md")).expect("the report");
    insta::assert_snapshot!("example_spec", spec);
    insta::assert_snapshot!("example_report", report);
    insta::assert_snapshot!(
        "example_stdout",
        import.stdout.replace(&root.display().to_string(), "[TEMP]")
    );
}

#[test]
fn an_existing_spec_directory_is_never_overwritten() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    common::write(root, "spec/notes.txt", "mine");
    let generated = common::generated_dir();
    let refused = run(root, &["import", generated.to_str().expect("UTF-8 path")]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("fluxspec::import-exists"),
        "{}",
        refused.stderr
    );
    let left: Vec<_> = read_tree(root).into_keys().collect();
    assert_eq!(left, ["spec/notes.txt"]);
}

#[test]
fn a_directory_of_no_known_shape_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    common::write(root, "src/notes.yaml", "a: 1\n");
    let refused = run(root, &["import", "src", "--into", "out"]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("fluxspec::import-shape"),
        "{}",
        refused.stderr
    );
    assert!(!root.join("out").exists());
}

/// `--verify` fails (exit 1) and names the file when the spec does not compile to the original:
/// here a hand edit of the output that no spec could have written.
#[test]
fn verify_names_each_file_the_spec_compiles_differently() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    common::copy_tree(&common::generated_dir(), &root.join("original"));
    let edited = root.join("original/apps/whoami/base/kustomization.yaml");
    let text = fs::read_to_string(&edited).expect("the base") + "namePrefix: hand-\n";
    fs::write(&edited, text).expect("edit");
    let refused = run(root, &["import", "original", "--into", "new"]);
    refused.expect_code(1);
    assert!(
        refused.stderr
            .contains("verify: the compiled output differs from the original in 1 file:\n  apps/whoami/base/kustomization.yaml"),
        "{}",
        refused.stderr
    );
    // The spec is written all the same, for the person to finish by hand.
    assert!(root.join("new/spec/homelab.kdl").is_file());
    run(
        root,
        &["import", "original", "--into", "skipped", "--no-verify"],
    )
    .expect_code(0);
}

#[test]
fn a_clusters_entry_without_a_path_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    common::write(root, "src/clusters/dev/app.yaml", "a: 1\n");
    let refused = run(root, &["import", "src", "--clusters", "dev"]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("fluxspec::import-clusters"),
        "{}",
        refused.stderr
    );
    assert!(!root.join("spec").exists());
}

/// Writes a small Flux repository: one cluster `dev` whose `web` Flux Kustomization applies
/// `apps/web` with `postBuild` as given, and `apps/web/configmap.yaml` as given.
fn web_repository(post_build: &str, configmap: &str, more: &[(&str, &str)]) -> tempfile::TempDir {
    let source = tempfile::tempdir().expect("temp dir");
    let kustomization = format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
         name: web\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./apps/web\n  \
         prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  \
         targetNamespace: web\n  postBuild:\n{post_build}"
    );
    let files = [
        ("clusters/dev/web.yaml", kustomization.as_str()),
        (
            "apps/web/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
             - configmap.yaml\n",
        ),
        ("apps/web/configmap.yaml", configmap),
    ];
    for (path, text) in files.iter().chain(more) {
        let path = source.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    source
}

fn import_repository(source: &Path, into: &Path) -> common::Run {
    common::finish(
        common::fluxspec(into)
            .env("PATH", common::path_with("kubectl"))
            .args(["import", source.to_str().unwrap(), "--into", "."]),
    )
}

/// A `substituteFrom` ConfigMap's variables become the cluster's `var`s, and the file using
/// them is copied byte for byte (its comment kept, its `${DOMAIN}` left to the spec's
/// substitution).
#[test]
fn a_substitute_from_config_map_becomes_cluster_vars() {
    let configmap = "# The web app's settings.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
                     name: ${APP}\ndata:\n  domain: ${DOMAIN}\n";
    let source = web_repository(
        "    substitute:\n      APP: web\n    substituteFrom:\n      - kind: ConfigMap\n        \
         name: cluster-settings\n",
        configmap,
        &[(
            "clusters/dev/cluster-settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  \
             namespace: flux-system\ndata:\n  CLUSTER: dev\n  DOMAIN: dev.example.com\n  \
             UNUSED: x\n",
        )],
    );
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    assert!(
        imported
            .stderr
            .contains("dev: 2 objects, 0 missing, 0 extra, 0 version differences, 0 content"),
        "{}",
        imported.stderr
    );
    let spec = fs::read_to_string(into.path().join("spec/homelab.kdl")).unwrap();
    assert!(
        spec.contains("cluster \"dev\" {\n    var \"DOMAIN\" \"dev.example.com\"\n}"),
        "{spec}"
    );
    assert!(!spec.contains("UNUSED"), "{spec}");
    assert_eq!(
        fs::read_to_string(into.path().join("spec/apps/web/configmap.yaml")).unwrap(),
        configmap
    );
    run(into.path(), &["compile", "--deny-warnings"]).expect_code(0);
}

/// A `${VAR}` nothing sets is a mistake in the repository: the import reports it at the file
/// and line that use it, and succeeds (the object is kept as written, as `build` renders it).
#[test]
fn a_variable_nothing_sets_is_reported_at_its_line() {
    let source = web_repository(
        "    substitute:\n      APP: web\n",
        "# The web app's settings.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
         name: ${APP}\ndata:\n  domain: ${DOMAIN}\n",
        &[],
    );
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    assert!(
        imported.stdout.contains("1 mistakes in the source"),
        "{}",
        imported.stdout
    );
    let report = fs::read_to_string(into.path().join("spec/import-report.md")).unwrap();
    assert!(
        report.contains(
            "- `apps/web/configmap.yaml:7`: `ConfigMap/web/web` uses `${DOMAIN}`, which Flux \
             Kustomization `flux-system/web` does not set: Flux fails to apply it (kept as \
             written) (cluster `dev`)"
        ),
        "{report}"
    );
}

/// Writes the files of a repository into a new temporary directory.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let source = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = source.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    source
}

/// A cluster's Flux Kustomization `web` applying `path`, with more `spec` fields as given.
fn web_kustomization(path: &str, more: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
         name: web\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: {path}\n  \
         prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  \
         targetNamespace: web\n{more}"
    )
}

const WEB_DEPLOYMENT: &str = "# The web server.\napiVersion: apps/v1\nkind: Deployment\n\
    metadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    \
    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          \
    # renovate: datasource=docker depName=ghcr.io/example/web\n          \
    image: ghcr.io/example/web:1.0.0 # the release\n";

/// Regression (issue 16, image tags of plain manifests stayed in the built manifests): a
/// Deployment whose tag differs per cluster (an overlay's kustomize `images` on dev, the Flux
/// Kustomization's `spec.images` on prod) becomes one shared copy of the base file with the tag
/// taken out of its `image:` line, and a `version` line per cluster.
#[test]
fn image_tags_that_differ_per_cluster_become_version_lines() {
    let source = repository(&[
        (
            "clusters/dev/web.yaml",
            &web_kustomization("./apps/dev", ""),
        ),
        (
            "clusters/prod/web.yaml",
            &web_kustomization(
                "./apps/base/web",
                "  images:\n    - name: ghcr.io/example/web\n      newTag: 1.2.0\n",
            ),
        ),
        (
            "apps/base/web/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
             - deployment.yaml\n",
        ),
        ("apps/base/web/deployment.yaml", WEB_DEPLOYMENT),
        (
            "apps/dev/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
             - ../base/web\nimages:\n  - name: ghcr.io/example/web\n    newTag: 1.1.0\n",
        ),
    ]);
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    for cluster in ["dev", "prod"] {
        let line = format!(
            "{cluster}: 1 objects, 0 missing, 0 extra, 0 version differences, 0 content differences"
        );
        assert!(imported.stderr.contains(&line), "{}", imported.stderr);
    }
    let spec = fs::read_to_string(into.path().join("spec/homelab.kdl")).unwrap();
    assert!(
        spec.contains(
            "    image \"ghcr.io/example/web\" {\n        version \"1.1.0\" cluster=\"dev\"\n        \
             version \"1.2.0\" cluster=\"prod\"\n    }\n"
        ),
        "{spec}"
    );
    assert!(
        spec.contains("manifests \"apps/web/deployment.yaml\""),
        "{spec}"
    );
    assert!(!spec.contains("manifests.yaml"), "{spec}");
    assert_eq!(
        fs::read_to_string(into.path().join("spec/apps/web/deployment.yaml")).unwrap(),
        WEB_DEPLOYMENT.replace("web:1.0.0 #", "web #")
    );
    run(into.path(), &["compile", "--deny-warnings"]).expect_code(0);
    run(into.path(), &["check"]).expect_code(0);
}

const BACKUP_PVC: &str = "---\n# yaml-language-server: $schema=https://example.com/pvc.json\n\
    apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${APP}-backup\nspec:\n  \
    accessModes: [\"ReadWriteOnce\"]\n  resources:\n    requests:\n      \
    storage: ${BACKUP_SIZE:=1Gi}\n";

/// Regression (issue 16, a Flux Kustomization's `spec.components` stayed in the built
/// manifests): a component of resources alone becomes a `component` node with its files copied
/// byte for byte, used at the Flux level; one with a patch the spec cannot say (its target has a
/// namespace) stays as it was, and is reported.
#[test]
fn flux_level_components_become_component_nodes() {
    let components =
        "  components:\n    - ../../components/backup\n    - ../../components/patched\n";
    let source = repository(&[
        (
            "clusters/dev/web.yaml",
            &web_kustomization(
                "./apps/web",
                &format!("{components}  postBuild:\n    substitute:\n      APP: web\n"),
            ),
        ),
        (
            "clusters/prod/web.yaml",
            &web_kustomization(
                "./apps/web",
                &format!(
                    "{components}  postBuild:\n    substitute:\n      APP: web\n      \
                     BACKUP_SIZE: 5Gi\n"
                ),
            ),
        ),
        (
            "apps/web/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
             - configmap.yaml\n",
        ),
        (
            "apps/web/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n",
        ),
        (
            "components/backup/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  \
             - ./pvc.yaml\n",
        ),
        ("components/backup/pvc.yaml", BACKUP_PVC),
        (
            "components/patched/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  \
             - target:\n      kind: ConfigMap\n      namespace: web\n    patch: |-\n      \
             - op: add\n        path: /data/c\n        value: d\n",
        ),
    ]);
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    for cluster in ["dev", "prod"] {
        let line = format!(
            "{cluster}: 2 objects, 0 missing, 0 extra, 0 version differences, 0 content differences"
        );
        assert!(imported.stderr.contains(&line), "{}", imported.stderr);
    }
    let spec = fs::read_to_string(into.path().join("spec/homelab.kdl")).unwrap();
    assert!(spec.contains("\ncomponent \"backup\"\n"), "{spec}");
    assert!(
        spec.contains("    component \"backup\" level=\"flux\"\n"),
        "{spec}"
    );
    assert!(!spec.contains("patched"), "{spec}");
    assert_eq!(
        fs::read_to_string(into.path().join("spec/components/backup/pvc.yaml")).unwrap(),
        BACKUP_PVC
    );
    assert!(!into.path().join("spec/apps/web/pvc.yaml").exists());
    let report = fs::read_to_string(into.path().join("spec/import-report.md")).unwrap();
    assert!(
        report.contains(
            "| `components/patched` | a Flux-level component | a patch's target has `namespace`"
        ),
        "{report}"
    );
    run(into.path(), &["compile", "--deny-warnings"]).expect_code(0);
    run(into.path(), &["check"]).expect_code(0);
}

/// Regression (issue 16, a Flux-level component with an inline patch stayed the apps'
/// manifests): its patch is written out as a file of the component, named after its target,
/// with the target on its `patch` line and its `${VAR}` filled by Flux as before.
#[test]
fn a_flux_level_components_inline_patch_becomes_a_patch_file() {
    let components = "  components:\n    - ../../components/backup\n";
    let vars =
        |size: &str| format!("{components}  postBuild:\n    substitute:\n      APP: web\n{size}");
    let patch = "- op: add\n  path: /data/size\n  value: ${BACKUP_SIZE:=1Gi}";
    let indented = patch.replace('\n', "\n      ");
    let source = repository(&[
        (
            "clusters/dev/web.yaml",
            &web_kustomization("./apps/web", &vars("")),
        ),
        (
            "clusters/prod/web.yaml",
            &web_kustomization("./apps/web", &vars("      BACKUP_SIZE: 5Gi\n")),
        ),
        (
            "apps/web/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
             - configmap.yaml\n",
        ),
        (
            "apps/web/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n",
        ),
        (
            "components/backup/kustomization.yaml",
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  \
                 - ./pvc.yaml\npatches:\n  - target:\n      version: v1\n      kind: ConfigMap\n      \
                 name: web\n    patch: |-\n      {indented}\n"
            ),
        ),
        ("components/backup/pvc.yaml", BACKUP_PVC),
    ]);
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    for cluster in ["dev", "prod"] {
        let line = format!(
            "{cluster}: 2 objects, 0 missing, 0 extra, 0 version differences, 0 content differences"
        );
        assert!(imported.stderr.contains(&line), "{}", imported.stderr);
    }
    let spec = fs::read_to_string(into.path().join("spec/homelab.kdl")).unwrap();
    assert!(
        spec.contains(
            "\ncomponent \"backup\" {\n    patch \"components/backup/configmap-web-patch.yaml\" \
             version=\"v1\" kind=\"ConfigMap\" name=\"web\"\n}\n"
        ),
        "{spec}"
    );
    assert!(
        spec.contains("    component \"backup\" level=\"flux\"\n"),
        "{spec}"
    );
    assert_eq!(
        fs::read_to_string(
            into.path()
                .join("spec/components/backup/configmap-web-patch.yaml")
        )
        .unwrap(),
        format!("{patch}\n")
    );
    // The ConfigMap is the app's as written, without the value the patch adds.
    assert_eq!(
        fs::read_to_string(into.path().join("spec/apps/web/configmap.yaml")).unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n"
    );
    run(into.path(), &["compile", "--deny-warnings"]).expect_code(0);
    run(into.path(), &["check"]).expect_code(0);
}

/// A Deployment with an image pinned by tag and digest, an image pinned by a digest alone and
/// an untagged one.
fn pinned_deployment(tag: &str) -> String {
    let digest = "a".repeat(64);
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
         spec:\n      containers:\n        - name: web\n          \
         image: \"ghcr.io/example/web:{tag}@sha256:{digest}\" # pinned\n        - name: side\n          \
         image: ghcr.io/example/side@sha256:{digest}\n        - name: tool\n          \
         image: busybox\n"
    )
}

/// Regression (issue 16): per-cluster copies of a manifest that differ only in an image's tag
/// become one shared file; a tag pinned by digest is one version (`newTag` writes it back), while
/// a digest alone and an untagged image stay as written (`newTag` cannot say them).
#[test]
fn per_cluster_copies_differing_in_image_tags_become_one_file() {
    let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                         resources:\n  - deployment.yaml\n";
    let (dev, prod) = (pinned_deployment("1.0"), pinned_deployment("2.0"));
    let source = repository(&[
        (
            "clusters/dev/web.yaml",
            &web_kustomization("./apps/dev", ""),
        ),
        (
            "clusters/prod/web.yaml",
            &web_kustomization("./apps/prod", ""),
        ),
        ("apps/dev/kustomization.yaml", kustomization),
        ("apps/dev/deployment.yaml", &dev),
        ("apps/prod/kustomization.yaml", kustomization),
        ("apps/prod/deployment.yaml", &prod),
    ]);
    let into = tempfile::tempdir().expect("temp dir");
    let imported = import_repository(source.path(), into.path());
    imported.expect_code(0);
    assert!(
        imported
            .stderr
            .contains("prod: 1 objects, 0 missing, 0 extra, 0 version differences"),
        "{}",
        imported.stderr
    );
    let spec = fs::read_to_string(into.path().join("spec/homelab.kdl")).unwrap();
    let digest = "a".repeat(64);
    assert!(
        spec.contains(&format!(
            "    image \"ghcr.io/example/web\" {{\n        \
             version \"1.0@sha256:{digest}\" cluster=\"dev\"\n        \
             version \"2.0@sha256:{digest}\" cluster=\"prod\"\n    }}\n"
        )),
        "{spec}"
    );
    assert!(
        !spec.contains("side") && !spec.contains("busybox"),
        "{spec}"
    );
    assert!(
        spec.contains("manifests \"apps/web/deployment.yaml\""),
        "{spec}"
    );
    assert!(!spec.contains("cluster \"dev\" {"), "{spec}");
    assert_eq!(
        fs::read_to_string(into.path().join("spec/apps/web/deployment.yaml")).unwrap(),
        dev.replace(&format!(":1.0@sha256:{digest}\""), "\"")
    );
    run(into.path(), &["compile", "--deny-warnings"]).expect_code(0);
}

//! `fluxspec build` on the example spec: for each cluster, what Flux would apply. Every Flux
//! Kustomization is built, no `${...}` is left but those the spec escapes, and each app's
//! HelmRelease, OCIRepository or workloads carry that cluster's version.
//!
//! The expectations are written out by hand from `spec/homelab.kdl`, not taken from fluxspec.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::Command;

use serde_json::Value;

/// Runs `fluxspec build --cluster <cluster>` on the example spec, with the pinned kubectl.
fn build(cluster: &str, extra: &[&str]) -> common::Run {
    let run = common::finish(
        common::fluxspec(common::repo_root())
            .env("PATH", common::path_with("kubectl"))
            .args(["build", "--spec", "spec/homelab.kdl", "--cluster", cluster])
            .args(extra),
    );
    run.expect_code(0);
    run
}

/// The Flux Kustomizations of each cluster in the order Flux applies them: the bootstrap
/// `flux-system` (which applies `clusters/<c>/`), the two roots (`apps-<c>` depends on
/// `platform-<c>`), the platform apps (`layer "platform"`; cert-manager-issuers depends on
/// cert-manager, the others tie by name), then the apps-layer apps (grafana-dashboards depends on
/// grafana; their other dependencies are platform apps, applied already). it-tools is
/// `clusters "dev"` only.
fn expected_kustomizations(cluster: &str) -> Vec<String> {
    let platform = [
        "cert-manager",
        "cert-manager-issuers",
        "cloudnative-pg",
        "ingress-nginx",
        "kube-state-metrics",
        "local-path-provisioner",
        "metrics-server",
        "node-exporter",
        "priority-classes",
    ];
    let apps = [
        "echo",
        "grafana",
        "grafana-dashboards",
        "it-tools",
        "miniflux",
        "paperless",
        "podinfo",
        "sonarr",
        "whoami",
    ];
    [
        "flux-system".to_owned(),
        format!("platform-{cluster}"),
        format!("apps-{cluster}"),
    ]
    .into_iter()
    .chain(platform.iter().chain(&apps).map(|app| (*app).to_owned()))
    .filter(|name| cluster == "dev" || name != "it-tools")
    .collect()
}

/// The Kustomizations named by the section comments of `build`'s output, in order.
fn sections(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| line.strip_prefix("# Flux Kustomization flux-system/"))
        .map(|rest| rest.split(':').next().unwrap_or(rest).to_owned())
        .collect()
}

/// A remote base is not fetched: `build` says so in the section of its Kustomization, per
/// cluster at that cluster's tag, and builds the rest.
#[test]
fn a_remote_base_is_reported_as_not_rendered() {
    for (cluster, tag) in [("dev", "v0.0.32"), ("prod", "v0.0.31")] {
        let yaml = build(cluster, &["--app", "local-path-provisioner"]).stdout;
        let line = format!(
            "# remote base https://github.com/rancher/local-path-provisioner//deploy?ref={tag} \
             (not rendered: build fetches nothing)"
        );
        assert!(yaml.lines().any(|l| l == line), "{cluster}:\n{yaml}");
    }
}

/// A component's patch and the component it uses reach what Flux applies: echo uses `hardened`
/// at the Flux level, whose patch sets the pod securityContext of every Deployment and whose
/// nested component `ingress-only` adds a NetworkPolicy; the vendored kustomize directory's
/// own `labels` and the cluster's variables are applied too.
#[test]
fn component_patches_and_nested_components_are_applied() {
    let yaml = build("dev", &["--app", "echo"]).stdout;
    for expected in [
        "        runAsNonRoot: true",
        "  name: echo-ingress-only",
        "    app.kubernetes.io/part-of: echo",
        "          value: echo.dev.home.arpa",
    ] {
        assert!(
            yaml.lines().any(|line| line == expected),
            "{expected}:\n{yaml}"
        );
    }
}

#[test]
fn every_flux_kustomization_is_built_in_apply_order() {
    for cluster in ["dev", "prod"] {
        let yaml = build(cluster, &[]).stdout;
        assert_eq!(
            sections(&yaml),
            expected_kustomizations(cluster),
            "{cluster}"
        );

        let dir = tempfile::tempdir().expect("temp dir");
        let split = dir.path().join("out");
        build(cluster, &["--split", &split.display().to_string()]);
        let files: BTreeSet<String> = fs::read_dir(&split)
            .expect("read --split dir")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let expected: BTreeSet<String> = expected_kustomizations(cluster)
            .iter()
            .map(|name| format!("{name}.yaml"))
            .collect();
        assert_eq!(files, expected, "{cluster}");
        // The files hold the same sections as stdout, in the same form.
        for name in expected_kustomizations(cluster) {
            let file = fs::read_to_string(split.join(format!("{name}.yaml"))).expect("read");
            assert!(
                yaml.contains(&file),
                "{cluster}: {name}.yaml differs from stdout"
            );
        }
    }
}

/// Every `${...}` in `text`, in order, with nesting (`${A:=${B}}` is one).
fn references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let mut depth = 0;
        let mut end = None;
        for (offset, c) in rest[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + offset + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.unwrap_or(rest.len());
        found.push(rest[start..end].to_owned());
        rest = &rest[end..];
    }
    found
}

/// What the spec's manifests escape as `$${...}` so Flux leaves `${...}` for the app (Grafana
/// variables in the dashboard, shell variables in paperless's script).
fn escaped_in_spec() -> BTreeSet<String> {
    let files = common::files_under(&common::repo_root().join("spec"), |path| {
        path.extension().is_some_and(|e| e == "yaml")
    })
    .expect("walk spec/");
    let mut escaped = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read spec file");
        // Comments talk about escapes; only what Flux substitutes counts.
        let text: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        for (index, _) in text.match_indices("$${") {
            escaped.extend(references(&text[index + 1..]).into_iter().take(1));
        }
    }
    escaped
}

#[test]
fn nothing_is_left_unsubstituted_but_the_escapes() {
    let escaped = escaped_in_spec();
    assert!(
        escaped.contains("${namespace}") && escaped.contains("${DOCUMENT_TAGS:-none}"),
        "the spec's escapes were not found: {escaped:?}"
    );
    for cluster in ["dev", "prod"] {
        let yaml = build(cluster, &[]).stdout;
        // grafana-dashboards and paperless, which hold every escape, run on both clusters.
        let left: BTreeSet<String> = references(&yaml).into_iter().collect();
        assert_eq!(left, escaped, "{cluster}");
        assert!(
            !yaml.contains("$${"),
            "{cluster}: an escape was not resolved"
        );
    }
}

/// Every object of `build`'s output.
fn objects(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).expect("build prints YAML")
}

fn find<'a>(objects: &'a [Value], kind: &str, namespace: &str, name: &str) -> Option<&'a Value> {
    objects.iter().find(|object| {
        object["kind"] == kind
            && object["metadata"]["namespace"] == namespace
            && object["metadata"]["name"] == name
    })
}

/// Helm apps: (app, namespace, chart source) per cluster version, from each `helm` block's
/// `version` lines in spec/homelab.kdl.
#[derive(Clone, Copy)]
enum Chart {
    /// `oci://`: the version is the OCIRepository's `ref.tag`, or its `ref.semver` for a range.
    Oci,
    /// `https://` with `chart=`: the version is the HelmRelease's `spec.chart.spec.version`.
    Repository,
}

const HELM: [(&str, &str, Chart, &str, &str); 7] = [
    // (app, namespace, source, dev version, prod version)
    (
        "cert-manager",
        "cert-manager",
        Chart::Oci,
        ">=1.19.1 <1.20.0",
        "v1.18.2",
    ),
    (
        "ingress-nginx",
        "ingress-nginx",
        Chart::Repository,
        "4.13.0",
        "4.12.1",
    ),
    (
        "cloudnative-pg",
        "cnpg-system",
        Chart::Oci,
        "0.27.1",
        "0.26.0",
    ),
    (
        "metrics-server",
        "kube-system",
        Chart::Repository,
        "3.12.2",
        "3.12.2",
    ),
    ("podinfo", "podinfo", Chart::Oci, "6.9.2", "6.9.1"),
    ("grafana", "grafana", Chart::Oci, "10.5.14", "9.2.1"),
    ("sonarr", "sonarr", Chart::Oci, "4.4.0", "4.4.0"),
];

/// Images in Helm values (`values-path`): (app, which is also its namespace, the path's keys, image,
/// dev tag, prod tag), from each such `image` block and spec/apps/sonarr/values.yaml.
const VALUES_IMAGES: [(&str, &[&str], &str, &str, &str); 2] = [
    (
        "sonarr",
        &["controllers", "sonarr", "containers", "app", "image"],
        "ghcr.io/home-operations/sonarr",
        "4.0.16.2944",
        "4.0.15.2941",
    ),
    (
        "sonarr",
        &["controllers", "sonarr", "containers", "exporter", "image"],
        "ghcr.io/onedr0p/exportarr",
        "v2.2.0",
        "v2.2.0",
    ),
];

/// Image apps: (app's namespace, image, dev tag, prod tag), from each `image` block.
const IMAGES: [(&str, &str, &str, &str); 5] = [
    ("miniflux", "ghcr.io/miniflux/miniflux", "2.2.18", "2.2.15"),
    (
        "paperless",
        "ghcr.io/paperless-ngx/paperless-ngx",
        "2.18.4",
        "2.16.3",
    ),
    ("paperless", "docker.io/valkey/valkey", "8.1.4", "8.1.4"),
    ("whoami", "traefik/whoami", "v1.11.0", "v1.11.0"),
    // `clusters "dev"`: not on prod.
    (
        "it-tools",
        "ghcr.io/corentinth/it-tools",
        "2024.10.22-7ca5933",
        "",
    ),
];

/// Every container image (`name:tag`) of the workloads in `namespace`.
fn images_in(objects: &[Value], namespace: &str) -> Vec<String> {
    let mut images = Vec::new();
    for object in objects
        .iter()
        .filter(|object| object["metadata"]["namespace"] == namespace)
    {
        let pod = &object["spec"]["template"]["spec"];
        for list in ["containers", "initContainers"] {
            for container in pod[list].as_array().into_iter().flatten() {
                if let Some(image) = container["image"].as_str() {
                    images.push(image.to_owned());
                }
            }
        }
    }
    images
}

#[test]
fn each_cluster_gets_its_own_versions() {
    for (cluster, column) in [("dev", 0), ("prod", 1)] {
        let objects = objects(&build(cluster, &[]).stdout);
        let mut failures = Vec::new();
        for (app, namespace, chart, dev, prod) in HELM {
            let version = [dev, prod][column];
            let Some(release) = find(&objects, "HelmRelease", namespace, app) else {
                failures.push(format!("{cluster}: no HelmRelease {namespace}/{app}"));
                continue;
            };
            let found = match chart {
                Chart::Oci => {
                    let repository = find(&objects, "OCIRepository", namespace, app);
                    if release["spec"]["chartRef"]["name"] != app || repository.is_none() {
                        failures.push(format!("{cluster}: {app} has no OCIRepository chartRef"));
                    }
                    // A range is never a tag: `ref` holds the one field that says which.
                    let (field, other) = if version.starts_with(['<', '>', '=', '~', '^', '*']) {
                        ("semver", "tag")
                    } else {
                        ("tag", "semver")
                    };
                    repository.map(|r| {
                        if r["spec"]["ref"].get(other).is_some() {
                            failures.push(format!("{cluster}: {app} has `ref.{other}` too"));
                        }
                        r["spec"]["ref"][field].clone()
                    })
                }
                Chart::Repository => {
                    let source = &release["spec"]["chart"]["spec"]["sourceRef"]["name"];
                    if source
                        .as_str()
                        .and_then(|s| find(&objects, "HelmRepository", namespace, s))
                        .is_none()
                    {
                        failures.push(format!("{cluster}: {app} has no HelmRepository"));
                    }
                    Some(release["spec"]["chart"]["spec"]["version"].clone())
                }
            };
            if found.as_ref().and_then(Value::as_str) != Some(version) {
                failures.push(format!(
                    "{cluster}: {app} wants chart {version}, has {found:?}"
                ));
            }
        }
        for (app, keys, image, dev, prod) in VALUES_IMAGES {
            let tag = [dev, prod][column];
            let Some(release) = find(&objects, "HelmRelease", app, app) else {
                failures.push(format!("{cluster}: no HelmRelease {app}/{app}"));
                continue;
            };
            let at = keys
                .iter()
                .fold(&release["spec"]["values"], |values, key| &values[*key]);
            if at["repository"] != image || at["tag"] != tag {
                failures.push(format!(
                    "{cluster}: {app}'s values at {} hold {at}, want {image}:{tag}",
                    keys.join(".")
                ));
            }
            // The base values stay: the cluster's patch merges into them.
            if release["spec"]["values"]["service"]["app"]["controller"] != "sonarr" {
                failures.push(format!("{cluster}: {app}'s base values are lost"));
            }
        }
        for (namespace, image, dev, prod) in IMAGES {
            let tag = [dev, prod][column];
            let used: Vec<String> = images_in(&objects, namespace)
                .into_iter()
                .filter(|used| used.rsplit_once(':').is_some_and(|(name, _)| name == image))
                .collect();
            match (tag.is_empty(), used.is_empty()) {
                (true, true) => {}
                (true, false) => failures.push(format!("{cluster}: {image} should not run here")),
                (false, true) => failures.push(format!("{cluster}: no workload runs {image}")),
                (false, false) => {
                    for used in used
                        .iter()
                        .filter(|used| **used != format!("{image}:{tag}"))
                    {
                        failures.push(format!("{cluster}: {used}, want tag {tag}"));
                    }
                }
            }
        }
        common::assert_no_failures("version", &failures);
    }
}

/// `build`'s output reduced to its outline: the section comments and, per object, its
/// `Kind/namespace/name`.
fn outline(yaml: &str) -> String {
    let mut outline = Vec::new();
    let mut document = String::new();
    // A line `---` or a comment at column 0 ends the document before it.
    for line in yaml.lines().chain(std::iter::once("---")) {
        if line != "---" && !line.starts_with("# ") {
            document.push_str(line);
            document.push('\n');
            continue;
        }
        if !document.trim().is_empty() {
            let object: Value = serde_saphyr::from_str(&document).expect("an object");
            let field = |value: &Value| value.as_str().unwrap_or("?").to_owned();
            let kind = field(&object["kind"]);
            let name = field(&object["metadata"]["name"]);
            outline.push(match object["metadata"]["namespace"].as_str() {
                Some(namespace) => format!("  {kind}/{namespace}/{name}"),
                None => format!("  {kind}/{name}"),
            });
        }
        document.clear();
        if line.starts_with("# ") {
            outline.push(line.to_owned());
        }
    }
    outline.join("\n")
}

#[test]
fn object_list_snapshots() {
    for cluster in ["dev", "prod"] {
        let run = build(cluster, &[]);
        insta::assert_snapshot!(
            format!("build_{cluster}"),
            format!("{}\n\nstderr:\n{}", outline(&run.stdout), run.stderr)
        );
    }
}

#[test]
fn one_app_only() {
    let yaml = build("dev", &["--app", "whoami"]).stdout;
    assert_eq!(sections(&yaml), ["whoami"]);
    let kinds: BTreeMap<String, usize> =
        objects(&yaml)
            .iter()
            .fold(BTreeMap::new(), |mut kinds, object| {
                *kinds
                    .entry(object["kind"].as_str().unwrap_or("?").to_owned())
                    .or_default() += 1;
                kinds
            });
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("Deployment".to_owned(), 1),
            ("Ingress".to_owned(), 1),
            ("Service".to_owned(), 1)
        ])
    );
}

#[test]
fn unknown_cluster_and_app_are_errors_with_suggestions() {
    common::tool("kubectl");
    let run = |args: &[&str]| {
        common::finish(
            common::fluxspec(common::repo_root())
                .env("PATH", common::tools_bin())
                .args(["build", "--spec", "spec/homelab.kdl"])
                .args(args),
        )
    };
    let cluster = run(&["--cluster", "prdo"]);
    let stderr = &cluster.expect_code(2).stderr;
    assert!(
        stderr.contains("unknown cluster `prdo`") && stderr.contains("did you mean `prod`?"),
        "{stderr}"
    );
    let app = run(&["--cluster", "prod", "--app", "it-tools"]);
    let stderr = &app.expect_code(2).stderr;
    assert!(
        stderr.contains("no Flux Kustomization `it-tools` on cluster `prod`"),
        "{stderr}"
    );
}

#[test]
fn a_missing_kustomize_names_the_install_command() {
    let empty = tempfile::tempdir().expect("temp dir");
    let run = common::finish(
        common::fluxspec(empty.path())
            .env("PATH", empty.path())
            .args(["build", "--cluster", "dev", "--spec"])
            .arg(common::repo_root().join("spec/homelab.kdl")),
    );
    let stderr = &run.expect_code(2).stderr;
    assert!(
        stderr.contains("neither `kustomize` nor `kubectl` is on PATH")
            && stderr.contains("scripts/install-test-tools.sh"),
        "{stderr}"
    );
}

/// The processes whose command line mentions `text`, by pid (Linux: read from `/proc`).
fn processes_mentioning(text: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(text))
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

// Regression: SIGINT or SIGTERM during `build` left `$TMPDIR/fluxspec-build-*` behind, and the
// kustomize processes running.
#[test]
fn an_interrupted_build_removes_its_temp_dir_and_kills_kustomize() {
    use std::time::{Duration, Instant};
    let path = common::path_with("kubectl");
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let tmp = tempfile::tempdir().expect("cannot create a temp dir");
        let mut child = common::fluxspec(common::repo_root())
            .env("PATH", &path)
            .env("TMPDIR", tmp.path())
            .args(["build", "--spec", "spec/homelab.kdl", "--cluster", "dev"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run fluxspec build");
        // Mid-run: once kustomize runs on the build directory.
        let started = Instant::now();
        while processes_mentioning(&tmp.path().display().to_string()).is_empty() {
            assert!(
                started.elapsed() < Duration::from_mins(1),
                "kustomize never started"
            );
            assert!(
                child.try_wait().expect("cannot wait").is_none(),
                "the build finished before it could be interrupted"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let kill = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(kill.success());
        let status = loop {
            if let Some(status) = child.try_wait().expect("cannot wait") {
                break status;
            }
            if started.elapsed() > Duration::from_mins(1) {
                let _ = child.kill();
                panic!("SIG{signal}: the build did not stop");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(code), "SIG{signal}: {status}");
        let left: Vec<_> = fs::read_dir(tmp.path())
            .expect("cannot list TMPDIR")
            .map(|entry| entry.expect("cannot list TMPDIR").path())
            .collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
        assert_eq!(
            processes_mentioning(&tmp.path().display().to_string()),
            Vec::<String>::new(),
            "SIG{signal}: kustomize still runs"
        );
    }
}

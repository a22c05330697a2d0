//! Hand ports of real Flux repositories (`tests/ports/<name>/`, see its README) apply what the
//! originals apply.
//!
//! Per cluster, both trees are rendered as kustomize-controller renders them, with the engine
//! behind `fluxspec build`: the vendored original with `build --repo <dir> --path <cluster>`, the
//! port with `build --spec tests/ports/<name>/spec/homelab.kdl --cluster <c>`. The test compares
//! the set of objects (kind, namespace, name); for every Kustomization, HelmRelease,
//! OCIRepository and HelmRepository on both sides, its `spec` after the normalisation of
//! [`normalised_spec`]; and for every Namespace, its labels and annotations. Every difference must be on the port's allow-list, with its reason (the
//! same words as the README), and every allow-list entry must still match a difference: a
//! difference that goes away, or a new one, fails the test.
//!
//! It also runs `fluxspec check` on each port, so its committed `generated/` is current.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

/// One hand port.
struct Port {
    /// The directory under `tests/ports/`.
    name: &'static str,
    /// The vendored original under `tests/import/repos/`.
    original: &'static str,
    /// Per cluster: the original's `--path` and the spec's cluster name.
    clusters: &'static [(&'static str, &'static str)],
    /// The original's Flux Kustomizations (`namespace/name`) and the port's that apply the same
    /// objects; one original Kustomization may become several apps.
    kustomizations: &'static [(&'static str, &'static [&'static str])],
    /// Other objects the port names differently: `Kind namespace/name` in the original, then in
    /// the port. References to a renamed source (`chartRef`) are renamed with it.
    renames: &'static [(&'static str, &'static str)],
    /// The differences left, as patterns over the lines [`differences`] writes (`*` matches any
    /// text), each with its reason.
    allowed: &'static [(&'static str, &'static str)],
}

/// The kinds whose `spec` is compared.
const COMPARED_KINDS: [&str; 4] = [
    "Kustomization",
    "HelmRelease",
    "OCIRepository",
    "HelmRepository",
];

const FLUX2_KUSTOMIZE_HELM_EXAMPLE: Port = Port {
    name: "flux2-kustomize-helm-example",
    original: "flux2-kustomize-helm-example",
    clusters: &[
        ("clusters/staging", "staging"),
        ("clusters/production", "production"),
    ],
    kustomizations: &[
        (
            "flux-system/infra-controllers",
            &["flux-system/cert-manager", "flux-system/envoy-gateway"],
        ),
        ("flux-system/infra-configs", &["flux-system/infra-configs"]),
        ("flux-system/apps", &["flux-system/podinfo"]),
    ],
    renames: &[(
        "OCIRepository envoy-gateway-system/gateway-helm",
        "OCIRepository envoy-gateway-system/envoy-gateway",
    )],
    allowed: &[
        (
            "*: only in the original: ArtifactGenerator flux-system/flux-system",
            "the port syncs its own tree from the GitRepository; fluxspec has no ArtifactGenerator",
        ),
        (
            "*: only in the port: Kustomization flux-system/platform-*",
            "fluxspec's root Kustomizations (platform, apps) apply the apps' Kustomizations",
        ),
        (
            "*: only in the port: Kustomization flux-system/apps-*",
            "fluxspec's root Kustomizations (platform, apps) apply the apps' Kustomizations",
        ),
        (
            "*: only in the port: ConfigMap flux-system/cluster-config",
            "fluxspec's per-cluster variables, read by every app's substituteFrom",
        ),
        (
            "*: Kustomization flux-system/* spec.sourceRef.*",
            "the original reads ExternalArtifacts its ArtifactGenerator makes; the port reads the GitRepository",
        ),
        (
            "*: Namespace /* metadata.annotations",
            "fluxspec's Namespaces are never pruned (kustomize.toolkit.fluxcd.io/prune: disabled); the original's are",
        ),
        (
            "*: Kustomization flux-system/* spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing",
        ),
    ],
};

const ONEDR0P_HOME_OPS: Port = Port {
    name: "onedr0p-home-ops",
    original: "onedr0p-home-ops",
    clusters: &[("kubernetes/flux/cluster", "main")],
    kustomizations: &[
        ("cert-manager/cert-manager", &["flux-system/cert-manager"]),
        ("default/agregarr", &["flux-system/agregarr"]),
        ("default/atuin", &["flux-system/atuin"]),
        ("default/autobrr", &["flux-system/autobrr"]),
        ("default/bazarr", &["flux-system/bazarr"]),
        ("default/brrpolice", &["flux-system/brrpolice"]),
        ("default/chaski", &["flux-system/chaski"]),
        ("default/cleanrr", &["flux-system/cleanrr"]),
        ("default/go2rtc", &["flux-system/go2rtc"]),
        ("default/home-assistant", &["flux-system/home-assistant"]),
        (
            "default/home-assistant-mcp",
            &["flux-system/home-assistant-mcp"],
        ),
        ("default/plex", &["flux-system/plex"]),
        ("default/plex-tools", &["flux-system/plex-off-deck"]),
        ("default/prowlarr", &["flux-system/prowlarr"]),
        ("default/qbittorrent", &["flux-system/qbittorrent"]),
        ("default/qui", &["flux-system/qui"]),
        ("default/radarr", &["flux-system/radarr"]),
        ("default/recyclarr", &["flux-system/recyclarr"]),
        ("default/sabnzbd", &["flux-system/sabnzbd"]),
        ("default/seerr", &["flux-system/seerr"]),
        ("default/slskd", &["flux-system/slskd"]),
        ("default/smtp-relay", &["flux-system/smtp-relay"]),
        ("default/sonarr", &["flux-system/sonarr"]),
        ("default/tautulli", &["flux-system/tautulli"]),
        ("default/thelounge", &["flux-system/thelounge"]),
        ("default/zwave", &["flux-system/zwave"]),
        ("flux-system/flux-instance", &["flux-system/flux-instance"]),
        ("flux-system/flux-operator", &["flux-system/flux-operator"]),
        ("flux-system/konflate", &["flux-system/konflate"]),
        ("kopiur-system/kopiur", &["flux-system/kopiur"]),
        (
            "kopiur-system/kopiur-repository",
            &["flux-system/kopiur-repository"],
        ),
        ("system-upgrade/tuppr", &["flux-system/tuppr"]),
        (
            "system-upgrade/tuppr-upgrades",
            &["flux-system/tuppr-upgrades"],
        ),
    ],
    renames: &[],
    allowed: &[
        (
            "main: only in the original: Kustomization flux-system/cluster-apps",
            "the original's root Kustomization; fluxspec's roots are platform-main and apps-main",
        ),
        (
            "main: only in the port: Kustomization flux-system/platform-main",
            "fluxspec's root Kustomizations (platform, apps) apply the apps' Kustomizations",
        ),
        (
            "main: only in the port: Kustomization flux-system/apps-main",
            "fluxspec's root Kustomizations (platform, apps) apply the apps' Kustomizations",
        ),
        (
            "main: only in the port: ConfigMap flux-system/cluster-config",
            "fluxspec's per-cluster variables, read by every app's substituteFrom",
        ),
        (
            "main: only in the port: Kustomization flux-system/*-namespace",
            "what each namespace's kustomization.yaml adds (alerts, kopiur secret) is an app of its own in the port; the original's root applies it",
        ),
        (
            "main: only in the original: ConfigMap default/sonarr-configmap",
            "a kustomize directory copies only YAML and JSON files, so the generator's shell scripts cannot be ported",
        ),
        (
            "main: Kustomization flux-system/* spec.patches",
            "the original patches every HelmRelease from its root Kustomization; the port's defaults write the same fields into each HelmRelease",
        ),
        (
            "main: Kustomization flux-system/cert-manager spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/chaski spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/cleanrr spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/flux-instance spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/flux-operator spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/go2rtc spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/konflate spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/kopiur spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/kopiur-repository spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/plex-off-deck spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/smtp-relay spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/tuppr spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/tuppr-upgrades spec.postBuild",
            "fluxspec always substitutes APP (and the cluster's variables); the original substitutes nothing here",
        ),
        (
            "main: Kustomization flux-system/cert-manager spec.healthChecks",
            "a health-check always names a namespace (the app's), so the cluster-scoped ClusterIssuer gets one",
        ),
        (
            "main: Kustomization flux-system/home-assistant spec.dependsOn",
            "depends-on names apps of the spec; kube-system/multus-networks is not vendored",
        ),
        (
            "main: Kustomization flux-system/slskd spec.dependsOn",
            "depends-on names apps of the spec; kube-system/multus-networks is not vendored",
        ),
    ],
};

/// Every port, in the order of the README.
const PORTS: [&Port; 2] = [&FLUX2_KUSTOMIZE_HELM_EXAMPLE, &ONEDR0P_HOME_OPS];

/// The objects of `fluxspec build ... --format json`, by `Kind namespace/name`.
fn build(args: &[&str]) -> BTreeMap<String, Value> {
    let run = common::finish(
        common::fluxspec(common::repo_root())
            .env("PATH", common::path_with("kubectl"))
            .arg("build")
            .args(args)
            .args(["--format", "json"]),
    );
    run.expect_code(0);
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(&run.stdout) else {
        panic!("build --format json prints an array:\n{}", run.stdout);
    };
    entries
        .into_iter()
        .map(|mut entry| {
            let object = entry["object"].take();
            (key(&object), object)
        })
        .collect()
}

/// `Kind namespace/name` of an object (`Kind /name` when it has no namespace).
fn key(object: &Value) -> String {
    let text = |field: &str| object["metadata"][field].as_str().unwrap_or("").to_owned();
    format!(
        "{} {}/{}",
        object["kind"].as_str().unwrap_or(""),
        text("namespace"),
        text("name")
    )
}

/// The original's objects under the port's names: renamed objects, and each Flux Kustomization
/// as the ones of the port it maps to.
fn renamed(port: &Port, objects: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (key, mut object) in objects {
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if let Some(reference) = object["spec"].get_mut("chartRef") {
            let referenced = format!(
                "{} {namespace}/{}",
                reference["kind"].as_str().unwrap_or(""),
                reference["name"].as_str().unwrap_or("")
            );
            if let Some((_, to)) = port.renames.iter().find(|(from, _)| *from == referenced) {
                reference["name"] = Value::from(to.rsplit('/').next().unwrap_or(to));
            }
        }
        let targets: Vec<String> = match kustomization_targets(port, &key) {
            Some(targets) => targets,
            None => vec![
                port.renames
                    .iter()
                    .find(|(from, _)| *from == key)
                    .map_or(key, |(_, to)| (*to).to_owned()),
            ],
        };
        for target in targets {
            out.insert(target, object.clone());
        }
    }
    out
}

/// The port's Kustomizations (`Kustomization namespace/name`) an original Kustomization maps to.
fn kustomization_targets(port: &Port, key: &str) -> Option<Vec<String>> {
    let name = key.strip_prefix("Kustomization ")?;
    port.kustomizations
        .iter()
        .find(|(from, _)| *from == name)
        .map(|(_, to)| to.iter().map(|t| format!("Kustomization {t}")).collect())
}

/// A `spec` as compared. For a Kustomization, what depends on the tree's shape and what fluxspec
/// adds to every app is left out: `path` (where the files are), the `cluster-config` entry of
/// `substituteFrom`;
/// `wait: false`, and a `retryInterval` or `timeout` equal to `interval`, are Flux's defaults, so
/// the same as none; a patch's text loses its
/// trailing newline (a KDL multi-line string has none; the patch is the same); a component's
/// path becomes its name ([`component_name`]: the paths differ with the tree); and `dependsOn`
/// is a sorted list of `namespace/name`, the original's mapped to the port's names.
fn normalised_spec(port: Option<&Port>, object: &Value) -> Value {
    let mut spec = object["spec"].clone();
    if object["kind"] != "Kustomization" {
        return spec;
    }
    let Some(fields) = spec.as_object_mut() else {
        return spec;
    };
    fields.remove("path");
    if fields.get("wait") == Some(&Value::Bool(false)) {
        fields.remove("wait");
    }
    for defaults_to_interval in ["retryInterval", "timeout"] {
        if fields.get(defaults_to_interval).is_some()
            && fields.get(defaults_to_interval) == fields.get("interval")
        {
            fields.remove(defaults_to_interval);
        }
    }
    if let Some(Value::Array(components)) = fields.get_mut("components") {
        for component in components {
            if let Some(path) = component.as_str() {
                *component = Value::from(component_name(path));
            }
        }
    }
    if let Some(Value::Array(patches)) = fields.get_mut("patches") {
        for patch in patches {
            if let Some(text) = patch["patch"].as_str() {
                patch["patch"] = Value::from(text.trim_end());
            }
        }
    }
    if let Some(Value::Array(from)) = fields
        .get_mut("postBuild")
        .and_then(|post_build| post_build.get_mut("substituteFrom"))
    {
        from.retain(|source| {
            !(source["kind"] == "ConfigMap" && source["name"] == "cluster-config")
        });
    }
    let own_namespace = object["metadata"]["namespace"].as_str().unwrap_or("");
    if let Some(Value::Array(depends_on)) = fields.get_mut("dependsOn") {
        let mut names: Vec<Value> = depends_on
            .iter()
            .flat_map(|dependency| {
                let name = format!(
                    "{}/{}",
                    dependency["namespace"].as_str().unwrap_or(own_namespace),
                    dependency["name"].as_str().unwrap_or("")
                );
                match port.and_then(|port| port.kustomizations.iter().find(|(f, _)| *f == name)) {
                    Some((_, to)) => to.iter().map(|t| Value::from(*t)).collect(),
                    None => vec![Value::from(name)],
                }
            })
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        *depends_on = names;
    }
    prune_empty(&mut spec);
    spec
}

/// A Flux-level component's path as the name fluxspec gives it: what follows `components/`,
/// with `/` read as `-` (`../../../../components/kopiur/backup` is `kopiur-backup`).
fn component_name(path: &str) -> String {
    path.rsplit_once("components/")
        .map_or(path, |(_, name)| name)
        .replace('/', "-")
}

/// Removes empty maps and lists, recursively: a normalisation that emptied one leaves nothing.
fn prune_empty(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for field in fields.values_mut() {
                prune_empty(field);
            }
            fields.retain(|_, field| !is_empty(field));
        }
        Value::Array(items) => items.iter_mut().for_each(prune_empty),
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(fields) => fields.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The paths (`spec.a.b`) where two values differ, with both sides: maps key by key, anything
/// else (lists included) as a whole.
fn value_differences(path: &str, original: &Value, port: &Value, out: &mut Vec<(String, String)>) {
    match (original, port) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
            let absent = Value::Null;
            for key in keys {
                value_differences(
                    &format!("{path}.{key}"),
                    left.get(key).unwrap_or(&absent),
                    right.get(key).unwrap_or(&absent),
                    out,
                );
            }
        }
        (left, right) if left == right => {}
        (left, right) => out.push((path.to_owned(), format!("original {left}, port {right}"))),
    }
}

/// Every difference on one cluster: a line (what the allow-list matches) and its details.
fn differences(port: &Port, original_path: &str, cluster: &str) -> Vec<(String, String)> {
    let original_dir = format!("tests/import/repos/{}", port.original);
    let original = renamed(
        port,
        build(&["--repo", &original_dir, "--path", original_path]),
    );
    let spec = format!("tests/ports/{}/spec/homelab.kdl", port.name);
    let ported = build(&["--spec", &spec, "--cluster", cluster]);
    let mut out = Vec::new();
    for key in original.keys().filter(|key| !ported.contains_key(*key)) {
        out.push((
            format!("{cluster}: only in the original: {key}"),
            String::new(),
        ));
    }
    for key in ported.keys().filter(|key| !original.contains_key(*key)) {
        out.push((format!("{cluster}: only in the port: {key}"), String::new()));
    }
    for (key, left) in &original {
        let (Some(right), Some(kind)) = (ported.get(key), left["kind"].as_str()) else {
            continue;
        };
        let mut paths = Vec::new();
        if kind == "Namespace" {
            for field in ["labels", "annotations"] {
                value_differences(
                    &format!("metadata.{field}"),
                    &left["metadata"][field],
                    &right["metadata"][field],
                    &mut paths,
                );
            }
        } else if COMPARED_KINDS.contains(&kind) {
            value_differences(
                "spec",
                &normalised_spec(Some(port), left),
                &normalised_spec(None, right),
                &mut paths,
            );
        }
        for (path, detail) in paths {
            out.push((format!("{cluster}: {key} {path}"), detail));
        }
    }
    out
}

/// Whether `text` matches `pattern`, where `*` matches any text (a shell glob without `?` or
/// classes).
fn matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else {
                return false;
            };
            (0..=text.len())
                .filter(|at| text.is_char_boundary(*at))
                .any(|at| matches(rest, &text[at..]))
        }
    }
}

/// Checks one port: its generated tree is current, and every difference is allowed.
fn check_port(port: &Port) {
    let spec = format!("tests/ports/{}/spec/homelab.kdl", port.name);
    common::run(common::repo_root(), &["check", "--spec", &spec]).expect_code(0);

    let found: Vec<(String, String)> = port
        .clusters
        .iter()
        .flat_map(|(path, cluster)| differences(port, path, cluster))
        .collect();
    let mut failures = Vec::new();
    for (line, detail) in &found {
        if !port
            .allowed
            .iter()
            .any(|(pattern, _)| matches(pattern, line))
        {
            failures.push(format!("not on the allow-list: {line}\n    {detail}"));
        }
    }
    for (pattern, reason) in port.allowed {
        if !found.iter().any(|(line, _)| matches(pattern, line)) {
            failures.push(format!(
                "allowed but gone (remove it): {pattern} ({reason})"
            ));
        }
    }
    let mut listing = String::new();
    for (line, detail) in &found {
        let _ = writeln!(listing, "{line}  {detail}");
    }
    assert!(
        failures.is_empty(),
        "port `{}`:\n{}\n\nevery difference found:\n{listing}",
        port.name,
        failures.join("\n")
    );
}

#[test]
fn flux2_kustomize_helm_example_applies_what_the_original_applies() {
    check_port(&FLUX2_KUSTOMIZE_HELM_EXAMPLE);
}

#[test]
fn every_port_directory_is_tested() {
    let ports = common::repo_root().join("tests/ports");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&ports)
        .unwrap_or_else(|e| panic!("{}: {e}", ports.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let tested: BTreeSet<String> = PORTS.iter().map(|port| port.name.to_owned()).collect();
    assert_eq!(on_disk, tested, "every tests/ports/<name>/ has a Port here");
    assert!(ports.join("README.md").is_file(), "tests/ports/README.md");
}

#[test]
fn the_glob_matches_as_documented() {
    assert!(matches("*: a b/*", "staging: a b/c"));
    assert!(matches("x", "x"));
    assert!(!matches("x*y", "xz"));
}

#[test]
fn onedr0p_home_ops_applies_what_the_original_applies() {
    check_port(&ONEDR0P_HOME_OPS);
}

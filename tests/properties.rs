//! Laws over generated specs: any valid spec compiles, without errors, and compiling it twice
//! gives the same bytes.
//!
//! The generator builds specs valid by construction: dependencies only on earlier apps of a
//! compatible layer deployed wherever the dependent is, a version for every cluster an app runs
//! on, every component variable set, every `${VAR}` defined. Values are arbitrary text (quotes,
//! `$`, braces, non-ASCII), so quoting and escaping are exercised on the way.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use proptest::prelude::*;

/// Text for variable values and labels: printable, with the characters that need escaping in
/// KDL or YAML, or that Flux treats specially.
fn value() -> impl Strategy<Value = String> {
    "[ a-zA-Z0-9:/._\\-$\"\\\\{}#'äé€]{0,16}"
}

/// A `var` value: such text with each `$` written `$$`, Flux's escape, since fluxspec resolves
/// `${...}` in variable values when it compiles.
fn var_value() -> impl Strategy<Value = String> {
    value().prop_map(|text| text.replace('$', "$$"))
}

#[derive(Debug, Clone)]
enum Source {
    Manifests,
    Image { tag: String },
    OciChart { version: String },
    RepositoryChart { version: String },
}

#[derive(Debug, Clone)]
struct App {
    platform: bool,
    /// Indices into the clusters; `None` is every cluster.
    clusters: Option<BTreeSet<usize>>,
    /// Candidate dependencies (indices of earlier apps); kept only where valid.
    depends_on: BTreeSet<usize>,
    source: Source,
    /// Per-cluster version overrides (by cluster index).
    overrides: BTreeSet<usize>,
    default_version: bool,
    uses_component: bool,
    var: Option<String>,
    /// A cluster block with a patch and a variable, on this cluster index (if deployed there).
    block: Option<usize>,
    label: Option<String>,
}

#[derive(Debug, Clone)]
struct Spec {
    /// One `DOMAIN` value per cluster.
    clusters: Vec<String>,
    component_default: Option<String>,
    apps: Vec<App>,
}

fn semver() -> impl Strategy<Value = String> {
    (0u32..20, 0u32..20, 0u32..20, any::<bool>()).prop_map(|(major, minor, patch, v)| {
        format!("{}{major}.{minor}.{patch}", if v { "v" } else { "" })
    })
}

fn app(clusters: usize) -> impl Strategy<Value = App> {
    let source = prop_oneof![
        Just(Source::Manifests),
        "[a-z0-9][a-z0-9._-]{0,10}".prop_map(|tag| Source::Image { tag }),
        semver().prop_map(|version| Source::OciChart { version }),
        semver().prop_map(|version| Source::RepositoryChart { version }),
    ];
    (
        any::<bool>(),
        proptest::option::of(proptest::collection::btree_set(0..clusters, 1..=clusters)),
        proptest::collection::btree_set(0usize..8, 0..3),
        source,
        proptest::collection::btree_set(0..clusters, 0..=clusters),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(var_value()),
        proptest::option::of(0..clusters),
        proptest::option::of("[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?"),
    )
        .prop_map(
            |(
                platform,
                clusters,
                depends_on,
                source,
                overrides,
                default_version,
                uses_component,
                var,
                block,
                label,
            )| App {
                platform,
                clusters,
                depends_on,
                source,
                overrides,
                default_version,
                uses_component,
                var,
                block,
                label,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..=3).prop_flat_map(|clusters| {
        (
            proptest::collection::vec(var_value(), clusters),
            proptest::option::of(var_value()),
            proptest::collection::vec(app(clusters), 1..6),
        )
            .prop_map(|(clusters, component_default, apps)| Spec {
                clusters,
                component_default,
                apps,
            })
    })
}

/// A KDL string: Rust's debug form of printable text is also valid KDL v2.
fn kdl(text: &str) -> String {
    format!("{text:?}")
}

/// Writes the spec and its files into `dir`; returns the spec text.
fn write_spec(spec: &Spec, dir: &Path) -> String {
    let cluster_names: Vec<String> = (0..spec.clusters.len()).map(|i| format!("c{i}")).collect();
    let mut text = String::from("settings {\n    output-path \"./generated\"\n}\n");
    for (name, domain) in cluster_names.iter().zip(&spec.clusters) {
        let _ = writeln!(
            text,
            "cluster {name:?} {{\n    var \"DOMAIN\" {}\n}}",
            kdl(domain)
        );
    }
    let component_dir = dir.join("components/db");
    fs::create_dir_all(&component_dir).expect("create component dir");
    fs::write(
        component_dir.join("db.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}-db\ndata:\n  name: ${DB_NAME}\n  size: ${DB_SIZE}\n  domain: ${DOMAIN}\n",
    )
    .expect("write component");
    let default = spec
        .component_default
        .as_ref()
        .map_or_else(String::new, |value| format!(" default={}", kdl(value)));
    let _ = writeln!(
        text,
        "component \"db\" {{\n    var \"DB_NAME\"\n    var \"DB_SIZE\"{default}\n}}"
    );

    // Which clusters each app runs on, to keep dependencies satisfiable.
    let all: BTreeSet<usize> = (0..spec.clusters.len()).collect();
    let deployed: Vec<BTreeSet<usize>> = spec
        .apps
        .iter()
        .map(|app| app.clusters.clone().unwrap_or_else(|| all.clone()))
        .collect();
    for index in 0..spec.apps.len() {
        write_app(&mut text, spec, index, &deployed, &cluster_names, dir);
    }
    fs::write(dir.join("homelab.kdl"), &text).expect("write spec");
    text
}

/// Writes app `index` into the spec text, and its files into `dir`.
fn write_app(
    text: &mut String,
    spec: &Spec,
    index: usize,
    deployed: &[BTreeSet<usize>],
    cluster_names: &[String],
    dir: &Path,
) {
    let app = &spec.apps[index];
    let name = format!("app{index}");
    let app_dir = dir.join("apps").join(&name);
    fs::create_dir_all(&app_dir).expect("create app dir");
    let _ = writeln!(text, "app {name:?} {{");
    if app.platform {
        text.push_str("    layer \"platform\"\n");
    }
    if let Some(clusters) = &app.clusters {
        text.push_str("    clusters");
        for cluster in clusters {
            let _ = write!(text, " {:?}", cluster_names[*cluster]);
        }
        text.push('\n');
    }
    let dependencies: Vec<String> = app
        .depends_on
        .iter()
        .filter(|&&dependency| dependency < index)
        .filter(|&&dependency| !app.platform || spec.apps[dependency].platform)
        .filter(|&&dependency| deployed[dependency].is_superset(&deployed[index]))
        .map(|dependency| format!("app{dependency}"))
        .collect();
    if !dependencies.is_empty() {
        text.push_str("    depends-on");
        for dependency in &dependencies {
            let _ = write!(text, " {dependency:?}");
        }
        text.push('\n');
    }
    fs::write(
        app_dir.join("config.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  app: ${{APP}}\n  cluster: ${{CLUSTER}}\n  host: {name}.${{DOMAIN}}\n  level: ${{LOG_LEVEL:=info}}\n  literal: $${{NOT_A_VAR}}\n"
        ),
    )
    .expect("write manifest");
    let _ = writeln!(text, "    manifests \"apps/{name}/config.yaml\"");
    if app.uses_component {
        let _ = writeln!(
            text,
            "    component \"db\" DB_NAME={name:?} DB_SIZE=\"1Gi\""
        );
    } else if spec.component_default.is_some() && index == 0 {
        let _ = writeln!(text, "    component \"db\" DB_NAME={name:?}");
    }
    if let Some(var) = &app.var {
        let _ = writeln!(text, "    var \"EXTRA\" {}", kdl(var));
    }
    if let Some(label) = &app.label {
        let _ = writeln!(text, "    label \"example.com/team\" {label:?}");
    }
    write_source(text, app, &name, &app_dir, &deployed[index], cluster_names);
    if let Some(cluster) = app
        .block
        .filter(|cluster| deployed[index].contains(cluster))
    {
        fs::write(
            app_dir.join("patch.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  level: ${{LOG_LEVEL}}\n"
            ),
        )
        .expect("write patch");
        let _ = writeln!(
            text,
            "    cluster {:?} {{\n        patch \"apps/{name}/patch.yaml\"\n        var \"LOG_LEVEL\" \"debug\"\n    }}",
            cluster_names[cluster]
        );
    }
    text.push_str("}\n");
}

/// Writes the app's image or chart with its versions.
fn write_source(
    text: &mut String,
    app: &App,
    name: &str,
    app_dir: &Path,
    deployed: &BTreeSet<usize>,
    cluster_names: &[String],
) {
    // Overrides only for clusters the app runs on; a default wherever one is missing.
    let overrides: BTreeSet<usize> = app.overrides.intersection(deployed).copied().collect();
    let default_version = app.default_version || !deployed.is_subset(&overrides);
    let versions = |text: &mut String, version: &str| {
        if default_version {
            let _ = writeln!(text, "        version {version:?}");
        }
        for cluster in &overrides {
            let _ = writeln!(
                text,
                "        version {version:?} cluster={:?}",
                cluster_names[*cluster]
            );
        }
    };
    match &app.source {
        Source::Manifests => {}
        Source::Image { tag } => {
            let _ = writeln!(text, "    image \"registry.example.com/{name}\" {{");
            versions(text, tag);
            text.push_str("    }\n");
        }
        Source::OciChart { version } => {
            let _ = writeln!(
                text,
                "    helm \"oci://registry.example.com/charts/{name}\" {{"
            );
            versions(text, version);
            fs::write(
                app_dir.join("values.yaml"),
                "host: ${APP}.${DOMAIN}\nreplicas: 1\n",
            )
            .expect("write values");
            let _ = writeln!(text, "        values \"apps/{name}/values.yaml\"");
            text.push_str("    }\n");
        }
        Source::RepositoryChart { version } => {
            let _ = writeln!(
                text,
                "    helm \"https://charts.example.com\" chart={name:?} {{"
            );
            versions(text, version);
            text.push_str("    }\n");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_spec_compiles_twice_to_the_same_bytes(spec in spec()) {
        let temp = tempfile::tempdir().expect("temp dir");
        let text = write_spec(&spec, temp.path());
        let first = fluxspec::testing::compile_spec_text(&text, temp.path(), false);
        let first = match first {
            Ok(files) => files,
            Err(report) => panic!("a valid spec failed:\n{text}\n{report}"),
        };
        prop_assert!(!first.is_empty());
        let second = fluxspec::testing::compile_spec_text(&text, temp.path(), false);
        prop_assert_eq!(Ok(first), second);
    }
}

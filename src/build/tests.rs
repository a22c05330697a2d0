//! What `build` does after kustomize: substitution, its variable sources and common metadata.
//!
//! The `controller_*` tests are kustomize-controller's own substitution tests,
//! `internal/controller/kustomization_varsub_test.go` at commit
//! 3e512c54b6bbd2fda83925700380d2c30097f67e, run through `post_build` with the same manifests,
//! variables and expectations. Upstream's Secret sources become ConfigMaps here (`build` reads
//! ConfigMaps only); the order rule they exercise is the same for both kinds.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::charts::helm_charts;
use super::flux::FluxKustomization;
use super::object::Object;
use super::post_build::{UnreadSecret, post_build};
use super::{BuildError, BuiltKustomization, BuiltObject, Kustomize, Workspace, built_object};
use crate::compile::Rendered;
use crate::tree::FileTree;

/// A Flux Kustomization `app` in `flux-system` with the given `spec`.
fn kustomization(spec: Value) -> FluxKustomization {
    let mut value = json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "app", "namespace": "flux-system"},
    });
    value["spec"] = spec;
    let object = Object::from_value(value).unwrap();
    FluxKustomization::from_object(&object).unwrap().unwrap()
}

/// What an earlier Kustomization applied: ConfigMaps in `flux-system`.
fn applied(config_maps: &[(&str, Value)]) -> Vec<BuiltKustomization> {
    let objects = config_maps
        .iter()
        .map(|(name, data)| {
            built_object(
                Object::from_value(json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": "flux-system"},
                    "data": data,
                }))
                .unwrap(),
            )
            .unwrap()
        })
        .collect();
    vec![BuiltKustomization {
        name: "platform".to_owned(),
        namespace: "flux-system".to_owned(),
        path: "./platform".to_owned(),
        suspended: false,
        objects,
        remote_bases: Vec::new(),
    }]
}

fn run(
    spec: Value,
    earlier: &[BuiltKustomization],
    output: &str,
) -> Result<Vec<BuiltObject>, BuildError> {
    let earlier: Vec<&BuiltKustomization> = earlier.iter().collect();
    post_build(&kustomization(spec), output, &earlier, false).map(|built| built.objects)
}

fn labels(object: &BuiltObject) -> BTreeMap<String, String> {
    object.object.string_map(&["metadata", "labels"])
}

#[test]
fn controller_varsub_takes_sources_in_order_then_inline() {
    let manifests = r#"---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vars
  namespace: vars
  labels:
    environment: ${env:=dev}
    region: "${_Region}" 
    zone: "${zone}"
---
apiVersion: v1
kind: Secret
metadata:
  name: vars
  namespace: vars
stringData:
  zone: ${zone}
"#;
    let earlier = applied(&[
        ("first", json!({"zone": "\naz-1a\n"})),
        ("second", json!({"zone": "\naz-1b\n"})),
    ]);
    let objects = run(
        json!({"postBuild": {
            "substitute": {"_Region": "eu-central-1"},
            "substituteFrom": [
                {"kind": "ConfigMap", "name": "first"},
                {"kind": "ConfigMap", "name": "second"},
            ],
        }}),
        &earlier,
        manifests,
    )
    .unwrap();
    let service_account = labels(&objects[0]);
    assert_eq!(service_account["environment"], "dev");
    assert_eq!(service_account["region"], "eu-central-1");
    assert_eq!(service_account["zone"], "az-1b");
    assert_eq!(objects[1].object.value["stringData"]["zone"], "az-1b");
}

#[test]
fn controller_varsub_optional_sources() {
    let manifests = r#"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vars
  namespace: vars
  labels:
    color: "${color:=blue}"
    shape: "${shape:=square}"
"#;
    let spec = json!({"postBuild": {
        "substitute": {"var_substitution_enabled": "true"},
        "substituteFrom": [
            {"kind": "ConfigMap", "name": "colors", "optional": true},
            {"kind": "ConfigMap", "name": "shapes", "optional": true},
        ],
    }});
    let present = applied(&[
        ("colors", json!({"color": "\nred\n"})),
        ("shapes", json!({"shape": "\ntriangle\n"})),
    ]);
    let objects = run(spec.clone(), &present, manifests).unwrap();
    assert_eq!(labels(&objects[0])["color"], "red");
    assert_eq!(labels(&objects[0])["shape"], "triangle");

    let objects = run(spec, &applied(&[]), manifests).unwrap();
    assert_eq!(labels(&objects[0])["color"], "blue");
    assert_eq!(labels(&objects[0])["shape"], "square");
}

#[test]
fn controller_varsub_numbers_and_bools() {
    let manifests = r"
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: vars
  namespace: vars
  labels:
    id: ${numberStr}
    enabled: ${booleanStr}
  annotations:
    id: ${q}${number}${q}
    enabled: ${q}${boolean}${q}
spec:
  interval: ${number}m
  url: https://host/repo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: vars
  namespace: vars
data:
  id: ${q}${number}${q}
  text: |
    This variable is escaped $${var}

    Lorem ipsum dolor sit amet, consectetur adipiscing elit. Vivamus at
    nisl sem.

    \?
";
    let objects = run(
        json!({"postBuild": {"substitute": {
            "q": "\"",
            "numberStr": "!!str 123",
            "number": "123",
            "booleanStr": "!!str true",
            "boolean": "true",
        }}}),
        &[],
        manifests,
    )
    .unwrap();
    let repository = &objects[0].object;
    assert_eq!(labels(&objects[0])["id"], "123");
    assert_eq!(labels(&objects[0])["enabled"], "true");
    let annotations = repository.string_map(&["metadata", "annotations"]);
    assert_eq!(annotations["id"], "123");
    assert_eq!(annotations["enabled"], "true");
    assert_eq!(repository.value["spec"]["interval"], "123m");
    let config_map = &objects[1].object;
    assert_eq!(config_map.value["data"]["id"], "123");
    let text = config_map.str_at(&["data", "text"]).unwrap();
    assert!(text.contains("${var}"), "{text}");
    assert!(!text.contains("$${var}"), "{text}");
    assert!(text.contains(r"\?"), "{text}");
}

#[test]
fn controller_varsub_strict_fails_on_an_unset_variable() {
    let manifests = r"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vars
  namespace: vars
  labels:
    default: ${default:=test}
    missing: ${missing}
";
    let error = run(
        json!({"postBuild": {"substitute": {"test": "test"}}}),
        &[],
        manifests,
    )
    .unwrap_err();
    assert!(error.to_string().contains("variable not set"), "{error}");
    assert!(
        error.to_string().contains("ServiceAccount/vars/vars"),
        "{error}"
    );
}

const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: ${APP}\n  namespace: shop\n";

#[test]
fn without_post_build_nothing_is_substituted() {
    let objects = run(json!({}), &[], SERVICE).unwrap();
    assert_eq!(objects[0].object.id.name, "${APP}");
}

#[test]
fn identity_is_read_after_substitution() {
    let objects = run(
        json!({"postBuild": {"substitute": {"APP": "web"}}}),
        &[],
        SERVICE,
    )
    .unwrap();
    assert_eq!(objects[0].object.id.to_string(), "Service/shop/web");
}

#[test]
fn disabled_objects_keep_their_text_but_get_common_metadata() {
    let manifests = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards\n  \
                     annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n\
                     data:\n  query: ${namespace}\n";
    let objects = run(
        json!({
            "postBuild": {"substitute": {"APP": "web"}},
            "commonMetadata": {"labels": {"team": "${APP}"}},
        }),
        &[],
        manifests,
    )
    .unwrap();
    assert_eq!(objects[0].object.value["data"]["query"], "${namespace}");
    // Common metadata is set after substitution, so it is never substituted.
    assert_eq!(labels(&objects[0])["team"], "${APP}");
    assert!(
        objects[0].yaml.contains("team: ${APP}"),
        "{}",
        objects[0].yaml
    );
}

#[test]
fn always_strategy_substitutes_defaults_without_variables() {
    let manifests = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${A:=x}\n";
    let literal = run(json!({"postBuild": {}}), &[], manifests).unwrap();
    assert_eq!(literal[0].object.value["data"]["a"], "${A:=x}");
    let always = run(
        json!({"postBuild": {"substituteStrategy": "Always"}}),
        &[],
        manifests,
    )
    .unwrap();
    assert_eq!(always[0].object.value["data"]["a"], "x");
}

#[test]
fn a_missing_required_source_or_a_secret_source_is_an_error() {
    let missing = run(
        json!({"postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "cluster-config"}]}}),
        &applied(&[]),
        SERVICE,
    )
    .unwrap_err();
    assert!(
        matches!(missing, BuildError::SubstituteFromMissing { ref name, .. } if name == "cluster-config"),
        "{missing}"
    );
    // A ConfigMap of the same name in another namespace is not the one Flux reads.
    let elsewhere = vec![BuiltKustomization {
        objects: vec![
            built_object(
                Object::parse(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-config\n  namespace: other\n",
                )
                .unwrap()
                .unwrap(),
            )
            .unwrap(),
        ],
        ..applied(&[]).remove(0)
    }];
    assert!(
        run(
            json!({"postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "cluster-config"}]}}),
            &elsewhere,
            SERVICE,
        )
        .is_err()
    );
    let secret = run(
        json!({"postBuild": {"substituteFrom": [{"kind": "Secret", "name": "s", "optional": true}]}}),
        &[],
        SERVICE,
    )
    .unwrap_err();
    assert!(
        matches!(secret, BuildError::SubstituteFromUnsupported { .. }),
        "{secret}"
    );
}

#[test]
fn helm_charts_come_from_the_chart_source() {
    let objects = [
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: shop\n\
         spec:\n  chartRef:\n    kind: OCIRepository\n    name: web\n",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: web\n  namespace: shop\n\
         spec:\n  url: oci://ghcr.io/shop/charts/web\n  ref:\n    tag: 1.2.3\n",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress\n  namespace: shop\n\
         spec:\n  chart:\n    spec:\n      chart: ingress-nginx\n      version: 4.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: nginx\n",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: nginx\n  namespace: shop\n\
         spec:\n  url: https://kubernetes.github.io/ingress-nginx\n",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: lost\n  namespace: shop\n\
         spec:\n  chartRef:\n    kind: OCIRepository\n    name: elsewhere\n",
    ];
    let built = vec![BuiltKustomization {
        objects: objects
            .iter()
            .map(|text| built_object(Object::parse(text).unwrap().unwrap()).unwrap())
            .collect(),
        ..applied(&[]).remove(0)
    }];
    let charts: Vec<String> = helm_charts(&built)
        .iter()
        .map(|chart| format!("{} {} {chart}", chart.kustomization, chart.release))
        .collect();
    assert_eq!(
        charts,
        [
            "platform HelmRelease/shop/web oci://ghcr.io/shop/charts/web 1.2.3",
            "platform HelmRelease/shop/ingress ingress-nginx 4.0.0 from https://kubernetes.github.io/ingress-nginx",
            "platform HelmRelease/shop/lost OCIRepository `elsewhere` (not built) (latest)",
        ]
    );
}

/// Runs `scripts/install-test-tools.sh` when no kustomize is found, as the integration tests do.
fn workspace(tree: FileTree) -> Rendered {
    if Kustomize::find().is_none() {
        let status = std::process::Command::new("scripts/install-test-tools.sh")
            .status()
            .expect("run scripts/install-test-tools.sh");
        assert!(status.success(), "scripts/install-test-tools.sh failed");
    }
    Rendered {
        tree,
        output_path: "./out".to_owned(),
    }
}

// Regression: a build rewrites the kustomization.yaml at its path; another build whose path
// includes that directory must still see it as written.
#[test]
fn a_rewritten_kustomization_is_seen_only_by_its_own_build() {
    let mut tree = FileTree::default();
    let mut file = |path: &str, text: &str| tree.insert(path.to_owned(), text.as_bytes().to_vec());
    let kustomization = |name: &str, path: &str, extra: &str| {
        format!(
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
             metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  path: {path}\n{extra}"
        )
    };
    let entry = [
        kustomization("base", "./out/app/base", "  targetNamespace: one\n"),
        kustomization("overlay", "./out/app/overlay", ""),
        kustomization("other", "./out/app/other", "  targetNamespace: two\n"),
    ]
    .concat();
    file("clusters/c/entry.yaml", &entry);
    file("app/base/kustomization.yaml", "resources:\n- cm.yaml\n");
    file(
        "app/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    );
    file("app/overlay/kustomization.yaml", "resources:\n- ../base\n");
    file("app/other/kustomization.yaml", "resources:\n- ../base\n");
    let rendered = workspace(tree);
    let workspace = Workspace::new(&rendered).unwrap();
    // Several times: with two workers the three builds race differently each time.
    for _ in 0..4 {
        let build = workspace.build("c", None).unwrap();
        let namespaces: Vec<(String, Option<String>)> = build
            .kustomizations
            .iter()
            .skip(1)
            .map(|kustomization| {
                (
                    kustomization.name.clone(),
                    kustomization.objects[0].object.id.namespace.clone(),
                )
            })
            .collect();
        assert_eq!(
            namespaces,
            [
                ("base".to_owned(), Some("one".to_owned())),
                ("other".to_owned(), Some("two".to_owned())),
                ("overlay".to_owned(), None),
            ]
        );
    }
}

// `build --repo`: a variable nothing sets is a warning naming the object, and is kept as
// written; building the spec's own tree, it is an error.
#[test]
fn an_unset_variable_is_a_warning_when_building_a_repository() {
    let spec = json!({"postBuild": {"substitute": {"APP": "web"}}});
    let output = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\n  namespace: web\ndata:\n  \
                  domain: ${DOMAIN}\n";
    let built = post_build(&kustomization(spec.clone()), output, &[], true).unwrap();
    let (objects, unread, warnings) = (built.objects, built.unread_secrets, built.unset_variables);
    assert!(unread.is_empty());
    assert_eq!(objects[0].object.id.name, "web");
    assert_eq!(
        objects[0].object.str_at(&["data", "domain"]),
        Some("${DOMAIN}")
    );
    assert_eq!(
        warnings,
        [
            "`ConfigMap/web/web` uses `${DOMAIN}`, which Flux Kustomization `flux-system/app` does \
          not set: Flux fails to apply it (kept as written)"
        ]
    );
    assert!(matches!(
        post_build(&kustomization(spec), output, &[], false),
        Err(BuildError::Substitution { .. })
    ));
}

// `build --repo`: a Secret is reported, not refused, and a variable it may hold is kept.
#[test]
fn secrets_are_reported_when_building_a_repository() {
    let spec = json!({"postBuild": {
        "substitute": {"APP": "web"},
        "substituteFrom": [{"kind": "Secret", "name": "cluster-secrets"}],
    }});
    let output = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\ndata:\n  \
                  domain: ${SECRET_DOMAIN}\n";
    let built = post_build(&kustomization(spec.clone()), output, &[], true).unwrap();
    let (objects, unread) = (built.objects, built.unread_secrets);
    assert_eq!(objects[0].object.id.name, "web");
    assert_eq!(
        objects[0].object.str_at(&["data", "domain"]),
        Some("${SECRET_DOMAIN}")
    );
    assert_eq!(
        unread,
        [UnreadSecret {
            kustomization: "flux-system/app".to_owned(),
            secret: "flux-system/cluster-secrets".to_owned(),
            optional: false,
            strict_failure: Some("SECRET_DOMAIN".to_owned()),
        }]
    );
    // Building the spec's own tree, a Secret is still an error.
    assert!(matches!(
        post_build(&kustomization(spec), output, &[], false),
        Err(BuildError::SubstituteFromUnsupported { .. })
    ));
}

//! HelmRelease settings written both by a typed node (`install`, `upgrade`, `drift-detection`)
//! and by the `spec-field` escape hatch for the same field: the typed settings merge into the
//! escape hatch's object, each layer over the weaker ones, through the binary on specs in
//! temporary directories. Their diagnostics are cases in `tests/cases/`.

mod common;

use std::fs;

/// Compiles `spec` in a temporary directory and returns the app `web`'s base HelmRelease and,
/// if there is one, dev's settings patch.
fn compile(spec: &str) -> (String, Option<String>) {
    let (_temp, out) = common::compile_clean(spec, &[]);
    let release = fs::read_to_string(out.join("apps/web/base/helmrelease.yaml"))
        .unwrap_or_else(|error| panic!("cannot read the HelmRelease: {error}"));
    let patch = fs::read_to_string(out.join("apps/web/dev/helmrelease-settings.yaml")).ok();
    (release, patch)
}

/// The YAML from `spec:` on.
fn spec_of(object: &str) -> &str {
    &object[object.find("\nspec:\n").expect("a spec") + 1..]
}

#[test]
fn typed_settings_merge_into_the_spec_field_of_the_same_name() {
    let (release, patch) = compile(
        r#"
cluster "dev"
cluster "prod"
defaults {
    helm {
        spec-field "upgrade" """
            cleanupOnFail: true
            remediation:
              retries: 2
              remediateLastFailure: true
            """
        spec-field "driftDetection" "ignore: [{paths: [/spec/replicas]}]"
        install { retries 3; }
    }
}
app "web" {
    helm "oci://ghcr.io/example/charts/web" {
        version "1.0.0"
        upgrade { retries 5; strategy "rollback"; }
        drift-detection "enabled"
        spec-field "install" "crds: CreateReplace"
    }
    cluster "dev" {
        helm {
            spec-field "upgrade" "remediation: {retries: 1}"
        }
    }
}
"#,
    );
    let spec = spec_of(&release);
    assert!(
        spec.contains(
            "  driftDetection:\n    ignore:\n    - paths:\n      - /spec/replicas\n    mode: enabled\n"
        ),
        "{spec}"
    );
    assert!(
        spec.contains("  install:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n"),
        "{spec}"
    );
    assert!(
        spec.contains(
            "  upgrade:\n    cleanupOnFail: true\n    remediation:\n      retries: 5\n      remediateLastFailure: true\n      strategy: rollback\n"
        ),
        "{spec}"
    );
    // dev's own `upgrade` replaces the app's spec-field and sets `retries` over the app's
    // weaker typed one; the app's typed `strategy` stays.
    let patch = patch.expect("dev has a settings patch");
    assert!(
        spec_of(&patch)
            .contains("  upgrade:\n    remediation:\n      retries: 1\n      strategy: rollback\n"),
        "{patch}"
    );
}

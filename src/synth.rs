//! A deterministic synthetic spec of any size, for benchmarks and stress tests
//! (`fluxspec synth --apps N --clusters M DIR`, hidden from `--help`).
//!
//! Input side only: it writes a spec directory, never output. The same arguments give the same
//! bytes. Apps cycle through OCI charts, images and HTTPS charts; every fifth uses the database
//! component; every third depends on the app before it in its layer; every fourth has a patch in
//! the last cluster.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// Writes `homelab.kdl` and the manifests it references into `dir`.
pub(crate) fn write_spec(dir: &Path, apps: usize, clusters: usize) -> io::Result<()> {
    let clusters = clusters.max(1);
    fs::create_dir_all(dir.join("components/database"))?;
    fs::write(
        dir.join("components/database/database.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}-database\ndata:\n  size: ${DB_SIZE}\n  name: ${DB_NAME}\n",
    )?;
    let mut kdl = String::from(
        "settings {\n    output-path \"./generated\"\n}\n\ncomponent \"database\" {\n    var \"DB_NAME\"\n    var \"DB_SIZE\" default=\"1Gi\"\n}\n\n",
    );
    for cluster in 0..clusters {
        let _ = writeln!(
            kdl,
            "cluster \"c{cluster}\" {{\n    var \"CLUSTER_DOMAIN\" \"c{cluster}.example.com\"\n}}\n"
        );
    }
    let last_cluster = clusters - 1;
    for index in 0..apps {
        let name = format!("app{index:05}");
        let layer = if index % 10 == 0 { "platform" } else { "apps" };
        let app_dir = dir.join("apps").join(&name);
        fs::create_dir_all(&app_dir)?;
        fs::write(
            app_dir.join("deployment.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:latest\n        env:\n        - name: DOMAIN\n          value: {name}.${{CLUSTER_DOMAIN}}\n"
            ),
        )?;
        let _ = writeln!(kdl, "app \"{name}\" {{\n    layer \"{layer}\"");
        let _ = writeln!(kdl, "    manifests \"apps/{name}/deployment.yaml\"");
        // Depend on the previous app of the same layer, so no platform app waits on an app.
        if index % 3 == 0 && index >= 10 && layer == "apps" {
            let previous = if (index - 1) % 10 == 0 {
                index - 2
            } else {
                index - 1
            };
            let _ = writeln!(kdl, "    depends-on \"app{previous:05}\"");
        }
        if index % 5 == 0 {
            let _ = writeln!(kdl, "    component \"database\" DB_NAME=\"{name}\"");
        }
        let versions = |kdl: &mut String| {
            let _ = writeln!(kdl, "        version \"1.{}.0\"", index % 7);
            let _ = writeln!(kdl, "        version \"1.{}.1\" cluster=\"c0\"", index % 7);
        };
        match index % 3 {
            0 => {
                let _ = writeln!(
                    kdl,
                    "    helm \"oci://registry.example.com/charts/{name}\" {{"
                );
                versions(&mut kdl);
                kdl.push_str("    }\n");
            }
            1 => {
                let _ = writeln!(kdl, "    image \"registry.example.com/{name}\" {{");
                versions(&mut kdl);
                kdl.push_str("    }\n");
            }
            _ => {
                let _ = writeln!(
                    kdl,
                    "    helm \"https://charts.example.com\" chart=\"{name}\" {{"
                );
                versions(&mut kdl);
                kdl.push_str("    }\n");
            }
        }
        if index % 4 == 0 {
            fs::write(
                app_dir.join("replicas.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n"
                ),
            )?;
            let _ = writeln!(
                kdl,
                "    cluster \"c{last_cluster}\" {{\n        patch \"apps/{name}/replicas.yaml\"\n    }}"
            );
        }
        kdl.push_str("}\n\n");
    }
    fs::write(dir.join("homelab.kdl"), kdl)
}

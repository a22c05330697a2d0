//! Running kustomize the way kustomize-controller does: find a `kustomize` or `kubectl` binary,
//! write a Flux Kustomization's `targetNamespace`, `images`, `patches` and `components` into the
//! kustomization.yaml at its path (fluxcd/pkg `kustomize/kustomize_generator.go`, `WriteFile`),
//! and build with load restrictions off, as the controller's `SecureBuild` does.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::flux::Spec;
use super::interrupt;
use crate::kustomize_dir;

/// The file names kustomize recognizes, in the order it looks for them.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Where `scripts/install-test-tools.sh` puts kubectl, relative to the working directory.
pub(crate) const TOOLS_DIR: &str = ".tools/bin";

/// A kustomize binary: `kustomize build` or `kubectl kustomize`.
#[derive(Debug, Clone)]
pub(crate) struct Kustomize {
    program: PathBuf,
    /// `kubectl`, which takes `kustomize` as its subcommand.
    kubectl: bool,
}

impl Kustomize {
    /// Looks for `kustomize`, then `kubectl`, on `PATH`, then in `.tools/bin`.
    pub(crate) fn find() -> Option<Self> {
        Self::find_in(std::env::var_os("PATH"), Path::new(TOOLS_DIR))
    }

    fn find_in(path: Option<OsString>, tools: &Path) -> Option<Self> {
        let on_path: Vec<PathBuf> = path
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        let search = |dirs: &[PathBuf]| {
            ["kustomize", "kubectl"].into_iter().find_map(|name| {
                dirs.iter()
                    .map(|dir| dir.join(name))
                    .find(|program| program.is_file())
                    .map(|program| Self {
                        program,
                        kubectl: name == "kubectl",
                    })
            })
        };
        search(&on_path).or_else(|| search(&[tools.to_path_buf()]))
    }

    /// The command line shown in messages: `kubectl kustomize`.
    pub(crate) fn describe(&self) -> String {
        let subcommand = if self.kubectl { "kustomize" } else { "build" };
        format!("{} {subcommand}", self.program.display())
    }

    /// Builds the kustomization in `dir`; on failure, kustomize's own message.
    pub(crate) fn build(&self, dir: &Path) -> Result<String, String> {
        let output = interrupt::output(
            Command::new(&self.program)
                .arg(if self.kubectl { "kustomize" } else { "build" })
                // kustomize-controller builds with `LoadRestrictionsNone`.
                .args(["--load-restrictor", "LoadRestrictionsNone"])
                .arg(dir),
        )
        .map_err(|error| format!("cannot run {}: {error}", self.program.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                self.describe(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim_end()
            ));
        }
        String::from_utf8(output.stdout)
            .map_err(|_| format!("{} printed output that is not UTF-8", self.describe()))
    }
}

/// The kustomize kustomize-controller v1.9 (Flux v2.8) builds with; `scripts/install-test-tools.sh`
/// pins kubectl to the release that embeds it.
const FLUX_KUSTOMIZE: semver::Version = semver::Version::new(5, 8, 1);

impl Kustomize {
    /// A warning when this kustomize is older than Flux's: it may build differently (or fail
    /// where Flux does not). `None` when it is as new, or does not say its version.
    pub(crate) fn outdated_warning(&self) -> Option<String> {
        let args: &[&str] = if self.kubectl {
            &["version", "--client"]
        } else {
            &["version"]
        };
        let output = interrupt::output(Command::new(&self.program).args(args)).ok()?;
        let version = kustomize_version(&String::from_utf8_lossy(&output.stdout), self.kubectl)?;
        (version < FLUX_KUSTOMIZE).then(|| {
            format!(
                "{} is kustomize v{version}, older than the v{FLUX_KUSTOMIZE} Flux builds with: \
                 the build may differ from what Flux applies (`scripts/install-test-tools.sh` \
                 installs a kubectl with v{FLUX_KUSTOMIZE})",
                self.program.display()
            )
        })
    }
}

/// The kustomize version in the output of `kustomize version` (`v5.8.1`, or before v5
/// `{Version:kustomize/v4.5.7 GitCommit:…}`) or, from `kubectl`, of `kubectl version --client`
/// (a `Kustomize Version: v5.8.1` line).
fn kustomize_version(output: &str, kubectl: bool) -> Option<semver::Version> {
    let text = if kubectl {
        output
            .lines()
            .find_map(|line| line.trim().strip_prefix("Kustomize Version:"))?
    } else {
        output
    };
    // The first `v` followed by three dot-separated numbers.
    text.match_indices('v').find_map(|(at, _)| {
        let candidate = &text[at + 1..];
        let end = candidate
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(candidate.len());
        let numbers: Vec<u64> = candidate[..end]
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        match numbers[..] {
            [major, minor, patch] => Some(semver::Version::new(major, minor, patch)),
            _ => None,
        }
    })
}

/// The kustomization file in `dir`, if there is one.
pub(crate) fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|file| file.is_file())
}

/// Adds to `dirs` every directory a build in `dir` reads a kustomization file from: `dir`, and
/// recursively the local directories its `resources`, `components` and `bases` name; and to
/// `remote` every remote resource they name. A file kustomize cannot parse is left for kustomize
/// to report.
pub(crate) fn read_dirs(dir: &Path, dirs: &mut BTreeSet<PathBuf>, remote: &mut Vec<String>) {
    if !dirs.insert(dir.to_path_buf()) {
        return;
    }
    let Some(text) = kustomization_file(dir).and_then(|file| fs::read_to_string(file).ok()) else {
        return;
    };
    let Ok(kustomization) = serde_saphyr::from_str::<Value>(&text) else {
        return;
    };
    for key in ["resources", "components", "bases"] {
        let entries = kustomization.get(key).and_then(Value::as_array);
        for entry in entries.into_iter().flatten().filter_map(Value::as_str) {
            // Remote bases (`https://...`, `github.com/org/repo?ref=v1`) are not in the tree.
            if kustomize_dir::is_remote(entry) {
                remote.push(entry.to_owned());
                continue;
            }
            let target = normalize(&dir.join(entry));
            if target.is_dir() {
                read_dirs(&target, dirs, remote);
            }
        }
    }
}

/// `path` with `.` and `..` resolved without touching the disk, as kustomize resolves them.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// The remote targets among the `resources` of the kustomization file in `dir`: `build` fetches
/// nothing, so it leaves them out and says so.
pub(crate) fn remote_resources(dir: &Path) -> Vec<String> {
    let Some(text) = kustomization_file(dir).and_then(|file| fs::read_to_string(file).ok()) else {
        return Vec::new();
    };
    let Ok(kustomization) = serde_saphyr::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let entries = kustomization.get("resources").and_then(Value::as_array);
    entries
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|entry| kustomize_dir::is_remote(entry))
        .map(str::to_owned)
        .collect()
}

/// Writes a Flux Kustomization's build fields into the kustomization file `file`, as
/// kustomize-controller's generator does: `targetNamespace` becomes `namespace` (replacing one
/// already there), `patches` and `components` are appended, and each of `images` replaces the
/// entry of the same `name` or is appended. Remote `resources` are removed: `build` works
/// offline, and reports them as not rendered ([`remote_resources`]).
pub(crate) fn write_flux_fields(file: &Path, spec: &Spec) -> Result<(), String> {
    let text = fs::read_to_string(file).map_err(|error| error.to_string())?;
    let mut kustomization: Value =
        serde_saphyr::from_str(&text).map_err(|error| error.to_string())?;
    apply_flux_fields(&mut kustomization, spec)?;
    let text = serde_saphyr::to_string(&kustomization).map_err(|error| error.to_string())?;
    fs::write(file, text).map_err(|error| error.to_string())
}

fn apply_flux_fields(kustomization: &mut Value, spec: &Spec) -> Result<(), String> {
    if kustomization.is_null() {
        *kustomization = Value::Object(Map::new());
    }
    let Some(fields) = kustomization.as_object_mut() else {
        return Err("it is not a map".to_owned());
    };
    if let Some(namespace) = &spec.target_namespace {
        fields.insert("namespace".to_owned(), Value::String(namespace.clone()));
    }
    if let Some(Value::Array(resources)) = fields.get_mut("resources") {
        resources.retain(|entry| !entry.as_str().is_some_and(kustomize_dir::is_remote));
    }
    append(fields, "patches", spec.patches.iter().cloned())?;
    append(
        fields,
        "components",
        spec.components.iter().cloned().map(Value::String),
    )?;
    for image in &spec.images {
        let entries = list(fields, "images")?;
        let name = image.get("name");
        match entries
            .iter_mut()
            .find(|entry| name.is_some() && entry.get("name") == name)
        {
            Some(entry) => *entry = image.clone(),
            None => entries.push(image.clone()),
        }
    }
    Ok(())
}

fn list<'a>(fields: &'a mut Map<String, Value>, key: &str) -> Result<&'a mut Vec<Value>, String> {
    let entry = fields
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if entry.is_null() {
        *entry = Value::Array(Vec::new());
    }
    entry
        .as_array_mut()
        .ok_or_else(|| format!("its `{key}` is not a list"))
}

fn append(
    fields: &mut Map<String, Value>,
    key: &str,
    values: impl ExactSizeIterator<Item = Value>,
) -> Result<(), String> {
    if values.len() > 0 {
        list(fields, key)?.extend(values);
    }
    Ok(())
}

#[cfg(test)]
mod version_tests {
    use super::{FLUX_KUSTOMIZE, kustomize_version};

    #[test]
    fn reads_the_version_of_kustomize_and_kubectl() {
        let version = |output: &str, kubectl| kustomize_version(output, kubectl);
        assert_eq!(version("v5.8.1\n", false), Some(FLUX_KUSTOMIZE));
        assert_eq!(
            version(
                "{Version:kustomize/v4.5.7 GitCommit:56d82a8 BuildDate:2022-08-02}\n",
                false
            ),
            Some(semver::Version::new(4, 5, 7))
        );
        assert_eq!(
            version("Client Version: v1.37.1\nKustomize Version: v5.8.1\n", true),
            Some(FLUX_KUSTOMIZE)
        );
        // kubectl's own version is not kustomize's.
        assert_eq!(
            version("Client Version: v1.31.0\nKustomize Version: v5.4.2\n", true),
            Some(semver::Version::new(5, 4, 2))
        );
        assert_eq!(version("Client Version: v1.31.0\n", true), None);
        assert_eq!(version("(devel)\n", false), None);
    }

    #[test]
    fn orders_versions_numerically() {
        let older = |text: &str| kustomize_version(text, false).is_some_and(|v| v < FLUX_KUSTOMIZE);
        assert!(older("v5.4.2"));
        assert!(older("v4.5.7"));
        assert!(older("v5.8.0"));
        assert!(!older("v5.8.1"));
        assert!(!older("v5.10.0"));
        assert!(!older("v6.0.0"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flux_fields_are_merged_as_the_controller_does() {
        let mut kustomization: Value = serde_saphyr::from_str(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: old\n\
             resources:\n- ../base\ncomponents:\n- ../c1\nimages:\n- name: web\n  newTag: '1'\n\
             - name: db\n  newTag: '2'\npatches:\n- path: p.yaml\n",
        )
        .unwrap();
        let spec = Spec {
            target_namespace: Some("shop".to_owned()),
            images: vec![
                json!({"name": "db", "newTag": "3"}),
                json!({"name": "cache", "newName": "valkey", "newTag": "8"}),
            ],
            patches: vec![
                json!({"patch": "- op: remove\n  path: /x", "target": {"kind": "Service"}}),
            ],
            components: vec!["../c2".to_owned()],
            ..Spec::default()
        };
        apply_flux_fields(&mut kustomization, &spec).unwrap();
        assert_eq!(
            kustomization,
            json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "shop",
                "resources": ["../base"],
                "components": ["../c1", "../c2"],
                "images": [
                    {"name": "web", "newTag": "1"},
                    {"name": "db", "newTag": "3"},
                    {"name": "cache", "newName": "valkey", "newTag": "8"},
                ],
                "patches": [
                    {"path": "p.yaml"},
                    {"patch": "- op: remove\n  path: /x", "target": {"kind": "Service"}},
                ],
            })
        );
    }

    #[test]
    fn no_flux_fields_leave_the_kustomization_alone() {
        let text = "kind: Kustomization\nresources:\n- a.yaml\n";
        let mut kustomization: Value = serde_saphyr::from_str(text).unwrap();
        let before = kustomization.clone();
        apply_flux_fields(&mut kustomization, &Spec::default()).unwrap();
        assert_eq!(kustomization, before);
    }

    #[test]
    fn read_dirs_follow_local_resources_and_components() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let file = root.path().join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        };
        write(
            "app/dev/kustomization.yaml",
            "resources:\n- ../base\n- extra.yaml\n- https://example.com/x.yaml\n\
             - github.com/org/repo?ref=v1\ncomponents:\n- ../../components/ingress\n",
        );
        write("app/dev/extra.yaml", "kind: ConfigMap\n");
        write(
            "app/base/kustomization.yaml",
            "resources:\n- ../../shared\n",
        );
        write("shared/kustomization.yaml", "resources:\n- ../app/base\n");
        write("components/ingress/kustomization.yaml", "kind: Component\n");
        let mut dirs = BTreeSet::new();
        let mut remote = Vec::new();
        read_dirs(&root.path().join("app/dev"), &mut dirs, &mut remote);
        assert_eq!(
            remote,
            ["https://example.com/x.yaml", "github.com/org/repo?ref=v1"]
        );
        let relative: Vec<String> = dirs
            .iter()
            .map(|dir| dir.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            relative,
            ["app/base", "app/dev", "components/ingress", "shared"]
        );
    }

    #[test]
    fn finds_kustomize_before_kubectl_and_path_before_tools() {
        let dir = tempfile::tempdir().unwrap();
        let (on_path, tools) = (dir.path().join("bin"), dir.path().join("tools"));
        fs::create_dir_all(&on_path).unwrap();
        fs::create_dir_all(&tools).unwrap();
        let path = || Some(on_path.clone().into_os_string());

        assert!(Kustomize::find_in(path(), &tools).is_none());
        fs::write(tools.join("kubectl"), "").unwrap();
        let found = Kustomize::find_in(path(), &tools).unwrap();
        assert_eq!(found.program, tools.join("kubectl"));
        assert!(found.describe().ends_with("kubectl kustomize"));
        fs::write(on_path.join("kubectl"), "").unwrap();
        assert_eq!(
            Kustomize::find_in(path(), &tools).unwrap().program,
            on_path.join("kubectl")
        );
        fs::write(tools.join("kustomize"), "").unwrap();
        let found = Kustomize::find_in(path(), &tools).unwrap();
        assert_eq!(found.program, on_path.join("kubectl"));
        fs::write(on_path.join("kustomize"), "").unwrap();
        let found = Kustomize::find_in(path(), &tools).unwrap();
        assert_eq!(found.program, on_path.join("kustomize"));
        assert!(found.describe().ends_with("kustomize build"));
    }
}

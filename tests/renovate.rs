//! `fluxspec renovate` against the real Renovate CLI, offline.
//!
//! Renovate (npm `renovate`, with node 24 from npm's `node` package) is installed into
//! `.tools/renovate/` by `scripts/install-renovate.sh` on first use, then cached. The tests run it
//! with `--platform=local` in a temporary Git repository holding a spec and the generated config:
//! `--dry-run=extract` must find exactly the spec's versions, `--dry-run=lookup` against a
//! registry stub on 127.0.0.1 must put each cluster's update on its own branch and PR, and
//! `renovate-config-validator --strict` must accept the config.
//!
//! These take about a minute (plus two for the first install). A developer may skip them with
//! `FLUXSPEC_SKIP_RENOVATE=1`; each skipped test says so on the terminal. CI (`CI` set) never
//! skips them: there the variable is an error.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};

use common::{copy_tree, finish, fluxspec, repo_root};

const SKIP_VAR: &str = "FLUXSPEC_SKIP_RENOVATE";

/// `.tools/renovate/bin`, installing Renovate on first use; `None` when the developer skips these
/// tests, after saying so where cargo's output capture does not hide it.
fn renovate_bin(test: &str) -> Option<&'static Path> {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let skip = std::env::var_os(SKIP_VAR).is_some_and(|value| !value.is_empty() && value != "0");
    if skip {
        assert!(
            std::env::var_os("CI").is_none(),
            "{SKIP_VAR} is set in CI, where the Renovate tests must run"
        );
        // Straight to the process's stderr: cargo test shows a passing test's `eprintln!` only
        // with --nocapture.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED {test}: {SKIP_VAR} is set (unset it to run the Renovate tests) ***"
        );
        return None;
    }
    Some(BIN.get_or_init(|| {
        let script = repo_root().join("scripts/install-renovate.sh");
        let output = Command::new(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        repo_root().join(".tools/renovate/bin")
    }))
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A Git repository (files committed, as Renovate reads them) with `spec_dir` as `spec/` and
/// the config `fluxspec renovate` writes for it at the root.
fn repository(spec_dir: &Path) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("a temporary directory");
    copy_tree(spec_dir, &repo.path().join("spec"));
    run(fluxspec(repo.path()).args(["renovate", "--write"]));
    commit(repo.path());
    repo
}

fn commit(dir: &Path) {
    let git = |args: &[&str]| {
        run(Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args));
    };
    if !dir.join(".git").exists() {
        git(&["init", "--quiet"]);
    }
    git(&["add", "--all"]);
    git(&["commit", "--quiet", "--allow-empty", "--message", "test"]);
}

/// Runs Renovate in `repo` with a clean environment and its caches inside the repository's
/// temporary directory's sibling, so runs share nothing.
fn renovate(bin: &Path, repo: &Path, args: &[&str], log_level: &str) -> Output {
    let base = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new(bin.join("renovate"))
        .current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", base.path())
        .env("RENOVATE_BASE_DIR", base.path())
        // No native RE2 without a compiler download; Renovate uses JavaScript's RegExp and would
        // otherwise warn with a stack trace.
        .env("RENOVATE_X_IGNORE_RE2", "1")
        // Renovate skips GitHub-hosted dependencies (remote bases, `github-tags`) without a
        // token for github.com, even when it only extracts; a dummy one is never sent, since
        // nothing here looks anything up.
        .env("GITHUB_COM_TOKEN", "fluxspec-test-token-never-used")
        .env("LOG_LEVEL", log_level)
        .env("LOG_FORMAT", "json")
        .arg("--platform=local")
        .args(args)
        .output()
        .expect("run renovate");
    assert!(
        output.status.success(),
        "renovate {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------------------

/// One extracted dependency, with every field Renovate uses to look it up and to write it back.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Extracted {
    manager: String,
    package_file: String,
    dep_name: String,
    package_name: Option<String>,
    datasource: String,
    registry_urls: Option<Vec<String>>,
    dep_type: String,
    current_value: String,
    replace_string: String,
}

/// The versions of `spec/homelab.kdl` in `repo`, read with the kdl crate rather than with
/// fluxspec: every `version` in a `helm` or `image` block of an `app` (slashdashed nodes are not
/// nodes) but a chart's SemVer range, in the form docs/renovate.md promises.
fn expected_deps(spec: &str) -> Vec<Extracted> {
    let document = kdl::KdlDocument::parse(spec).expect("the spec is KDL");
    let string = |entry: &kdl::KdlEntry| entry.value().as_string().map(str::to_owned);
    let argument = |node: &kdl::KdlNode| {
        node.entries()
            .iter()
            .find(|entry| entry.name().is_none())
            .and_then(string)
            .expect("a string argument")
    };
    let property = |node: &kdl::KdlNode, key: &str| {
        node.entries()
            .iter()
            .find(|entry| entry.name().is_some_and(|name| name.value() == key))
            .and_then(string)
    };
    let mut deps = Vec::new();
    for app in document
        .nodes()
        .iter()
        .filter(|node| node.name().value() == "app")
    {
        for block in app.iter_children() {
            if !["helm", "image", "remote"].contains(&block.name().value()) {
                continue;
            }
            let url = argument(block);
            let (dep_name, package_name, datasource, registry_urls) = match block.name().value() {
                "helm" => match url.strip_prefix("oci://") {
                    Some(path) => (
                        path.rsplit('/').next().expect("a chart name").to_owned(),
                        Some(path.to_owned()),
                        "docker",
                        None,
                    ),
                    None => (
                        property(block, "chart").expect("chart="),
                        property(block, "chart"),
                        "helm",
                        Some(vec![url.clone()]),
                    ),
                },
                // `github.com/OWNER/REPO[/DIR]`: the repository's Git tags.
                "remote" => {
                    let repository = url
                        .trim_start_matches("github.com/")
                        .splitn(3, '/')
                        .take(2)
                        .collect::<Vec<_>>()
                        .join("/");
                    (repository.clone(), Some(repository), "github-tags", None)
                }
                // Renovate reports the depName as packageName when no packageName was captured.
                _ => (url.clone(), Some(url.clone()), "docker", None),
            };
            for version in block
                .iter_children()
                .filter(|node| node.name().value() == "version")
            {
                let value = argument(version);
                if block.name().value() == "helm" && is_range(&value) {
                    continue;
                }
                deps.push(Extracted {
                    manager: "regex".to_owned(),
                    package_file: "spec/homelab.kdl".to_owned(),
                    dep_name: dep_name.clone(),
                    package_name: package_name.clone(),
                    datasource: datasource.to_owned(),
                    registry_urls: registry_urls.clone(),
                    dep_type: property(version, "cluster").unwrap_or_else(|| "default".to_owned()),
                    replace_string: format!("\"{value}\""),
                    current_value: value,
                });
            }
        }
    }
    deps.sort();
    deps
}

/// A chart version Flux resolves as a range: an operator, a space (`>=1 <2`, `1 - 2`), `||`,
/// or a wildcard where a number goes (`*`, `1.x`).
fn is_range(version: &str) -> bool {
    version.contains(['<', '>', '=', '~', '^', '*', ' ', '|', ','])
        || version
            .split(['.', '-', '+'])
            .take(3)
            .any(|part| part.eq_ignore_ascii_case("x"))
}

/// Every dependency in a Renovate report, from every manager, with its problems.
fn reported_deps(report: &Value) -> (Vec<Extracted>, Vec<String>) {
    let repository = &report["repositories"]["local"];
    let mut problems: Vec<String> = repository["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    let mut deps = Vec::new();
    let managers = repository["packageFiles"]
        .as_object()
        .expect("the report lists package files");
    let text = |value: &Value| value.as_str().map(str::to_owned);
    for (manager, files) in managers {
        for file in files.as_array().expect("package files") {
            for dep in file["deps"].as_array().expect("deps") {
                if let Some(reason) = dep.get("skipReason") {
                    problems.push(format!("{dep}: skipped, {reason}"));
                }
                deps.push(Extracted {
                    manager: manager.clone(),
                    package_file: text(&file["packageFile"]).unwrap_or_default(),
                    dep_name: text(&dep["depName"]).unwrap_or_default(),
                    package_name: text(&dep["packageName"]),
                    datasource: text(&dep["datasource"]).unwrap_or_default(),
                    registry_urls: dep["registryUrls"].as_array().map(|urls| {
                        urls.iter()
                            // Renovate normalises a URL with the WHATWG parser, which adds a
                            // `/` to a bare host.
                            .map(|url| url.as_str().unwrap_or_default().trim_end_matches('/'))
                            .map(str::to_owned)
                            .collect()
                    }),
                    dep_type: text(&dep["depType"]).unwrap_or_default(),
                    current_value: text(&dep["currentValue"]).unwrap_or_default(),
                    replace_string: text(&dep["replaceString"]).unwrap_or_default(),
                });
            }
        }
    }
    deps.sort();
    (deps, problems)
}

fn assert_extracts_exactly_the_versions(spec_dir: &Path, bin: &Path) {
    let repo = repository(spec_dir);
    // Outside the repository: Renovate must not see its own report.
    let reports = tempfile::tempdir().expect("a temporary directory");
    let report_path = reports.path().join("report.json");
    renovate(
        bin,
        repo.path(),
        &[
            "--dry-run=extract",
            "--report-type=file",
            &format!("--report-path={}", report_path.display()),
        ],
        "warn",
    );
    let report = read_json(&report_path);
    let (deps, problems) = reported_deps(&report);
    let spec = fs::read_to_string(repo.path().join("spec/homelab.kdl")).expect("read the spec");
    let expected = expected_deps(&spec);
    assert!(!expected.is_empty(), "the spec has versions");
    assert_eq!(problems, Vec::<String>::new(), "Renovate reported problems");
    assert_eq!(
        deps, expected,
        "Renovate must extract each version of the spec once, with its cluster, and nothing else"
    );
}

#[test]
fn renovate_extracts_exactly_the_example_specs_versions() {
    let Some(bin) = renovate_bin("renovate_extracts_exactly_the_example_specs_versions") else {
        return;
    };
    assert_extracts_exactly_the_versions(&repo_root().join("spec"), bin);
}

#[test]
fn renovate_extracts_every_documented_version_form() {
    let Some(bin) = renovate_bin("renovate_extracts_every_documented_version_form") else {
        return;
    };
    assert_extracts_exactly_the_versions(&repo_root().join("tests/renovate/forms"), bin);
}

// ---------------------------------------------------------------------------------------------
// Lookup against a registry stub
// ---------------------------------------------------------------------------------------------

/// Serves `routes` (path without query -> body) on 127.0.0.1 to at most `MAX_REQUESTS`
/// connections, one request each, then stops; returns the port.
fn serve(routes: BTreeMap<&'static str, String>) -> u16 {
    const MAX_REQUESTS: usize = 200;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("a local address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(MAX_REQUESTS).flatten() {
            answer(stream, &routes);
        }
    });
    port
}

fn answer(mut stream: TcpStream, routes: &BTreeMap<&'static str, String>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Skip the headers; GET and HEAD requests have no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
        line.clear();
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let (status, body) = match routes.get(path) {
        Some(body) => ("200 OK", body.as_str()),
        None => ("404 Not Found", ""),
    };
    let content_type = if path.ends_with("index.yaml") {
        "application/x-yaml"
    } else {
        "application/json"
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(body.as_bytes());
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// The registry stub: newer versions of two OCI charts and an HTTPS chart of the example spec.
fn registry_stub() -> u16 {
    let tags = |name: &str, tags: &[&str]| json!({ "name": name, "tags": tags }).to_string();
    serve(BTreeMap::from([
        ("/v2/", "{}".to_owned()),
        (
            "/v2/ghcr.io/cloudnative-pg/charts/cloudnative-pg/tags/list",
            tags(
                "ghcr.io/cloudnative-pg/charts/cloudnative-pg",
                &["0.26.0", "0.26.1", "0.27.1", "0.27.2"],
            ),
        ),
        (
            "/v2/ghcr.io/stefanprodan/charts/podinfo/tags/list",
            tags(
                "ghcr.io/stefanprodan/charts/podinfo",
                &["6.9.1", "6.9.2", "6.9.3"],
            ),
        ),
        (
            "/helm/index.yaml",
            "apiVersion: v1\nentries:\n  ingress-nginx:\n    - name: ingress-nginx\n      version: 4.13.1\n      urls: [ingress-nginx-4.13.1.tgz]\n    - name: ingress-nginx\n      version: 4.12.1\n      urls: [ingress-nginx-4.12.1.tgz]\n"
                .to_owned(),
        ),
    ]))
}

/// Test-only rules: look every package up on the stub instead of the real registries.
fn point_lookups_at(config: &mut Value, port: u16) {
    let host = format!("127.0.0.1:{port}");
    let rules = config["packageRules"]
        .as_array_mut()
        .expect("the config has packageRules");
    rules.push(json!({
        "description": "test only: docker lookups go to the stub",
        "matchDatasources": ["docker"],
        // Rules apply more than once; the name is rewritten only the first time.
        "matchPackageNames": ["!/^127\\.0\\.0\\.1:/"],
        "overridePackageName": format!("{host}/{{{{packageName}}}}"),
        "registryUrls": [format!("http://{host}")],
    }));
    rules.push(json!({
        "description": "test only: helm lookups go to the stub",
        "matchDatasources": ["helm"],
        "registryUrls": [format!("http://{host}/helm")],
    }));
    // The stub serves no GitHub API: remote bases are looked up nowhere here.
    rules.push(json!({
        "description": "test only: no github-tags lookups",
        "matchDatasources": ["github-tags"],
        "enabled": false,
    }));
}

/// One branch Renovate would create: its name, PR title, gating, and (dependency, cluster) pairs.
#[derive(Debug)]
struct Branch {
    name: String,
    pr_title: String,
    approval: bool,
    upgrades: Vec<(String, String)>,
}

/// The branches from Renovate's trace log (`--dry-run=lookup` stops before it would push them,
/// and `--platform=local` reports them only there).
fn branches(log: &[u8]) -> Vec<Branch> {
    let line = String::from_utf8_lossy(log)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry["msg"] == "branches")
        .unwrap_or_else(|| {
            let _ = fs::write(std::env::temp_dir().join("fluxspec-renovate-lookup.log"), log);
            panic!("Renovate's trace log lists no branches (saved in fluxspec-renovate-lookup.log in the temp dir)")
        });
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    line["branches"]
        .as_array()
        .expect("branches")
        .iter()
        .map(|branch| Branch {
            name: text(&branch["branchName"]),
            pr_title: text(&branch["prTitle"]),
            approval: branch["dependencyDashboardApproval"] == true,
            upgrades: branch["upgrades"]
                .as_array()
                .expect("upgrades")
                .iter()
                .map(|upgrade| (text(&upgrade["depName"]), text(&upgrade["depType"])))
                .collect(),
        })
        .collect()
}

#[test]
fn renovate_puts_each_clusters_update_on_its_own_gated_or_ungated_branch() {
    let Some(bin) =
        renovate_bin("renovate_puts_each_clusters_update_on_its_own_gated_or_ungated_branch")
    else {
        return;
    };
    let repo = repository(&repo_root().join("spec"));
    let config_path = repo.path().join("renovate.json");
    let mut config = read_json(&config_path);
    point_lookups_at(&mut config, registry_stub());
    fs::write(&config_path, config.to_string()).expect("write the test config");
    commit(repo.path());

    let output = renovate(bin, repo.path(), &["--dry-run=lookup"], "trace");
    let mut log = output.stdout;
    log.extend(output.stderr);
    let branches = branches(&log);
    let find = |dep: &str, cluster: &str| {
        let found: Vec<&Branch> = branches
            .iter()
            .filter(|branch| {
                branch
                    .upgrades
                    .contains(&(dep.to_owned(), cluster.to_owned()))
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one branch updates {dep} in {cluster}: {branches:#?}"
        );
        found[0]
    };
    for (dep, cluster, gated) in [
        // Both clusters have their own line: dev goes ahead, prod waits for approval.
        ("cloudnative-pg", "dev", false),
        ("cloudnative-pg", "prod", true),
        // A default version moves prod too, so it waits as well.
        ("podinfo", "dev", false),
        ("podinfo", "default", true),
        ("ingress-nginx", "dev", false),
        ("ingress-nginx", "default", true),
    ] {
        let branch = find(dep, cluster);
        assert!(
            branch.name.starts_with(&format!("renovate/{cluster}/")) && branch.name.contains(dep),
            "branch of {dep} in {cluster}: {branch:?}"
        );
        assert!(
            branch.pr_title.contains(dep) && branch.pr_title.ends_with(&format!("({cluster})")),
            "PR title of {dep} in {cluster}: {branch:?}"
        );
        assert_eq!(
            branch.approval, gated,
            "gating of {dep} in {cluster}: {branch:?}"
        );
        assert!(
            branch
                .upgrades
                .iter()
                .all(|(_, dep_type)| dep_type == cluster),
            "a branch holds one cluster's updates: {branch:?}"
        );
    }
    assert_ne!(
        find("cloudnative-pg", "dev").name,
        find("cloudnative-pg", "prod").name
    );
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[test]
fn renovate_config_validator_accepts_every_generated_config() {
    let Some(bin) = renovate_bin("renovate_config_validator_accepts_every_generated_config") else {
        return;
    };
    let repo = repository(&repo_root().join("tests/renovate/forms"));
    let variants: [(&str, &[&str]); 3] = [
        ("no-gate.json", &["--no-gate"]),
        (
            "gate-dev.json",
            &["--gate", "dev,prod", "--post-upgrade-tasks"],
        ),
        ("post-upgrade.json", &["--post-upgrade-tasks"]),
    ];
    let mut files = vec![
        repo_root().join("renovate.json"),
        repo.path().join("renovate.json"),
    ];
    for (name, args) in variants {
        let output = run(fluxspec(repo.path()).arg("renovate").args(args));
        let path = repo.path().join(name);
        fs::write(&path, output.stdout).expect("write a config");
        files.push(path);
    }
    let output = Command::new(bin.join("renovate-config-validator"))
        .env("RENOVATE_X_IGNORE_RE2", "1")
        .args(["--strict", "--no-global"])
        .args(&files)
        .output()
        .expect("run renovate-config-validator");
    assert!(
        output.status.success(),
        "renovate-config-validator --strict: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Fast checks, never skipped
// ---------------------------------------------------------------------------------------------

#[test]
fn the_repositorys_renovate_json_is_fluxspecs_output() {
    let check = finish(fluxspec(repo_root()).args(["renovate", "--check"]));
    assert_eq!(
        check.code,
        Some(0),
        "renovate.json is stale; run `cargo run -- renovate --write`:\n{}",
        check.stderr
    );
}

#[test]
fn renovate_check_fails_on_a_stale_config() {
    let repo = tempfile::tempdir().expect("a temporary directory");
    copy_tree(
        &repo_root().join("tests/renovate/forms"),
        &repo.path().join("spec"),
    );
    run(fluxspec(repo.path()).args(["renovate", "--write"]));
    let config = repo.path().join("renovate.json");
    let text = fs::read_to_string(&config).expect("read renovate.json");
    fs::write(&config, format!("{text} ")).expect("edit renovate.json");
    let check = finish(fluxspec(repo.path()).args(["renovate", "--check"]));
    assert!(
        check
            .expect_code(1)
            .stderr
            .contains("fluxspec renovate --write")
    );
}

// Regression: `renovate --write` replaced a symlinked renovate.json with a regular file, and left
// the file readable by its owner only (the temp file's mode) whatever it had been.
#[cfg(unix)]
#[test]
fn writing_the_config_keeps_its_mode_and_writes_through_a_symlink() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let mode = |path: &Path| fs::metadata(path).expect("stat").permissions().mode() & 0o777;
    let repo = tempfile::tempdir().expect("a temporary directory");
    copy_tree(
        &repo_root().join("tests/renovate/forms"),
        &repo.path().join("spec"),
    );
    let config = repo.path().join("renovate.json");
    let shared = repo.path().join("shared");
    fs::create_dir(&shared).expect("mkdir shared");
    let target = shared.join("renovate.json");
    fs::write(&target, "{}").expect("write the target");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o664)).expect("chmod");
    symlink(&target, &config).expect("symlink renovate.json");
    let expected = run(fluxspec(repo.path()).arg("renovate")).stdout;

    run(fluxspec(repo.path()).args(["renovate", "--write"]));
    assert!(
        fs::symlink_metadata(&config).expect("lstat").is_symlink(),
        "renovate.json is no longer a symlink"
    );
    assert_eq!(fs::read(&target).expect("read the target"), expected);
    assert_eq!(mode(&target), 0o664);

    fs::remove_file(&config).expect("remove the symlink");
    fs::write(&config, "{}").expect("write renovate.json");
    fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).expect("chmod");
    run(fluxspec(repo.path()).args(["renovate", "--write"]));
    assert_eq!(fs::read(&config).expect("read renovate.json"), expected);
    assert_eq!(mode(&config), 0o640);
    // A new config is an ordinary file, not one only its owner may read.
    fs::remove_file(&config).expect("remove renovate.json");
    run(fluxspec(repo.path()).args(["renovate", "--write"]));
    assert_eq!(mode(&config), 0o644);
}

#[test]
fn a_version_renovate_would_miss_is_an_error() {
    let repo = tempfile::tempdir().expect("a temporary directory");
    let spec = repo.path().join("spec/homelab.kdl");
    fs::create_dir_all(spec.parent().expect("a parent")).expect("mkdir spec");
    fs::write(
        &spec,
        "cluster \"dev\"\napp \"a\" {\n    image \"x\" {\n        version cluster=\"dev\" \"1\"\n    }\n}\n",
    )
    .expect("write the spec");
    let renovate = finish(fluxspec(repo.path()).args(["renovate"]));
    let stderr = &renovate.expect_code(2).stderr;
    assert!(renovate.stdout.is_empty());
    assert!(
        stderr.contains("fluxspec::renovate-missed-version"),
        "{stderr}"
    );
}

#[test]
fn the_recompile_workflow_passes_actionlint() {
    let actionlint = common::tool("actionlint");
    let workflow = repo_root().join("docs/examples/renovate-recompile.yml");
    let output = Command::new(actionlint)
        .arg(&workflow)
        .output()
        .expect("run actionlint");
    assert!(
        output.status.success(),
        "actionlint {}:\n{}{}",
        workflow.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

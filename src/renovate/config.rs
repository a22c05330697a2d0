//! `renovate.json`: its serde structs, and the config built from the managers and the options:
//! the paths Renovate must not read (SOPS-encrypted files), the custom managers, then the package
//! rules (one branch and PR per cluster, the approval gate, the `postUpgradeTasks`, and no updates
//! inside the output directory).

use serde::Serialize;

use super::managers::Manager;
use super::{DEFAULT_DEP_TYPE, Options};

/// The author of the commits `docs/examples/renovate-recompile.yml` pushes: Renovate must not
/// treat a branch as edited by a person (and stop updating it) because of them.
const ACTIONS_BOT: &str = "41898282+github-actions[bot]@users.noreply.github.com";

/// The `ignorePaths` of `config:recommended` (its `:ignoreModulesAndTests` preset), repeated
/// because a config's own `ignorePaths` replaces the preset's rather than adding to it.
const RECOMMENDED_IGNORE_PATHS: [&str; 8] = [
    "**/node_modules/**",
    "**/bower_components/**",
    "**/vendor/**",
    "**/examples/**",
    "**/__tests__/**",
    "**/test/**",
    "**/tests/**",
    "**/__fixtures__/**",
];

/// SOPS-encrypted files by the usual naming convention (`secret.sops.yaml`), wherever they are.
const SOPS_FILES: &str = "**/*.sops.*";

/// `renovate.json`'s text: `managers` for the spec at `spec_path` (from the repository root), and
/// the rules for its output directory `output_path`, the `encrypted` files the spec applies (from
/// the repository root) and the `gated` clusters.
pub(super) fn to_json(
    managers: &[Manager],
    spec_path: &str,
    output_path: &str,
    encrypted: &[String],
    gated: &[String],
    options: &Options<'_>,
) -> String {
    let config = Config {
        schema: "https://docs.renovatebot.com/renovate-schema.json",
        extends: vec!["config:recommended"],
        git_ignored_authors: vec![ACTIONS_BOT],
        ignore_paths: ignore_paths(encrypted),
        custom_managers: managers.iter().map(custom_manager).collect(),
        package_rules: package_rules(spec_path, output_path, gated, options),
    };
    // Serialising these plain structs of strings cannot fail.
    let mut text = serde_json::to_string_pretty(&config).expect("a config serialises");
    text.push('\n');
    text
}

/// The paths no manager reads: the preset's, and SOPS-encrypted files, by name and those the spec
/// applies (found by content) under other names, since an edit by Renovate would break their MAC
/// and SOPS would then refuse to decrypt them. Renovate matches a plain path as a substring of a
/// file's path.
fn ignore_paths(encrypted: &[String]) -> Vec<String> {
    let named_by_convention = |path: &String| {
        path.rsplit('/')
            .next()
            .is_some_and(|name| name.contains(".sops."))
    };
    RECOMMENDED_IGNORE_PATHS
        .into_iter()
        .chain([SOPS_FILES])
        .map(str::to_owned)
        .chain(
            encrypted
                .iter()
                .filter(|path| !named_by_convention(path))
                .cloned(),
        )
        .collect()
}

fn custom_manager(manager: &Manager) -> CustomManager {
    CustomManager {
        custom_type: "regex",
        description: manager.description,
        manager_file_patterns: vec![manager.file_pattern.clone()],
        match_strings_strategy: "recursive",
        match_strings: manager.match_strings(),
        datasource_template: manager.datasource,
        dep_type_template: format!(
            "{{{{#if cluster}}}}{{{{cluster}}}}{{{{else}}}}{DEFAULT_DEP_TYPE}{{{{/if}}}}"
        ),
    }
}

fn package_rules(
    spec_path: &str,
    output_path: &str,
    gated: &[String],
    options: &Options<'_>,
) -> Vec<PackageRule> {
    let spec_files = vec![format!("/^{}$/", regex::escape(spec_path))];
    let mut rules = vec![PackageRule {
        description: "fluxspec: one branch and PR per cluster: the cluster is the depType"
            .to_owned(),
        match_file_names: spec_files.clone(),
        additional_branch_prefix: Some("{{depType}}/"),
        commit_message_suffix: Some("({{depType}})"),
        post_upgrade_tasks: options.post_upgrade_tasks.then(|| PostUpgradeTasks {
            commands: vec![format!(
                "fluxspec compile --spec {spec_path} --out {output_path}"
            )],
            file_filters: vec![format!("{output_path}/**")],
            execution_mode: "branch",
        }),
        ..PackageRule::default()
    }];
    if !gated.is_empty() {
        let mut dep_types = gated.to_vec();
        dep_types.push(DEFAULT_DEP_TYPE.to_owned());
        rules.push(PackageRule {
            description: format!(
                "fluxspec: updates of {} (and of default versions, which they may use) wait for \
                 approval on the Dependency Dashboard",
                gated.join(", ")
            ),
            match_file_names: spec_files,
            match_dep_types: Some(dep_types),
            dependency_dashboard_approval: Some(true),
            ..PackageRule::default()
        });
    }
    rules.push(PackageRule {
        description: format!(
            "fluxspec: `{output_path}/` is compiled from the spec; never update it directly"
        ),
        match_file_names: vec![format!("{output_path}/**")],
        enabled: Some(false),
        ..PackageRule::default()
    });
    rules
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(rename = "$schema")]
    schema: &'static str,
    extends: Vec<&'static str>,
    git_ignored_authors: Vec<&'static str>,
    ignore_paths: Vec<String>,
    custom_managers: Vec<CustomManager>,
    package_rules: Vec<PackageRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomManager {
    custom_type: &'static str,
    description: &'static str,
    manager_file_patterns: Vec<String>,
    match_strings_strategy: &'static str,
    match_strings: Vec<String>,
    datasource_template: &'static str,
    dep_type_template: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct PackageRule {
    description: String,
    match_file_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    match_dep_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_branch_prefix: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit_message_suffix: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dependency_dashboard_approval: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_upgrade_tasks: Option<PostUpgradeTasks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostUpgradeTasks {
    commands: Vec<String>,
    file_filters: Vec<String>,
    execution_mode: &'static str,
}

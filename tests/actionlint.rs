//! actionlint passes on every GitHub Actions workflow in the repository and on the composite
//! action `action.yml`.
//!
//! actionlint lints workflows; an action's metadata (its inputs, the shape of its composite
//! steps) it checks where a workflow uses it, which `.github/workflows/fluxspec.yml` does with
//! `uses: ./`. To lint the action's steps themselves (their expressions, and their `run:` scripts
//! with shellcheck), the test also lints a workflow made of them: a reusable workflow with the
//! action's inputs and one job that runs its steps.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_norway::{Mapping, Value};

/// Every workflow file: `.github/workflows/*.{yml,yaml}`, and any YAML under `docs/` with the
/// `on:` and `jobs:` of a workflow.
fn workflows() -> Vec<PathBuf> {
    let root = common::repo_root();
    let is_yaml = |path: &Path| {
        path.extension()
            .is_some_and(|extension| extension == "yml" || extension == "yaml")
    };
    let mut found = common::files_under(&root.join(".github/workflows"), is_yaml)
        .unwrap_or_else(|e| panic!("{e}"));
    let docs = common::files_under(&root.join("docs"), is_yaml).unwrap_or_else(|e| panic!("{e}"));
    for file in docs {
        let text = fs::read_to_string(&file).expect("read YAML under docs/");
        if let Ok(Value::Mapping(map)) = serde_norway::from_str::<Value>(&text)
            && map.contains_key("on")
            && map.contains_key("jobs")
        {
            found.push(file);
        }
    }
    found
}

fn actionlint(cwd: &Path, files: &[PathBuf]) -> Output {
    let actionlint = common::tool("actionlint");
    let shellcheck = common::tools_bin().join("shellcheck");
    Command::new(actionlint)
        .current_dir(cwd)
        .arg(format!("-shellcheck={}", shellcheck.display()))
        .args(files)
        .output()
        .expect("run actionlint")
}

#[track_caller]
fn assert_clean(output: &Output) {
    assert!(
        output.status.success(),
        "actionlint found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn key(name: &str) -> Value {
    Value::String(name.to_owned())
}

/// A reusable workflow that runs the steps of the composite action at `action`.
fn workflow_of_action(action: &Path) -> String {
    let text = fs::read_to_string(action).expect("read action.yml");
    let action: Mapping = serde_norway::from_str(&text).expect("action.yml is a mapping");
    let runs = action
        .get("runs")
        .and_then(Value::as_mapping)
        .expect("action.yml has runs");
    assert_eq!(runs.get("using"), Some(&key("composite")));

    // Each input becomes a string input of the reusable workflow, so `inputs.*` type-checks.
    let mut inputs = Mapping::new();
    if let Some(declared) = action.get("inputs").and_then(Value::as_mapping) {
        for (name, input) in declared {
            let mut input = input.as_mapping().cloned().unwrap_or_default();
            input.insert(key("type"), key("string"));
            inputs.insert(name.clone(), Value::Mapping(input));
        }
    }
    // The action's outputs become job outputs, so `steps.<id>.outputs.*` references check.
    let mut outputs = Mapping::new();
    if let Some(declared) = action.get("outputs").and_then(Value::as_mapping) {
        for (name, output) in declared {
            let value = output
                .get("value")
                .cloned()
                .expect("a composite output has a value");
            outputs.insert(name.clone(), value);
        }
    }
    let mut job = Mapping::new();
    job.insert(key("runs-on"), key("ubuntu-latest"));
    job.insert(key("outputs"), Value::Mapping(outputs));
    job.insert(
        key("steps"),
        runs.get("steps").cloned().expect("runs.steps"),
    );
    let mut call = Mapping::new();
    call.insert(key("inputs"), Value::Mapping(inputs));
    let mut on = Mapping::new();
    on.insert(key("workflow_call"), Value::Mapping(call));
    let mut jobs = Mapping::new();
    jobs.insert(key("action"), Value::Mapping(job));
    let mut workflow = Mapping::new();
    workflow.insert(key("name"), key("steps of action.yml"));
    workflow.insert(key("on"), Value::Mapping(on));
    workflow.insert(key("jobs"), Value::Mapping(jobs));
    serde_norway::to_string(&Value::Mapping(workflow)).expect("serialise the workflow")
}

#[test]
fn every_workflow_in_the_repository_passes_actionlint() {
    let files = workflows();
    // The workflow that exercises the action through `uses: ./` is among them.
    let uses_action = files.iter().any(|file| {
        fs::read_to_string(file)
            .expect("read workflow")
            .contains("uses: ./\n")
    });
    assert!(uses_action, "no workflow uses the action: {files:?}");
    assert_clean(&actionlint(common::repo_root(), &files));
}

#[test]
fn the_composite_actions_steps_pass_actionlint() {
    let temp = tempfile::tempdir().expect("temp dir");
    let workflow = workflow_of_action(&common::repo_root().join("action.yml"));
    let file = temp.path().join("action-steps.yml");
    fs::write(&file, &workflow).expect("write the workflow");
    assert_clean(&actionlint(temp.path(), std::slice::from_ref(&file)));

    // The check has teeth: a mistake in a step's expression or script is reported.
    for (good, bad) in [
        ("${{ inputs.spec }}", "${{ inputs.no_such_input }}"),
        ("status=0", "status=0; echo $status $undefined_variable"),
    ] {
        assert!(workflow.contains(good), "{good} not in the workflow");
        fs::write(&file, workflow.replacen(good, bad, 1)).expect("write the workflow");
        let output = actionlint(temp.path(), std::slice::from_ref(&file));
        assert!(!output.status.success(), "actionlint missed `{bad}`");
    }
}

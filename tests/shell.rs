//! What fluxspec gives a shell: completion scripts (the bash one is loaded into a real bash and
//! asked to complete), the man pages, `--version`.

mod common;

use std::fs;
use std::process::Command;

use common::Run;

/// Runs `fluxspec ARGS` in the repository; it must succeed.
fn fluxspec(args: &[&str]) -> Run {
    let run = common::run(common::repo_root(), args);
    run.expect_code(0);
    run
}

fn stdout(args: &[&str]) -> String {
    fluxspec(args).stdout
}

/// The subcommands `fluxspec --help` lists (the hidden ones and `help` aside).
fn subcommands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let listed: Vec<String> = help
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        // A command's line is indented by two spaces; deeper lines continue a wrapped description.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    for expected in ["init", "compile", "check", "fmt", "completions", "man"] {
        assert!(listed.iter().any(|name| name == expected), "{help}");
    }
    listed
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let subcommands = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&["completions", shell]);
        for subcommand in &subcommands {
            assert!(script.contains(subcommand), "{shell}: no `{subcommand}`");
        }
    }
}

/// Runs `script` in bash after sourcing the completion script, and returns what it prints.
fn bash(completion: &str, script: &str) -> String {
    let temp = tempfile::tempdir().expect("temp dir");
    let file = temp.path().join("fluxspec.bash");
    fs::write(&file, completion).expect("write the script");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("run bash -n");
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let output = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(format!("source '{}' && {script}", file.display()))
        .output()
        .expect("run bash");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "bash: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Completes the words of `line` (the cursor at its end) with the loaded function.
fn complete(completion: &str, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
    let script = format!(
        "COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT={point}; \
         _fluxspec fluxspec '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" "),
        cword = words.len() - 1,
        point = line.len(),
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    bash(completion, &script)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_bash_script_loads_and_completes() {
    let completion = stdout(&["completions", "bash"]);
    assert_eq!(
        bash(&completion, "complete -p fluxspec"),
        "complete -o bashdefault -o default -o nosort -F _fluxspec fluxspec\n"
    );
    let subcommands = complete(&completion, &["fluxspec", "c"]);
    for expected in ["check", "compile", "completions"] {
        assert!(subcommands.iter().any(|s| s == expected), "{subcommands:?}");
    }
    assert!(!subcommands.iter().any(|s| s == "fmt"), "{subcommands:?}");
    let options = complete(&completion, &["fluxspec", "fmt", "--"]);
    for expected in ["--check", "--spec", "--color", "--help"] {
        assert!(options.iter().any(|s| s == expected), "{options:?}");
    }
    let shells = complete(&completion, &["fluxspec", "completions", ""]);
    for expected in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.iter().any(|s| s == expected), "{shells:?}");
    }
}

#[test]
fn the_man_page_documents_every_subcommand() {
    let subcommands = subcommands();
    let page = stdout(&["man"]);
    assert!(page.contains(".TH fluxspec 1"), "{page}");
    for subcommand in &subcommands {
        assert!(
            page.contains(&format!("fluxspec\\-{subcommand}(1)")),
            "no `{subcommand}`"
        );
    }

    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("man1");
    fluxspec(&["man", "--dir", dir.to_str().expect("UTF-8 path")]);
    let mut pages: Vec<String> = fs::read_dir(&dir)
        .expect("man pages written")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    pages.sort();
    let mut expected: Vec<String> = subcommands
        .iter()
        .map(|subcommand| format!("fluxspec-{subcommand}.1"))
        .chain(["fluxspec.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let fmt = fs::read_to_string(dir.join("fluxspec-fmt.1")).expect("fmt page");
    assert!(fmt.contains("\\-\\-check"), "{fmt}");
}

#[test]
fn version_is_the_package_version() {
    assert_eq!(
        stdout(&["--version"]),
        format!("fluxspec {}\n", env!("CARGO_PKG_VERSION"))
    );
}

// Issue 13: the hidden `synth` (for benchmarks) was offered by every completion script.
#[test]
fn completions_offer_no_hidden_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&["completions", shell]);
        assert!(!script.contains("synth"), "{shell} offers `synth`");
    }
    let words = complete(&stdout(&["completions", "bash"]), &["fluxspec", ""]);
    assert!(words.iter().any(|word| word == "compile"), "{words:?}");
    assert!(!words.iter().any(|word| word == "synth"), "{words:?}");
}

// Issue 13: no `--help` showed an example.
#[test]
fn every_help_ends_with_examples() {
    let mut commands: Vec<Vec<String>> = subcommands()
        .into_iter()
        .map(|subcommand| vec![subcommand])
        .collect();
    commands.push(Vec::new());
    for command in commands {
        let mut args: Vec<&str> = command.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&args);
        let examples = help
            .rsplit_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("fluxspec {args:?} has no examples:\n{help}"))
            .1;
        let lines: Vec<&str> = examples.lines().filter(|line| !line.is_empty()).collect();
        assert!(lines.len() >= 2, "{help}");
        for pair in lines.chunks(2) {
            assert!(pair[0].starts_with("  # "), "{help}");
            let prefix = format!("  fluxspec {}", command.join(" "));
            assert!(pair[1].starts_with(prefix.trim_end()), "{help}");
        }
    }
}

// Issue 13: the man pages had no EXAMPLES section.
#[test]
fn every_man_page_has_examples() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("man1");
    fluxspec(&["man", "--dir", dir.to_str().expect("UTF-8 path")]);
    for entry in fs::read_dir(&dir).expect("man pages written") {
        let path = entry.expect("entry").path();
        let page = fs::read_to_string(&path).expect("read page");
        let examples = page
            .split_once(".SH EXAMPLES\n")
            .unwrap_or_else(|| panic!("{} has no EXAMPLES:\n{page}", path.display()))
            .1;
        assert!(examples.contains(".nf\nfluxspec"), "{page}");
        assert!(!page.contains(".SH EXTRA"), "{page}");
    }
    assert!(stdout(&["man"]).contains(".SH EXAMPLES\n"));
}

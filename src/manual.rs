//! Shell completion scripts, man pages and the examples at the end of every `--help`, generated
//! from the clap definition of the command line so they can never disagree with it. Returns
//! bytes; the CLI decides where they go.
//!
//! The examples are data ([`EXAMPLES`]): the CLI appends them to each command's `--help`
//! ([`with_examples`]), and the man pages get them as an EXAMPLES section (clap_mangen would put
//! an `after_help` under EXTRA, as one filled paragraph).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

pub(crate) use clap_complete::Shell;

/// What one example does, and the command line that does it.
type Example = (&'static str, &'static str);

/// The examples of each command, by command name (`fluxspec` is the top level).
const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "fluxspec",
        &[
            ("Start a repository with a starter spec", "fluxspec init"),
            ("Compile after each edit of the spec", "fluxspec compile"),
            (
                "In CI: fail when generated/ is stale",
                "fluxspec check --quiet",
            ),
        ],
    ),
    (
        "init",
        &[
            (
                "Start in the current directory, usually a Git repository's root",
                "fluxspec init",
            ),
            (
                "Start in another directory: its spec/ and generated/ go there",
                "fluxspec init infra/home",
            ),
        ],
    ),
    (
        "import",
        &[
            (
                "Write spec/ for a clone of a Flux repository, then check it",
                "fluxspec import ../home-ops",
            ),
            (
                "Import fluxspec's own output elsewhere: the spec compiles to the same tree",
                "fluxspec import generated --into /tmp/roundtrip",
            ),
        ],
    ),
    (
        "compile",
        &[
            (
                "Compile spec/homelab.kdl and show the diff",
                "fluxspec compile",
            ),
            (
                "List what would change, write nothing",
                "fluxspec compile --dry-run --stat",
            ),
            (
                "A spec elsewhere: the output goes to its output-path from the repository root",
                "fluxspec compile --spec infra/home/spec/homelab.kdl",
            ),
        ],
    ),
    (
        "check",
        &[
            (
                "In CI: exit 1 when the output is not what the spec compiles to",
                "fluxspec check --quiet",
            ),
            (
                "The stale files, for a script",
                "fluxspec check --format json",
            ),
        ],
    ),
    (
        "fmt",
        &[
            ("Format the spec in place", "fluxspec fmt"),
            (
                "In CI: show the diff and exit 1 when the spec is not formatted",
                "fluxspec fmt --check",
            ),
        ],
    ),
    (
        "versions",
        &[
            ("Every chart and image, per cluster", "fluxspec versions"),
            (
                "Only what differs, for a pull request",
                "fluxspec versions --drift --format markdown",
            ),
            (
                "In CI: exit 1 when prod runs anything dev does not",
                "fluxspec versions --fail-on-drift --cluster dev --cluster prod",
            ),
        ],
    ),
    (
        "promote",
        &[
            (
                "Give prod the versions dev runs of one app",
                "fluxspec promote podinfo --from dev --to prod",
            ),
            (
                "See what promoting every app would change, write nothing",
                "fluxspec promote --all --from dev --to prod --dry-run",
            ),
        ],
    ),
    (
        "graph",
        &[
            ("A Mermaid flowchart for the README", "fluxspec graph"),
            (
                "One cluster as SVG, with Graphviz",
                "fluxspec graph --cluster prod --format dot | dot -Tsvg > prod.svg",
            ),
        ],
    ),
    (
        "renovate",
        &[
            ("Write renovate.json", "fluxspec renovate --write"),
            (
                "In CI: show the diff and exit 1 when renovate.json is stale",
                "fluxspec renovate --check",
            ),
        ],
    ),
    (
        "build",
        &[
            (
                "Everything Flux applies to prod, as one YAML stream",
                "fluxspec build --cluster prod > prod.yaml",
            ),
            (
                "One app on dev",
                "fluxspec build --cluster dev --app podinfo",
            ),
        ],
    ),
    (
        "diff",
        &[
            (
                "What the working tree's spec changes against HEAD",
                "fluxspec diff",
            ),
            (
                "A pull request's changes, as a Markdown comment",
                "fluxspec diff --against origin/main --format markdown",
            ),
        ],
    ),
    (
        "lsp",
        &[
            (
                "What an editor runs (from the repository root, where spec/ is)",
                "fluxspec lsp",
            ),
            (
                "Keep its errors while setting an editor up (stdout is the protocol)",
                "fluxspec lsp 2> fluxspec-lsp.log",
            ),
        ],
    ),
    (
        "completions",
        &[
            (
                "bash",
                "fluxspec completions bash > ~/.local/share/bash-completion/completions/fluxspec",
            ),
            (
                "zsh (a directory on $fpath)",
                "fluxspec completions zsh > ~/.zfunc/_fluxspec",
            ),
            (
                "fish",
                "fluxspec completions fish > ~/.config/fish/completions/fluxspec.fish",
            ),
        ],
    ),
    (
        "man",
        &[
            ("Read the manual", "fluxspec man | man -l -"),
            (
                "Install a page per command",
                "fluxspec man --dir ~/.local/share/man/man1",
            ),
        ],
    ),
];

/// The examples of the command named `name`; none for hidden commands.
fn examples(name: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(command, _)| *command == name)
        .map_or(&[], |(_, examples)| examples)
}

/// `command` with its examples, and each subcommand's, at the end of `--help`.
pub(crate) fn with_examples(command: clap::Command) -> clap::Command {
    let help = help_text(examples(command.get_name()));
    let mut command = if help.is_empty() {
        command
    } else {
        command.after_help(help)
    };
    let names: Vec<String> = command
        .get_subcommands()
        .map(|subcommand| subcommand.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, with_examples);
    }
    command
}

/// The examples as `--help` shows them.
fn help_text(examples: &[Example]) -> String {
    let mut text = String::new();
    for (index, (what, line)) in examples.iter().enumerate() {
        let heading = if index == 0 { "Examples:\n" } else { "\n" };
        // Writing to a String cannot fail.
        let _ = write!(text, "{heading}  # {what}\n  {line}\n");
    }
    text.trim_end().to_owned()
}

/// The top-level `command` without its hidden subcommands, which completions must not offer
/// (clap_complete lists them all). clap can add subcommands but not remove them, so this is a new
/// command with the same name and version (the package's, as `Cli` declares them), arguments
/// and visible subcommands; those have no subcommands of their own.
fn without_hidden(command: &clap::Command) -> clap::Command {
    let mut visible = clap::Command::new(env!("CARGO_PKG_NAME")).version(env!("CARGO_PKG_VERSION"));
    for arg in command.get_arguments() {
        visible = visible.arg(arg.clone());
    }
    visible.subcommands(
        command
            .get_subcommands()
            .filter(|subcommand| !subcommand.is_hide_set())
            .cloned(),
    )
}

/// The completion script for `shell`.
pub(crate) fn completions(shell: Shell, command: &clap::Command) -> Vec<u8> {
    let mut command = without_hidden(command);
    let name = command.get_name().to_owned();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

/// The man page of the command, listing its subcommands (roff, section 1), with its examples.
pub(crate) fn man_page(command: clap::Command) -> io::Result<Vec<u8>> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    render(&command)
}

/// One man page per command and visible subcommand (`fluxspec.1`, `fluxspec-compile.1`, ...) in
/// `dir`, each with its examples.
pub(crate) fn write_man_pages(command: clap::Command, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut command = command.disable_help_subcommand(true);
    // Building names each subcommand `fluxspec-<name>`, the page's title and file name.
    command.build();
    write_pages(&command, dir)
}

fn write_pages(command: &clap::Command, dir: &Path) -> io::Result<()> {
    for subcommand in command
        .get_subcommands()
        .filter(|subcommand| !subcommand.is_hide_set())
    {
        write_pages(subcommand, dir)?;
    }
    let file_name = clap_mangen::Man::new(command.clone()).get_filename();
    std::fs::write(dir.join(file_name), render(command)?)
}

/// A built command's page: clap_mangen's sections, then EXAMPLES before VERSION.
fn render(command: &clap::Command) -> io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let page = String::from_utf8(page).map_err(io::Error::other)?;
    let examples = roff_examples(examples(command.get_name()));
    let page = match page.find("\n.SH VERSION") {
        Some(at) => format!("{}\n{}{}", &page[..at], examples, &page[at + 1..]),
        None => format!("{page}{examples}"),
    };
    Ok(page.into_bytes())
}

/// The EXAMPLES section in roff: each example a paragraph, its command line indented and
/// unfilled.
fn roff_examples(examples: &[Example]) -> String {
    if examples.is_empty() {
        return String::new();
    }
    let mut roff = String::from(".SH EXAMPLES\n");
    for (what, line) in examples {
        // Writing to a String cannot fail.
        let _ = write!(
            roff,
            ".PP\n{}\n.RS 4\n.nf\n{}\n.fi\n.RE\n",
            roff_text(what),
            roff_text(line)
        );
    }
    roff
}

/// `text` safe on a roff text line: backslashes and hyphens escaped, a leading control character
/// neutralised.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_text_escapes_what_roff_would_read() {
        assert_eq!(roff_text("fluxspec --check"), "fluxspec \\-\\-check");
        assert_eq!(roff_text(".hidden"), "\\&.hidden");
        assert_eq!(roff_text("a\\b"), "a\\eb");
    }

    #[test]
    fn help_text_heads_the_examples_once() {
        let text = help_text(&[("One", "fluxspec a"), ("Two", "fluxspec b")]);
        assert_eq!(
            text,
            "Examples:\n  # One\n  fluxspec a\n\n  # Two\n  fluxspec b"
        );
    }
}

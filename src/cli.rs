//! The command line: arguments, output and exit codes. The only module that prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::compile::compile;
use crate::sync;

/// Compile one KDL spec into a multi-cluster Flux `GitOps` repository.
#[derive(Parser)]
#[command(name = "fluxspec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the spec into the output directory.
    Compile(Paths),
}

#[derive(Args)]
struct Paths {
    /// The spec file.
    #[arg(long, default_value = "spec/homelab.kdl")]
    spec: PathBuf,
    /// The output directory.
    #[arg(long, default_value = "generated")]
    out: PathBuf,
}

/// Exit status for a spec, usage or I/O error.
const EXIT_ERROR: u8 = 2;

/// Runs the command line and returns the process's exit status.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Compile(paths) => compile_command(&paths),
    }
}

fn compile_command(paths: &Paths) -> ExitCode {
    let tree = match compile(&paths.spec, &spec_label(&paths.spec, &paths.out)) {
        Ok(tree) => tree,
        Err(error) => {
            eprintln!("{:?}", miette::Report::new(error));
            return ExitCode::from(EXIT_ERROR);
        }
    };
    if let Err(error) = sync::write_all(&tree, &paths.out) {
        eprintln!("error: cannot write to `{}`: {error}", paths.out.display());
        return ExitCode::from(EXIT_ERROR);
    }
    eprintln!("wrote {} files to {}", tree.len(), paths.out.display());
    ExitCode::SUCCESS
}

/// How generated files name the spec: its path relative to the directory holding the output
/// directory (the repository root, by convention), so the header is the same on every machine.
fn spec_label(spec: &Path, out: &Path) -> String {
    let absolute = |path: &Path| {
        path.canonicalize()
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let spec = absolute(spec);
    let root = absolute(out).parent().map(Path::to_path_buf);
    let relative = root
        .as_deref()
        .and_then(|root| spec.strip_prefix(root).ok())
        .unwrap_or_else(|| Path::new(spec.file_name().unwrap_or_default()));
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

//! `fluxspec import`: write a spec for an existing Flux repository, then check that it compiles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::streams::{self, say};
use super::{Failure, report_error};
use crate::compile::CompileError;
use crate::import::ImportError;
use crate::import::verify::{Origin, Verification};

#[derive(Args)]
pub(super) struct ImportArgs {
    /// The Flux repository to import: a directory (a clone), or fluxspec's own `generated/`.
    source: PathBuf,
    /// The clusters and the path `flux bootstrap` syncs for each, when they cannot be found
    /// (directories under `clusters/`, or holding `flux-system/`, or the root Kustomizations).
    #[arg(long, value_delimiter = ',', value_name = "NAME=PATH")]
    clusters: Vec<String>,
    /// Where to write `spec/` (it must not exist).
    #[arg(long, default_value = ".")]
    into: PathBuf,
    /// Check that the new spec compiles, and compare what Flux applies from both (the default).
    #[arg(long, overrides_with = "no_verify")]
    verify: bool,
    /// Write the spec without checking it.
    #[arg(long)]
    no_verify: bool,
    /// List every object verify reads from the repository, per cluster: those it compares and
    /// those it leaves out (Flux Kustomizations, Flux's own objects).
    #[arg(long)]
    show_objects: bool,
}

/// The new spec does not compile, or does not apply what the repository applies.
const EXIT_UNVERIFIED: u8 = 1;

pub(super) fn run(args: &ImportArgs) -> Result<ExitCode, Failure> {
    let clusters = args
        .clusters
        .iter()
        .map(|entry| crate::import::cluster_entry(entry))
        .collect::<Result<Vec<_>, _>>()
        .map_err(report_error)?;
    let imported = crate::import::import(&args.source, &clusters).map_err(report_error)?;
    let spec = crate::import::write(&args.into, &imported).map_err(report_error)?;
    {
        let mut stdout = streams::plain_stdout();
        let shown = crate::init::shown(&args.into, crate::init::SPEC);
        writeln!(
            stdout,
            "wrote    {} ({} files)",
            shown.display(),
            imported.files.len()
        )?;
        writeln!(stdout, "{}", imported.report.summary())?;
        writeln!(
            stdout,
            "{} kept raw, {} mistakes in the source: see {}",
            crate::text::count(imported.report.raw.len(), "item"),
            imported.report.mistakes.len(),
            shown.with_file_name(crate::import::REPORT_FILE).display()
        )?;
        stdout.flush()?;
    }
    if args.no_verify {
        return Ok(ExitCode::SUCCESS);
    }
    let verification = verify(&spec, &imported.origin, args.show_objects).map_err(report_error)?;
    Ok(if verification {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNVERIFIED)
    })
}

/// Verifies the spec written at `spec` and prints what was found; whether it is faithful.
fn verify(spec: &Path, origin: &Origin, show_objects: bool) -> Result<bool, ImportError> {
    match crate::import::verify::verify(spec, origin)? {
        Verification::NotCompiled(CompileError::Read(error)) => {
            streams::show_diagnostic(error);
            Ok(false)
        }
        Verification::NotCompiled(CompileError::Spec(errors)) => {
            streams::show_diagnostic(errors);
            say!("verify: the imported spec does not compile; see the errors above");
            Ok(false)
        }
        Verification::Clusters(comparisons) => {
            let mut faithful = true;
            for comparison in &comparisons {
                say!("verify: {}", comparison.summary());
                for id in &comparison.missing {
                    say!("  missing: {id}");
                }
                for id in &comparison.extra {
                    say!("  extra: {id}");
                }
                for version in &comparison.versions {
                    say!("  version: {version}");
                }
                for content in &comparison.content {
                    say!("  content: {content}");
                }
                if show_objects {
                    for id in &comparison.original {
                        say!("  object: {id}");
                    }
                    for (id, why) in &comparison.not_compared {
                        say!("  not compared: {id} ({why})");
                    }
                }
                faithful &= comparison.is_faithful();
            }
            Ok(faithful)
        }
        Verification::Files {
            compared,
            differing,
        } => {
            if differing.is_empty() {
                say!(
                    "verify: the spec compiles to the same {} as the original",
                    crate::text::count(compared, "file")
                );
                return Ok(true);
            }
            say!(
                "verify: the compiled output differs from the original in {}:{}",
                crate::text::count(differing.len(), "file"),
                crate::text::path_lines(&differing)
            );
            Ok(false)
        }
    }
}

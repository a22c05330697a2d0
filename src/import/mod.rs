//! `fluxspec import`: an existing Flux repository becomes a spec.
//!
//! [`import`] reads the repository ([`source`]: regular files only, each read capped),
//! recognises its shape and lifts it into spec nodes: fluxspec's own output ([`seed`]), and the
//! lifting every shape shares ([`lift`]: versions per cluster, knobs, variables, HelmRelease and
//! source settings). What the spec cannot say stays a manifest or patch file of the nearest app
//! and is listed in the [`report`]. The spec's text is written by [`kdl`] and put in canonical
//! layout by [`crate::fmt::format`]. [`write`] hands the files to [`crate::sync::new_tree`].
//! **Boundary:** reads only the source repository; writes nothing itself.

mod compare;
mod kdl;
mod lift;
pub(crate) mod report;
mod repository;
mod seed;
mod source;
pub(crate) mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use kdl::Node;
use report::Report;
pub(crate) use repository::ClusterEntry;
use source::SourceRepo;

/// Where the spec goes inside the target directory.
pub(crate) const SPEC_DIR: &str = "spec";
/// The spec file, inside [`SPEC_DIR`].
pub(crate) const SPEC_FILE: &str = "homelab.kdl";
/// The report, next to the spec.
pub(crate) const REPORT_FILE: &str = "import-report.md";

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum ImportError {
    #[error("cannot read the repository `{path}`: {reason}")]
    #[diagnostic(
        code("fluxspec::import-source"),
        help("name the directory of a Flux repository (a clone, not a URL)")
    )]
    Source { path: String, reason: String },
    #[error("`{path}` is not a Flux repository shape fluxspec recognises")]
    #[diagnostic(
        code("fluxspec::import-shape"),
        help(
            "fluxspec imports its own output (`generated/`); name the clusters with \
             `--clusters dev=clusters/dev,...` for other layouts, see docs/import.md"
        )
    )]
    UnknownShape { path: String },
    #[error("`{path}` already exists")]
    #[diagnostic(
        code("fluxspec::import-exists"),
        help("`fluxspec import` never overwrites a spec; move it away, or pass another `--into`")
    )]
    SpecExists { path: String },
    #[error("the imported spec could not be laid out: {reason}")]
    #[diagnostic(
        code("fluxspec::import-internal"),
        help("this is a bug in `fluxspec import`; nothing was written. Please report it")
    )]
    Internal { reason: String },
    #[error("cannot build cluster `{cluster}` of the repository")]
    #[diagnostic(
        code("fluxspec::import-build"),
        help("see `fluxspec build --repo` for the same error")
    )]
    Build {
        cluster: String,
        #[source]
        source: Box<crate::build::BuildError>,
    },
    #[error("`--clusters` entry `{entry}` is not NAME=PATH")]
    #[diagnostic(
        code("fluxspec::import-clusters"),
        help("write `--clusters dev=clusters/dev,prod=clusters/prod`")
    )]
    ClusterArgument { entry: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] crate::sync::SyncError),
}

/// What a shape reader makes of a repository: the spec's top-level nodes, the files they name
/// (by path from the spec directory) and the report.
#[derive(Debug, Default)]
pub(crate) struct Lifted {
    nodes: Vec<Node>,
    files: BTreeMap<String, Vec<u8>>,
    report: Report,
    /// Per cluster, the cluster variables the files copied for its apps use.
    used_cluster_vars: BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl Lifted {
    /// A source file copied byte for byte into the spec directory (its lines count as raw).
    fn copy(&mut self, relative: &str, bytes: &[u8]) {
        self.report.figures.raw_lines += line_count(bytes);
        self.files.insert(relative.to_owned(), bytes.to_vec());
    }

    /// Objects written as Flux builds them (their lines count as raw, and as built).
    fn keep_built(&mut self, relative: &str, bytes: &[u8]) {
        self.report.figures.built_lines += line_count(bytes);
        self.copy(relative, bytes);
    }

    /// A file the import writes (a values file).
    fn write(&mut self, relative: &str, bytes: Vec<u8>) {
        self.files.insert(relative.to_owned(), bytes);
    }
}

/// An imported repository: the files of the new spec directory, the report, and what the
/// spec's output is to be compared with.
#[derive(Debug)]
pub(crate) struct Imported {
    /// By path from the spec directory: `homelab.kdl`, the files it names, `import-report.md`.
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    pub(crate) report: Report,
    pub(crate) origin: verify::Origin,
}

/// Imports the repository at `source`: fluxspec's own output when it is that, else its
/// `clusters` (found when none are given) as Flux builds them.
pub(crate) fn import(source: &Path, clusters: &[ClusterEntry]) -> Result<Imported, ImportError> {
    let repo = SourceRepo::read(source)?;
    let seed = if clusters.is_empty() {
        seed::recognise(&repo)
    } else {
        None
    };
    let (mut lifted, scope, origin) = if let Some(dir) = seed {
        let origin = verify::Origin::Output(source.join(&dir));
        (seed::lift(&repo, dir.clone()), dir, origin)
    } else {
        let clusters = if clusters.is_empty() {
            repository::find_clusters(&repo)
        } else {
            clusters.to_vec()
        };
        if clusters.is_empty() {
            return Err(ImportError::UnknownShape {
                path: source.display().to_string(),
            });
        }
        let builds = repository::build(source, &clusters)?;
        let lifted = repository::lift(&repo, source, &builds)?;
        (lifted, String::new(), verify::Origin::Repository(builds))
    };
    for (file, reason) in &repo.unread {
        lifted.report.raw(
            file,
            "a file that could not be read",
            format!("{reason}; left out"),
        );
    }
    lift::defaults::lift_helm_defaults(&mut lifted.nodes);
    let text = spec_text(&lifted.nodes, source)?;
    let mut report = lifted.report;
    report.figures.spec_lines = text.lines().count();
    report.figures.original_lines = repo
        .paths()
        .filter(|path| path.starts_with(&scope))
        .filter(|path| is_yaml(path))
        .filter_map(|path| repo.bytes(path))
        .map(line_count)
        .sum();
    let mut files = lifted.files;
    files.insert(SPEC_FILE.to_owned(), text.into_bytes());
    files.insert(REPORT_FILE.to_owned(), report.markdown().into_bytes());
    Ok(Imported {
        files,
        report,
        origin,
    })
}

/// The spec's text in canonical layout, with a header saying where it came from.
fn spec_text(nodes: &[Node], source: &Path) -> Result<String, ImportError> {
    let name = source.file_name().map_or_else(
        || source.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let header = format!(
        "// Imported by `fluxspec import` from `{name}`. What stayed as it was, and why, is in\n\
         // {REPORT_FILE} next to this file. Docs: docs/spec.md.\n\n"
    );
    let text = header + &kdl::document(nodes);
    crate::fmt::format(&text).map_err(|error| ImportError::Internal {
        reason: error.to_string(),
    })
}

/// Writes an import into `into/spec/`, which must not exist.
pub(crate) fn write(into: &Path, imported: &Imported) -> Result<PathBuf, ImportError> {
    let spec_dir = into.join(SPEC_DIR);
    if spec_dir.symlink_metadata().is_ok() {
        return Err(ImportError::SpecExists {
            path: spec_dir.display().to_string(),
        });
    }
    crate::sync::new_tree::write(&spec_dir, &imported.files)?;
    Ok(spec_dir.join(SPEC_FILE))
}

/// Lines of a text, the last one counted without its newline too.
fn line_count(bytes: &[u8]) -> usize {
    bytes.split(|&byte| byte == b'\n').count()
        - usize::from(bytes.is_empty() || bytes.ends_with(b"\n"))
}

/// `--clusters dev=clusters/dev,prod=clusters/prod`, one entry.
pub(crate) fn cluster_entry(entry: &str) -> Result<ClusterEntry, ImportError> {
    match entry.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok(ClusterEntry {
            name: name.to_owned(),
            path: path
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned(),
        }),
        _ => Err(ImportError::ClusterArgument {
            entry: entry.to_owned(),
        }),
    }
}

/// `text` as a DNS-1123 label: lowercase letters, digits and `-`, at most 63 characters.
fn dns_label(text: &str) -> String {
    let mut label: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    label.truncate(63);
    let label = label.trim_matches('-').to_owned();
    if label.is_empty() {
        "app".to_owned()
    } else {
        label
    }
}

fn is_yaml(path: &str) -> bool {
    Path::new(path).extension().is_some_and(|extension| {
        extension.eq_ignore_ascii_case("yaml") || extension.eq_ignore_ascii_case("yml")
    })
}

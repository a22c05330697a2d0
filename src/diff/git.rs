//! The spec directory as it is at a Git revision, copied into a temporary directory with Git's
//! plumbing (`rev-parse`, `ls-tree`, `cat-file --batch`), which reads objects only: the working
//! tree, the index and `HEAD` are never touched.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub(crate) enum GitError {
    #[error("`git {command}` failed: {reason}")]
    #[diagnostic(code("fluxspec::git-failed"))]
    Failed { command: String, reason: String },
    #[error("`{revision}` is not a commit of the repository that holds `{spec_dir}`")]
    #[diagnostic(
        code("fluxspec::unknown-revision"),
        help("give --against a branch, tag or commit, such as `HEAD` or `origin/main`")
    )]
    UnknownRevision { revision: String, spec_dir: String },
    #[error("the spec `{file}` is not in `{revision}`")]
    #[diagnostic(code("fluxspec::spec-not-in-revision"))]
    SpecMissing { file: String, revision: String },
    #[error("cannot copy `{revision}` into a temporary directory: {reason}")]
    #[diagnostic(code("fluxspec::revision-copy"))]
    Copy { revision: String, reason: String },
}

/// A spec directory copied out of a revision.
pub(crate) struct Checkout {
    /// Removed when the checkout is dropped.
    _dir: tempfile::TempDir,
    /// The spec file in the copy.
    pub(crate) spec: PathBuf,
    /// How diagnostics name it: `HEAD:spec/homelab.kdl`.
    pub(crate) label: String,
    /// Entries that are not plain files (symlinks, submodules), which were left out.
    pub(crate) skipped: Vec<String>,
}

/// Copies the directory holding `spec`, as it is at `revision`, into a temporary directory.
pub(crate) fn checkout(spec: &Path, revision: &str) -> Result<Checkout, GitError> {
    let spec_dir = match spec.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = spec
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = git_text(spec_dir, &["rev-parse", "--show-prefix"])?;
    let commit = git_text(
        spec_dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{revision}^{{commit}}"),
        ],
    )
    .map_err(|_| GitError::UnknownRevision {
        revision: revision.to_owned(),
        spec_dir: spec_dir.display().to_string(),
    })?;
    let in_repository = format!("{}{file_name}", prefix.trim());
    let copy_error = |reason: String| GitError::Copy {
        revision: revision.to_owned(),
        reason,
    };

    // Without --full-tree, ls-tree lists the subtree of the directory it runs in, with paths
    // relative to it: the spec directory exactly.
    let listing = git(spec_dir, &["ls-tree", "-r", "-z", commit.trim()], None)?;
    let mut blobs = Vec::new();
    let mut skipped = Vec::new();
    for entry in listing.split(|&byte| byte == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let (Some(mode), Some(_kind), Some(oid)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if mode == "100644" || mode == "100755" {
            blobs.push((path.to_owned(), oid.to_owned()));
        } else {
            skipped.push(path.to_owned());
        }
    }
    if !blobs.iter().any(|(path, _)| *path == file_name) {
        return Err(GitError::SpecMissing {
            file: in_repository,
            revision: revision.to_owned(),
        });
    }

    let dir = tempfile::Builder::new()
        .prefix("fluxspec-revision-")
        .tempdir()
        .map_err(|error| copy_error(error.to_string()))?;
    let mut request = String::new();
    for (_, oid) in &blobs {
        request.push_str(oid);
        request.push('\n');
    }
    let contents = git(
        spec_dir,
        &["cat-file", "--batch"],
        Some(request.into_bytes()),
    )?;
    let mut reader = BufReader::new(contents.as_slice());
    for (path, oid) in &blobs {
        let bytes = read_blob(&mut reader, oid).map_err(|reason| copy_error(reason.clone()))?;
        let target = dir.path().join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|error| copy_error(error.to_string()))?;
        }
        fs::write(&target, bytes).map_err(|error| copy_error(error.to_string()))?;
    }
    Ok(Checkout {
        spec: dir.path().join(&file_name),
        _dir: dir,
        label: format!("{revision}:{in_repository}"),
        skipped,
    })
}

/// Reads one `<oid> blob <size>\n<content>\n` record of `git cat-file --batch`.
fn read_blob(reader: &mut impl BufRead, oid: &str) -> Result<Vec<u8>, String> {
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|error| error.to_string())?;
    let size = match header.trim_end().split(' ').collect::<Vec<_>>()[..] {
        [found, "blob", size] if found == oid => size.parse::<usize>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("unexpected `git cat-file` output for {oid}: {header:?}"))?;
    let mut bytes = vec![0; size + 1];
    reader
        .read_exact(&mut bytes)
        .map_err(|error| error.to_string())?;
    bytes.pop();
    Ok(bytes)
}

fn git_text(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = git(dir, args, None)?;
    String::from_utf8(output).map_err(|_| GitError::Failed {
        command: args.join(" "),
        reason: "its output is not UTF-8".to_owned(),
    })
}

/// Runs `git -C dir args`, feeding `input` on stdin; its stdout, or why it failed.
fn git(dir: &Path, args: &[&str], input: Option<Vec<u8>>) -> Result<Vec<u8>, GitError> {
    let failed = |reason: String| GitError::Failed {
        command: args.join(" "),
        reason,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| failed(format!("cannot run git: {error}")))?;
    // Feed stdin from another thread, so a large answer cannot block git while it is written.
    let feeder = child
        .stdin
        .take()
        .zip(input)
        .map(|(mut stdin, input)| std::thread::spawn(move || stdin.write_all(&input)));
    let output = child
        .wait_with_output()
        .map_err(|error| failed(error.to_string()))?;
    if let Some(feeder) = feeder {
        feeder
            .join()
            .map_err(|_| failed("writing to git panicked".to_owned()))?
            .map_err(|error| failed(error.to_string()))?;
    }
    if !output.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_owned(),
        ));
    }
    Ok(output.stdout)
}

//! The errors about the files a spec names: a path that leaves the spec directory or names
//! nothing, a file that cannot be read or is not text, and content that is not what the spec uses
//! it as (YAML, Helm values, objects, a kustomization's resources). An [`super::Error`] wraps
//! each, transparently: `FileError::FileNotFound { .. }.into()`.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::input::FileKind;

/// A file the spec names cannot be read, or does not hold what it should.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum FileError {
    #[error("`{path}` is not inside the spec directory")]
    #[diagnostic(
        code("fluxspec::path-escapes"),
        help(
            "paths are relative to the spec directory and may not use `..`, `/` or symlinks out of it"
        )
    )]
    PathEscapes {
        path: String,
        #[label("outside the spec directory")]
        span: SourceSpan,
    },
    #[error("`{path}` does not exist")]
    #[diagnostic(
        code("fluxspec::file-not-found"),
        help("paths are relative to the spec file's directory")
    )]
    FileNotFound {
        path: String,
        #[label("not found")]
        span: SourceSpan,
    },
    #[error("`{path}` holds no .yaml, .yml or .json file")]
    #[diagnostic(
        code("fluxspec::empty-directory"),
        help("add the manifests, or remove the reference")
    )]
    EmptyDirectory {
        path: String,
        #[label("empty")]
        span: SourceSpan,
    },
    #[error("`{path}` is {kind}, not a regular file")]
    #[diagnostic(code("fluxspec::not-a-regular-file"))]
    NotARegularFile {
        path: String,
        kind: FileKind,
        #[help]
        help: String,
        #[label("{kind}")]
        span: SourceSpan,
    },
    #[error("`{path}` goes through `{file}`, which is a file, not a directory")]
    #[diagnostic(
        code("fluxspec::file-in-the-way"),
        help("fix the path, or move the file away and put a directory there")
    )]
    FileInTheWay {
        path: String,
        file: String,
        #[label("not a directory")]
        span: SourceSpan,
    },
    #[error(
        "`{path}` is not UTF-8 text (a binary file?): invalid byte at line {line}, column {column}"
    )]
    #[diagnostic(
        code("fluxspec::binary-file"),
        help("name a YAML or JSON text file here, or save this one as UTF-8")
    )]
    NotText {
        path: String,
        line: usize,
        column: usize,
        #[label("not text")]
        span: SourceSpan,
    },
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code("fluxspec::unreadable-file"))]
    Unreadable {
        path: String,
        reason: String,
        #[label("cannot read this")]
        span: SourceSpan,
    },
    #[error("`{path}` is not a YAML mapping of Helm values: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-values"),
        help("a values file is one YAML document whose top level is a mapping, with unique keys")
    )]
    InvalidValues {
        path: String,
        reason: String,
        #[label("invalid values file")]
        span: SourceSpan,
    },
    #[error("`{path}` is not valid YAML: {reason}")]
    #[diagnostic(
        code("fluxspec::invalid-yaml"),
        help(
            "kustomize would fail to read it: fix the YAML at that line (each key once per mapping)"
        )
    )]
    InvalidYaml {
        path: String,
        reason: String,
        #[label("this file")]
        span: SourceSpan,
    },
    #[error("`{kustomization}` lists `{entry}`, which is not in its directory tree")]
    #[diagnostic(
        code("fluxspec::kustomization-missing-resource"),
        help(
            "kustomize would fail to build the directory: add the file (fluxspec copies only \
             `.yaml`, `.yml` and `.json` files), or remove the entry"
        )
    )]
    KustomizationMissingResource {
        kustomization: String,
        entry: String,
        #[label("this tree holds a kustomization")]
        span: SourceSpan,
    },
    #[error("`{location}` is not an object Flux can apply: {reason}")]
    #[diagnostic(
        code("fluxspec::not-an-object"),
        help(
            "every document of a manifest is a Kubernetes object with `apiVersion`, `kind` and `metadata.name`; a patch belongs in a cluster block's `patch`"
        )
    )]
    NotAnObject {
        /// `path:line:column` where the document starts.
        location: String,
        reason: String,
        #[label("in `{location}`")]
        span: SourceSpan,
    },
}

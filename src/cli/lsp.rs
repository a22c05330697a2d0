//! `fluxspec lsp`: the language server on stdin and stdout, for an editor (docs/editors.md).

use std::process::ExitCode;

use super::Failure;
use super::streams::say;

pub(super) fn run() -> Result<ExitCode, Failure> {
    crate::lsp::run()
        .map(|()| ExitCode::SUCCESS)
        .map_err(|error| {
            say!("error: the language server stopped: {error}");
            Failure::Reported
        })
}

//! stdout and stderr for a reader that may leave early (`fluxspec check | head -1`).
//!
//! Rust ignores `SIGPIPE`, so a write to a pipe whose reader has gone fails with `EPIPE`, and
//! `println!`/`eprintln!` panic on it. Every line the CLI prints goes through here instead: once
//! the reader of stdout has gone, the rest of the data is dropped and the command carries on, so
//! its exit status is the one it would have had (1 for a stale tree, 2 for an invalid spec);
//! stderr is best effort, since there is nowhere left to report that it failed.

use std::fmt;
use std::io::{self, Write};

/// A stream that swallows a broken pipe: after the first `EPIPE` every write succeeds without
/// writing. Other errors (a full disk behind `> file`) still fail the command.
pub(super) struct PipeSafe<W> {
    inner: W,
    reader_left: bool,
}

impl<W: Write> PipeSafe<W> {
    pub(super) fn new(inner: W) -> Self {
        Self {
            inner,
            reader_left: false,
        }
    }

    /// Swallows `result`'s broken pipe, remembering the reader left.
    fn absorb<T>(&mut self, result: io::Result<T>, done: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_left = true;
                Ok(done)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.reader_left {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.absorb(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.reader_left {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result, ())
    }
}

/// Standard output, coloured as `color` says, surviving a reader that leaves.
pub(super) fn stdout(
    color: anstream::ColorChoice,
) -> PipeSafe<anstream::AutoStream<io::StdoutLock<'static>>> {
    PipeSafe::new(anstream::AutoStream::new(io::stdout().lock(), color))
}

/// Standard output, never coloured (YAML, JSON, scripts), surviving a reader that leaves.
pub(super) fn plain_stdout() -> PipeSafe<io::StdoutLock<'static>> {
    PipeSafe::new(io::stdout().lock())
}

/// Writes one line to stderr. A stderr nobody reads any more is ignored: the exit status still
/// tells what happened.
pub(super) fn stderr_line(line: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `eprintln!` that never panics: see [`stderr_line`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::streams::stderr_line(format_args!($($arg)*))
    };
}
pub(super) use say;

/// Shows a diagnostic (error or warnings) with miette on stderr.
pub(super) fn show_diagnostic(diagnostic: impl miette::Diagnostic + Send + Sync + 'static) {
    say!("{:?}", miette::Report::new(diagnostic));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has left.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    /// A writer that fails for another reason.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_swallowed_and_remembered() {
        let mut stream = PipeSafe::new(ClosedPipe);
        writeln!(stream, "first").expect("swallowed");
        assert!(stream.reader_left);
        writeln!(stream, "second").expect("dropped");
        stream.flush().expect("dropped");
    }

    #[test]
    fn other_errors_still_fail() {
        let mut stream = PipeSafe::new(Full);
        let error = writeln!(stream, "line").expect_err("a full disk is an error");
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }
}

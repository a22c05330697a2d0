//! Cleaning up when a build is interrupted: on SIGINT or SIGTERM, the kustomize processes it
//! started are killed, its temporary directories removed, and the process exits 130 or 143
//! (128 + the signal), as a shell reports a process the signal killed.
//!
//! signal-hook's iterator does the signal handling: its handler only writes to a pipe, and the
//! cleanup runs on an ordinary thread, where taking a lock, killing and removing files are safe.
//! Every step that creates something to clean up (a temp directory, a file in it, a child
//! process) holds the cleanup lock while it does, and registers what it made; the cleanup takes
//! the lock and never gives it back (it exits), so nothing new appears while it works.
//!
//! Left uncovered: a child that closed its output and has not exited yet (it is being waited
//! for, no longer registered) is not killed; it is about to exit on its own.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// What a cleanup removes or kills.
struct Registry {
    dirs: Vec<PathBuf>,
    children: BTreeMap<u64, Child>,
    next_child: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    dirs: Vec::new(),
    children: BTreeMap::new(),
    next_child: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    // A poisoned registry is still a valid one: each change to it is a single insert or remove.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the thread that cleans up on SIGINT and SIGTERM, once. Without it (the operating
/// system refused the handler) a build still runs, as it did before: best effort.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("interrupt".to_owned())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    clean_up_and_exit(signal);
                }
            });
    });
}

fn clean_up_and_exit(signal: i32) -> ! {
    let mut registry = registry();
    for child in registry.children.values_mut() {
        // Exited already is fine.
        let _ = child.kill();
        let _ = child.wait();
    }
    for dir in &registry.dirs {
        let _ = fs::remove_dir_all(dir);
    }
    std::process::exit(128 + signal);
}

/// A temporary directory named `<prefix>…`, removed on SIGINT or SIGTERM as well as on drop
/// (through [`remove_dir`]).
pub(super) fn temp_dir(prefix: &str) -> io::Result<tempfile::TempDir> {
    install();
    let mut registry = registry();
    let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
    registry.dirs.push(dir.path().to_path_buf());
    Ok(dir)
}

/// Removes a directory made by [`temp_dir`], and forgets it.
pub(super) fn remove_dir(dir: &Path) {
    let mut registry = registry();
    // Whatever is left, `TempDir`'s own drop tries again.
    let _ = fs::remove_dir_all(dir);
    registry.dirs.retain(|registered| registered != dir);
}

/// Runs `work`, which writes into a directory made by [`temp_dir`], so that a cleanup waits for it
/// rather than racing it.
pub(super) fn uninterrupted<T>(work: impl FnOnce() -> T) -> T {
    let _registry = registry();
    work()
}

/// [`Command::output`], with the child killed on SIGINT or SIGTERM. Stdin is closed.
pub(super) fn output(command: &mut Command) -> io::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (id, mut stdout, mut stderr) = {
        let mut registry = registry();
        let mut child = command.spawn()?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            unreachable!("both streams were set to be piped just above");
        };
        let id = registry.next_child;
        registry.next_child += 1;
        registry.children.insert(id, child);
        (id, stdout, stderr)
    };
    // Both streams at once, so a child filling one pipe while we wait on the other cannot stall.
    let (stdout, stderr) = std::thread::scope(|scope| {
        let stderr = scope.spawn(move || {
            let mut bytes = Vec::new();
            stderr.read_to_end(&mut bytes).map(|_| bytes)
        });
        let mut bytes = Vec::new();
        let stdout = stdout.read_to_end(&mut bytes).map(|_| bytes);
        let stderr = stderr
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (stdout, stderr)
    });
    let Some(mut child) = registry().children.remove(&id) else {
        unreachable!("only a cleanup takes another's child, and it exits holding the lock");
    };
    Ok(Output {
        status: child.wait()?,
        stdout: stdout?,
        stderr: stderr?,
    })
}

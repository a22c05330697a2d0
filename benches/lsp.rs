//! Latency of `fluxspec lsp`: the time from a `didChange` to the `publishDiagnostics` it causes,
//! on the example spec and on a synthetic one of 1000 apps x 3 clusters, through the real binary
//! over stdio (a plain bench binary: divan times closures, this times a round trip to a child
//! process). The time includes the server's 150 ms debounce.
//!
//! `cargo bench --bench lsp` prints the figures that docs/performance.md quotes.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Edits measured per spec.
const EDITS: usize = 20;

fn main() {
    // `cargo test --all-targets` runs each bench once with `--test`, only to show it works.
    let quick = std::env::args().any(|arg| arg == "--test");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let synthetic = tempfile::tempdir().expect("a temp dir");
    let apps = if quick { 50 } else { 1000 };
    fluxspec::bench::write_synthetic_spec(synthetic.path(), apps, 3)
        .expect("the synthetic spec is written");
    let edits = if quick { 1 } else { EDITS };
    for (name, spec, from, to) in [
        (
            "example",
            root.join("spec/homelab.kdl"),
            r#"version "6.9.2" cluster="dev""#,
            r#"version "6.9.3" cluster="dev""#,
        ),
        (
            "synthetic",
            synthetic.path().join("homelab.kdl"),
            r#"version "1.0.1" cluster="c0""#,
            r#"version "1.0.2" cluster="c0""#,
        ),
    ] {
        let times = measure(&spec, from, to, edits);
        let median = times[times.len() / 2];
        println!(
            "{name:>10} ({} bytes): didChange -> publishDiagnostics median {median:.1?}, min {:.1?}, max {:.1?} ({} edits)",
            std::fs::metadata(&spec).map_or(0, |m| m.len()),
            times[0],
            times[times.len() - 1],
            times.len()
        );
    }
}

/// The sorted latencies of `edits` edits of the spec at `spec`, each swapping `from` and `to`.
fn measure(spec: &Path, from: &str, to: &str, edits: usize) -> Vec<Duration> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxspec"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("fluxspec lsp starts");
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let text = std::fs::read_to_string(spec).expect("the spec is readable");
    assert!(text.contains(from), "`{from}` is in {}", spec.display());
    let edited = text.replacen(from, to, 1);
    let uri = format!("file://{}", spec.display());
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    until(&mut stdout, |message| message["id"] == 1);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "kdl", "version": 0, "text": text}}}),
    );
    until(&mut stdout, is_diagnostics);
    let mut times = Vec::with_capacity(edits);
    for version in 1..=edits {
        let new_text = if version % 2 == 1 { &edited } else { &text };
        let start = Instant::now();
        send(
            &mut stdin,
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new_text}]}}),
        );
        let published = until(&mut stdout, is_diagnostics);
        times.push(start.elapsed());
        assert_eq!(
            published["params"]["diagnostics"],
            json!([]),
            "the edit compiles"
        );
    }
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    until(&mut stdout, |message| message["id"] == 2);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    child.wait().expect("the server exits");
    times.sort_unstable();
    times
}

fn is_diagnostics(message: &Value) -> bool {
    message["method"] == "textDocument/publishDiagnostics"
}

fn send(stdin: &mut ChildStdin, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("the server reads");
    stdin.flush().expect("the server reads");
}

/// The first message that `wanted` accepts, skipping the others.
fn until(stdout: &mut BufReader<ChildStdout>, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).expect("readable") > 0,
                "the server stopped"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        stdout.read_exact(&mut body).expect("a whole message");
        let message: Value = serde_json::from_slice(&body).expect("JSON");
        if wanted(&message) {
            return message;
        }
    }
}

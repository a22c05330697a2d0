//! `fluxspec lsp` driven over stdio by a small JSON-RPC client written here (Content-Length
//! framing, serde_json), against the real binary: the editor's view of the example spec must be
//! what `fluxspec check` and `fluxspec fmt` say on the same text.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// How long any one answer may take before the test fails (a debug build compiles the example
/// in well under a second).
const PATIENCE: Duration = Duration::from_mins(1);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pending: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = common::fluxspec(dir)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("fluxspec lsp starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            pending: VecDeque::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("the server reads");
        self.stdin.flush().expect("the server reads");
    }

    fn notify(&mut self, method: &str, params: &Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(PATIENCE)
            .expect("the server answers in time")
    }

    /// The result of a request, keeping the notifications that come first.
    fn request(&mut self, method: &str, params: &Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            self.pending.push_back(message);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.pending.pop_front().unwrap_or_else(|| self.next());
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"]
                    .as_array()
                    .expect("a list")
                    .clone();
            }
        }
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            &json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn shut_down(mut self) {
        self.request("shutdown", &Value::Null);
        self.notify("exit", &Value::Null);
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "fluxspec lsp exited with {status}");
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The LSP position (line, UTF-16 character) of the first `needle` in `text`, `into` bytes in.
fn position(text: &str, needle: &str, into: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is in the spec"))
        + into;
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    json!({"line": line, "character": text[start..at].encode_utf16().count()})
}

/// `text` with LSP text edits applied.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = usize::try_from(position["line"].as_u64().expect("a line")).expect("fits");
        let character =
            usize::try_from(position["character"].as_u64().expect("a character")).expect("fits");
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character // the example spec is ASCII
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(&edit["range"]["start"]),
                offset(&edit["range"]["end"]),
                edit["newText"].as_str().expect("a text"),
            )
        })
        .collect();
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut text = text.to_owned();
    for (start, end, new) in edits {
        text.replace_range(start..end, new);
    }
    text
}

/// The code and `line:column` that `fluxspec check` reports first for `text` as the spec.
fn check_reports(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    common::copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    std::fs::write(dir.path().join("spec/homelab.kdl"), text).expect("the spec is written");
    let run = common::run(dir.path(), &["check", "--quiet"]);
    run.expect_code(2);
    let code = run
        .stderr
        .split_whitespace()
        .find(|word| word.starts_with("fluxspec::"))
        .expect("a diagnostic code")
        .to_owned();
    let location = run
        .stderr
        .split("spec/homelab.kdl:")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("a location")
        .to_owned();
    (code, location)
}

/// What `fluxspec fmt` writes for `text` as the spec.
fn fmt_output(text: &str) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    common::copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    let spec = dir.path().join("spec/homelab.kdl");
    std::fs::write(&spec, text).expect("the spec is written");
    common::run(dir.path(), &["fmt"]).expect_code(0);
    std::fs::read_to_string(spec).expect("the spec is readable")
}

#[test]
fn an_editor_sees_what_the_compiler_sees() {
    let dir = tempfile::tempdir().expect("a temp dir");
    common::copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    let spec = dir.path().join("spec/homelab.kdl");
    let example = std::fs::read_to_string(&spec).expect("the example is readable");
    let uri = format!("file://{}", spec.display());
    let mut client = Client::start(dir.path());

    let capabilities = client.request(
        "initialize",
        &json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(capabilities["capabilities"]["hoverProvider"], true);
    client.notify("initialized", &json!({}));

    client.notify(
        "textDocument/didOpen",
        &json!({"textDocument": {"uri": uri, "languageId": "kdl", "version": 1, "text": example}}),
    );
    assert_eq!(
        client.diagnostics(&uri),
        Vec::<Value>::new(),
        "the example compiles"
    );

    misspelt_cluster(&mut client, &uri, &example);
    hover_definition_completion(&mut client, &uri, &example);

    // Formatting: what `fmt` writes.
    let unformatted = example.replacen(
        "\n    depends-on \"ingress-nginx\"",
        "\n        depends-on   \"ingress-nginx\"",
        1,
    );
    assert_ne!(unformatted, example);
    client.change(&uri, 5, &unformatted);
    let edits = client.request(
        "textDocument/formatting",
        &json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let formatted = apply(&unformatted, edits.as_array().expect("edits"));
    assert_eq!(formatted, fmt_output(&unformatted));
    assert_eq!(formatted, example);

    client.change(&uri, 6, &example);
    variables_across_files(&mut client, dir.path(), &uri, &example);
    promote_action(&mut client, &uri, &example);

    client.shut_down();
    // Nothing written: the spec on disk is the example still, and there is no output.
    assert_eq!(std::fs::read_to_string(&spec).expect("readable"), example);
    assert!(!dir.path().join("generated").exists());
}

/// A misspelt cluster: the diagnostic `check` prints, at the same place; its quick fix; and the
/// empty list once fixed.
fn misspelt_cluster(client: &mut Client, uri: &str, example: &str) {
    // A misspelt cluster: the diagnostic `check` prints, at the same place.
    let typo = example.replacen(
        r#"version "6.9.2" cluster="dev""#,
        r#"version "6.9.2" cluster="dve""#,
        1,
    );
    client.change(uri, 2, &typo);
    let diagnostics = client.diagnostics(uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    let (code, location) = check_reports(&typo);
    assert_eq!(diagnostic["code"], code.as_str());
    let start = &diagnostic["range"]["start"];
    let lsp_location = format!(
        "{}:{}",
        start["line"].as_u64().expect("a line") + 1,
        start["character"].as_u64().expect("a character") + 1
    );
    assert_eq!(lsp_location, location, "{diagnostic:#}");
    assert_eq!(diagnostic["severity"], 1);
    assert!(
        diagnostic["message"]
            .as_str()
            .expect("a message")
            .contains("did you mean `dev`?"),
        "{diagnostic:#}"
    );

    // A code action fixes it.
    let actions = client.request(
        "textDocument/codeAction",
        &json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
    );
    let fix = actions
        .as_array()
        .expect("a list")
        .iter()
        .find(|action| action["kind"] == "quickfix")
        .unwrap_or_else(|| panic!("a quick fix in {actions:#}"));
    let edits = fix["edit"]["changes"][uri]
        .as_array()
        .expect("edits of the spec");
    assert_eq!(apply(&typo, edits), example);

    // Fixed: an empty list.
    client.change(uri, 3, example);
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
}

/// Hover on a version line, definition of a `depends-on` target, completion in an app block.
fn hover_definition_completion(client: &mut Client, uri: &str, example: &str) {
    // Hover on a version line: every cluster's version.
    let hover = client.request(
        "textDocument/hover",
        &json!({"textDocument": {"uri": uri}, "position": position(example, r#"version "6.9.2" cluster="dev""#, 2)}),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(shown.contains("| `dev` | `6.9.2` |"), "{shown}");
    assert!(shown.contains("| `prod` |"), "{shown}");

    // Definition of a depends-on target: the app.
    let definition = client.request(
        "textDocument/definition",
        &json!({"textDocument": {"uri": uri}, "position": position(example, r#"depends-on "ingress-nginx" "cert-manager-issuers""#, 13)}),
    );
    assert_eq!(definition[0]["uri"], uri);
    assert_eq!(
        definition[0]["range"]["start"],
        position(example, r#"app "ingress-nginx""#, 5)
    );

    // Completion inside an app block: its child nodes.
    let with_blank_line = example.replacen("app \"podinfo\" {\n", "app \"podinfo\" {\n    \n", 1);
    client.change(uri, 4, &with_blank_line);
    let completion = client.request(
        "textDocument/completion",
        &json!({"textDocument": {"uri": uri}, "position": position(&with_blank_line, "app \"podinfo\" {\n    \n", 20)}),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|item| item["label"].as_str())
        .collect();
    for child in [
        "layer",
        "namespace",
        "depends-on",
        "helm",
        "image",
        "cluster",
    ] {
        assert!(labels.contains(&child), "{child} missing from {labels:?}");
    }
}

/// A `${VAR}` in a file the spec references: hover shows its value per cluster, definition jumps
/// to the spec's `var`, and the references of that `var` include the file.
fn variables_across_files(client: &mut Client, dir: &Path, spec_uri: &str, example: &str) {
    let file = dir.join("spec/apps/cert-manager-issuers/base/letsencrypt.yaml");
    let yaml = std::fs::read_to_string(&file).expect("the manifest is readable");
    let uri = format!("file://{}", file.display());
    client.notify(
        "textDocument/didOpen",
        &json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": yaml}}),
    );
    let at_variable = position(&yaml, "${ACME_EMAIL}", 4);
    let hover = client.request(
        "textDocument/hover",
        &json!({"textDocument": {"uri": uri}, "position": at_variable}),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(shown.contains("**`${ACME_EMAIL}`**"), "{shown}");
    for cluster in ["dev", "prod"] {
        assert!(
            shown.contains(&format!("| `{cluster}` | `admin@example.com` |")),
            "{shown}"
        );
    }

    let definition = client.request(
        "textDocument/definition",
        &json!({"textDocument": {"uri": uri}, "position": at_variable}),
    );
    assert_eq!(definition[0]["uri"], spec_uri);
    assert_eq!(
        definition[0]["range"]["start"],
        position(example, r#"var "ACME_EMAIL""#, 5)
    );

    let references = client.request(
        "textDocument/references",
        &json!({"textDocument": {"uri": spec_uri}, "position": position(example, r#"var "ACME_EMAIL""#, 6), "context": {"includeDeclaration": true}}),
    );
    let in_file: Vec<&Value> = references
        .as_array()
        .expect("a list")
        .iter()
        .filter(|location| location["uri"] == uri.as_str())
        .collect();
    assert_eq!(
        in_file.len(),
        yaml.matches("${ACME_EMAIL}").count(),
        "{references:#}"
    );
}

/// The promote code action on an app gives the spec text `fluxspec promote` writes.
fn promote_action(client: &mut Client, uri: &str, example: &str) {
    let on_app = position(example, r#"app "podinfo""#, 5);
    let actions = client.request(
        "textDocument/codeAction",
        &json!({"textDocument": {"uri": uri}, "range": {"start": on_app, "end": on_app}, "context": {"diagnostics": []}}),
    );
    let promote = actions
        .as_array()
        .expect("a list")
        .iter()
        .find(|action| {
            action["title"]
                .as_str()
                .is_some_and(|title| title.starts_with("Promote `podinfo` from `dev` to `prod`"))
        })
        .unwrap_or_else(|| panic!("a promote action in {actions:#}"));
    let edits = promote["edit"]["changes"][uri]
        .as_array()
        .expect("edits of the spec");
    let promoted = apply(example, edits);

    let elsewhere = tempfile::tempdir().expect("a temp dir");
    common::copy_tree(
        &common::repo_root().join("spec"),
        &elsewhere.path().join("spec"),
    );
    common::run(
        elsewhere.path(),
        &["promote", "podinfo", "--from", "dev", "--to", "prod"],
    )
    .expect_code(0);
    let written = std::fs::read_to_string(elsewhere.path().join("spec/homelab.kdl"))
        .expect("the promoted spec is readable");
    assert_eq!(promoted, written);
}

/// Neovim's built-in LSP client, the config a user would write (`vim.lsp.start_client`), opens a
/// spec with a typo and writes the diagnostics it received to `$OUT`, one per line.
const NVIM_CONFIG: &str = r#"
local client = vim.lsp.start_client({
  name = "fluxspec",
  cmd = { vim.env.FLUXSPEC, "lsp" },
  root_dir = vim.env.ROOT,
})
vim.cmd("edit " .. vim.fn.fnameescape(vim.env.SPEC))
local buffer = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buffer, client)
vim.wait(30000, function() return #vim.diagnostic.get(buffer) > 0 end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(buffer)) do
  local message = d.message:gsub("\n", " ")
  table.insert(lines, string.format("%d:%d %s %s", d.lnum + 1, d.col + 1, tostring(d.code), message))
end
vim.fn.writefile(lines, vim.env.OUT)
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_the_diagnostics() {
    let nvim = common::tool("nvim");
    let dir = tempfile::tempdir().expect("a temp dir");
    common::copy_tree(&common::repo_root().join("spec"), &dir.path().join("spec"));
    let spec = dir.path().join("spec/homelab.kdl");
    let example = std::fs::read_to_string(&spec).expect("the example is readable");
    let typo = example.replacen(
        r#"version "6.9.2" cluster="dev""#,
        r#"version "6.9.2" cluster="dve""#,
        1,
    );
    std::fs::write(&spec, &typo).expect("the spec is written");
    let (code, location) = check_reports(&typo);
    let config = dir.path().join("init.lua");
    std::fs::write(&config, NVIM_CONFIG).expect("the config is written");
    let out = dir.path().join("diagnostics.txt");
    let mut child = std::process::Command::new(nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&config)
        .current_dir(dir.path())
        .env("FLUXSPEC", common::FLUXSPEC)
        .env("ROOT", dir.path())
        .env("SPEC", &spec)
        .env("OUT", &out)
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("nvim starts");
    // Bounded: Neovim gives up waiting after 30 s itself; kill it if it hangs anyway.
    let deadline = std::time::Instant::now() + PATIENCE;
    while child.try_wait().expect("nvim can be waited for").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let shown = std::fs::read_to_string(&out).expect("nvim wrote the diagnostics");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 1, "{shown}");
    assert!(
        lines[0].starts_with(&format!("{location} {code} unknown cluster `dve`")),
        "{shown}"
    );
}

//! The regex custom managers of the Renovate config: one per kind of `helm` or `image` block, each
//! a list of patterns Renovate applies recursively (the `app` block, the `helm` or `image` block in
//! it, each line, the version line's parts). The patterns are RE2 (no lookaround, no
//! backreference) and match each block brace by brace, skipping strings and comments.

/// Any character but a brace, a quote or a slash.
const OTHER: &str = r#"[^{}"/]"#;
/// A quoted string, which may hold braces and escaped quotes (and, read this way, the pieces of a
/// `"""` multi-line string).
const STRING: &str = r#""(?:[^"\\]|\\[\s\S])*""#;
const LINE_COMMENT: &str = r"//[^\n]*\n";
const BLOCK_COMMENT: &str = r"/\*(?:[^*]|\*+[^*/])*\*+/";
/// A slash that starts no comment (`/-` slashdash, a path outside quotes).
const LONE_SLASH: &str = r#"/[^/*{}"]"#;
/// Where a node starts: the text's start, or after a newline, `;` or `{`, then indentation. A node
/// after `//` or `/-` does not start there, so commented-out nodes are not matched.
const NODE_START: &str = r"(?:^|[\n;{])[ \t]*";
/// A quoted string without escapes or spaces: a name, URL or version.
const WORD: &str = r#"[^"\\\s]+"#;
/// Each line of a `helm` or `image` block, from its newline up to the next one.
const LINE: &str = r"\n[^\n]*";
/// The version's line up to the end of its value (the value is the first quoted string).
const LINE_HEAD: &str = r#"^\n[ \t]*version[ \t]+"[^"]*""#;
/// One chart version, as `resolve` reads an exact one (`1.2.3`, `v1.2`, `1.2.3-rc.1+build`, the
/// OCI tag `1.2.3_build`): a range (`>=1.0.0`, `1.x`, `~1.2`, `*`) does not match, so Renovate
/// leaves a range line alone rather than rewrite it as one version.
const CHART_VERSION: &str = r"v?[0-9]+(?:\.[0-9]+){0,2}(?:[-+_][0-9A-Za-z.+_-]*)?";
/// The value with its quotes: what Renovate replaces. Global replacement in a longer text could
/// also change a cluster name that contains the version (`"2"` in `cluster="k8s-2"`).
const VALUE: &str = r#""[^"]*""#;

/// How deep blocks may nest inside a `helm` or `image` block.
const BLOCK_DEPTH: usize = 3;

/// Braces-balanced content: tokens, and blocks nested up to `depth` deep.
fn balanced(depth: usize) -> String {
    let token = [OTHER, STRING, LINE_COMMENT, BLOCK_COMMENT, LONE_SLASH].join("|");
    let mut body = format!("(?:{token})*");
    for _ in 0..depth {
        body = format!(r"(?:{token}|\{{{body}\}})*");
    }
    body
}

/// A node named by `head` with its children block, holding blocks up to `depth` deep.
fn block(head: &str, depth: usize) -> String {
    format!(r"{NODE_START}{head}[ \t]*\{{{}\}}", balanced(depth))
}

/// A whole `version` line whose value matches `value`: the value, `cluster=`, and nothing else
/// but an end-of-line comment.
fn version_line(value: &str) -> String {
    format!(
        r#"^\n[ \t]*version[ \t]+"(?<currentValue>{value})"(?:[ \t]+cluster="(?<cluster>{WORD})")?[ \t]*;?[ \t]*(?://[^\n]*)?\r?$"#
    )
}

/// One regex custom manager: a kind of `helm` or `image` block.
pub(super) struct Manager {
    pub(super) description: &'static str,
    head: String,
    /// What a version of this kind is: a chart version (never a range) or an image tag.
    value: &'static str,
    pub(super) datasource: &'static str,
    pub(super) file_pattern: String,
}

pub(super) fn managers(spec_path: &str) -> Vec<Manager> {
    let file_pattern = format!("/^{}$/", regex::escape(spec_path));
    let manager = |description, head: String, value, datasource| Manager {
        description,
        head,
        value,
        datasource,
        file_pattern: file_pattern.clone(),
    };
    vec![
        manager(
            "fluxspec: Helm charts from OCI registries, `helm \"oci://registry/path/chart\" { version ... }`",
            format!(r#"helm[ \t]+"oci://(?<packageName>{WORD}/(?<depName>[^"\\\s/]+))""#),
            CHART_VERSION,
            "docker",
        ),
        manager(
            "fluxspec: Helm charts from HTTPS repositories, `helm \"https://repo\" chart=\"name\" { version ... }`",
            format!(
                r#"helm[ \t]+"(?<registryUrl>https://{WORD})"[ \t]+chart="(?<depName>{WORD})""#
            ),
            CHART_VERSION,
            "helm",
        ),
        manager(
            "fluxspec: remote kustomize bases on GitHub by tag, `remote \"github.com/owner/repo/dir\" { version ... }`",
            format!(r#"remote[ \t]+"github\.com/(?<depName>[^"\\\s/]+/[^"\\\s/]+)(?:/{WORD})?""#),
            WORD,
            "github-tags",
        ),
        manager(
            "fluxspec: container images, `image \"registry/name\" { version ... }`, also with `values-path=\"a.b.image\"`",
            format!(r#"image[ \t]+"(?<depName>{WORD})"(?:[ \t]+values-path="{WORD}")?"#),
            WORD,
            "docker",
        ),
    ]
}

impl Manager {
    /// The recursive steps, outermost first. fluxspec's grammar nests no block in a `helm` or
    /// `image` block, so deeper blocks can only be slashdashed (`/-values "x" { ... }`); three
    /// levels of them are allowed, which costs a few hundred bytes of pattern per level.
    pub(super) fn match_strings(&self) -> Vec<String> {
        vec![
            block(&format!(r#"app[ \t]+"{WORD}""#), BLOCK_DEPTH + 1),
            block(&self.head, BLOCK_DEPTH),
            LINE.to_owned(),
            version_line(self.value),
            LINE_HEAD.to_owned(),
            VALUE.to_owned(),
        ]
    }
}

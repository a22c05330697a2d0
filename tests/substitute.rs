//! Tests for `fluxspec::substitute`, ported from fluxcd/pkg at commit
//! e2cfd1a2d1815a81b3e77ef750e6528282ccccd6 (tags `envsubst/v1.7.0` and
//! `kustomize/v1.39.0`, the versions kustomize-controller builds with):
//!
//! - `envsubst/eval_test.go`: all 57 cases (`TestExpand`, 34, non-strict;
//!   `TestExpandStrict`, 23);
//! - `envsubst/funcs_test.go`: the function cases, driven through expressions;
//! - `kustomize/kustomize_varsub_test.go` with `kustomize/testdata/`: strict
//!   mode, defaults, the disabled label, the `Always` strategy, empty values.
//!
//! `envsubst/parse/parse_test.go` is ported as a unit test inside the module.
//! The remaining tests pin rules from `kustomize_varsub.go` and quirks of the
//! Go code that the port keeps.

use std::collections::BTreeMap;

use fluxspec::substitute::{
    SUBSTITUTE_KEY, Strategy, SubstituteError, Substitution, VarRef, envsubst, is_disabled,
    references,
};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Upstream's lookups: `(params[s], true)` when lenient, `params[s]` when strict.
fn expand(params: &[(&str, &str)], input: &str, strict: bool) -> Result<String, SubstituteError> {
    let params = map(params);
    envsubst(input, |name| params.get(name).cloned(), strict)
}

/// One table row: variables, input, and the output or the unset variable.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    Result<&'static str, &'static str>,
);

/// Runs a table, collects every mismatch, and fails listing them.
fn check_table(cases: &[Case], strict: bool) {
    let mut failures = Vec::new();
    for (params, input, want) in cases {
        let got = expand(params, input, strict);
        let want = match want {
            Ok(out) => Ok((*out).to_owned()),
            Err(var) => Err(SubstituteError::VarNotSet((*var).to_owned())),
        };
        if got != want {
            failures.push(format!(
                "{input:?} with {params:?}: want {want:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// envsubst/eval_test.go

const FILENAME: &str = "bash.string.txt";
const STRING_Z: &str = "abcABC123ABCabc";
const VAR01: &str = "abcdEFGH28ij";

/// `TestExpand`, run with the lenient lookup `(params[s], true)`.
const TEST_EXPAND: &[Case] = &[
    // text-only
    (&[], "abcdEFGH28ij", Ok("abcdEFGH28ij")),
    // length
    (&[("var01", VAR01)], "${#var01}", Ok("12")),
    // uppercase first
    (&[("var01", VAR01)], "${var01^}", Ok("AbcdEFGH28ij")),
    // uppercase
    (&[("var01", VAR01)], "${var01^^}", Ok("ABCDEFGH28IJ")),
    // lowercase first
    (
        &[("var01", "ABCDEFGH28IJ")],
        "${var01,}",
        Ok("aBCDEFGH28IJ"),
    ),
    // lowercase
    (
        &[("var01", "ABCDEFGH28IJ")],
        "${var01,,}",
        Ok("abcdefgh28ij"),
    ),
    // substring with position
    (
        &[("path_name", "/home/bozo/ideas/thoughts.for.today")],
        "${path_name:11}",
        Ok("ideas/thoughts.for.today"),
    ),
    // substring with position and length
    (
        &[("path_name", "/home/bozo/ideas/thoughts.for.today")],
        "${path_name:11:5}",
        Ok("ideas"),
    ),
    // default not used
    (&[("var", "abc")], "${var=xyz}", Ok("abc")),
    // default used
    (&[], "${var=xyz}", Ok("xyz")),
    (
        &[("default_var", "foo")],
        "something ${var=${default_var}}",
        Ok("something foo"),
    ),
    (
        &[("default_var", "foo1")],
        "foo: ${var=${default_var}-suffix}",
        Ok("foo: foo1-suffix"),
    ),
    (
        &[("default_var", "foo1")],
        "foo: ${var=prefix${default_var}-suffix}",
        Ok("foo: prefixfoo1-suffix"),
    ),
    (&[], "${var:=xyz}", Ok("xyz")),
    // replace suffix
    (
        &[("stringZ", STRING_Z)],
        "${stringZ/%abc/XYZ}",
        Ok("abcABC123ABCXYZ"),
    ),
    // replace prefix
    (
        &[("stringZ", STRING_Z)],
        "${stringZ/#abc/XYZ}",
        Ok("XYZABC123ABCabc"),
    ),
    // replace all
    (
        &[("stringZ", STRING_Z)],
        "${stringZ//abc/xyz}",
        Ok("xyzABC123ABCxyz"),
    ),
    // replace first
    (
        &[("stringZ", STRING_Z)],
        "${stringZ/abc/xyz}",
        Ok("xyzABC123ABCabc"),
    ),
    // delete shortest match prefix
    (
        &[("filename", FILENAME)],
        "${filename#*.}",
        Ok("string.txt"),
    ),
    (
        &[("filename", "path/to/file")],
        "${filename#*/}",
        Ok("to/file"),
    ),
    (
        &[("filename", "/path/to/file")],
        "${filename#*/}",
        Ok("path/to/file"),
    ),
    // delete longest match prefix
    (&[("filename", FILENAME)], "${filename##*.}", Ok("txt")),
    (
        &[("filename", "path/to/file")],
        "${filename##*/}",
        Ok("file"),
    ),
    (
        &[("filename", "/path/to/file")],
        "${filename##*/}",
        Ok("file"),
    ),
    // delete shortest match suffix
    (
        &[("filename", FILENAME)],
        "${filename%.*}",
        Ok("bash.string"),
    ),
    // delete longest match suffix
    (&[("filename", FILENAME)], "${filename%%.*}", Ok("bash")),
    // nested parameters
    (&[("var01", VAR01)], "${var=${var01^^}}", Ok("ABCDEFGH28IJ")),
    // escaped
    (&[("var01", VAR01)], "$${var01}", Ok("${var01}")),
    (
        &[("var01", VAR01)],
        "some text ${var01}$${var$${var01}$var01${var01}",
        Ok("some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"),
    ),
    (
        &[("default_var", "foo")],
        "something $${var=${default_var}}",
        Ok("something ${var=foo}"),
    ),
    // some common escaping use cases
    (&[("stringZ", "foo/bar")], r"${stringZ/\//-}", Ok("foo-bar")),
    (
        &[("stringZ", "foo/bar/baz")],
        r"${stringZ//\//-}",
        Ok("foo-bar-baz"),
    ),
    // escape outside of expansion shouldn't be processed
    (
        &[("default_var", "foo")],
        "\\\\something ${var=${default_var}}",
        Ok("\\\\something foo"),
    ),
    // substitute with a blank string
    (&[("stringZ", "foo.bar")], "${stringZ/./}", Ok("foobar")),
];

#[test]
fn upstream_test_expand() {
    assert_eq!(TEST_EXPAND.len(), 34, "TestExpand has 34 cases");
    check_table(TEST_EXPAND, false);
}

/// `TestExpandStrict`, run with the strict lookup `params[s]`.
const TEST_EXPAND_STRICT: &[Case] = &[
    // text-only
    (&[], "abcdEFGH28ij", Ok("abcdEFGH28ij")),
    // existing
    (&[("foo", "bar")], "${foo}", Ok("bar")),
    // existing string empty
    (&[("foo", "")], "${foo}", Ok("")),
    // missing
    (&[], "${missing}", Err("missing")),
    // missing but has default
    (&[("foo", "bar")], "${missing:=default}", Ok("default")),
    // missing with a transformation operator should still error
    // (regression coverage for fluxcd/flux2#5836)
    (&[], "${#missing}", Err("missing")),
    (&[], "${missing^}", Err("missing")),
    (&[], "${missing^^}", Err("missing")),
    (&[], "${missing,}", Err("missing")),
    (&[], "${missing,,}", Err("missing")),
    (&[], "${missing:0}", Err("missing")),
    (&[], "${missing:0:10}", Err("missing")),
    (&[], "${missing/pattern/replacement}", Err("missing")),
    (&[], "${missing//pattern/replacement}", Err("missing")),
    (&[], "${missing/#pattern/replacement}", Err("missing")),
    (&[], "${missing/%pattern/replacement}", Err("missing")),
    (&[], "${missing#pattern}", Err("missing")),
    (&[], "${missing##pattern}", Err("missing")),
    (&[], "${missing%pattern}", Err("missing")),
    (&[], "${missing%%pattern}", Err("missing")),
    // default-providing operators still succeed when the var is missing
    (&[], "${missing:-fallback}", Ok("fallback")),
    (&[], "${missing:=assigned}", Ok("assigned")),
    (&[], "${missing=assigned}", Ok("assigned")),
];

#[test]
fn upstream_test_expand_strict() {
    assert_eq!(
        TEST_EXPAND_STRICT.len(),
        23,
        "TestExpandStrict has 23 cases"
    );
    check_table(TEST_EXPAND_STRICT, true);
}

#[test]
fn strict_error_message_names_the_variable() {
    let err = expand(&[], "${missing}", true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "variable not set (strict mode): \"missing\""
    );
}

// ---------------------------------------------------------------------------
// envsubst/funcs_test.go, through expressions (`v` holds the value, numbers
// that the syntax cannot spell, such as a negative offset, come from `n`/`m`)

const DIGITS: &str = "123456789123456789";

const FUNCS: &[Case] = &[
    // Test_len
    (&[("v", "Hello World")], "${#v}", Ok("11")),
    // Test_lower
    (&[("v", "Hello World")], "${v,,}", Ok("hello world")),
    // Test_lowerFirst (and the empty string does not panic)
    (&[("v", "HELLO WORLD")], "${v,}", Ok("hELLO WORLD")),
    (&[("v", "")], "${v,}", Ok("")),
    // Test_upper
    (&[("v", "Hello World")], "${v^^}", Ok("HELLO WORLD")),
    // Test_upperFirst (and the empty string does not panic)
    (&[("v", "hello world")], "${v^}", Ok("Hello world")),
    (&[("v", "")], "${v^}", Ok("")),
    // Test_default
    (
        &[("v", "Hello World")],
        "${v:=Hola Mundo}",
        Ok("Hello World"),
    ),
    (&[("v", "")], "${v:=Hola Mundo}", Ok("Hola Mundo")),
    (
        &[
            ("v", ""),
            ("a", "-Bonjour le monde"),
            ("b", "-Halló heimur"),
        ],
        "${v:=Hola Mundo${a}${b}}",
        Ok("Hola Mundo-Bonjour le monde-Halló heimur"),
    ),
    // Test_substr
    (&[("v", DIGITS)], "${v:0:8}", Ok("12345678")),
    (&[("v", DIGITS)], "${v:1:8}", Ok("23456789")),
    (&[("v", DIGITS)], "${v:9}", Ok("123456789")),
    (&[("v", DIGITS)], "${v:9:50}", Ok("123456789")),
    (&[("v", DIGITS), ("n", "-3")], "${v:${n}:2}", Ok("78")),
    (&[("v", DIGITS), ("n", "-300")], "${v:${n}:3}", Ok("123")),
    (&[("v", "12345678")], "${v:9:1}", Ok("")),
];

#[test]
fn upstream_funcs() {
    check_table(FUNCS, true);
}

// ---------------------------------------------------------------------------
// kustomize/kustomize_varsub_test.go

const VARSUB_RESOURCES: &str = include_str!("substitute_cases/varsub_resources.yaml");
const VARSUB_EXPECTED: &str = include_str!("substitute_cases/varsub_expected.yaml");

/// `kustomization_varsub.yaml`: inline vars plus `substituteFrom` the
/// `configmap.yaml` `ConfigMap`.
fn varsub_kustomization(strategy: Strategy) -> Substitution {
    let app_vars = map(&[
        ("prometheus_scrape", "\"true\""),
        ("prometheus_port", "\"9797\""),
        ("image", "nginx:1.21.4"),
    ]);
    let inline = map(&[("cluster_env", "prod"), ("cluster_region", "eu-central-1")]);
    Substitution::new(&[app_vars], &inline, strategy).expect("valid var names")
}

/// Labels and annotations of the objects in `varsub_resources.yaml`.
fn varsub_metadata(doc: usize) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let labels = if doc == 1 {
        map(&[(SUBSTITUTE_KEY, "disabled")])
    } else {
        map(&[])
    };
    (map(&[]), labels)
}

#[test]
fn upstream_varsub_substitutes_and_skips_disabled_objects() {
    let subst = varsub_kustomization(Strategy::WithVariables);
    let mut out = Vec::new();
    for (i, doc) in VARSUB_RESOURCES.split("---\n").enumerate() {
        let (annotations, labels) = varsub_metadata(i);
        if is_disabled(&annotations, &labels) {
            out.push(doc.to_owned());
        } else {
            out.push(subst.apply(doc).expect("substitution succeeds"));
        }
    }
    assert_eq!(out.join("---\n"), VARSUB_EXPECTED);
}

#[test]
fn upstream_varsub_disabled_object_would_otherwise_change() {
    let disabled = VARSUB_RESOURCES
        .split("---\n")
        .nth(1)
        .expect("two documents");
    let subst = varsub_kustomization(Strategy::WithVariables);
    assert_ne!(subst.apply(disabled).expect("substitutes"), disabled);
}

const VARSUB_STRICT: &str = "\
apiVersion: v1
data:
  missing: ${missing}
kind: ConfigMap
metadata:
  labels:
    environment: ${cluster_env:=dev}
    region: ${cluster_region}
  name: app-vars-strict
  namespace: apps
";

#[test]
fn upstream_varsub_strict_mode_on_fails() {
    let subst = varsub_kustomization(Strategy::WithVariables);
    let err = subst.apply(VARSUB_STRICT).unwrap_err();
    assert_eq!(err, SubstituteError::VarNotSet("missing".to_owned()));
    assert!(err.to_string().contains("variable not set"));
}

#[test]
fn upstream_varsub_strict_mode_off_succeeds() {
    let subst = varsub_kustomization(Strategy::WithVariables).strict(false);
    let out = subst.apply(VARSUB_STRICT).expect("lenient mode succeeds");
    assert!(out.contains("  missing: \n"), "{out}");
    assert!(out.contains("environment: prod"), "{out}");
    assert!(out.contains("region: eu-central-1"), "{out}");
}

const VARSUB_ALWAYS: &str = "\
apiVersion: v1
data:
  region: ${cluster_region:=eu-central-1}
kind: ConfigMap
metadata:
  labels:
    environment: ${cluster_env:=dev}
  name: app-vars-always
  namespace: apps
";

/// `kustomization_varsub_novars.yaml`: no `substitute`, no `substituteFrom`.
fn no_vars(strategy: Strategy) -> Substitution {
    Substitution::new(&[], &BTreeMap::new(), strategy).expect("no vars is valid")
}

#[test]
fn upstream_varsub_without_always_leaves_defaults_literal() {
    let out = no_vars(Strategy::WithVariables)
        .apply(VARSUB_ALWAYS)
        .expect("passthrough");
    assert!(out.contains("${cluster_env:=dev}"), "{out}");
    assert!(out.contains("${cluster_region:=eu-central-1}"), "{out}");
}

#[test]
fn upstream_varsub_with_always_substitutes_defaults() {
    let out = no_vars(Strategy::Always)
        .apply(VARSUB_ALWAYS)
        .expect("substitutes");
    assert!(!out.contains("${"), "{out}");
    assert!(out.contains("environment: dev"), "{out}");
    assert!(out.contains("region: eu-central-1"), "{out}");
}

const VARSUB_STRICT_EMPTY: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  labels:
    from-configmap: ${empty_cm}
    from-inline: ${empty_inline}
    from-secret: ${empty_secret}
  name: app-vars-strict-empty
  namespace: apps
";

#[test]
fn upstream_varsub_strict_accepts_empty_values_from_every_source() {
    // kustomization_varsub_empty.yaml with configmap_empty.yaml and secret_empty.yaml
    let configmap = map(&[("empty_cm", "")]);
    let secret = map(&[("empty_secret", "")]);
    let inline = map(&[("empty_inline", "")]);
    let subst = Substitution::new(&[configmap, secret], &inline, Strategy::WithVariables)
        .expect("valid var names");
    let out = subst
        .apply(VARSUB_STRICT_EMPTY)
        .expect("empty values are set");
    assert!(!out.contains("${"), "{out}");
    for key in ["from-inline", "from-configmap", "from-secret"] {
        assert!(
            out.contains(&format!("    {key}: \n")),
            "{key} empty in {out}"
        );
    }

    // kustomization_varsub_dummy.yaml: an unused var forces the run; strict off
    // with the variables omitted renders the same text.
    let dummy = Substitution::new(&[], &map(&[("dummy", "unused")]), Strategy::WithVariables)
        .expect("valid var names")
        .strict(false);
    assert_eq!(dummy.apply(VARSUB_STRICT_EMPTY).expect("lenient"), out);
}

// ---------------------------------------------------------------------------
// kustomize_varsub.go rules

#[test]
fn invalid_var_names_fail_the_build() {
    for bad in ["1abc", "a-b", "", "a.b", "é", "a b", "a\n"] {
        let err =
            Substitution::new(&[], &map(&[(bad, "x")]), Strategy::WithVariables).expect_err(bad);
        assert_eq!(err, SubstituteError::InvalidVarName(bad.to_owned()));
    }
    let err = Substitution::new(
        &[map(&[("ok", "x"), ("no-way", "y")])],
        &map(&[]),
        Strategy::Always,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'no-way' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
    );
    for good in ["_", "a", "_a1", "A_b_9", "CLUSTER_NAME"] {
        assert!(
            Substitution::new(&[], &map(&[(good, "x")]), Strategy::WithVariables).is_ok(),
            "{good}"
        );
    }
}

#[test]
fn later_sources_overwrite_earlier_and_inline_wins() {
    let first = map(&[("a", "first"), ("b", "first"), ("c", "first")]);
    let second = map(&[("b", "second"), ("c", "second")]);
    let inline = map(&[("c", "inline")]);
    let subst = Substitution::new(&[first, second], &inline, Strategy::WithVariables).unwrap();
    assert_eq!(
        subst.apply("${a} ${b} ${c}").unwrap(),
        "first second inline"
    );
}

#[test]
fn newlines_are_removed_from_every_value() {
    let from = map(&[("a", "line1\nline2\n")]);
    let inline = map(&[("b", "x\ny\r\n")]);
    let subst = Substitution::new(&[from], &inline, Strategy::WithVariables).unwrap();
    assert_eq!(subst.vars()["a"], "line1line2");
    assert_eq!(subst.vars()["b"], "xy\r");
    assert_eq!(subst.apply("${a}|${b}").unwrap(), "line1line2|xy\r");
}

#[test]
fn an_empty_inline_map_does_not_trigger_substitution() {
    let subst = Substitution::new(&[map(&[])], &map(&[]), Strategy::WithVariables).unwrap();
    assert_eq!(subst.apply("${x:=d} ${y} ${").unwrap(), "${x:=d} ${y} ${");
}

#[test]
fn strategy_defaults_to_with_variables() {
    assert_eq!(Strategy::default(), Strategy::WithVariables);
}

#[test]
fn disabled_by_label_or_annotation_only_with_exact_value() {
    let on = map(&[(SUBSTITUTE_KEY, "disabled")]);
    let none = map(&[]);
    assert!(is_disabled(&on, &none));
    assert!(is_disabled(&none, &on));
    assert!(!is_disabled(&none, &none));
    for other in ["Disabled", "enabled", "disabled ", ""] {
        let m = map(&[(SUBSTITUTE_KEY, other)]);
        assert!(!is_disabled(&m, &m), "{other:?}");
    }
    assert!(!is_disabled(&map(&[("substitute", "disabled")]), &none));
}

// ---------------------------------------------------------------------------
// Semantics of the Go code that the port keeps

#[test]
fn only_braced_references_substitute() {
    let out = expand(&[("var", "x")], "$var ${var} $ {var} $$var", true).unwrap();
    assert_eq!(out, "$var x $ {var} $var");
}

#[test]
fn dollar_escapes_inside_replace_arguments() {
    assert_eq!(expand(&[("v", "a$b")], "${v/$$/-}", true).unwrap(), "a-b");
    assert_eq!(expand(&[("v", r"a\b")], r"${v/\\/-}", true).unwrap(), "a-b");
}

#[test]
fn default_operators_apply_to_empty_and_unset_alike() {
    for op in ["=", ":=", ":-"] {
        let input = format!("${{v{op}d}}");
        assert_eq!(
            expand(&[("v", "")], &input, true).unwrap(),
            "d",
            "{op} empty"
        );
        assert_eq!(expand(&[], &input, true).unwrap(), "d", "{op} unset");
        assert_eq!(
            expand(&[("v", "x")], &input, true).unwrap(),
            "x",
            "{op} set"
        );
    }
}

#[test]
fn colon_question_and_colon_plus_behave_as_defaults() {
    // lookupFunc maps `:?` and `:+` to toDefault, unlike bash.
    assert_eq!(expand(&[], "${v:?msg}", true).unwrap(), "msg");
    assert_eq!(expand(&[("v", "x")], "${v:+alt}", true).unwrap(), "x");
    assert_eq!(expand(&[], "${v:+alt}", true).unwrap(), "alt");
}

#[test]
fn bare_dash_plus_and_question_are_not_operators() {
    for input in ["${v-d}", "${v+d}", "${v?d}"] {
        assert_eq!(
            expand(&[("v", "x")], input, true),
            Err(SubstituteError::MissingClosingBrace),
            "{input}"
        );
    }
}

#[test]
fn nested_arguments_are_evaluated_before_the_lookup() {
    let set = [("A", "a")];
    assert_eq!(
        expand(&set, "${A:=${B}}", true),
        Err(SubstituteError::VarNotSet("B".to_owned()))
    );
    assert_eq!(expand(&set, "${A:=${B:=b}}", true).unwrap(), "a");
    assert_eq!(expand(&set, "${A:=${B}}", false).unwrap(), "a");
    assert_eq!(expand(&[], "${A:=${B:=b}}", true).unwrap(), "b");
}

#[test]
fn glob_patterns_cross_slashes_and_support_classes() {
    let v = [("v", "a/b/c.d")];
    assert_eq!(expand(&v, "${v#?/}", true).unwrap(), "b/c.d");
    assert_eq!(expand(&v, "${v#a?b}", true).unwrap(), "/c.d");
    assert_eq!(expand(&v, "${v#a*c}", true).unwrap(), ".d");
    assert_eq!(expand(&v, "${v##*/}", true).unwrap(), "c.d");
    assert_eq!(expand(&v, "${v%/*}", true).unwrap(), "a/b");
    assert_eq!(expand(&v, "${v%%/*}", true).unwrap(), "a");
    assert_eq!(expand(&v, "${v#[a-b]}", true).unwrap(), "/b/c.d");
    assert_eq!(expand(&v, "${v#[^a]}", true).unwrap(), "a/b/c.d");
    // A malformed pattern leaves the value alone.
    assert_eq!(expand(&v, "${v#[}", true).unwrap(), "a/b/c.d");
}

#[test]
fn replace_patterns_are_literal_strings() {
    let v = [("v", "a*b*c")];
    assert_eq!(expand(&v, "${v//*/-}", true).unwrap(), "a-b-c");
    assert_eq!(expand(&v, "${v/*b/X}", true).unwrap(), "aX*c");
}

#[test]
fn prefix_and_suffix_replace_need_a_replacement() {
    // replacePrefix/replaceSuffix do nothing without a second argument.
    let v = [("v", "abcabc")];
    assert_eq!(expand(&v, "${v/#abc/}", true).unwrap(), "abcabc");
    assert_eq!(expand(&v, "${v/%abc/}", true).unwrap(), "abcabc");
    assert_eq!(expand(&v, "${v/abc/}", true).unwrap(), "abc");
    assert_eq!(expand(&v, "${v//abc/}", true).unwrap(), "");
}

#[test]
fn length_and_substring_count_bytes() {
    let v = [("v", "héllo")];
    assert_eq!(expand(&v, "${#v}", true).unwrap(), "6");
    assert_eq!(expand(&v, "${v:3}", true).unwrap(), "llo");
    assert_eq!(expand(&v, "${v:0:1}", true).unwrap(), "h");
    // Cutting inside a character cannot yield text (Go would hand invalid
    // UTF-8 to the YAML parser, which fails).
    assert_eq!(
        expand(&v, "${v:0:2}", true),
        Err(SubstituteError::InvalidUtf8)
    );
}

#[test]
fn substring_numbers_that_do_not_parse_leave_the_value() {
    let v = [("v", "abcdef")];
    assert_eq!(expand(&v, "${v:x}", true).unwrap(), "abcdef");
    assert_eq!(expand(&v, "${v: 1}", true).unwrap(), "abcdef");
    assert_eq!(expand(&v, "${v:1:y}", true).unwrap(), "abcdef");
    // `:+` is a default operator, not a signed offset.
    assert_eq!(expand(&v, "${v:+1:2}", true).unwrap(), "abcdef");
    assert_eq!(expand(&v, "${v:1:+2}", true).unwrap(), "bc");
}

#[test]
fn negative_substring_length_is_an_error_not_a_panic() {
    let v = [("v", "abcdef"), ("n", "-2")];
    assert_eq!(
        expand(&v, "${v:1:${n}}", true),
        Err(SubstituteError::SubstringOutOfRange)
    );
}

#[test]
fn case_functions_use_simple_case_mapping() {
    let v = [("v", "straße ǆ")];
    assert_eq!(expand(&v, "${v^^}", true).unwrap(), "STRAßE Ǆ");
    assert_eq!(expand(&[("v", "İx")], "${v,,}", true).unwrap(), "ix");
    assert_eq!(expand(&[("v", "ᾳb")], "${v^}", true).unwrap(), "ᾼb");
}

#[test]
fn malformed_expressions_fail_with_upstream_errors() {
    let cases = [
        ("${", SubstituteError::ParseVariableName),
        ("${}", SubstituteError::ParseVariableName),
        ("${v", SubstituteError::MissingClosingBrace),
        ("${v x}", SubstituteError::MissingClosingBrace),
        ("${#}", SubstituteError::BadSubstitution),
        ("${v^x}", SubstituteError::BadSubstitution),
        ("${v//x}", SubstituteError::BadSubstitution),
        ("${v#}", SubstituteError::ParseFuncSubstitution),
        ("${v:=x", SubstituteError::ParseFuncSubstitution),
    ];
    for (input, want) in cases {
        assert_eq!(
            expand(&[("v", "x")], input, false),
            Err(want.clone()),
            "{input}"
        );
        assert_eq!(references(input), Err(want), "{input}");
    }
}

#[test]
fn unbraced_and_lone_dollars_are_text() {
    assert_eq!(expand(&[], "$ $$ $$$ a$", true).unwrap(), "$ $ $$ a$");
    assert_eq!(expand(&[], "} { $}", true).unwrap(), "} { $}");
}

#[test]
fn a_nul_ends_the_text_as_upstream() {
    // Go's scanner uses rune 0 as its end-of-input marker.
    assert_eq!(expand(&[], "a\0b", true).unwrap(), "a");
}

#[test]
fn deep_nesting_is_an_error() {
    let input = format!("{}x{}", "${a:=".repeat(200), "}".repeat(200));
    assert_eq!(expand(&[], &input, true), Err(SubstituteError::TooDeep));
    let shallow = format!("{}x{}", "${a:=".repeat(20), "}".repeat(20));
    assert_eq!(expand(&[], &shallow, true).unwrap(), "x");
}

// ---------------------------------------------------------------------------
// references

fn r(name: &str, has_default: bool) -> VarRef {
    VarRef {
        name: name.to_owned(),
        has_default,
    }
}

#[test]
fn references_lists_every_variable_in_text_order() {
    let refs =
        references("a: ${A}\nb: ${B:=x${C}}\nc: $${D} $E ${#F} ${G/${H}/y} ${I=} ${J:-${K:=k}}")
            .unwrap();
    assert_eq!(
        refs,
        vec![
            r("A", false),
            r("B", true),
            r("C", false),
            r("F", false),
            r("G", false),
            r("H", false),
            r("I", true),
            r("J", true),
            r("K", true),
        ]
    );
}

#[test]
fn references_keeps_repeats_and_honours_escapes() {
    assert_eq!(
        references("${A}${A:=x}$${B}$$${C}").unwrap(),
        vec![r("A", false), r("A", true), r("C", false)]
    );
    assert_eq!(references("no vars here, $HOME").unwrap(), vec![]);
}

#[test]
fn references_agrees_with_strict_evaluation() {
    // Every reference without a default must be defined for strict mode.
    let text = "${A} ${B:=${C}} ${D:-d}";
    let needed: Vec<String> = references(text)
        .unwrap()
        .into_iter()
        .filter(|v| !v.has_default)
        .map(|v| v.name)
        .collect();
    assert_eq!(needed, ["A", "C"]);
    assert!(expand(&[("A", "a"), ("C", "c")], text, true).is_ok());
    assert!(expand(&[("A", "a")], text, true).is_err());
    assert!(expand(&[("C", "c")], text, true).is_err());
}

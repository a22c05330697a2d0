//! Container image tags in plain manifests, as kustomize's `images` transformer sees them: the
//! `image` of every item of a `containers` or `initContainers` list, anywhere in an object (a
//! Deployment's pod template, a CronJob's job template, a HelmRelease's values alike). A tag
//! the spec can say (`name:TAG` or `name:TAG@sha256:...`, which kustomize's `newTag` writes
//! back as it was) is taken out of the manifest, so the app's `image` node holds it in one place.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::import::source::parse_documents;

/// An image reference split as kustomize splits it: the name (a registry host's port is part
/// of it), and what follows it, a `:TAG`, `:TAG@DIGEST` or `@DIGEST`.
pub(crate) fn split_reference(reference: &str) -> (&str, &str) {
    let start = reference.find('/').unwrap_or(0);
    match reference[start..].find([':', '@']) {
        Some(at) => reference.split_at(start + at),
        None => (reference, ""),
    }
}

/// The version `image` node gives a reference: its tag, with the digest pinning it. None for
/// an untagged image or a digest alone, which kustomize's `newTag` cannot write.
pub(crate) fn version_of(reference: &str) -> Option<(&str, &str)> {
    let (name, rest) = split_reference(reference);
    let version = rest.strip_prefix(':')?;
    (crate::resolve::is_image_tag(version)
        && crate::resolve::repository_problem(name, false).is_none())
    .then_some((name, version))
}

/// Every image reference kustomize's `images` transformer reaches in `value`.
pub(crate) fn references(value: &Value) -> Vec<&str> {
    let mut found = Vec::new();
    walk(value, &mut |image| found.push(image.as_str()));
    found
}

fn walk<'a>(value: &'a Value, found: &mut impl FnMut(&'a String)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if matches!(key.as_str(), "containers" | "initContainers") {
                    for item in child.as_array().into_iter().flatten() {
                        if let Some(Value::String(image)) = item.get("image") {
                            found(image);
                        }
                    }
                }
                walk(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
        _ => {}
    }
}

/// Drops the tag of every image of `names` in `value` (kustomize's reach); whether any was.
pub(crate) fn strip_tags(value: &mut Value, names: &BTreeSet<String>) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if matches!(key.as_str(), "containers" | "initContainers") {
                    for item in child.as_array_mut().into_iter().flatten() {
                        if let Some(Value::String(image)) = item.get_mut("image") {
                            let (name, rest) = split_reference(image);
                            if !rest.is_empty() && names.contains(name) {
                                *image = name.to_owned();
                                changed = true;
                            }
                        }
                    }
                }
                changed |= strip_tags(child, names);
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= strip_tags(item, names);
            }
        }
        _ => {}
    }
    changed
}

/// `text` with the tag of each image of `names` taken out of its `image:` line, every other
/// byte kept; None when that does not give exactly the documents with those tags dropped (an
/// image written in a flow mapping, over two lines, with escapes, or an `image:` key kustomize
/// does not reach). `text` itself when it names none of them.
pub(crate) fn edit_text(text: &str, names: &BTreeSet<String>) -> Option<String> {
    if !names.iter().any(|name| text.contains(name.as_str())) {
        return Some(text.to_owned());
    }
    let mut edited = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        edited.push_str(&edit_line(line, names).unwrap_or_else(|| line.to_owned()));
    }
    let mut expected = parse_documents(text).ok()?;
    for document in &mut expected {
        strip_tags(document, names);
    }
    (parse_documents(&edited).ok()? == expected).then_some(edited)
}

/// An `image: REFERENCE` line (plain, single- or double-quoted, after any `- `, with an end of
/// line comment or not) with the tag of an image of `names` taken out.
fn edit_line(line: &str, names: &BTreeSet<String>) -> Option<String> {
    let mut rest = line.trim_start();
    while let Some(after) = rest.strip_prefix("- ") {
        rest = after.trim_start();
    }
    let after_key = rest.strip_prefix("image:")?;
    let value_start = line.len() - after_key.trim_start().len();
    let value = &line[value_start..];
    let (quote, body) = match value.chars().next()? {
        quote @ ('"' | '\'') => (Some(quote), &value[1..]),
        _ => (None, value),
    };
    let end = match quote {
        Some(quote) => body.find(quote)?,
        None => body.find([' ', '\t', '\r', '\n']).unwrap_or(body.len()),
    };
    let reference = &body[..end];
    if reference.contains('\\') {
        return None;
    }
    let (name, tag) = split_reference(reference);
    if tag.is_empty() || !names.contains(name) {
        return None;
    }
    let reference_start = value_start + usize::from(quote.is_some());
    let mut edited = String::with_capacity(line.len());
    edited.push_str(&line[..reference_start + name.len()]);
    edited.push_str(&line[reference_start + reference.len()..]);
    Some(edited)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_reference_splits_as_kustomize_splits_it() {
        assert_eq!(split_reference("busybox"), ("busybox", ""));
        assert_eq!(split_reference("busybox:1.36"), ("busybox", ":1.36"));
        assert_eq!(
            split_reference("localhost:5000/web:2"),
            ("localhost:5000/web", ":2")
        );
        assert_eq!(
            split_reference("ghcr.io/a/b@sha256:ab"),
            ("ghcr.io/a/b", "@sha256:ab")
        );
        let digest = "a".repeat(64);
        let pinned = format!("ghcr.io/a/b:1.0@sha256:{digest}");
        assert_eq!(
            version_of(&pinned),
            Some(("ghcr.io/a/b", format!("1.0@sha256:{digest}").as_str()))
        );
        assert_eq!(version_of("ghcr.io/a/b"), None);
        assert_eq!(version_of(&format!("ghcr.io/a/b@sha256:{digest}")), None);
        assert_eq!(version_of("ghcr.io/A/b:1"), None);
    }

    #[test]
    fn images_are_found_in_any_containers_list() {
        let value: Value = serde_json::json!({
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"image": "a:1"}], "initContainers": [{"image": "b"}]
            }}}}, "values": {"image": "c:1"}}
        });
        assert_eq!(references(&value), ["a:1", "b"]);
    }

    #[test]
    fn only_the_tag_of_the_image_line_is_edited() {
        let text = "# a comment\nspec:\n  containers:\n    - name: web\n      # renovate: x\n      \
                    image: ghcr.io/a/web:1.0 # pinned\n    - image: \"ghcr.io/a/side:2\"\n      \
                    name: side\n    - image: other:3\n";
        let edited = edit_text(text, &names(&["ghcr.io/a/web", "ghcr.io/a/side"])).unwrap();
        assert_eq!(
            edited,
            "# a comment\nspec:\n  containers:\n    - name: web\n      # renovate: x\n      \
             image: ghcr.io/a/web # pinned\n    - image: \"ghcr.io/a/side\"\n      \
             name: side\n    - image: other:3\n"
        );
    }

    #[test]
    fn an_image_the_line_edit_cannot_reach_gives_no_text() {
        let flow = "spec:\n  containers: [{name: web, image: \"web:1\"}]\n";
        assert_eq!(edit_text(flow, &names(&["web"])), None);
        let values = "spec:\n  values:\n    image: web:1\n  containers:\n    - image: web:1\n";
        assert_eq!(edit_text(values, &names(&["web"])), None);
    }
}

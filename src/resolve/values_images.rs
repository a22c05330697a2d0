//! Images a chart's values hold (`image "name" values-path="controllers.main.containers.app.image"`,
//! the shape of bjw-s's app-template): on each cluster the map at that path gets the image's
//! `repository` and the cluster's `tag`, written into the cluster's values patch of the
//! HelmRelease. The path's parent map must exist in the values the cluster's HelmRelease gets
//! (the base values with the cluster's merged over them), so a typo cannot add a key the chart
//! never reads.

use serde_json::{Map, Value};

use crate::parse::syntax;

use super::{Error, Resolver};

impl Resolver {
    /// Writes each values image's repository and tag for one cluster into `cluster_values`,
    /// after checking its path against the merged values. `tags` holds each image's tag there.
    pub(super) fn values_images(
        &mut self,
        app: &syntax::App,
        cluster: &str,
        base_values: Option<&Value>,
        tags: &std::collections::BTreeMap<String, String>,
        cluster_values: &mut Option<Value>,
    ) {
        let mut merged = base_values.cloned().unwrap_or(Value::Object(Map::new()));
        if let Some(values) = cluster_values {
            merge(&mut merged, values);
        }
        for image in &app.images {
            let (Some(path), Some(tag)) = (&image.values_path, tags.get(&image.name.value)) else {
                continue;
            };
            if app.helm.is_none() {
                continue;
            }
            let keys: Vec<&str> = path.value.split('.').collect();
            if let Err(reason) = check_path(&merged, &keys, &image.name.value, cluster) {
                self.errors.push(Error::ImageValuesPath {
                    path: path.value.clone(),
                    reason,
                    span: path.span,
                });
                continue;
            }
            let map = map_at(
                cluster_values.get_or_insert_with(|| Value::Object(Map::new())),
                &keys,
            );
            map.insert(
                "repository".to_owned(),
                Value::from(image.name.value.as_str()),
            );
            map.insert("tag".to_owned(), Value::from(tag.as_str()));
        }
    }

    /// A `values-path` needs a chart whose values hold it.
    pub(super) fn values_paths_need_a_chart(&mut self, app: &syntax::App) {
        if app.helm.is_some() {
            return;
        }
        for path in app
            .images
            .iter()
            .filter_map(|image| image.values_path.as_ref())
        {
            self.errors.push(Error::ImageValuesPath {
                path: path.value.clone(),
                reason: format!(
                    "app `{}` has no chart (`helm`) whose values could hold it",
                    app.name.value
                ),
                span: path.span,
            });
        }
    }
}

/// Merges `patch` over `target` as the values patch reaches the HelmRelease: maps key by key,
/// anything else replaced, `null` removing the key.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else if let Some(existing) = target.get_mut(key) {
                    merge(existing, value);
                } else {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Why the image's map at `keys` cannot be set in `values`: a key of the parent path missing or
/// not a map, the image's own key not a map, or a `repository` there that is not the image's.
fn check_path(values: &Value, keys: &[&str], image: &str, cluster: &str) -> Result<(), String> {
    if keys.iter().any(|key| key.is_empty()) {
        return Err("a path is keys separated by single dots, none empty".to_owned());
    }
    let Some((last, parents)) = keys.split_last() else {
        return Err("a path is keys separated by single dots, none empty".to_owned());
    };
    let mut here = values;
    for (depth, key) in parents.iter().enumerate() {
        here = match here.get(key) {
            Some(next @ Value::Object(_)) => next,
            _ => {
                return Err(format!(
                    "the values of cluster `{cluster}` have no map `{}`",
                    keys[..=depth].join(".")
                ));
            }
        };
    }
    match here.get(last) {
        None => Ok(()),
        Some(Value::Object(image_map)) => match image_map.get("repository") {
            Some(Value::String(repository)) if repository != image => Err(format!(
                "the values of cluster `{cluster}` name another repository there, `{repository}`"
            )),
            _ => Ok(()),
        },
        Some(_) => Err(format!(
            "`{}` in the values of cluster `{cluster}` is not a map of `repository` and `tag`",
            keys.join(".")
        )),
    }
}

/// The map at `keys` in `values`, made (with every map on the way) where missing.
fn map_at<'a>(values: &'a mut Value, keys: &[&str]) -> &'a mut Map<String, Value> {
    let mut here = values;
    for key in keys {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        // Made a map just above.
        let map = here.as_object_mut().expect("a map");
        here = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !here.is_object() {
        *here = Value::Object(Map::new());
    }
    // Made a map just above.
    here.as_object_mut().expect("a map")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{check_path, map_at, merge};

    #[test]
    fn merge_goes_into_maps_and_null_removes() {
        let mut base = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge(&mut base, &json!({"a": {"c": 3, "b": null}, "l": [3]}));
        assert_eq!(base, json!({"a": {"c": 3}, "l": [3]}));
    }

    #[test]
    fn the_parent_map_must_exist_and_the_repository_agree() {
        let values = json!({"c": {"main": {"image": {"repository": "r"}}, "flat": 1}});
        assert!(check_path(&values, &["c", "main", "image"], "r", "dev").is_ok());
        assert!(check_path(&values, &["c", "main", "new"], "r", "dev").is_ok());
        assert!(check_path(&values, &["c", "main", "image"], "other", "dev").is_err());
        assert!(check_path(&values, &["c", "nope", "image"], "r", "dev").is_err());
        assert!(check_path(&values, &["c", "flat"], "r", "dev").is_err());
        assert!(check_path(&values, &["c", "", "image"], "r", "dev").is_err());
    }

    #[test]
    fn map_at_makes_the_maps_on_the_way() {
        let mut values = json!({"a": {"keep": 1}});
        map_at(&mut values, &["a", "b"]).insert("tag".to_owned(), json!("1"));
        assert_eq!(values, json!({"a": {"keep": 1, "b": {"tag": "1"}}}));
    }
}

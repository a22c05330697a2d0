//! "Did you mean ...?" for misspelt names, by edit distance.

/// Suggests the candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        // A third of the name's length, at least one edit: `prdo` -> `prod`, not `db` -> `dev`;
        // and never every character: `b` -> `a` is no typo.
        .filter(|(distance, _)| {
            let len = name.chars().count();
            *distance <= (len / 3).max(1) && *distance < len
        })
        .min()
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let clusters = ["dev", "prod"];
        assert_eq!(
            did_you_mean("prdo", clusters).as_deref(),
            Some("did you mean `prod`?")
        );
        assert_eq!(did_you_mean("staging", clusters), None);
        assert_eq!(did_you_mean("b", ["a"]), None);
    }
}

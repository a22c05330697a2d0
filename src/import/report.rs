//! `import-report.md`: what the import did with the repository. Every file the spec does not
//! say in its own words is listed with what it is and why it stayed raw; mistakes found in the
//! source are listed with their file and line; the figures compare the repository with the spec.

use std::fmt::Write as _;

/// A file (or part of one) kept as it was: a manifest or patch of the nearest app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raw {
    /// The file in the source repository.
    pub(crate) file: String,
    /// What it is: `HelmRelease podinfo`, `Flux Kustomization field force`...
    pub(crate) what: String,
    /// Why the spec does not say it, and where it went.
    pub(crate) why: String,
}

/// A mistake in the source repository, reported instead of reproduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mistake {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) what: String,
}

/// The figures of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Figures {
    pub(crate) clusters: usize,
    pub(crate) apps: usize,
    /// Lines of the source repository's YAML files.
    pub(crate) original_lines: usize,
    pub(crate) spec_lines: usize,
    /// Lines of the files copied into the spec directory as they were (manifests, patches).
    pub(crate) raw_lines: usize,
    /// Of those, the lines of objects written as Flux builds them, not copied from a file.
    pub(crate) built_lines: usize,
}

/// What an import did, as the report shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    pub(crate) shape: String,
    pub(crate) figures: Figures,
    pub(crate) raw: Vec<Raw>,
    pub(crate) mistakes: Vec<Mistake>,
}

impl Report {
    pub(crate) fn raw(&mut self, file: &str, what: impl Into<String>, why: impl Into<String>) {
        self.raw.push(Raw {
            file: file.to_owned(),
            what: what.into(),
            why: why.into(),
        });
    }

    pub(crate) fn mistake(&mut self, file: &str, line: usize, what: impl Into<String>) {
        self.mistakes.push(Mistake {
            file: file.to_owned(),
            line,
            what: what.into(),
        });
    }

    /// The one-line summary the CLI prints and the README records.
    pub(crate) fn summary(&self) -> String {
        let f = &self.figures;
        let built = if f.built_lines == 0 {
            String::new()
        } else {
            format!(" ({} as Flux builds them)", f.built_lines)
        };
        format!(
            "{}, {}; {} lines of YAML became {} lines of spec, {} lines kept raw{built}",
            crate::text::count(f.clusters, "cluster"),
            crate::text::count(f.apps, "app"),
            f.original_lines,
            f.spec_lines,
            f.raw_lines
        )
    }

    /// The Markdown of `import-report.md`.
    pub(crate) fn markdown(&self) -> String {
        let mut text = String::from("# Import report\n\n");
        let _ = writeln!(text, "Shape recognised: {}.\n", self.shape);
        let _ = writeln!(text, "{}.\n", self.summary());
        text.push_str("## Mistakes in the source\n\n");
        if self.mistakes.is_empty() {
            text.push_str("None found.\n");
        } else {
            for mistake in &self.mistakes {
                let place = if mistake.line == 0 {
                    mistake.file.clone()
                } else {
                    format!("{}:{}", mistake.file, mistake.line)
                };
                let _ = writeln!(text, "- `{place}`: {}", mistake.what);
            }
        }
        text.push_str("\n## Kept raw\n\n");
        if self.raw.is_empty() {
            text.push_str("Nothing: the spec says everything in its own words.\n");
        } else {
            text.push_str("| files | what | why |\n| --- | --- | --- |\n");
            // One row per kind of thing kept, naming every file it was kept in.
            let mut rows: Vec<(&str, &str, Vec<&str>)> = Vec::new();
            for raw in &self.raw {
                match rows
                    .iter_mut()
                    .find(|(what, why, _)| *what == raw.what && *why == raw.why)
                {
                    Some((_, _, files)) => files.push(&raw.file),
                    None => rows.push((&raw.what, &raw.why, vec![&raw.file])),
                }
            }
            for (what, why, files) in rows {
                let files: Vec<String> = files.iter().map(|file| format!("`{file}`")).collect();
                let _ = writeln!(
                    text,
                    "| {} | {} | {} |",
                    files.join(", "),
                    cell(what),
                    cell(why)
                );
            }
        }
        text
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

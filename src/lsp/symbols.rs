//! The names a spec declares and uses: every app, cluster, component and variable, where it is
//! declared and where it is referred to, from the parsed syntax tree's spans. Hover, definition,
//! references and completion look names up here.

use std::ops::Range;

use crate::parse::syntax::{self, Spanned, Var};

use super::text::name_in;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    App,
    Cluster,
    Component,
    Variable,
}

/// One place a name appears.
#[derive(Debug, Clone)]
pub(crate) struct Occurrence {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// The name's bytes in the spec (without quotes).
    pub(crate) range: Range<usize>,
    pub(crate) declaration: bool,
}

/// Every occurrence of a name in `spec`, whose text is `text`.
pub(crate) fn occurrences(text: &str, spec: &syntax::Spec) -> Vec<Occurrence> {
    let mut found = Found {
        text,
        all: Vec::new(),
    };
    for cluster in &spec.clusters {
        found.add(Kind::Cluster, &cluster.name, true);
        found.vars(&cluster.vars);
    }
    for component in &spec.components {
        found.add(Kind::Component, &component.name, true);
        for var in &component.vars {
            found.add(Kind::Variable, &var.name, true);
        }
    }
    for app in &spec.apps {
        found.app(app);
    }
    found.variable_references();
    found.all
}

struct Found<'a> {
    text: &'a str,
    all: Vec<Occurrence>,
}

impl Found<'_> {
    fn add(&mut self, kind: Kind, name: &Spanned<String>, declaration: bool) {
        self.all.push(Occurrence {
            kind,
            name: name.value.clone(),
            range: name_in(self.text, name.span, &name.value),
            declaration,
        });
    }

    fn vars(&mut self, vars: &[Var]) {
        for var in vars {
            self.add(Kind::Variable, &var.name, true);
        }
    }

    fn app(&mut self, app: &syntax::App) {
        self.add(Kind::App, &app.name, true);
        for cluster in app.clusters.iter().flatten() {
            self.add(Kind::Cluster, cluster, false);
        }
        for dependency in &app.depends_on {
            self.add(Kind::App, dependency, false);
        }
        for component in &app.components {
            self.add(Kind::Component, &component.name, false);
            for value in &component.values {
                self.add(Kind::Variable, &value.name, false);
            }
        }
        self.vars(&app.vars);
        let versions = app
            .helm
            .iter()
            .flat_map(|helm| &helm.versions)
            .chain(app.images.iter().flat_map(|image| &image.versions));
        let version_clusters: Vec<&Spanned<String>> = versions
            .filter_map(|version| version.cluster.as_ref())
            .chain(
                app.helm
                    .iter()
                    .flat_map(|helm| &helm.values)
                    .filter_map(|values| values.cluster.as_ref()),
            )
            .collect();
        for cluster in version_clusters {
            self.add(Kind::Cluster, cluster, false);
        }
        for block in &app.per_cluster {
            self.add(Kind::Cluster, &block.name, false);
            self.vars(&block.vars);
        }
    }

    /// `${NAME}` in the spec's text (variable values may refer to other variables).
    fn variable_references(&mut self) {
        let mut from = 0;
        while let Some(at) = self.text[from..].find("${") {
            let start = from + at + 2;
            from = start;
            if self.text[..start - 2].ends_with('$') {
                continue;
            }
            let name: String = self.text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                self.all.push(Occurrence {
                    kind: Kind::Variable,
                    range: start..start + name.len(),
                    name,
                    declaration: false,
                });
            }
        }
    }
}

/// The occurrence whose name covers `offset` (its end included, where a cursor after a word is).
pub(crate) fn at(all: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    all.iter()
        .find(|occurrence| occurrence.range.contains(&offset) || occurrence.range.end == offset)
}

/// The occurrences of the same name and kind as `target`.
pub(crate) fn same<'a>(
    all: &'a [Occurrence],
    kind: Kind,
    name: &'a str,
) -> impl Iterator<Item = &'a Occurrence> {
    all.iter()
        .filter(move |occurrence| occurrence.kind == kind && occurrence.name == name)
}

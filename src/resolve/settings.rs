//! The `settings` node: the GitRepository Flux syncs from, the output path, and the default
//! timings every Flux Kustomization starts from; and the durations those timings are.

use crate::model::{Settings, Timings};
use crate::parse::syntax::{self, Spanned};
use crate::suggest::shown;

use super::{Error, Resolver, rules};

impl Resolver {
    pub(super) fn duration(&mut self, value: Option<&Spanned<String>>, fallback: &str) -> String {
        let Some(value) = value else {
            return fallback.to_owned();
        };
        match rules::duration_problem(&value.value) {
            None => {}
            Some(rules::DurationProblem::Syntax) => self.errors.push(Error::InvalidDuration {
                value: shown(&value.value),
                span: value.span,
            }),
            Some(rules::DurationProblem::TooLong) => {
                self.errors.push(Error::DurationTooLong {
                    value: shown(&value.value),
                    span: value.span,
                });
            }
        }
        value.value.clone()
    }

    pub(super) fn timings(&mut self, timings: &syntax::Timings, fallback: &Timings) -> Timings {
        Timings {
            interval: self.duration(timings.interval.as_ref(), &fallback.interval),
            retry_interval: self
                .duration(timings.retry_interval.as_ref(), &fallback.retry_interval),
            timeout: self.duration(timings.timeout.as_ref(), &fallback.timeout),
        }
    }

    pub(super) fn settings(&mut self, settings: Option<&syntax::Settings>) -> Settings {
        let defaults = Timings {
            interval: "1h".to_owned(),
            retry_interval: "2m".to_owned(),
            timeout: "5m".to_owned(),
        };
        let Some(settings) = settings else {
            return Settings {
                source_name: "flux-system".to_owned(),
                source_namespace: "flux-system".to_owned(),
                output_path: "./generated".to_owned(),
                timings: defaults,
                name_label: true,
                layout: self.layout_settings(None),
            };
        };
        let output_path = settings.output_path.as_ref().map_or_else(
            || "./generated".to_owned(),
            |path| {
                let trimmed = path.value.trim_end_matches('/');
                let valid = trimmed.starts_with("./")
                    && !trimmed
                        .split('/')
                        .any(|part| part == ".." || part.is_empty())
                    && !trimmed.contains(|c: char| c.is_whitespace() || c.is_control());
                if !valid {
                    self.errors.push(Error::InvalidOutputPath {
                        value: shown(&path.value),
                        span: path.span,
                    });
                }
                trimmed.to_owned()
            },
        );
        if let Some(name) = &settings.source_name
            && !rules::is_dns_subdomain(&name.value)
        {
            self.invalid_name(
                "GitRepository name",
                name,
                "a Kubernetes object name: lowercase letters, digits, `-` and `.`",
            );
        }
        if let Some(namespace) = &settings.source_namespace {
            self.dns_label("namespace", namespace);
        }
        Settings {
            source_name: settings
                .source_name
                .as_ref()
                .map_or_else(|| "flux-system".to_owned(), |name| name.value.clone()),
            source_namespace: settings
                .source_namespace
                .as_ref()
                .map_or_else(|| "flux-system".to_owned(), |name| name.value.clone()),
            output_path,
            timings: self.timings(&settings.timings, &defaults),
            name_label: settings.name_label.as_ref().is_none_or(|label| label.value),
            layout: self.layout_settings(settings.layout.as_ref()),
        }
    }
}

//! What the apps of one cluster apply, seen together: an object two Flux Kustomizations apply
//! (Flux would apply both, each undoing the other's changes) is an error naming both places, and
//! a label of an object that an app's `commonMetadata` would overwrite is a warning.
//!
//! Each deployment records the objects of its files ([`Resolver::record_applied`]): its base,
//! its overlay on the cluster and its components. Once the model is complete, the objects
//! fluxspec writes itself join them: the Namespaces the platform root applies and each chart's
//! HelmRelease and source. An object's identity is where Flux applies it: in the app's
//! `targetNamespace`, unless it is cluster-scoped or the app opts out of `targetNamespace`.

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;

use crate::layout::Layout;
use crate::model::{App, ChartSource, Cluster, Layer, Model, RepositoryRef};
use crate::parse::syntax;
use crate::text::and_list;

use super::deployment::Overlay;
use super::error::ObjectAppliedTwice;
use super::manifests::{Manifest, ObjectId, ObjectMeta};
use super::reading::ParsedFile;
use super::{Error, Resolver, Warning};

/// The objects each app's files hold on each cluster, by `(cluster, app)`, with the span of the
/// spec node that names each file.
pub(super) type Applied = BTreeMap<(String, String), Vec<(SourceSpan, ObjectMeta)>>;

/// One place an object is applied from.
#[derive(Clone)]
struct Place {
    /// The Flux Kustomization that applies it.
    owner: String,
    /// `path:line:column`, or what fluxspec writes.
    from: String,
    span: SourceSpan,
}

/// An object applied from two places, on some clusters.
struct Conflict {
    first: Place,
    second: Place,
    clusters: Vec<String>,
}

impl Resolver {
    /// Records the objects of an app's files on `cluster`.
    pub(super) fn record_applied(
        &mut self,
        app: &syntax::App,
        base: &[ParsedFile],
        overlay: &Overlay,
        cluster: &str,
    ) {
        let mut objects: Vec<(SourceSpan, ObjectMeta)> = Vec::new();
        let mut add = |span: SourceSpan, manifest: &Manifest| {
            objects.extend(manifest.objects.iter().map(|meta| (span, meta.clone())));
        };
        for file in base.iter().chain(&overlay.resources) {
            add(file.span, &file.manifest);
        }
        for used in &app.components {
            if let Some(component) = self.components.get(&used.name.value) {
                for manifest in &component.manifests {
                    add(used.name.span, manifest);
                }
            }
        }
        self.applied
            .entry((cluster.to_owned(), app.name.value.clone()))
            .or_default()
            .extend(objects);
    }

    /// Reports the objects two Flux Kustomizations apply, and the labels `commonMetadata`
    /// would overwrite.
    pub(super) fn applied_objects(&mut self, spec: &syntax::Spec, model: &Model) {
        let layout = Layout::new(&model.settings);
        let mut conflicts: BTreeMap<(ObjectId, String, String), Conflict> = BTreeMap::new();
        for cluster in &model.clusters {
            let mut owners: BTreeMap<ObjectId, Place> = BTreeMap::new();
            let mut apply = |id: ObjectId, place: Place| match owners.get(&id) {
                Some(first) if first.owner != place.owner => {
                    conflicts
                        .entry((id, first.owner.clone(), place.owner.clone()))
                        .or_insert_with(|| Conflict {
                            first: first.clone(),
                            second: place,
                            clusters: Vec::new(),
                        })
                        .clusters
                        .push(cluster.name.clone());
                }
                Some(_) => {}
                None => {
                    owners.insert(id, place);
                }
            };
            let root = layout.root_kustomization_name(&cluster.name, Layer::Platform);
            let used_at = namespace_uses(spec, model, cluster);
            for namespace in &cluster.namespaces {
                let id = ObjectId {
                    group: String::new(),
                    kind: "Namespace".to_owned(),
                    namespace: None,
                    name: namespace.name.clone(),
                };
                let span = namespace_span(spec, cluster, &namespace.name, &used_at);
                apply(
                    id,
                    Place {
                        owner: root.clone(),
                        from: "the Namespaces fluxspec writes".to_owned(),
                        span,
                    },
                );
            }
            for app in &model.apps {
                if !app.deployments.iter().any(|d| d.cluster == cluster.name) {
                    continue;
                }
                let syntax_app = spec.apps.iter().find(|a| a.name.value == app.name);
                for (id, span, what) in generated_objects(app, syntax_app) {
                    apply(
                        id,
                        Place {
                            owner: app.name.clone(),
                            from: format!("the {what} fluxspec writes"),
                            span,
                        },
                    );
                }
                let target = app.target_namespace.then_some(app.namespace.as_str());
                let vars: BTreeMap<&str, &str> = cluster
                    .vars
                    .iter()
                    .chain(
                        app.deployments
                            .iter()
                            .filter(|d| d.cluster == cluster.name)
                            .flat_map(|d| &d.substitute),
                    )
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                let key = (cluster.name.clone(), app.name.clone());
                for (span, meta) in self.applied.get(&key).into_iter().flatten() {
                    apply(
                        substituted(&meta.id, &vars).applied(target),
                        Place {
                            owner: app.name.clone(),
                            from: format!("`{}`", meta.location),
                            span: *span,
                        },
                    );
                }
            }
        }
        for ((id, _, _), conflict) in conflicts {
            self.errors
                .push(Error::ObjectAppliedTwice(Box::new(ObjectAppliedTwice {
                    object: id.to_string(),
                    owner: conflict.second.owner,
                    first_owner: conflict.first.owner,
                    clusters: and_list(conflict.clusters.iter().map(String::as_str)),
                    from: conflict.second.from,
                    first_from: conflict.first.from,
                    span: conflict.second.span,
                    first: conflict.first.span,
                })));
        }
        self.overwritten_labels(spec, model);
    }

    /// Warns, once per app, object and label, where the app's `commonMetadata` labels would
    /// overwrite a label its object sets to another value.
    fn overwritten_labels(&mut self, spec: &syntax::Spec, model: &Model) {
        let mut seen: BTreeSet<(String, String, String, String)> = BTreeSet::new();
        for app in &model.apps {
            let Some(syntax_app) = spec.apps.iter().find(|a| a.name.value == app.name) else {
                continue;
            };
            for deployment in &app.deployments {
                let common = deployment.common_labels(&model.settings, &app.name);
                let key = (deployment.cluster.clone(), app.name.clone());
                for (span, meta) in self.applied.get(&key).into_iter().flatten() {
                    for (label, ours) in &common {
                        let Some(theirs) = meta.labels.get(label).filter(|theirs| *theirs != ours)
                        else {
                            continue;
                        };
                        let once = (
                            app.name.clone(),
                            meta.location.clone(),
                            meta.id.to_string(),
                            label.clone(),
                        );
                        if !seen.insert(once) {
                            continue;
                        }
                        let help = if deployment.flux.labels.contains_key(label) {
                            format!(
                                "give both the same value, or remove the app's `label \"{label}\"`"
                            )
                        } else {
                            format!(
                                "write `name-label #false` in `settings` for fluxspec not to set `{label}`, or give the object the app's name"
                            )
                        };
                        self.warnings.push(Warning::LabelOverwritten {
                            app: app.name.clone(),
                            label: label.clone(),
                            ours: ours.clone(),
                            theirs: theirs.clone(),
                            object: meta.id.to_string(),
                            location: meta.location.clone(),
                            help,
                            app_span: syntax_app.name.span,
                            file: *span,
                        });
                    }
                }
            }
        }
    }
}

/// An object's identity once Flux substitutes the app's variables on the cluster into its name
/// and namespace: a component's `${APP}` names another object in each app. A text that does not
/// substitute stays as written (the substitution check reports it).
fn substituted(id: &ObjectId, vars: &BTreeMap<&str, &str>) -> ObjectId {
    let substitute = |text: &str| {
        crate::substitute::envsubst(text, |name| vars.get(name).map(|v| (*v).to_owned()), true)
            .unwrap_or_else(|_| text.to_owned())
    };
    ObjectId {
        group: id.group.clone(),
        kind: id.kind.clone(),
        namespace: id.namespace.as_deref().map(substitute),
        name: substitute(&id.name),
    }
}

/// The objects fluxspec writes for an app's chart, with the span of its `helm` node and what
/// each is.
fn generated_objects(
    app: &App,
    syntax_app: Option<&syntax::App>,
) -> Vec<(ObjectId, SourceSpan, &'static str)> {
    let (Some(chart), Some(helm)) = (&app.chart, syntax_app.and_then(|a| a.helm.as_ref())) else {
        return Vec::new();
    };
    let id = |group: &str, kind: &str| ObjectId {
        group: group.to_owned(),
        kind: kind.to_owned(),
        namespace: Some(app.namespace.clone()),
        name: app.name.clone(),
    };
    let mut objects = vec![(
        id("helm.toolkit.fluxcd.io", "HelmRelease"),
        helm.span,
        "HelmRelease",
    )];
    match &chart.source {
        ChartSource::Oci { .. } => objects.push((
            id("source.toolkit.fluxcd.io", "OCIRepository"),
            helm.span,
            "OCIRepository",
        )),
        ChartSource::Repository {
            repository: RepositoryRef::Own(_),
            ..
        } => objects.push((
            id("source.toolkit.fluxcd.io", "HelmRepository"),
            helm.span,
            "HelmRepository",
        )),
        ChartSource::Repository { .. } => {}
    }
    objects
}

/// Where the spec makes a cluster's Namespace: its `namespace` node (the cluster's, else the
/// spec-wide one), else the first app that uses it (`used_at`, from [`namespace_uses`]).
fn namespace_span(
    spec: &syntax::Spec,
    cluster: &Cluster,
    name: &str,
    used_at: &BTreeMap<&str, SourceSpan>,
) -> SourceSpan {
    let declared = spec
        .clusters
        .iter()
        .filter(|block| block.name.value == cluster.name)
        .flat_map(|block| &block.namespaces)
        .chain(&spec.namespaces)
        .find(|node| node.name.value == name);
    if let Some(node) = declared {
        return node.name.span;
    }
    used_at.get(name).copied().unwrap_or(SourceSpan::from(0..0))
}

/// Each Namespace the apps on `cluster` use, at the first app in the spec that uses it (its
/// `namespace`, else its name). Built once per cluster: looking each Namespace up among all apps
/// took the cube of the number of apps.
fn namespace_uses<'a>(
    spec: &syntax::Spec,
    model: &'a Model,
    cluster: &Cluster,
) -> BTreeMap<&'a str, SourceSpan> {
    let mut resolved: BTreeMap<&str, Vec<&App>> = BTreeMap::new();
    for app in &model.apps {
        resolved.entry(app.name.as_str()).or_default().push(app);
    }
    let mut used_at = BTreeMap::new();
    for app in &spec.apps {
        let span = app.namespace.as_ref().map_or(app.name.span, |ns| ns.span);
        let namespaces = resolved
            .get(app.name.value.as_str())
            .into_iter()
            .flatten()
            .filter(|resolved| {
                resolved.uses_namespace
                    && resolved
                        .deployments
                        .iter()
                        .any(|d| d.cluster == cluster.name)
            });
        for resolved in namespaces {
            used_at.entry(resolved.namespace.as_str()).or_insert(span);
        }
    }
    used_at
}

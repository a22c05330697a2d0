//! What the apps of one cluster apply, seen together: an object two Flux Kustomizations apply
//! (Flux would apply both, each undoing the other's changes) is an error naming both places, and
//! a label of an object that an app's `commonMetadata` would overwrite is a warning.
//!
//! Each deployment records the objects of its files ([`Resolver::record_applied`]): its base,
//! its overlay on the cluster and its components. Once the model is complete, the objects
//! fluxspec writes itself join them: the Namespaces the platform root applies and each chart's
//! HelmRelease and source. An object's identity is where Flux applies it: in the app's
//! `targetNamespace`, unless it is cluster-scoped or the app opts out of `targetNamespace`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use miette::SourceSpan;

use crate::layout::Layout;
use crate::model::{App, ChartSource, Cluster, Layer, Model, RepositoryRef};
use crate::parse::syntax;
use crate::text::and_list;

use super::deployment::Overlay;
use super::error::ObjectAppliedTwice;
use super::manifests::{AppliedId, ObjectId, ObjectMeta};
use super::reading::ParsedFile;
use super::{Error, Resolver, Warning};

/// A file an app applies on a cluster: the span of the spec node that names it, and its objects
/// (shared with the file's parsed manifest, so the base's are kept once for every cluster).
pub(super) struct AppliedFile {
    span: SourceSpan,
    objects: Rc<[ObjectMeta]>,
}

/// The files each app applies, by app name, then by cluster.
pub(super) type Applied = BTreeMap<String, Vec<(String, Vec<AppliedFile>)>>;

/// One place an object is applied from, borrowed from the model and the parsed files.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The Flux Kustomization that applies it.
    owner: &'a str,
    from: Source<'a>,
    span: SourceSpan,
}

/// What an object is applied from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// An object fluxspec writes (`HelmRelease`, `Namespaces`, ...).
    Written(&'static str),
    /// A document of a file, at `path:line:column`.
    File(&'a str),
}

impl Source<'_> {
    fn shown(self) -> String {
        match self {
            Source::Written(what) => format!("the {what} fluxspec writes"),
            Source::File(location) => format!("`{location}`"),
        }
    }
}

/// An object applied from two places, on some clusters.
struct Conflict<'a> {
    first: Place<'a>,
    second: Place<'a>,
    clusters: Vec<&'a str>,
}

/// The objects two Flux Kustomizations apply, by identity and the two owners.
type Conflicts<'a> = BTreeMap<(ObjectId, String, String), Conflict<'a>>;

/// The objects applied on one cluster so far, each with the first place it is applied from.
struct Owners<'a> {
    cluster: &'a str,
    first: BTreeMap<AppliedId<'a>, Place<'a>>,
}

impl<'a> Owners<'a> {
    /// Files `id` as applied from `place`: a conflict when another Kustomization applies it.
    fn apply(&mut self, id: AppliedId<'a>, place: Place<'a>, conflicts: &mut Conflicts<'a>) {
        match self.first.get(&id) {
            Some(first) if first.owner != place.owner => {
                let key = (
                    id.to_object_id(),
                    first.owner.to_owned(),
                    place.owner.to_owned(),
                );
                conflicts
                    .entry(key)
                    .or_insert_with(|| Conflict {
                        first: *first,
                        second: place,
                        clusters: Vec::new(),
                    })
                    .clusters
                    .push(self.cluster);
            }
            Some(_) => {}
            None => {
                self.first.insert(id, place);
            }
        }
    }
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
        let mut files: Vec<AppliedFile> = base
            .iter()
            .chain(&overlay.resources)
            .map(|file| AppliedFile {
                span: file.span,
                objects: Rc::clone(&file.manifest.objects),
            })
            .collect();
        for used in &app.components {
            if let Some(component) = self.components.get(&used.name.value) {
                files.extend(component.manifests.iter().map(|manifest| AppliedFile {
                    span: used.name.span,
                    objects: Rc::clone(&manifest.objects),
                }));
            }
        }
        files.retain(|file| !file.objects.is_empty());
        let on_clusters = match self.applied.get_mut(app.name.as_str()) {
            Some(on_clusters) => on_clusters,
            None => self.applied.entry(app.name.value.clone()).or_default(),
        };
        match on_clusters.iter_mut().find(|(name, _)| name == cluster) {
            Some((_, recorded)) => recorded.extend(files),
            None => on_clusters.push((cluster.to_owned(), files)),
        }
    }

    /// Reports the objects two Flux Kustomizations apply, and the labels `commonMetadata`
    /// would overwrite.
    pub(super) fn applied_objects(&mut self, spec: &syntax::Spec, model: &Model) {
        let layout = Layout::new(&model.settings);
        let roots: Vec<String> = model
            .clusters
            .iter()
            .map(|cluster| layout.root_kustomization_name(&cluster.name, Layer::Platform))
            .collect();
        let mut conflicts = Conflicts::new();
        for (cluster, root) in model.clusters.iter().zip(&roots) {
            let mut owners = Owners {
                cluster: &cluster.name,
                first: BTreeMap::new(),
            };
            let used_at = namespace_uses(spec, model, cluster);
            for namespace in &cluster.namespaces {
                let id = AppliedId {
                    group: "",
                    kind: "Namespace",
                    namespace: None,
                    name: Cow::Borrowed(&namespace.name),
                };
                let span = namespace_span(spec, cluster, &namespace.name, &used_at);
                let place = Place {
                    owner: root,
                    from: Source::Written("Namespaces"),
                    span,
                };
                owners.apply(id, place, &mut conflicts);
            }
            for app in &model.apps {
                if !app.deployments.iter().any(|d| d.cluster == cluster.name) {
                    continue;
                }
                let syntax_app = self.spec_app(spec, &app.name);
                for (id, span, what) in generated_objects(app, syntax_app) {
                    let place = Place {
                        owner: &app.name,
                        from: Source::Written(what),
                        span,
                    };
                    owners.apply(id, place, &mut conflicts);
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
                for (span, meta) in applied_on(&self.applied, &app.name, &cluster.name) {
                    let place = Place {
                        owner: &app.name,
                        from: Source::File(&meta.location),
                        span,
                    };
                    let id = meta.id.applied(target, |text| substituted(text, &vars));
                    owners.apply(id, place, &mut conflicts);
                }
            }
        }
        for ((id, _, _), conflict) in conflicts {
            self.errors
                .push(Error::ObjectAppliedTwice(Box::new(ObjectAppliedTwice {
                    object: id.to_string(),
                    owner: conflict.second.owner.to_owned(),
                    first_owner: conflict.first.owner.to_owned(),
                    clusters: and_list(conflict.clusters.iter().copied()),
                    from: conflict.second.from.shown(),
                    first_from: conflict.first.from.shown(),
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
            let Some(syntax_app) = self.spec_app(spec, &app.name) else {
                continue;
            };
            for deployment in &app.deployments {
                let common = deployment.common_labels(&model.settings, &app.name);
                for (span, meta) in applied_on(&self.applied, &app.name, &deployment.cluster) {
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
                            file: span,
                        });
                    }
                }
            }
        }
    }
}

/// The objects `app` applies from its files on `cluster`, each with the span of the spec node
/// that names its file.
fn applied_on<'a>(
    applied: &'a Applied,
    app: &str,
    cluster: &str,
) -> impl Iterator<Item = (SourceSpan, &'a ObjectMeta)> {
    applied
        .get(app)
        .into_iter()
        .flatten()
        .filter(move |(name, _)| name == cluster)
        .flat_map(|(_, files)| files)
        .flat_map(|file| file.objects.iter().map(move |meta| (file.span, meta)))
}

/// An object's name or namespace once Flux substitutes the app's variables on the cluster: a
/// component's `${APP}` names another object in each app. A text that does not substitute
/// stays as written (the substitution check reports it), and so does one without `$` or `\`,
/// the only characters substitution acts on, without being copied.
fn substituted<'a>(text: &'a str, vars: &BTreeMap<&str, &str>) -> Cow<'a, str> {
    if !text.contains(['$', '\\']) {
        return Cow::Borrowed(text);
    }
    match crate::substitute::envsubst(text, |name| vars.get(name).map(|v| (*v).to_owned()), true) {
        Ok(substituted) if substituted != text => Cow::Owned(substituted),
        _ => Cow::Borrowed(text),
    }
}

/// The objects fluxspec writes for an app's chart, with the span of its `helm` node and what
/// each is.
fn generated_objects<'a>(
    app: &'a App,
    syntax_app: Option<&syntax::App>,
) -> Vec<(AppliedId<'a>, SourceSpan, &'static str)> {
    let (Some(chart), Some(helm)) = (&app.chart, syntax_app.and_then(|a| a.helm.as_ref())) else {
        return Vec::new();
    };
    let id = |group: &'static str, kind: &'static str| AppliedId {
        group,
        kind,
        namespace: Some(Cow::Borrowed(&app.namespace)),
        name: Cow::Borrowed(&app.name),
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

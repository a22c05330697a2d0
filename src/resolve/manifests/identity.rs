//! What identifies an object a manifest holds, for the checks that span apps: its API group,
//! kind, namespace and name (an object two Flux Kustomizations apply), and its labels (one that
//! an app's `commonMetadata` would overwrite). Read from documents that are objects; others
//! (reported elsewhere) are left out.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// An object of a manifest: its identity as written, its labels, and where its document starts.
#[derive(Debug, Clone)]
pub(in crate::resolve) struct ObjectMeta {
    /// `path:line:column` of its document.
    pub(in crate::resolve) location: String,
    pub(in crate::resolve) id: ObjectId,
    /// Its string-valued labels.
    pub(in crate::resolve) labels: BTreeMap<String, String>,
}

/// What identifies an object in a cluster, shown as Flux shows it: `Kind/namespace/name`, or
/// `Kind/name` without a namespace. The API group is part of it; the version is not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::resolve) struct ObjectId {
    pub(in crate::resolve) group: String,
    pub(in crate::resolve) kind: String,
    pub(in crate::resolve) namespace: Option<String>,
    pub(in crate::resolve) name: String,
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show(f, &self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// An object's identity where Flux applies it, borrowing what it can from the manifest and the
/// app: the check of what two Kustomizations apply holds one per object of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::resolve) struct AppliedId<'a> {
    pub(in crate::resolve) group: &'a str,
    pub(in crate::resolve) kind: &'a str,
    pub(in crate::resolve) namespace: Option<Cow<'a, str>>,
    pub(in crate::resolve) name: Cow<'a, str>,
}

impl AppliedId<'_> {
    pub(in crate::resolve) fn to_object_id(&self) -> ObjectId {
        ObjectId {
            group: self.group.to_owned(),
            kind: self.kind.to_owned(),
            namespace: self.namespace.as_deref().map(str::to_owned),
            name: self.name.clone().into_owned(),
        }
    }
}

impl fmt::Display for AppliedId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show(f, self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// `Kind/namespace/name`, or `Kind/name` without a namespace, as Flux shows an object.
fn show(
    f: &mut fmt::Formatter<'_>,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> fmt::Result {
    match namespace {
        Some(namespace) => write!(f, "{kind}/{namespace}/{name}"),
        None => write!(f, "{kind}/{name}"),
    }
}

/// The kinds of Kubernetes' own APIs that have no namespace, by API group: kustomize sets a
/// namespace (Flux's `targetNamespace`) on every object but these, so the list is kustomize's.
/// A custom resource is taken as namespaced, as kustomize takes it.
const CLUSTER_SCOPED: &[(&str, &[&str])] = &[
    (
        "",
        &["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
    ),
    (
        "admissionregistration.k8s.io",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
        ],
    ),
    ("apiextensions.k8s.io", &["CustomResourceDefinition"]),
    ("apiregistration.k8s.io", &["APIService"]),
    (
        "certificates.k8s.io",
        &["CertificateSigningRequest", "ClusterTrustBundle"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["FlowSchema", "PriorityLevelConfiguration"],
    ),
    (
        "networking.k8s.io",
        &["IngressClass", "IPAddress", "ServiceCIDR"],
    ),
    ("node.k8s.io", &["RuntimeClass"]),
    ("policy", &["PodSecurityPolicy"]),
    (
        "rbac.authorization.k8s.io",
        &["ClusterRole", "ClusterRoleBinding"],
    ),
    ("resource.k8s.io", &["DeviceClass"]),
    ("scheduling.k8s.io", &["PriorityClass"]),
    (
        "storage.k8s.io",
        &[
            "StorageClass",
            "CSIDriver",
            "CSINode",
            "VolumeAttachment",
            "VolumeAttributesClass",
        ],
    ),
];

impl ObjectId {
    /// Whether the object has no namespace in a cluster (kustomize leaves it without one).
    pub(in crate::resolve) fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED
            .iter()
            .any(|(group, kinds)| *group == self.group && kinds.contains(&self.kind.as_str()))
    }

    /// The object as Flux applies it: its name and namespace as `substitute` leaves them (Flux
    /// substitutes the app's variables), in `target_namespace` when the Kustomization sets one
    /// (it replaces the object's own), in no namespace when it is cluster-scoped.
    pub(in crate::resolve) fn applied<'a>(
        &'a self,
        target_namespace: Option<&'a str>,
        substitute: impl Fn(&'a str) -> Cow<'a, str>,
    ) -> AppliedId<'a> {
        let namespace = if self.is_cluster_scoped() {
            None
        } else {
            target_namespace
                .map(Cow::Borrowed)
                .or_else(|| self.namespace.as_deref().map(&substitute))
        };
        AppliedId {
            group: &self.group,
            kind: &self.kind,
            namespace,
            name: substitute(&self.name),
        }
    }
}

impl ObjectMeta {
    /// The identity and labels of `value`, an object document starting at `location`; `None`
    /// when it is not an object Flux can apply.
    pub(super) fn of(value: &Value, location: &str) -> Option<Self> {
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(value, |value, key| value.get(key))
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
        };
        let api_version = text(&["apiVersion"])?;
        let id = ObjectId {
            group: api_version
                .rsplit_once('/')
                .map_or("", |(group, _)| group)
                .to_owned(),
            kind: text(&["kind"])?.to_owned(),
            namespace: text(&["metadata", "namespace"]).map(str::to_owned),
            name: text(&["metadata", "name"])?.to_owned(),
        };
        let labels = value
            .get("metadata")
            .and_then(|metadata| metadata.get("labels"))
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Some(ObjectMeta {
            location: location.to_owned(),
            id,
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identity_has_group_namespace_and_labels() {
        let value = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "reader", "namespace": "x", "labels": {"a": "b", "n": 1}},
        });
        let meta = ObjectMeta::of(&value, "f.yaml:1:1").expect("an object");
        assert_eq!(meta.id.group, "rbac.authorization.k8s.io");
        assert_eq!(meta.labels, BTreeMap::from([("a".into(), "b".into())]));
        assert!(meta.id.is_cluster_scoped());
        // A cluster-scoped object keeps no namespace, whatever it or the Kustomization says.
        assert_eq!(
            meta.id.applied(Some("web"), Cow::Borrowed).to_string(),
            "ClusterRole/reader"
        );
        assert!(ObjectMeta::of(&json!({"kind": "ConfigMap"}), "f.yaml:1:1").is_none());
    }

    #[test]
    fn target_namespace_replaces_the_objects_own() {
        let value = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}});
        let meta = ObjectMeta::of(&value, "f.yaml:1:1").expect("an object");
        assert!(!meta.id.is_cluster_scoped());
        assert_eq!(
            meta.id.applied(Some("b"), Cow::Borrowed).to_string(),
            "ConfigMap/b/c"
        );
        assert_eq!(
            meta.id.applied(None, Cow::Borrowed).to_string(),
            "ConfigMap/a/c"
        );
    }
}

//! Kubernetes object envelope shared by every Flux kind.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The part of `metadata` policies look at. Unknown fields are ignored.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// A typed Kubernetes object: `apiVersion`, `kind`, `metadata` and a typed `spec`.
/// A missing `spec` reads as the default (empty) spec, so rules see absent fields as `None`.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Resource<S> {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: S,
}

impl<S> Resource<S> {
    /// The API version part of `apiVersion` (`v1` in `source.toolkit.fluxcd.io/v1`).
    pub fn version(&self) -> &str {
        split_api_version(&self.api_version).1
    }
}

/// Splits `group/version` (or a core `version`) into its two parts.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// How messages name an object: `Kind namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// Names an object from its metadata, falling back to what the request says
    /// (a CREATE with `generateName` has no name yet).
    pub fn new(kind: &str, meta: &ObjectMeta, request_namespace: &str, request_name: &str) -> Self {
        let name = match (&meta.name, &meta.generate_name) {
            (Some(n), _) if !n.is_empty() => n.clone(),
            _ if !request_name.is_empty() => request_name.to_string(),
            (_, Some(g)) if !g.is_empty() => format!("{g}<generated>"),
            _ => "<unnamed>".to_string(),
        };
        let namespace = match &meta.namespace {
            Some(ns) if !ns.is_empty() => ns.clone(),
            _ => request_namespace.to_string(),
        };
        ObjectRef {
            kind: kind.to_string(),
            namespace,
            name,
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// A reference to an object by name only (`secretRef`, `certSecretRef`, ...).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct LocalObjectReference {
    pub name: String,
}

/// A reference to another Flux object, possibly in another namespace.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct CrossNamespaceObjectReference {
    pub api_version: Option<String>,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// A `dependsOn` entry (Kustomization, HelmRelease).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DependencyReference {
    pub name: String,
    pub namespace: Option<String>,
}

/// A Secret key reference (`kubeConfig.secretRef`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct SecretKeyReference {
    pub name: String,
    pub key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ref_falls_back_to_request_and_generate_name() {
        let meta = ObjectMeta {
            generate_name: Some("repo-".into()),
            ..Default::default()
        };
        assert_eq!(
            ObjectRef::new("GitRepository", &meta, "team-a", "").to_string(),
            "GitRepository team-a/repo-<generated>"
        );
        let meta = ObjectMeta {
            name: Some("x".into()),
            namespace: Some("ns".into()),
            ..Default::default()
        };
        assert_eq!(
            ObjectRef::new("K", &meta, "other", "y").to_string(),
            "K ns/x"
        );
        assert_eq!(
            ObjectRef::new("ClusterRole", &ObjectMeta::default(), "", "admin").to_string(),
            "ClusterRole admin"
        );
    }

    #[test]
    fn api_version_split() {
        assert_eq!(
            split_api_version("source.toolkit.fluxcd.io/v1beta2"),
            ("source.toolkit.fluxcd.io", "v1beta2")
        );
        assert_eq!(split_api_version("v1"), ("", "v1"));
    }
}

//! Kubernetes object envelope shared by every Flux kind.

pub use fluxgate_rules::ObjectRef;
use serde::Deserialize;

/// The part of `metadata` the Flux rules and the admission flow look at: what names the
/// object. Unknown fields (labels and annotations too: no Flux rule reads them) are skipped,
/// which keeps map decoding out of the modules that need none.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
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

impl ObjectMeta {
    /// How messages name the object: its metadata, else what the request says.
    pub fn reference(&self, kind: &str, request_namespace: &str, request_name: &str) -> ObjectRef {
        ObjectRef::new(
            kind,
            self.name.as_deref(),
            self.generate_name.as_deref(),
            self.namespace.as_deref(),
            request_namespace,
            request_name,
        )
    }
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
    fn api_version_split() {
        assert_eq!(
            split_api_version("source.toolkit.fluxcd.io/v1beta2"),
            ("source.toolkit.fluxcd.io", "v1beta2")
        );
        assert_eq!(split_api_version("v1"), ("", "v1"));
    }
}

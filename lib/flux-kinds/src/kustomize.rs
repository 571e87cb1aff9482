//! `kustomize.toolkit.fluxcd.io`: Kustomization (v1beta1, v1beta2, v1).

use crate::object::{
    CrossNamespaceObjectReference, DependencyReference, Resource, SecretKeyReference,
};
use serde::Deserialize;

pub type Kustomization = Resource<KustomizationSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KustomizationSpec {
    pub source_ref: Option<CrossNamespaceObjectReference>,
    pub path: Option<String>,
    /// Kustomize Components, relative to `path` (v1beta2 and v1).
    pub components: Option<Vec<String>>,
    pub service_account_name: Option<String>,
    pub target_namespace: Option<String>,
    pub force: Option<bool>,
    /// Required in v1; optional in the betas.
    pub prune: Option<bool>,
    pub depends_on: Option<Vec<DependencyReference>>,
    pub kube_config: Option<KubeConfigReference>,
    pub decryption: Option<Decryption>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

/// `spec.kubeConfig` (Kustomization and HelmRelease): a remote cluster.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeConfigReference {
    pub secret_ref: Option<SecretKeyReference>,
    pub config_map_ref: Option<crate::object::LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Decryption {
    pub provider: Option<String>,
    pub secret_ref: Option<crate::object::LocalObjectReference>,
    pub service_account_name: Option<String>,
}

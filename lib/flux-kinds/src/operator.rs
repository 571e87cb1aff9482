//! `fluxcd.controlplane.io/v1` (the Flux Operator): FluxInstance, ResourceSet,
//! ResourceSetInputProvider. Views hold only what the rules read; fields are learnt from the
//! operator's API documentation (its CRDs are AGPL-3.0 and are not part of this project).

use crate::object::{LocalObjectReference, Resource};
use serde::Deserialize;

pub type FluxInstance = Resource<FluxInstanceSpec>;
pub type ResourceSet = Resource<ResourceSetSpec>;
pub type ResourceSetInputProvider = Resource<ResourceSetInputProviderSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxInstanceSpec {
    pub cluster: Option<FluxInstanceCluster>,
    pub kustomize: Option<FluxInstanceKustomize>,
}

/// `spec.cluster`: how the operator configures the Flux controllers.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxInstanceCluster {
    /// Adds the multi-tenancy lockdown flags to the controllers (default false).
    pub multitenant: Option<bool>,
    /// The `--default-service-account` the lockdown sets (default `default`).
    pub tenant_default_service_account: Option<String>,
}

/// `spec.kustomize`: patches applied to Flux's own manifests.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxInstanceKustomize {
    pub patches: Option<Vec<KustomizePatch>>,
}

/// One kustomize `patches` entry: an inline strategic-merge or JSON6902 patch and the
/// resources it selects.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KustomizePatch {
    pub patch: Option<String>,
    pub target: Option<PatchSelector>,
}

/// kustomize's `Selector`: group, version, kind, name and namespace are anchored regular
/// expressions; the label and annotation selectors are Kubernetes selector expressions.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PatchSelector {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSetSpec {
    pub service_account_name: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSetInputProviderSpec {
    /// `GitHubBranch`, `GitLabMergeRequest`, `OCIArtifactTag`, `ExternalService`, ...
    #[serde(rename = "type")]
    pub provider_type: Option<String>,
    pub url: Option<String>,
    pub insecure: Option<bool>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Workload identity for the cloud types (AWS, Azure, GCP).
    pub service_account_name: Option<String>,
    /// `ExternalArtifact` type: which ExternalArtifacts, in which namespaces.
    pub selectors: Option<Vec<InputProviderSelector>>,
}

/// A `spec.selectors` entry: by name or by labels, in a namespace (default the provider's
/// own, `*` for every namespace).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct InputProviderSelector {
    pub name: Option<String>,
    pub namespace: Option<String>,
}

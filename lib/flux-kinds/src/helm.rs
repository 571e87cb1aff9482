//! `helm.toolkit.fluxcd.io`: HelmRelease (v2beta1, v2beta2, v2).

use crate::kustomize::KubeConfigReference;
use crate::object::{
    CrossNamespaceObjectReference, DependencyReference, LocalObjectReference, Resource,
};
use serde::Deserialize;

pub type HelmRelease = Resource<HelmReleaseSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmReleaseSpec {
    pub chart: Option<HelmChartTemplate>,
    /// v2 and v2beta2 from helm-controller v1.0 (Flux 2.3).
    pub chart_ref: Option<CrossNamespaceObjectReference>,
    pub service_account_name: Option<String>,
    pub target_namespace: Option<String>,
    pub storage_namespace: Option<String>,
    pub depends_on: Option<Vec<DependencyReference>>,
    pub values_from: Option<Vec<ValuesReference>>,
    /// Arbitrary chart values (`x-kubernetes-preserve-unknown-fields`).
    pub values: Option<serde_json::Value>,
    pub post_renderers: Option<Vec<serde_json::Value>>,
    pub install: Option<Install>,
    pub upgrade: Option<Upgrade>,
    pub test: Option<Test>,
    pub kube_config: Option<KubeConfigReference>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct HelmChartTemplate {
    pub spec: HelmChartTemplateSpec,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmChartTemplateSpec {
    pub chart: Option<String>,
    /// Masterminds semver constraint; the API server defaults it to `*`.
    pub version: Option<String>,
    pub source_ref: Option<CrossNamespaceObjectReference>,
    /// Only `provider` and `secretRef`: no keyless identity pinning here.
    pub verify: Option<ChartVerification>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ChartVerification {
    pub provider: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ValuesReference {
    pub kind: String,
    pub name: String,
    pub values_key: Option<String>,
    pub target_path: Option<String>,
    pub optional: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Remediation {
    /// Negative means unlimited.
    pub retries: Option<i64>,
    /// Upgrade only: `rollback` (default) or `uninstall`.
    pub strategy: Option<String>,
    pub remediate_last_failure: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Install {
    pub remediation: Option<Remediation>,
    pub create_namespace: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Upgrade {
    pub remediation: Option<Remediation>,
    pub cleanup_on_fail: Option<bool>,
    pub force: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct Test {
    pub enable: Option<bool>,
}

//! The fields this policy reads, instead of flux-kinds' full per-kind specs: every typed
//! decode adds code to the wasm, and the full specs would push the module past its size
//! budget. One view serves OCIRepository and HelmChart (their `spec.verify` is the same
//! type; `sourceRef` stays `None` on an OCIRepository), another HelmRelease.

use flux_kinds::Resource;
use flux_kinds::helm::HelmChartTemplate;
use flux_kinds::object::CrossNamespaceObjectReference;
use flux_kinds::source::OciVerification;
use serde::Deserialize;

/// An OCIRepository or HelmChart, as far as signatures go.
pub type Signed = Resource<SignedSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SignedSpec {
    pub verify: Option<OciVerification>,
    /// HelmChart `spec.sourceRef` (no namespace there: the chart's own).
    pub source_ref: Option<CrossNamespaceObjectReference>,
}

/// A HelmRelease, as far as signatures go.
pub type Release = Resource<ReleaseSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ReleaseSpec {
    /// `spec.chart` (its `spec.verify` has only `provider` and `secretRef`). A `chartRef`
    /// release passes without being read.
    pub chart: Option<HelmChartTemplate>,
}

/// A HelmRepository, as far as "are its charts OCI artifacts" goes.
pub type ChartRepository = Resource<ChartRepositorySpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct ChartRepositorySpec {
    /// `default` (HTTP index) or `oci`.
    #[serde(rename = "type")]
    pub repository_type: Option<String>,
    pub url: Option<String>,
}

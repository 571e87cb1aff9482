//! Narrow typed views of the four source kinds: only the fields this policy reads.
//! ArtifactGenerator and ExternalArtifact read into one view, [`References`], that has the
//! reference fields of both, so a single deserializer serves the two kinds.
//!
//! flux-kinds' full views type-check every field, and deserialising four of them costs
//! about 20 KB of wasm each, which would put this policy over the size budget. The fields
//! read here keep the same names and types, so `spec.insecure: "true"` is still refused
//! with its path; fields not read here are left to the API server's schema validation.

use flux_kinds::Resource;
use flux_kinds::object::LocalObjectReference;
use flux_kinds::source::{GitRepositoryRef, OciRepositoryRef};
use serde::Deserialize;

pub type GitRepository = Resource<GitSpec>;
pub type HelmRepository = Resource<HelmSpec>;
pub type OciRepository = Resource<OciSpec>;
pub type Bucket = Resource<BucketSpec>;
/// An ArtifactGenerator (`spec.sources`) or an ExternalArtifact (`spec.sourceRef`).
pub type References = Resource<ReferencesSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GitSpec {
    pub url: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    pub provider: Option<String>,
    pub service_account_name: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<GitRepositoryRef>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmSpec {
    pub url: Option<String>,
    #[serde(rename = "type")]
    pub repository_type: Option<String>,
    pub pass_credentials: Option<bool>,
    pub insecure: Option<bool>,
    /// `generic`, `aws`, `azure`, `gcp` (v1beta2 and v1; read for `type: oci` only).
    pub provider: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OciSpec {
    pub url: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<OciRepositoryRef>,
    pub insecure: Option<bool>,
    pub provider: Option<String>,
    /// Image pull secrets with `generic`, the object's workload identity with a cloud
    /// provider (Flux 2.6+).
    pub service_account_name: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BucketSpec {
    pub bucket_name: Option<String>,
    pub endpoint: Option<String>,
    pub insecure: Option<bool>,
    /// The Security Token Service (v1beta2 and v1).
    pub sts: Option<BucketSts>,
    /// `generic`, `aws`, `gcp` (v1beta1), and `azure` (v1beta2, v1).
    pub provider: Option<String>,
    /// v1 only (Flux 2.6+ object-level workload identity, not with `generic`).
    pub service_account_name: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BucketSts {
    pub provider: Option<String>,
    pub endpoint: Option<String>,
}

/// The references of an ArtifactGenerator and an ExternalArtifact (flux-kinds'
/// `extensions` views, narrowed to what the rules read).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferencesSpec {
    /// ArtifactGenerator `spec.sources[]`.
    pub sources: Vec<Reference>,
    /// ExternalArtifact `spec.sourceRef`.
    pub source_ref: Option<Reference>,
}

/// A reference to an object by kind and name, in `namespace` or the referrer's own.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct Reference {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

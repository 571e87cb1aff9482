//! Narrow typed views of the four source kinds: only the fields this policy reads.
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
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OciSpec {
    pub url: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<OciRepositoryRef>,
    pub insecure: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BucketSpec {
    pub bucket_name: Option<String>,
    pub endpoint: Option<String>,
    pub insecure: Option<bool>,
    /// The Security Token Service (v1beta2 and v1).
    pub sts: Option<BucketSts>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BucketSts {
    pub provider: Option<String>,
    pub endpoint: Option<String>,
}

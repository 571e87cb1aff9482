//! `image.toolkit.fluxcd.io`: ImageRepository, ImagePolicy, ImageUpdateAutomation.

use crate::object::{CrossNamespaceObjectReference, LocalObjectReference, Resource};
use serde::Deserialize;

pub type ImageRepository = Resource<ImageRepositorySpec>;
pub type ImagePolicy = Resource<ImagePolicySpec>;
pub type ImageUpdateAutomation = Resource<ImageUpdateAutomationSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageRepositorySpec {
    pub image: Option<String>,
    pub insecure: Option<bool>,
    /// The API server defaults it to `["^.*\\.sig$"]`; a custom list loses that entry.
    pub exclusion_list: Option<Vec<String>>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    pub service_account_name: Option<String>,
    pub provider: Option<String>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ImagePolicySpec {
    pub image_repository_ref: Option<CrossNamespaceObjectReference>,
    pub policy: Option<ImagePolicyChoice>,
    pub filter_tags: Option<TagFilter>,
    pub digest_reflection_policy: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct ImagePolicyChoice {
    pub semver: Option<SemverPolicy>,
    pub alphabetical: Option<OrderPolicy>,
    pub numerical: Option<OrderPolicy>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct SemverPolicy {
    pub range: String,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct OrderPolicy {
    pub order: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct TagFilter {
    pub pattern: Option<String>,
    pub extract: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageUpdateAutomationSpec {
    pub source_ref: Option<CrossNamespaceObjectReference>,
    /// v1beta2/v1. (v1beta1 nests the same data under `git` too.)
    pub git: Option<serde_json::Value>,
    pub update: Option<serde_json::Value>,
    pub policy_selector: Option<serde_json::Value>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

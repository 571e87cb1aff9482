//! `source.toolkit.fluxcd.io`: GitRepository, OCIRepository, HelmRepository, HelmChart, Bucket.

use crate::object::{LocalObjectReference, Resource};
use serde::Deserialize;

pub type GitRepository = Resource<GitRepositorySpec>;
pub type OciRepository = Resource<OciRepositorySpec>;
pub type HelmRepository = Resource<HelmRepositorySpec>;
pub type HelmChart = Resource<HelmChartSpec>;
pub type Bucket = Resource<BucketSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GitRepositorySpec {
    pub url: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    /// `generic`, `azure`, `github` (v1 only).
    pub provider: Option<String>,
    pub service_account_name: Option<String>,
    pub interval: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<GitRepositoryRef>,
    pub verify: Option<GitRepositoryVerification>,
    pub proxy_secret_ref: Option<LocalObjectReference>,
    pub include: Option<Vec<GitRepositoryInclude>>,
    pub recurse_submodules: Option<bool>,
    pub suspend: Option<bool>,
    /// v1beta1/v1beta2 only (`go-git` or `libgit2`).
    pub git_implementation: Option<String>,
}

/// `spec.ref`. `name` (a full Git reference such as `refs/tags/v1.0.0`) exists from v1beta2.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct GitRepositoryRef {
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub semver: Option<String>,
    pub name: Option<String>,
    pub commit: Option<String>,
}

impl GitRepositoryRef {
    /// Whether the reference points at a tag, which `Tag`/`TagAndHEAD` verification needs.
    /// source-controller gives `commit` the highest precedence, then `name`, `semver`, `tag`,
    /// `branch`; a commit pin is not a tag even if a tag is also set.
    pub fn is_tag(&self) -> bool {
        fn set(v: &Option<String>) -> bool {
            v.as_deref().is_some_and(|s| !s.trim().is_empty())
        }
        if set(&self.commit) {
            return false;
        }
        if let Some(name) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return name.starts_with("refs/tags/");
        }
        set(&self.semver) || set(&self.tag)
    }
}

/// `spec.verify`. v1beta1/v1beta2: `mode` required, only `head`.
/// v1: `mode` optional (default `HEAD`), one of `head`, `HEAD`, `Tag`, `TagAndHEAD`.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GitRepositoryVerification {
    pub mode: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GitRepositoryInclude {
    pub repository: LocalObjectReference,
    pub from_path: Option<String>,
    pub to_path: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OciRepositorySpec {
    pub url: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<OciRepositoryRef>,
    pub verify: Option<OciVerification>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    pub proxy_secret_ref: Option<LocalObjectReference>,
    pub service_account_name: Option<String>,
    pub provider: Option<String>,
    pub insecure: Option<bool>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OciRepositoryRef {
    pub digest: Option<String>,
    pub semver: Option<String>,
    pub semver_filter: Option<String>,
    pub tag: Option<String>,
}

/// `spec.verify` of OCIRepository and HelmChart (HelmChart has no `trustedRootSecretRef`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OciVerification {
    /// `cosign` (default) or `notation`.
    pub provider: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    #[serde(rename = "matchOIDCIdentity")]
    pub match_oidc_identity: Option<Vec<OidcIdentityMatch>>,
    pub trusted_root_secret_ref: Option<LocalObjectReference>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct OidcIdentityMatch {
    pub issuer: String,
    pub subject: String,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmRepositorySpec {
    pub url: Option<String>,
    /// `default` (HTTP index) or `oci`.
    #[serde(rename = "type")]
    pub repository_type: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    pub pass_credentials: Option<bool>,
    pub insecure: Option<bool>,
    pub provider: Option<String>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HelmChartSpec {
    pub chart: Option<String>,
    pub version: Option<String>,
    pub source_ref: Option<crate::object::CrossNamespaceObjectReference>,
    pub verify: Option<OciVerification>,
    pub reconcile_strategy: Option<String>,
    pub values_files: Option<Vec<String>>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BucketSpec {
    pub bucket_name: Option<String>,
    pub endpoint: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub prefix: Option<String>,
    pub insecure: Option<bool>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    pub service_account_name: Option<String>,
    pub interval: Option<String>,
    pub suspend: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_ref(json: &str) -> GitRepositoryRef {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn tag_references() {
        assert!(git_ref(r#"{"tag":"v1.0.0"}"#).is_tag());
        assert!(git_ref(r#"{"semver":">=1.0.0 <2.0.0"}"#).is_tag());
        assert!(git_ref(r#"{"name":"refs/tags/v1.0.0"}"#).is_tag());
        assert!(!git_ref(r#"{"name":"refs/heads/main","tag":"v1"}"#).is_tag());
        assert!(!git_ref(r#"{"branch":"main"}"#).is_tag());
        assert!(!git_ref(r#"{"tag":"v1","commit":"abc"}"#).is_tag());
        assert!(!git_ref(r#"{"tag":"  "}"#).is_tag());
    }

    #[test]
    fn v1beta1_and_v1_read_into_one_view() {
        let v1beta1: GitRepository = serde_json::from_str(
            r#"{"apiVersion":"source.toolkit.fluxcd.io/v1beta1","kind":"GitRepository",
                "metadata":{"name":"a"},"spec":{"url":"https://x","gitImplementation":"libgit2",
                "verify":{"mode":"head","secretRef":{"name":"keys"}},"unknownField":1}}"#,
        )
        .unwrap();
        assert_eq!(v1beta1.version(), "v1beta1");
        assert_eq!(v1beta1.spec.verify.unwrap().mode.as_deref(), Some("head"));
        assert_eq!(v1beta1.spec.git_implementation.as_deref(), Some("libgit2"));
    }
}

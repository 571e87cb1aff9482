//! Trust anchors: the Secrets whose keys and roots Flux verifies signatures with
//! (GitRepository `verify.secretRef`, OCIRepository/HelmChart `verify.secretRef` and
//! `verify.trustedRootSecretRef`, HelmRelease `chart.spec.verify.secretRef`; a notation
//! trust policy lives in the same Secret). Every one is a name in the object's own namespace
//! (source-controller resolves a `LocalObjectReference`), so a tenant that may create Secrets
//! there can make Flux trust any key it likes: a list of allowed names alone does not help.
//!
//! The control, set once in the shared `trustAnchors` setting:
//!
//! ```yaml
//! trustAnchors:
//!   secretNames: [flux-verify-keys, "sigstore-root-*"]   # globs; [] = tenants choose their keys
//! ```
//!
//! * A tenant source or release may only name a key Secret matching `secretNames`
//!   ([`KEY_SECRET_NOT_ANCHOR`]: artifact-signature-verification, git-commit-verification).
//! * A tenant identity may not create or update a Secret of such a name, in any namespace
//!   ([`ANCHOR_WRITE`]: tenant-cluster-scope), so those Secrets are only ever written by the
//!   platform. DELETE is never denied, but a deleted anchor cannot be written again by the
//!   tenant, and Flux reports the missing Secret instead of trusting another key.
//!
//! No look-up of the Secret is made: Kubewarden grants context-aware reads per kind, and a
//! grant of `v1/Secret` would let policy-server read every Secret's data, the very keys this
//! protects.

use crate::flow::Ctx;
use flux_kinds::FluxKind;
use fluxgate_matchers::glob;
use fluxgate_rules::{Finding, KindSpec, Rule};
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct TrustAnchors {
    /// Globs of the names of the platform's key and trust-root Secrets; empty: off.
    pub secret_names: Vec<String>,
}

impl TrustAnchors {
    pub fn is_anchor(&self, name: &str) -> bool {
        glob::any_matches(&self.secret_names, name)
    }
}

const SECRET: KindSpec = KindSpec {
    group: "",
    kind: "Secret",
    versions: &["v1"],
    namespaced: true,
    judged_fields: &[],
};

pub const KEY_SECRET_NOT_ANCHOR: Rule = Rule::deny(
    "trust/key-secret-not-anchor",
    &[
        FluxKind::GitRepository.spec(),
        FluxKind::OciRepository.spec(),
        FluxKind::HelmChart.spec(),
        FluxKind::HelmRelease.spec(),
    ],
    "Signature keys and trust roots come from the platform's trust-anchor Secrets \
     (`trustAnchors.secretNames`).",
    "a tenant making Flux trust a key or Sigstore root it chose, by naming a Secret it wrote \
     in its own namespace.",
    "trustAnchors",
);

pub const ANCHOR_WRITE: Rule = Rule::deny(
    "trust/tenant-writes-anchor",
    &[SECRET],
    "A tenant identity does not create or update a trust-anchor Secret (`trustAnchors.secretNames`).",
    "a tenant replacing the platform's signature keys in its namespace with its own, so that \
     its unsigned or self-signed changes verify.",
    "trustAnchors",
);

/// A finding when `name` (at `field`, a Secret of the object's namespace) is not a trust
/// anchor while anchors are configured.
pub fn key_secret<P>(ctx: &Ctx<P>, field: &str, name: &str) -> Option<Finding> {
    let anchors = &ctx.identities.trust_anchors;
    if anchors.secret_names.is_empty() || anchors.is_anchor(name) {
        return None;
    }
    Some(KEY_SECRET_NOT_ANCHOR.at(
        field,
        format!(
            "{name:?} is not one of the platform's trust-anchor Secrets, so a tenant could have \
             written the key Flux would trust"
        ),
        format!(
            "name a Secret matching trustAnchors.secretNames [{}], provisioned by the platform",
            anchors.secret_names.join(", ")
        ),
    ))
}

/// A finding when the object written (`group`/`kind` of the request) is a Secret named as a
/// trust anchor; `name` is the object's name.
pub fn anchor_write<P>(ctx: &Ctx<P>, group: &str, kind: &str, name: &str) -> Option<Finding> {
    let anchors = &ctx.identities.trust_anchors;
    let is_secret = group.is_empty() && kind == "Secret";
    if !is_secret || !anchors.is_anchor(name) {
        return None;
    }
    Some(ANCHOR_WRITE.at(
        "metadata.name",
        format!("{name:?} is a trust-anchor Secret: only the platform may write it"),
        "provision signature keys from the platform's repository, or use a Secret name outside \
         trustAnchors.secretNames for other data",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::parse;
    use crate::test_support::{NoSettings, with_ctx};
    use serde_json::json;

    #[test]
    fn keys_must_be_anchors_once_anchors_are_named() {
        with_ctx(json!({}), |ctx| {
            assert!(key_secret(ctx, "spec.verify.secretRef.name", "mine").is_none());
            assert!(anchor_write(ctx, "", "Secret", "mine").is_none());
        });
        with_ctx(
            json!({"trustAnchors": {"secretNames": ["flux-keys", "root-*"]}}),
            |ctx| {
                assert!(key_secret(ctx, "f", "flux-keys").is_none());
                assert!(key_secret(ctx, "f", "root-sigstore").is_none());
                let f = key_secret(ctx, "spec.verify.secretRef.name", "mine").unwrap();
                assert_eq!(f.rule, KEY_SECRET_NOT_ANCHOR.id);
                assert!(f.fix.contains("[flux-keys, root-*]"), "{}", f.fix);
                assert!(anchor_write(ctx, "", "Secret", "root-x").is_some());
                assert!(anchor_write(ctx, "", "Secret", "other").is_none());
                // Only the core Secret kind holds keys Flux reads.
                assert!(anchor_write(ctx, "example.com", "Secret", "flux-keys").is_none());
                assert!(anchor_write(ctx, "", "ConfigMap", "flux-keys").is_none());
            },
        );
        let bad = |v| parse::<NoSettings>(&v).is_err();
        assert!(bad(json!({"trustAnchors": {"secretNames": [""]}})));
        assert!(bad(json!({"trustAnchors": {"names": []}})));
    }
}

//! What the platform's Flux controllers run with, as far as admission must know it: the
//! multi-tenancy lockdown flags (Flux 2.6+) decide which identity a tenant object that names
//! no service account of its own gets, and admission cannot read a controller's flags. The
//! platform declares them once, in the shared `controllerLockdown` setting:
//!
//! ```yaml
//! controllerLockdown:
//!   defaultServiceAccount: false            # --default-service-account (source, image-reflector,
//!                                           #  notification, kustomize, helm controllers)
//!   defaultDecryptionServiceAccount: false  # kustomize-controller --default-decryption-service-account
//!   defaultKubeconfigServiceAccount: false  # kustomize/helm-controller --default-kubeconfig-service-account
//!   globalDecryptionKeys: true              # kustomize-controller holds keys of its own
//!                                           #  (--sops-age-secret, a KMS/Vault identity)
//! ```
//!
//! The defaults assume the worst (no lockdown, global keys present), so a tenant object must
//! carry its own identity until the platform says otherwise. Flux documents the flags in
//! "Multi-tenancy lockdown" and "Object-level workload identity"
//! (fluxcd.io/flux/installation/configuration/multitenancy/, .../workload-identity/).

use crate::flow::Ctx;
use flux_kinds::FluxKind;
use fluxgate_rules::{Finding, Rule};
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ControllerLockdown {
    /// The controllers run with `--default-service-account`: an object without
    /// `serviceAccountName` authenticates as that account of its own namespace.
    pub default_service_account: bool,
    /// kustomize-controller runs with `--default-decryption-service-account`.
    pub default_decryption_service_account: bool,
    /// kustomize- and helm-controller run with `--default-kubeconfig-service-account`.
    pub default_kubeconfig_service_account: bool,
    /// kustomize-controller holds decryption keys of its own (`--sops-age-secret`, a cloud
    /// KMS or Vault identity): a Kustomization without `decryption.secretRef` can use them.
    pub global_decryption_keys: bool,
}

impl Default for ControllerLockdown {
    fn default() -> Self {
        ControllerLockdown {
            default_service_account: false,
            default_decryption_service_account: false,
            default_kubeconfig_service_account: false,
            global_decryption_keys: true,
        }
    }
}

/// Cloud providers whose credentials a controller takes from its own workload identity
/// when the object names no service account (Flux 2.6 object-level workload identity).
/// `generic` (static credentials from `secretRef`) and `github` (a GitHub App secret) are not.
pub const CLOUD_PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

/// Whether `provider` makes the controller authenticate with a cloud identity.
pub fn is_cloud_provider(provider: Option<&str>) -> bool {
    provider.is_some_and(|p| CLOUD_PROVIDERS.contains(&p))
}

/// The rule shared by every policy that judges a kind with a cloud `provider` (one id, so
/// one declaration: each policy lists it among its rules).
pub const CLOUD_IDENTITY: Rule = Rule::deny(
    "identity/controller-cloud-identity",
    &[
        FluxKind::GitRepository.spec(),
        FluxKind::OciRepository.spec(),
        FluxKind::Bucket.spec(),
        FluxKind::ImageRepository.spec(),
        FluxKind::Provider.spec(),
    ],
    "A tenant object that authenticates with a cloud provider names its own \
     `serviceAccountName`, unless the controllers run with `--default-service-account`.",
    "a tenant source, image scan or notification reaching the platform's registries, \
     buckets and keys with the controller's own cloud identity (Flux 2.6+ object-level \
     workload identity falls back to it).",
    "controllerLockdown.defaultServiceAccount",
);

/// A finding of [`CLOUD_IDENTITY`] when a tenant object with a cloud `provider` (at `provider_field`)
/// names no service account (at `account_field`) and the lockdown does not cover it.
pub fn cloud_identity<P>(
    ctx: &Ctx<P>,
    provider: Option<&str>,
    provider_field: &str,
    account: Option<&str>,
    account_field: &str,
    controller: &str,
) -> Option<Finding> {
    let provider = provider.filter(|p| CLOUD_PROVIDERS.contains(p))?;
    if account.is_some_and(|a| !a.trim().is_empty())
        || ctx.identities.controller_lockdown.default_service_account
    {
        return None;
    }
    Some(CLOUD_IDENTITY.at(
        account_field,
        format!(
            "is missing while {provider_field} is {provider:?}, so {controller} authenticates \
             with its own {provider} identity, which can reach the platform's resources"
        ),
        format!(
            "set {account_field} to a service account of this namespace bound to the tenant's \
             own cloud identity, or declare controllerLockdown.defaultServiceAccount when \
             {controller} runs with --default-service-account"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::parse;
    use crate::test_support::{NoSettings, with_ctx};
    use serde_json::json;

    fn judge(lockdown: serde_json::Value, provider: Option<&str>, account: Option<&str>) -> bool {
        with_ctx(json!({"controllerLockdown": lockdown}), |ctx| {
            let finding = cloud_identity(
                ctx,
                provider,
                "spec.provider",
                account,
                "spec.serviceAccountName",
                "source-controller",
            );
            if let Some(f) = &finding {
                assert_eq!(f.field, "spec.serviceAccountName");
                assert!(f.problem.contains("its own"), "{}", f.problem);
            }
            finding.is_some()
        })
    }

    #[test]
    fn cloud_providers_need_an_account_unless_locked_down() {
        for provider in CLOUD_PROVIDERS {
            assert!(judge(json!({}), Some(provider), None));
            assert!(judge(json!({}), Some(provider), Some("  ")));
            assert!(!judge(json!({}), Some(provider), Some("team-a")));
            assert!(!judge(
                json!({"defaultServiceAccount": true}),
                Some(provider),
                None
            ));
        }
        for provider in [None, Some("generic"), Some("github"), Some("AWS")] {
            assert!(!judge(json!({}), provider, None), "{provider:?}");
        }
        assert!(is_cloud_provider(Some("gcp")) && !is_cloud_provider(Some("generic")));
        let e =
            parse::<NoSettings>(&json!({"controllerLockdown": {"defaultSA": true}})).unwrap_err();
        assert!(
            e.starts_with("settings.controllerLockdown.defaultSA: unknown field"),
            "{e}"
        );
    }
}

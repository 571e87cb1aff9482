//! `notification.toolkit.fluxcd.io`: Alert, Provider (v1beta1..v1beta3), Receiver (v1beta1..v1).
//!
//! One struct per kind reads every served version: a field a version lacks (Provider
//! `serviceAccountName` and `proxySecretRef` before v1beta3, Receiver `oidcProviders` before
//! v1) is simply `None`.

use crate::object::{CrossNamespaceObjectReference, LocalObjectReference, Resource};
use serde::Deserialize;

pub type Alert = Resource<AlertSpec>;
pub type Provider = Resource<ProviderSpec>;
pub type Receiver = Resource<ReceiverSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertSpec {
    /// Name only: notification-controller looks the Provider up in the Alert's namespace.
    pub provider_ref: Option<LocalObjectReference>,
    pub event_severity: Option<String>,
    /// An empty `namespace` means the Alert's own (notification-controller
    /// `eventMatchesAlertSources`).
    pub event_sources: Option<Vec<CrossNamespaceObjectReference>>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderSpec {
    #[serde(rename = "type")]
    pub provider_type: Option<String>,
    /// An inline address may embed a token; `secretRef` is the safe place for it. The
    /// Secret's `address` key replaces this field when present.
    pub address: Option<String>,
    pub channel: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Deprecated in v1beta3 in favour of `proxySecretRef`.
    pub proxy: Option<String>,
    /// v1beta3 (Flux 2.5+): a Secret with `address`, `username`, `password`.
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// v1beta3 (Flux 2.6+, object-level workload identity): the account whose cloud
    /// identity a cloud-backed Provider (azureeventhub, azuredevops, googlepubsub) uses.
    pub service_account_name: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ReceiverSpec {
    #[serde(rename = "type")]
    pub receiver_type: Option<String>,
    /// An empty `namespace` means the Receiver's own.
    pub resources: Option<Vec<CrossNamespaceObjectReference>>,
    pub secret_ref: Option<LocalObjectReference>,
    /// v1, `type: generic-oidc` (Flux 2.9): the issuers whose tokens authenticate requests.
    pub oidc_providers: Option<Vec<OidcProvider>>,
    pub suspend: Option<bool>,
}

/// One trusted issuer of a `generic-oidc` Receiver.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OidcProvider {
    #[serde(rename = "issuerURL")]
    pub issuer_url: Option<String>,
    pub audience: Option<String>,
    /// CEL expressions over `claims` and `vars`; all must hold.
    pub validations: Option<Vec<OidcExpression>>,
    /// Named CEL expressions exposed as `vars.<name>`.
    pub variables: Option<Vec<OidcExpression>>,
}

/// A validation (`expression`, `message`) or a variable (`name`, `expression`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct OidcExpression {
    pub name: Option<String>,
    pub expression: Option<String>,
    pub message: Option<String>,
}

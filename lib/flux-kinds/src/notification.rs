//! `notification.toolkit.fluxcd.io`: Alert, Provider (v1beta1..v1beta3), Receiver (v1beta1..v1).

use crate::object::{CrossNamespaceObjectReference, LocalObjectReference, Resource};
use serde::Deserialize;

pub type Alert = Resource<AlertSpec>;
pub type Provider = Resource<ProviderSpec>;
pub type Receiver = Resource<ReceiverSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertSpec {
    pub provider_ref: Option<LocalObjectReference>,
    pub event_severity: Option<String>,
    pub event_sources: Option<Vec<CrossNamespaceObjectReference>>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderSpec {
    #[serde(rename = "type")]
    pub provider_type: Option<String>,
    /// An inline address may embed a token; `secretRef` is the safe place for it.
    pub address: Option<String>,
    pub secret_ref: Option<LocalObjectReference>,
    pub cert_secret_ref: Option<LocalObjectReference>,
    pub proxy: Option<String>,
    pub suspend: Option<bool>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ReceiverSpec {
    #[serde(rename = "type")]
    pub receiver_type: Option<String>,
    pub resources: Option<Vec<CrossNamespaceObjectReference>>,
    pub secret_ref: Option<LocalObjectReference>,
    pub suspend: Option<bool>,
}

//! `fluxcd.controlplane.io/v1` (the Flux Operator): FluxInstance, ResourceSet,
//! ResourceSetInputProvider. Views hold only what the rules read; fields are learnt from the
//! operator's API documentation (its CRDs are AGPL-3.0 and are not part of this project).

use crate::object::Resource;
use serde::Deserialize;

pub type FluxInstance = Resource<FluxInstanceSpec>;
pub type ResourceSet = Resource<ResourceSetSpec>;
pub type ResourceSetInputProvider = Resource<ResourceSetInputProviderSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxInstanceSpec {}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSetSpec {
    pub service_account_name: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSetInputProviderSpec {
    pub url: Option<String>,
}

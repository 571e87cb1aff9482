//! Unit-test helpers of this crate: a check's [`Ctx`] built from shared settings alone.

use crate::flow::Ctx;
use crate::settings::parse;
use crate::{AdmissionRequest, NoCluster};
use fluxgate_rules::ObjectRef;
use serde::Deserialize;

/// A policy without settings of its own.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}
impl crate::PolicySettings for NoSettings {}

/// Calls `check` with a context whose shared settings are `settings` (JSON).
pub fn with_ctx<R>(settings: serde_json::Value, check: impl FnOnce(&Ctx<NoSettings>) -> R) -> R {
    let settings = parse::<NoSettings>(&settings).unwrap();
    let request = AdmissionRequest::default();
    let object = ObjectRef::default();
    let ctx = Ctx {
        request: &request,
        settings: &settings.policy,
        identities: &settings.identities,
        object: &object,
        api_version: "v1",
        cluster: &NoCluster,
        tenant: None,
    };
    check(&ctx)
}

//! The floor `fluxgate bench --floor` measures every policy against: what any honest
//! Kubewarden SDK policy pays on a request before its own rules. It reads the payload the
//! way the SDK's template does (`ValidationRequest::new`: the whole request, the object as a
//! JSON tree), decodes the typed part it judges (the object's name, namespace and labels),
//! makes one decision and answers through the SDK. It is not a
//! policy anyone should deploy: it refuses only objects labelled `fluxgate.dev/floor: deny`.

use kubewarden_policy_sdk::wapc_guest::prelude::*;
use kubewarden_policy_sdk::{
    accept_request, protocol_version_guest, reject_request, request::ValidationRequest,
    settings::Validatable, validate_settings,
};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Settings {}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The typed view: only what the decision reads (and what any message would name).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Object {
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings::<Settings>);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    let request = match ValidationRequest::<Settings>::new(payload) {
        Ok(request) => request,
        Err(e) => return reject_request(Some(e.to_string()), Some(400), None, None),
    };
    let object: Object = match serde_json::from_value(request.request.object) {
        Ok(object) => object,
        Err(e) => return reject_request(Some(format!("object: {e}")), Some(400), None, None),
    };
    let denied = object
        .metadata
        .labels
        .get("fluxgate.dev/floor")
        .is_some_and(|v| v == "deny");
    if denied {
        reject_request(
            Some("labelled fluxgate.dev/floor=deny".into()),
            None,
            None,
            None,
        )
    } else {
        accept_request()
    }
}

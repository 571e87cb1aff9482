//! The calls a host makes on a waPC policy instance and how their failures read, with no
//! engine: the native runtime (wasmtime) and the browser playground (the browser's
//! WebAssembly API) each implement [`Guest`] and get the same `validate`,
//! `fluxgate_explain` and `validate_settings` answers from here, down to the wording of a
//! trap's 500 (policy-evaluator's mapping, `kubewarden-contract.md` §2).

use crate::admission::{
    AdmissionRequest, AdmissionResponse, deadline_response, response_from_answer,
    settings_or_empty, validate_payload,
};
use crate::explain::{EXPLAIN_OPERATION, Explained};
use crate::sdk::SettingsValidationResponse;
use serde_json::Value;

/// The text wasmtime-provider puts in place of an epoch trap; policy-evaluator looks for it.
pub const DEADLINE_MESSAGE: &str = "guest code interrupted, execution deadline exceeded";

/// Errors of the waPC protocol, worded as the `wapc` crate words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WapcError {
    InitFailed(String),
    GuestCallNotFound,
    GuestCallFailure(String),
}

impl std::fmt::Display for WapcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WapcError::InitFailed(m) => write!(f, "Initialization failed: {m}"),
            WapcError::GuestCallNotFound => {
                f.write_str("Guest call function (__guest_call) not exported by wasm module.")
            }
            WapcError::GuestCallFailure(m) => write!(f, "Guest call failure: {m}"),
        }
    }
}

impl std::error::Error for WapcError {}

/// A live policy instance (`_start`/`wapc_init` already run) that takes waPC calls.
pub trait Guest {
    /// Invokes the waPC operation `op` with `payload` (the `WapcHost::call` sequence).
    fn call(&mut self, op: &str, payload: &[u8]) -> Result<Vec<u8>, WapcError>;
}

/// Per-call protocol buffers (wapc's `ModuleState`), the same in every host.
#[derive(Default)]
pub struct WapcState {
    pub invocation: Option<(Vec<u8>, Vec<u8>)>,
    pub guest_response: Option<Vec<u8>>,
    pub guest_error: Option<String>,
    pub host_response: Option<Vec<u8>>,
    pub host_error: Option<String>,
}

impl WapcState {
    /// Keeps a host capability's answer for the guest's `__host_response`/`__host_error`
    /// and returns what `__host_call` gives the guest: 1 for an answer, 0 for an error.
    pub fn host_answered(&mut self, outcome: Result<Vec<u8>, String>) -> i32 {
        self.host_response = None;
        self.host_error = None;
        match outcome {
            Ok(response) => {
                self.host_response = Some(response);
                1
            }
            Err(error) => {
                self.host_error = Some(error);
                0
            }
        }
    }
}

/// What a waPC guest call ended with, before the host words it.
pub enum CallOutcome {
    /// `__guest_call` returned this value.
    Returned(i32),
    /// The call trapped or a host function failed: the text the engine gives.
    Failed(String),
}

/// The `WapcHost::call` result for a finished `__guest_call` (wapc's `ModuleState`):
/// 1 means the guest set its response, anything else its error.
pub fn call_result(
    outcome: CallOutcome,
    guest_response: Option<Vec<u8>>,
    guest_error: Option<String>,
) -> Result<Vec<u8>, WapcError> {
    match outcome {
        CallOutcome::Returned(1) => guest_response.ok_or_else(|| {
            WapcError::GuestCallFailure("No error message OR response set for call success".into())
        }),
        CallOutcome::Returned(_) => Err(WapcError::GuestCallFailure(
            guest_error.unwrap_or_else(|| "No error message set for call failure".into()),
        )),
        CallOutcome::Failed(message) => Err(WapcError::GuestCallFailure(message)),
    }
}

/// `validate` on a fresh instance (`instance` is the outcome of making it), as
/// policy-server does for every request.
pub fn validate<G: Guest>(
    instance: Result<G, WapcError>,
    request: &AdmissionRequest,
    settings: &Value,
) -> AdmissionResponse {
    match instance {
        Ok(mut instance) => validate_on(&mut instance, request, settings),
        Err(e) => AdmissionResponse::reject_internal_server_error(&request.uid, e),
    }
}

/// `validate` on an existing instance.
pub fn validate_on<G: Guest>(
    instance: &mut G,
    request: &AdmissionRequest,
    settings: &Value,
) -> AdmissionResponse {
    let payload = match validate_payload(request, settings) {
        Ok(p) => p,
        Err(e) => return AdmissionResponse::reject_internal_server_error(&request.uid, e),
    };
    match instance.call("validate", &payload) {
        Ok(bytes) => response_from_answer(request, &bytes),
        Err(e) => failed_call(request, e),
    }
}

/// How a failed guest call answers, as policy-server maps it.
pub fn failed_call(request: &AdmissionRequest, e: WapcError) -> AdmissionResponse {
    match e {
        WapcError::GuestCallFailure(m) if m.contains(DEADLINE_MESSAGE) => {
            deadline_response(request)
        }
        e => AdmissionResponse::reject_internal_server_error(&request.uid, e),
    }
}

/// `fluxgate_explain` on a fresh instance from `instantiate`: the response `validate` gives,
/// and the findings behind it. A module without the operation (not a fluxgate policy) or a
/// failed call gives the response alone, exactly as `validate` would have answered.
pub fn explain<G: Guest>(
    mut instantiate: impl FnMut() -> Result<G, WapcError>,
    request: &AdmissionRequest,
    settings: &Value,
) -> Explained {
    let payload = match validate_payload(request, settings) {
        Ok(p) => p,
        Err(e) => {
            let response = AdmissionResponse::reject_internal_server_error(&request.uid, e);
            return Explained::response_only(response);
        }
    };
    let mut instance = match instantiate() {
        Ok(instance) => instance,
        Err(e) => {
            let response = AdmissionResponse::reject_internal_server_error(&request.uid, e);
            return Explained::response_only(response);
        }
    };
    match instance.call(EXPLAIN_OPERATION, &payload) {
        Ok(bytes) => Explained::from_answer(request, &bytes).unwrap_or_else(|e| {
            Explained::response_only(AdmissionResponse::reject_internal_server_error(
                &request.uid,
                e,
            ))
        }),
        Err(WapcError::GuestCallFailure(m)) if m.contains("No handler registered") => {
            Explained::response_only(validate(instantiate(), request, settings))
        }
        Err(e) => Explained::response_only(failed_call(request, e)),
    }
}

/// `validate_settings` on a fresh instance (the payload is the settings object alone; null
/// means `{}`).
pub fn validate_settings<G: Guest>(
    instance: Result<G, WapcError>,
    settings: &Value,
) -> SettingsValidationResponse {
    let payload = settings_or_empty(settings).to_string();
    let result = instance.and_then(|mut i| i.call("validate_settings", payload.as_bytes()));
    match result {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| SettingsValidationResponse {
                valid: false,
                message: Some(format!("error: {e:?}")),
            })
        }
        Err(err) => SettingsValidationResponse {
            valid: false,
            message: Some(format!(
                "Error invoking settings validation callback: {err:?}"
            )),
        },
    }
}

/// Calls `protocol_version` (empty payload) and returns the JSON string it answers.
pub fn protocol_version<G: Guest>(instance: Result<G, WapcError>) -> anyhow::Result<String> {
    let bytes = instance?.call("protocol_version", &[])?;
    serde_json::from_slice::<String>(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid protocol_version answer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_answer_replaces_the_previous_one() {
        let mut state = WapcState::default();
        assert_eq!(state.host_answered(Err("not found".into())), 0);
        assert_eq!(state.host_error.as_deref(), Some("not found"));
        assert_eq!(state.host_answered(Ok(b"{}".to_vec())), 1);
        assert_eq!(
            (state.host_response.as_deref(), state.host_error.as_deref()),
            (Some(&b"{}"[..]), None)
        );
    }
    use serde_json::json;

    /// A guest that answers every call from a script.
    struct Scripted(Vec<Result<Vec<u8>, WapcError>>);

    impl Guest for Scripted {
        fn call(&mut self, _op: &str, _payload: &[u8]) -> Result<Vec<u8>, WapcError> {
            self.0.remove(0)
        }
    }

    fn request() -> AdmissionRequest {
        AdmissionRequest::create(
            "u-1",
            &json!({"apiVersion": "v1", "kind": "ConfigMap"}),
            "a",
        )
    }

    #[test]
    fn failures_are_worded_as_policy_evaluator_words_them() {
        let trap = Err(WapcError::GuestCallFailure(
            "wasm trap: wasm `unreachable` instruction executed".into(),
        ));
        let r = validate(Ok(Scripted(vec![trap])), &request(), &Value::Null);
        assert_eq!(
            r.message(),
            Some(
                "internal server error: Guest call failure: wasm trap: wasm `unreachable` \
                 instruction executed"
            )
        );
        let late = Err(WapcError::GuestCallFailure(DEADLINE_MESSAGE.into()));
        let r = validate(Ok(Scripted(vec![late])), &request(), &Value::Null);
        assert_eq!(r.status.and_then(|s| s.code), Some(500));
        let s = validate_settings(Err::<Scripted, _>(WapcError::GuestCallNotFound), &json!({}));
        assert_eq!(
            s.message.as_deref(),
            Some("Error invoking settings validation callback: GuestCallNotFound")
        );
        assert_eq!(
            call_result(CallOutcome::Returned(0), None, None),
            Err(WapcError::GuestCallFailure(
                "No error message set for call failure".into()
            ))
        );
    }

    #[test]
    fn explain_falls_back_to_validate_for_other_modules() {
        let accepted = br#"{"accepted":true}"#.to_vec();
        let mut made = 0;
        let e = explain(
            || {
                made += 1;
                Ok(Scripted(vec![if made == 1 {
                    Err(WapcError::GuestCallFailure(
                        "No handler registered for function fluxgate_explain".into(),
                    ))
                } else {
                    Ok(accepted.clone())
                }]))
            },
            &request(),
            &Value::Null,
        );
        assert!(e.response.allowed && e.findings.is_empty());
        assert_eq!(made, 2);
    }
}

//! A compiled policy and the three calls a host makes on it, each on a fresh instance as
//! policy-server does: `validate`, `validate_settings`, `protocol_version`, plus
//! `fluxgate_explain` for tools that want the findings.

use crate::capabilities::EvaluationContext;
use crate::runtime::{CompiledModule, DEADLINE_MESSAGE, Instance, Runtime, WapcError};
use fluxgate_protocol::admission::{
    AdmissionRequest, AdmissionResponse, deadline_response, response_from_answer,
    settings_or_empty, validate_payload,
};
use fluxgate_protocol::explain::{EXPLAIN_OPERATION, Explained};
use fluxgate_protocol::metadata::Metadata;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// A compiled policy plus what the host knows about it.
pub struct Policy {
    pub id: String,
    pub module: CompiledModule,
    pub metadata: Option<Metadata>,
    pub wasm_size: usize,
}

/// A module file's bytes and the policy id its name gives (`source_origin.wasm` → `source-origin`).
fn read_module(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let wasm = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("cannot read policy module {}: {e}", path.display()))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace('_', "-"))
        .unwrap_or_else(|| "policy".into());
    Ok((id, wasm))
}

impl Policy {
    pub fn load(runtime: &Runtime, path: &Path) -> anyhow::Result<Self> {
        let (id, wasm) = read_module(path)?;
        Self::from_bytes(runtime, id, &wasm)
            .map_err(|e| anyhow::anyhow!("cannot load policy module {}: {e}", path.display()))
    }

    /// Loads a module, its machine code cached in `cache_dir` across runs.
    pub fn load_cached(runtime: &Runtime, path: &Path, cache_dir: &Path) -> anyhow::Result<Self> {
        let (id, wasm) = read_module(path)?;
        Ok(Policy {
            id,
            metadata: Metadata::from_module(&wasm)?,
            module: runtime.compile_cached(&wasm, cache_dir)?,
            wasm_size: wasm.len(),
        })
    }

    pub fn from_bytes(runtime: &Runtime, id: String, wasm: &[u8]) -> anyhow::Result<Self> {
        let metadata = Metadata::from_module(wasm)?;
        let module = runtime.compile(wasm)?;
        Ok(Policy {
            id,
            module,
            metadata,
            wasm_size: wasm.len(),
        })
    }
}

/// Runs `validate` on a fresh instance, as policy-server does for every request.
pub fn validate(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
    request: &AdmissionRequest,
    settings: &Value,
) -> AdmissionResponse {
    match runtime.instantiate(&policy.module, ctx) {
        Ok(mut instance) => validate_on(&mut instance, request, settings),
        Err(e) => AdmissionResponse::reject_internal_server_error(&request.uid, e),
    }
}

/// Runs `validate` on an existing instance.
pub fn validate_on(
    instance: &mut Instance,
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
fn failed_call(request: &AdmissionRequest, e: WapcError) -> AdmissionResponse {
    match e {
        WapcError::GuestCallFailure(m) if m.contains(DEADLINE_MESSAGE) => {
            deadline_response(request)
        }
        e => AdmissionResponse::reject_internal_server_error(&request.uid, e),
    }
}

/// Runs `fluxgate_explain` on a fresh instance: the response `validate` gives, and the
/// findings behind it. A module without the operation (not a fluxgate policy) or a failed
/// call gives the response alone, exactly as `validate` would have answered.
pub fn explain(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
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
    let mut instance = match runtime.instantiate(&policy.module, ctx.clone()) {
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
            Explained::response_only(validate(runtime, policy, ctx, request, settings))
        }
        Err(e) => Explained::response_only(failed_call(request, e)),
    }
}

/// Runs `validate_settings` (the payload is the settings object alone; null means `{}`).
pub fn validate_settings(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
    settings: &Value,
) -> SettingsValidationResponse {
    let payload = settings_or_empty(settings).to_string();
    let result = runtime
        .instantiate(&policy.module, ctx)
        .and_then(|mut i| i.call("validate_settings", payload.as_bytes()));
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
pub fn protocol_version(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
) -> anyhow::Result<String> {
    let mut instance = runtime.instantiate(&policy.module, ctx)?;
    let bytes = instance.call("protocol_version", &[])?;
    serde_json::from_slice::<String>(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid protocol_version answer: {e}"))
}

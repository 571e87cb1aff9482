//! A compiled policy and the three calls a host makes on it, each on a fresh instance as
//! policy-server does: `validate`, `validate_settings`, `protocol_version`, plus
//! `fluxgate_explain` for tools that want the findings. How each call is made and its
//! failures worded is [`fluxgate_protocol::wapc`], shared with the browser playground.

use crate::capabilities::EvaluationContext;
use crate::runtime::{CompiledModule, Instance, Runtime};
use fluxgate_protocol::admission::{AdmissionRequest, AdmissionResponse};
use fluxgate_protocol::explain::Explained;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_protocol::wapc;
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
    wapc::validate(runtime.instantiate(&policy.module, ctx), request, settings)
}

/// Runs `validate` on an existing instance.
pub fn validate_on(
    instance: &mut Instance,
    request: &AdmissionRequest,
    settings: &Value,
) -> AdmissionResponse {
    wapc::validate_on(instance, request, settings)
}

/// Runs `fluxgate_explain` on a fresh instance: the response `validate` gives, and the
/// findings behind it (see [`wapc::explain`]).
pub fn explain(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
    request: &AdmissionRequest,
    settings: &Value,
) -> Explained {
    wapc::explain(
        || runtime.instantiate(&policy.module, ctx.clone()),
        request,
        settings,
    )
}

/// Runs `validate_settings` (the payload is the settings object alone; null means `{}`).
pub fn validate_settings(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
    settings: &Value,
) -> SettingsValidationResponse {
    wapc::validate_settings(runtime.instantiate(&policy.module, ctx), settings)
}

/// Calls `protocol_version` (empty payload) and returns the JSON string it answers.
pub fn protocol_version(
    runtime: &Runtime,
    policy: &Policy,
    ctx: Arc<EvaluationContext>,
) -> anyhow::Result<String> {
    wapc::protocol_version(runtime.instantiate(&policy.module, ctx))
}

//! The policy-evaluator layer: AdmissionRequest in, AdmissionResponse out, with the same
//! payloads, post-processing and error mapping as Kubewarden (`kubewarden-contract.md` §2).

use crate::capabilities::EvaluationContext;
use crate::metadata::Metadata;
use crate::runtime::{CompiledModule, DEADLINE_MESSAGE, Instance, Runtime, WapcError};
use base64::Engine as _;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Kubernetes `admission/v1` AdmissionRequest, serialized as policy-evaluator does:
/// camelCase, optional fields left out when absent.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub operation: String,
    pub user_info: UserInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    pub version: String,
    pub resource: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<HashMap<String, Vec<String>>>,
}

impl AdmissionRequest {
    /// Reads an AdmissionReview (its `request` is used) or a bare AdmissionRequest, as JSON
    /// or YAML, like `kwctl run -r`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(json_err) => serde_yaml::from_str(text).map_err(|yaml_err| {
                anyhow::anyhow!("not valid JSON ({json_err}) nor YAML ({yaml_err})")
            })?,
        };
        if value.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
            value = value
                .get_mut("request")
                .map(Value::take)
                .ok_or_else(|| anyhow::anyhow!("the AdmissionReview has no `request`"))?;
        }
        serde_path_to_error_like(value)
    }
}

fn serde_path_to_error_like(value: Value) -> anyhow::Result<AdmissionRequest> {
    serde_json::from_value(value).map_err(|e| anyhow::anyhow!("not a valid AdmissionRequest: {e}"))
}

/// Kubernetes `admission/v1` AdmissionResponse, as `kwctl run` prints it.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionResponseStatus>,
    pub audit_annotations: Option<HashMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionResponseStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

impl AdmissionResponse {
    pub fn reject(uid: &str, message: String, code: u16) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some(message),
                code: Some(code),
            }),
            ..Default::default()
        }
    }

    pub fn reject_internal_server_error(uid: &str, message: impl std::fmt::Display) -> Self {
        Self::reject(uid, format!("internal server error: {message}"), 500)
    }

    /// The message a user sees, if any.
    pub fn message(&self) -> Option<&str> {
        self.status.as_ref()?.message.as_deref()
    }

    /// Builds the response from the policy's answer (`from_policy_validation_response`).
    pub fn from_policy(uid: &str, object: Option<&Value>, answer: &ValidationResponse) -> Self {
        let patch = match (&answer.mutated_object, object) {
            (Some(_), None) => {
                return AdmissionResponse {
                    uid: uid.to_string(),
                    allowed: false,
                    status: Some(AdmissionResponseStatus {
                        message: Some(
                            "Incoming object is null, which happens only with DELETE operations, \
                             but the policy is attempting a mutation. This is not allowed"
                                .into(),
                        ),
                        code: None,
                    }),
                    ..Default::default()
                };
            }
            (Some(mutated), Some(original)) => {
                let diff = json_patch::diff(original, mutated);
                (!diff.0.is_empty()).then(|| {
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::to_string(&diff).unwrap_or_default())
                })
            }
            (None, _) => None,
        };
        let status =
            (answer.message.is_some() || answer.code.is_some()).then(|| AdmissionResponseStatus {
                message: answer.message.clone(),
                code: answer.code,
            });
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: answer.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_string()),
            patch,
            status,
            audit_annotations: answer.audit_annotations.clone(),
            warnings: answer.warnings.clone(),
        }
    }
}

/// A compiled policy plus what the host knows about it.
pub struct Policy {
    pub id: String,
    pub module: CompiledModule,
    pub metadata: Option<Metadata>,
    pub wasm_size: usize,
}

impl Policy {
    pub fn load(runtime: &Runtime, path: &Path) -> anyhow::Result<Self> {
        let wasm = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read policy module {}: {e}", path.display()))?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', "-"))
            .unwrap_or_else(|| "policy".into());
        Self::from_bytes(runtime, id, &wasm)
            .map_err(|e| anyhow::anyhow!("cannot load policy module {}: {e}", path.display()))
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

/// The `validate` payload, serialized straight from borrowed parts.
#[derive(Serialize)]
struct ValidatePayload<'a> {
    request: &'a AdmissionRequest,
    settings: &'a Value,
}

/// Settings as policy-server passes them: absent (null) settings are `{}`.
fn settings_or_empty(settings: &Value) -> &Value {
    static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| json!({}));
    if settings.is_null() { &EMPTY } else { settings }
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
    let payload = ValidatePayload {
        request,
        settings: settings_or_empty(settings),
    };
    let payload = match serde_json::to_vec(&payload) {
        Ok(p) => p,
        Err(e) => return AdmissionResponse::reject_internal_server_error(&request.uid, e),
    };
    match instance.call("validate", &payload) {
        Ok(bytes) => match serde_json::from_slice::<ValidationResponse>(&bytes) {
            Ok(answer) => {
                AdmissionResponse::from_policy(&request.uid, request.object.as_ref(), &answer)
            }
            Err(e) => AdmissionResponse::reject_internal_server_error(
                &request.uid,
                format!("cannot deserialize policy response: {e}"),
            ),
        },
        Err(WapcError::GuestCallFailure(m)) if m.contains(DEADLINE_MESSAGE) => {
            AdmissionResponse::reject(
                &request.uid,
                "Policy execution interrupted because it exceeded the allowed execution time"
                    .into(),
                500,
            )
        }
        Err(e) => AdmissionResponse::reject_internal_server_error(&request.uid, e),
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

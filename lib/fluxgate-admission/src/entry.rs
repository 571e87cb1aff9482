//! waPC operation bodies shared by every policy (wired up by [`crate::export_policy!`]).
//! They never return a guest error: every failure becomes a clear response.
//!
//! * `validate`: what Kubewarden calls; the SDK's `ValidationResponse`.
//! * `validate_settings`: `{"valid", "message"}`.
//! * `fluxgate_explain`: the same payload as `validate`, answered with
//!   `{"policy", "response": <exactly what validate answers>, "findings": [...]}` for tools
//!   outside the cluster (`fluxgate explain`, the scanner, the playground). Kubewarden never
//!   calls it, so what the cluster sees is unchanged.

use crate::cluster::Cluster;
use crate::flow::{self, INVALID_SETTINGS, Policy, UNREADABLE_REQUEST};
use crate::request::ValidatePayload;
use crate::settings::{self, PolicySettings};
use fluxgate_rules::{Finding, ObjectRef, Verdict};
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde::Serialize;

/// The waPC operation that returns findings next to the response.
pub const EXPLAIN_OPERATION: &str = "fluxgate_explain";

/// The `validate` operation: payload in, serialized `ValidationResponse` out.
pub fn validate<P: PolicySettings>(
    policy: &Policy<P>,
    payload: &[u8],
    cluster: &dyn Cluster,
) -> Vec<u8> {
    crate::wire::response_json(&response(&judge(policy, payload, cluster)))
}

/// The `fluxgate_explain` operation.
pub fn explain<P: PolicySettings>(
    policy: &Policy<P>,
    payload: &[u8],
    cluster: &dyn Cluster,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Explained<'a> {
        policy: &'a str,
        response: ValidationResponse,
        findings: &'a [Finding],
    }
    let verdict = judge(policy, payload, cluster);
    serde_json::to_vec(&Explained {
        policy: policy.name,
        response: response(&verdict),
        findings: &verdict.findings,
    })
    .unwrap_or_default()
}

/// The verdict on one `validate` payload.
pub fn judge<P: PolicySettings>(
    policy: &Policy<P>,
    payload: &[u8],
    cluster: &dyn Cluster,
) -> Verdict {
    let p = match ValidatePayload::parse(payload) {
        Ok(p) => p,
        Err(e) => {
            let finding = UNREADABLE_REQUEST.at(
                "request",
                format!("cannot read the admission request: {e}"),
                "send a Kubernetes AdmissionRequest",
            );
            return Verdict::failed(ObjectRef::default(), finding, 400);
        }
    };
    match settings::parse_cached::<P>(p.settings.as_deref()) {
        Ok(s) => flow::review(policy, &p.request, &s, cluster),
        Err(e) => {
            let finding = INVALID_SETTINGS.at(
                "settings",
                format!("invalid policy settings: {e}"),
                "correct the policy's settings",
            );
            Verdict::failed(ObjectRef::default(), finding, 500)
        }
    }
}

/// The `validate_settings` operation. Malformed settings give `valid: false` naming the
/// setting, not a guest error.
pub fn validate_settings<P: PolicySettings>(payload: &[u8]) -> Vec<u8> {
    let response = match settings::parse_bytes::<P>(payload) {
        Ok(_) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(e) => SettingsValidationResponse {
            valid: false,
            message: Some(e),
        },
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

/// A verdict in the SDK's snake_case `ValidationResponse` shape: the message and warnings
/// are rendered from the findings here, at the edge.
pub fn response(verdict: &Verdict) -> ValidationResponse {
    let warnings = verdict.warnings();
    ValidationResponse {
        accepted: verdict.is_accepted(),
        message: verdict.message(),
        code: if verdict.is_accepted() {
            None
        } else {
            verdict.code
        },
        mutated_object: None,
        audit_annotations: None,
        warnings: (!warnings.is_empty()).then_some(warnings),
    }
}

//! waPC operation bodies shared by every policy (wired up by [`crate::export_policy!`]).
//! They never return a guest error: every failure becomes a clear response.

use crate::cluster::{Cluster, HostCluster};
use crate::request::{AdmissionRequest, ValidatePayload};
use crate::settings::{self, PolicySettings};
use crate::verdict::Verdict;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;

/// The `validate` operation: payload in, serialized `ValidationResponse` out.
pub fn validate<S: PolicySettings>(
    payload: &[u8],
    rule: fn(&AdmissionRequest, &S) -> Verdict,
) -> Vec<u8> {
    response_bytes(judge(payload, |request, settings: &S| {
        rule(request, settings)
    }))
}

/// The `validate` operation of a context-aware policy: the rule also gets the cluster,
/// served by Kubewarden's `kubernetes/*` host capabilities.
pub fn validate_in_cluster<S: PolicySettings>(
    payload: &[u8],
    rule: fn(&AdmissionRequest, &S, &dyn Cluster) -> Verdict,
) -> Vec<u8> {
    response_bytes(judge(payload, |request, settings: &S| {
        rule(request, settings, &HostCluster)
    }))
}

fn judge<S: PolicySettings>(
    payload: &[u8],
    rule: impl FnOnce(&AdmissionRequest, &S) -> Verdict,
) -> Verdict {
    match ValidatePayload::parse(payload) {
        Err(e) => Verdict::reject(format!("cannot read the admission request: {e}"), Some(400)),
        Ok(p) => match settings::parse::<S>(&p.settings) {
            Err(e) => Verdict::reject(format!("invalid policy settings: {e}"), Some(500)),
            Ok(s) => rule(&p.request, &s),
        },
    }
}

/// The `validate_settings` operation. Malformed settings give `valid: false` naming the
/// setting, not a guest error.
pub fn validate_settings<S: PolicySettings>(payload: &[u8]) -> Vec<u8> {
    let response = match settings::parse_bytes::<S>(payload) {
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

/// Serializes a verdict in the SDK's snake_case `ValidationResponse` shape.
pub fn response_bytes(verdict: Verdict) -> Vec<u8> {
    let response = match verdict {
        Verdict::Accept { warnings } => ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: None,
            audit_annotations: None,
            warnings: (!warnings.is_empty()).then_some(warnings),
        },
        Verdict::Reject { message, code } => ValidationResponse {
            accepted: false,
            message: Some(message),
            code,
            mutated_object: None,
            audit_annotations: None,
            warnings: None,
        },
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

//! The `fluxgate_explain` operation's answer, as tools outside the cluster read it.
//!
//! A fluxgate module registers `fluxgate_explain` next to `validate`: same payload, answered
//! with `{"policy", "response", "findings"}` where `response` is exactly what `validate`
//! answers. Kubewarden never calls it, so the cluster's view is unchanged.

use crate::admission::{AdmissionRequest, AdmissionResponse, response_from_answer};
use fluxgate_rules::{Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The waPC operation name (the guest side is `fluxgate_admission::entry::EXPLAIN_OPERATION`).
pub const EXPLAIN_OPERATION: &str = "fluxgate_explain";

/// One finding with the policy that reported it, as `fluxgate explain` prints it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PolicyFinding {
    pub policy: String,
    pub rule: String,
    pub severity: Severity,
    pub field: String,
    pub problem: String,
    pub fix: String,
}

/// `fluxgate explain`'s output: the AdmissionResponse `fluxgate run` prints, and the findings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Explained {
    pub response: AdmissionResponse,
    pub findings: Vec<PolicyFinding>,
}

#[derive(Deserialize)]
struct Answer {
    policy: String,
    response: Value,
    findings: Vec<Finding>,
}

impl Explained {
    /// Reads a module's `fluxgate_explain` answer. The response goes through the same mapping
    /// as a `validate` answer, so it is byte for byte what `fluxgate run` prints.
    pub fn from_answer(request: &AdmissionRequest, bytes: &[u8]) -> Result<Self, String> {
        let answer: Answer = serde_json::from_slice(bytes)
            .map_err(|e| format!("cannot read the policy's {EXPLAIN_OPERATION} answer: {e}"))?;
        let response_bytes = serde_json::to_vec(&answer.response).map_err(|e| e.to_string())?;
        let findings = answer
            .findings
            .into_iter()
            .map(|f| PolicyFinding {
                policy: answer.policy.clone(),
                rule: f.rule.into_owned(),
                severity: f.severity,
                field: f.field,
                problem: f.problem,
                fix: f.fix,
            })
            .collect();
        Ok(Explained {
            response: response_from_answer(request, &response_bytes),
            findings,
        })
    }

    /// When the module has no findings to give (a trap, a timeout, a module that is not a
    /// fluxgate policy): the response alone.
    pub fn response_only(response: AdmissionResponse) -> Self {
        Explained {
            response,
            findings: Vec::new(),
        }
    }
}

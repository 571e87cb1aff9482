use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Whether a finding denies the request or only warns (a Kubernetes admission warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Deny,
    Warn,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
        }
    }
}

/// One thing a rule found in one object. Serialised as
/// `{"rule", "severity", "field", "problem", "fix"}` by the `fluxgate_explain` operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id (`gcv/verify-missing`).
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    /// Field path in the object, e.g. `spec.verify.mode`.
    pub field: String,
    /// What is wrong, including the offending value where there is one.
    pub problem: String,
    /// What to change to comply.
    pub fix: String,
}

impl Finding {
    pub fn denies(&self) -> bool {
        self.severity == Severity::Deny
    }
}

/// `field: problem; fix: fix [rule]`: how a finding reads in an admission message.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; fix: {} [{}]",
            self.field, self.problem, self.fix, self.rule
        )
    }
}

//! The admission request a policy receives (Kubewarden's `validate` payload).

use serde::Deserialize;
use std::fmt;

/// The Kubernetes AdmissionRequest, as the Kubewarden SDK defines it: every field has a
/// default and both camelCase and snake_case keys are accepted.
pub use kubewarden_policy_sdk::request::KubernetesAdmissionRequest as AdmissionRequest;
pub use kubewarden_policy_sdk::request::UserInfo;

/// The `validate` payload: `{"request": AdmissionRequest, "settings": {...}}`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct ValidatePayload {
    pub request: AdmissionRequest,
    pub settings: serde_json::Value,
}

impl ValidatePayload {
    /// Parses the payload, naming the offending field on error
    /// (`request.operation: invalid type: integer ...`).
    pub fn parse(payload: &[u8]) -> Result<Self, String> {
        let mut de = serde_json::Deserializer::from_slice(payload);
        serde_path_to_error::deserialize(&mut de).map_err(|e| describe_path_error(&e))
    }
}

/// `path: message`, or just the message when the error is at the root.
pub(crate) fn describe_path_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
    Unknown,
}

impl Operation {
    pub fn of(request: &AdmissionRequest) -> Self {
        match request.operation.as_str() {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            _ => Operation::Unknown,
        }
    }

    /// Operations that write an object a policy should judge.
    pub fn writes(self) -> bool {
        matches!(self, Operation::Create | Operation::Update)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
            Operation::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_camel_case_request() {
        let p = ValidatePayload::parse(
            br#"{"request":{"uid":"1","operation":"UPDATE","userInfo":{"username":"u"},
                 "oldObject":{"a":1}},"settings":{"x":true}}"#,
        )
        .unwrap();
        assert_eq!(Operation::of(&p.request), Operation::Update);
        assert_eq!(p.request.user_info.username, "u");
        assert_eq!(p.request.old_object["a"], 1);
        assert_eq!(p.settings["x"], true);
    }

    #[test]
    fn parse_errors_name_the_field() {
        let e = ValidatePayload::parse(br#"{"request":{"operation":7}}"#).unwrap_err();
        assert!(e.starts_with("request.operation: invalid type"), "{e}");
        assert!(ValidatePayload::parse(b"not json").is_err());
    }
}

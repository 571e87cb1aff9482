//! The admission request a policy receives (Kubewarden's `validate` payload).

use serde::Deserialize;
use serde_json::Value;
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
    pub settings: Value,
}

impl ValidatePayload {
    /// Parses the payload, naming the offending field on error
    /// (`request.operation: invalid type: integer ...`).
    pub fn parse(payload: &[u8]) -> Result<Self, String> {
        // Plain serde on the way in: path tracking would cost a `String` per key on every
        // request. Only a payload that fails is walked again to name the field.
        serde_json::from_slice(payload).map_err(|e| match serde_json::from_slice(payload) {
            Ok(value) => misplaced(&value).unwrap_or_else(|| e.to_string()),
            Err(_) => e.to_string(),
        })
    }
}

/// What a field of the payload must hold (the SDK request's field types).
#[derive(Clone, Copy)]
enum Shape {
    Any,
    Str,
    Bool,
    Map(&'static [(&'static str, Shape)]),
    StrList,
    AnyMap,
}

const GVK: Shape = Shape::Map(&[
    ("group", Shape::Str),
    ("version", Shape::Str),
    ("kind", Shape::Str),
]);
const USER_INFO: Shape = Shape::Map(&[
    ("username", Shape::Str),
    ("uid", Shape::Str),
    ("groups", Shape::StrList),
    ("extra", Shape::AnyMap),
]);
/// `AdmissionRequest`'s fields under both spellings serde accepts.
const REQUEST: Shape = Shape::Map(&[
    ("uid", Shape::Str),
    ("kind", GVK),
    ("resource", GVK),
    ("sub_resource", Shape::Str),
    ("subResource", Shape::Str),
    ("request_kind", GVK),
    ("requestKind", GVK),
    ("request_resource", GVK),
    ("requestResource", GVK),
    ("request_sub_resource", Shape::Str),
    ("requestSubResource", Shape::Str),
    ("name", Shape::Str),
    ("namespace", Shape::Str),
    ("operation", Shape::Str),
    ("user_info", USER_INFO),
    ("userInfo", USER_INFO),
    ("object", Shape::Any),
    ("old_object", Shape::Any),
    ("oldObject", Shape::Any),
    ("dry_run", Shape::Bool),
    ("dryRun", Shape::Bool),
    ("options", Shape::AnyMap),
]);
const PAYLOAD: Shape = Shape::Map(&[("request", REQUEST), ("settings", Shape::Any)]);

/// `path: invalid type: ...` for the first field of `value` whose JSON type the request
/// types refuse, in serde's wording; `None` when every field has its type.
fn misplaced(value: &Value) -> Option<String> {
    fn walk(value: &Value, shape: Shape, path: &str) -> Option<String> {
        let (ok, expected) = match shape {
            Shape::Any => return None,
            Shape::Str => (value.is_string(), "a string"),
            Shape::Bool => (value.is_boolean(), "a boolean"),
            Shape::StrList => (value.is_array(), "a sequence"),
            Shape::AnyMap | Shape::Map(_) => (value.is_object(), "a map"),
        };
        let at = |p: &str| {
            if p.is_empty() {
                String::new()
            } else {
                format!("{p}: ")
            }
        };
        if !ok {
            return Some(format!(
                "{}invalid type: {}, expected {expected}",
                at(path),
                unexpected(value)
            ));
        }
        match (shape, value) {
            (Shape::StrList, Value::Array(items)) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, Shape::Str, &format!("{path}[{i}]"))),
            (Shape::Map(fields), Value::Object(map)) => fields.iter().find_map(|(key, shape)| {
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                walk(map.get(*key)?, *shape, &child)
            }),
            _ => None,
        }
    }
    walk(value, PAYLOAD, "")
}

/// A JSON value as serde's `Unexpected` names it.
fn unexpected(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
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

    #[test]
    fn every_wrongly_typed_field_is_named() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"request":{"userInfo":{"groups":["a",1]}}}"#,
                "request.userInfo.groups[1]: invalid type: integer `1`, expected a string",
            ),
            (
                r#"{"request":{"user_info":{"username":null}}}"#,
                "request.user_info.username: invalid type: null, expected a string",
            ),
            (
                r#"{"request":{"kind":{"kind":["x"]}}}"#,
                "request.kind.kind: invalid type: sequence, expected a string",
            ),
            (
                r#"{"request":{"dryRun":"yes"}}"#,
                "request.dryRun: invalid type: string \"yes\", expected a boolean",
            ),
            (
                r#"{"request":{"options":[1.5]}}"#,
                "request.options: invalid type: sequence, expected a map",
            ),
            (
                r#"{"request":7}"#,
                "request: invalid type: integer `7`, expected a map",
            ),
            (r#"[1]"#, "invalid type: sequence, expected a map"),
        ];
        for (payload, want) in cases {
            let e = ValidatePayload::parse(payload.as_bytes()).unwrap_err();
            assert_eq!(&e, want, "{payload}");
        }
        // What serde refuses for another reason keeps serde's message.
        let e =
            ValidatePayload::parse(br#"{"request":{"dryRun":true,"dry_run":true}}"#).unwrap_err();
        assert!(e.contains("duplicate field"), "{e}");
        // Objects are read as they come, whatever their content.
        let p = ValidatePayload::parse(
            br#"{"request":{"object":{"a":[null,{"b":1}]},"oldObject":"x"}}"#,
        )
        .unwrap();
        assert_eq!(p.request.object["a"][1]["b"], 1);
        assert_eq!(p.request.old_object, "x");
    }
}

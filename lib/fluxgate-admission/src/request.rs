//! The admission request a policy receives (Kubewarden's `validate` payload).
//!
//! The request is read once, into owned fields for what the flow and the rules read of it,
//! while `object`, `oldObject` and `settings` stay JSON text ([`RawValue`]): scanned, never
//! built into a `serde_json::Value` tree. [`crate::flow`] decodes from that text only the
//! views it needs (the object's kind and name, the judged fields of an UPDATE, the typed
//! object of a judged kind), so a 3 MiB object of a kind the policy does not judge costs a
//! scan, not a tree of 100,000 map entries.

use serde::Deserialize;
use serde::de::{self, IgnoredAny};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

pub use kubewarden_policy_sdk::request::{GroupVersionKind, GroupVersionResource, UserInfo};

/// The Kubernetes AdmissionRequest with the Kubewarden SDK's fields, types and spellings
/// (every field has a default; camelCase and snake_case keys are both accepted, and a key
/// given in both is refused, as the SDK's request refuses it), so a payload the SDK refuses
/// is refused here with the same message.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(alias = "subResource")]
    pub sub_resource: String,
    #[serde(alias = "requestKind")]
    pub request_kind: GroupVersionKind,
    #[serde(alias = "requestResource")]
    pub request_resource: GroupVersionKind,
    #[serde(alias = "requestSubResource")]
    pub request_sub_resource: String,
    pub name: String,
    pub namespace: String,
    pub operation: String,
    #[serde(alias = "userInfo")]
    pub user_info: UserInfo,
    /// The object's JSON text; `None` for an absent or `null` object.
    pub object: Option<Box<RawValue>>,
    #[serde(alias = "oldObject")]
    pub old_object: Option<Box<RawValue>>,
    #[serde(alias = "dryRun")]
    pub dry_run: bool,
    /// Checked to be a map (as the SDK's `HashMap` is) and otherwise skipped.
    pub options: AnyMap,
}

/// A JSON map whose content is skipped.
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyMap;

impl<'de> Deserialize<'de> for AnyMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Skip;
        impl<'de> de::Visitor<'de> for Skip {
            type Value = AnyMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<AnyMap, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyMap)
            }
        }
        d.deserialize_map(Skip)
    }
}

/// The `validate` payload: `{"request": AdmissionRequest, "settings": {...}}`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct ValidatePayload {
    pub request: AdmissionRequest,
    /// The settings' JSON text (`None`: no settings, the defaults).
    pub settings: Option<Box<RawValue>>,
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

/// The values of `keys` in the JSON map `raw` (the last one, where a key repeats, as
/// `serde_json::Value` keeps it), each as JSON text; `None` when `raw` is not a map.
/// Nothing is allocated: the other entries are skipped.
pub fn fields<'a, const N: usize>(
    raw: &'a RawValue,
    keys: [&str; N],
) -> Option<[Option<&'a RawValue>; N]> {
    struct Pick<'k, const N: usize>([&'k str; N]);
    impl<'de, const N: usize> de::Visitor<'de> for Pick<'_, N> {
        type Value = [Option<&'de RawValue>; N];
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = [None; N];
            while let Some(at) = map.next_key_seed(KeyIndex(&self.0))? {
                match at {
                    Some(i) => found[i] = Some(map.next_value()?),
                    None => map.next_value::<IgnoredAny>().map(drop)?,
                }
            }
            Ok(found)
        }
    }
    /// Which of the keys a map key is, compared without copying it.
    struct KeyIndex<'k, 'l, const N: usize>(&'l [&'k str; N]);
    impl<'de, const N: usize> de::DeserializeSeed<'de> for KeyIndex<'_, '_, N> {
        type Value = Option<usize>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl<'de, const N: usize> de::Visitor<'de> for KeyIndex<'_, '_, N> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
            Ok(self.0.iter().position(|k| *k == key))
        }
    }
    if !is_map(raw) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(raw.get().as_bytes());
    de::Deserializer::deserialize_map(&mut de, Pick(keys)).ok()
}

/// The value at `keys` (map keys, outermost first) in the JSON text `raw`, as [`fields`]
/// picks each one; `None` when a step is missing or not a map.
pub fn at<'a, 'k>(
    raw: &'a RawValue,
    keys: impl IntoIterator<Item = &'k str>,
) -> Option<&'a RawValue> {
    keys.into_iter()
        .try_fold(raw, |v, key| fields(v, [key])?[0])
}

/// Whether the JSON text is a map (a `RawValue` starts at its value's first byte).
pub fn is_map(raw: &RawValue) -> bool {
    raw.get().starts_with('{')
}

/// A JSON value's type, as messages name it, from its text.
pub fn json_type(raw: Option<&RawValue>) -> &'static str {
    match raw.and_then(|r| r.get().bytes().next()) {
        None | Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        Some(_) => "a number",
    }
}

/// Decodes `T` from JSON text, tracking the field path for the error.
pub fn decode<T: de::DeserializeOwned>(raw: &RawValue) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(raw.get().as_bytes());
    serde_path_to_error::deserialize(&mut de).map_err(|e| DecodeError {
        path: e.path().to_string(),
        message: without_position(e.inner()),
    })
}

/// A decode failure at a field path (`spec.verify.mode`; `.` for the root).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

/// serde_json's message without the position it appends to errors from text
/// (` at line 1 column 57`): a finding names the field path instead, which says more and
/// does not change with the object's formatting.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if e.line() == 0 {
        return text;
    }
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_string(),
        None => text,
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
        assert_eq!(p.request.old_object.unwrap().get(), r#"{"a":1}"#);
        assert_eq!(p.settings.unwrap().get(), r#"{"x":true}"#);
    }

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn fields_are_picked_from_the_text() {
        let object = raw(r#"{"kind":"A","spec":{"x":[1,{"kind":"B"}]},"kind":"C","n":null}"#);
        let [kind, spec, n, missing] = fields(&object, ["kind", "spec", "n", "missing"]).unwrap();
        // The last of a repeated key, as serde_json's Value keeps it.
        assert_eq!(kind.unwrap().get(), r#""C""#);
        assert_eq!(spec.unwrap().get(), r#"{"x":[1,{"kind":"B"}]}"#);
        assert_eq!(n.unwrap().get(), "null");
        assert!(missing.is_none());
        let nested = raw(r#"{"metadata":{"labels":{"a.b/c":"t"}},"spec":[]}"#);
        assert_eq!(
            at(&nested, ["metadata", "labels", "a.b/c"]).unwrap().get(),
            r#""t""#
        );
        assert!(at(&nested, ["spec", "x"]).is_none());
        assert!(at(&nested, ["metadata", "name"]).is_none());
        assert_eq!(at(&nested, []).unwrap().get(), nested.get());
        // Escaped keys are compared as the text they stand for.
        let escaped = raw(r#"{"kind":"D"}"#);
        assert_eq!(
            fields(&escaped, ["kind"]).unwrap()[0].unwrap().get(),
            r#""D""#
        );
        for not_a_map in ["[1]", r#""kind""#, "7", "null"] {
            assert!(fields(&raw(not_a_map), ["kind"]).is_none(), "{not_a_map}");
        }
        // Nesting past serde's limit in a skipped field is scanned, not recursed into.
        let deep = format!(
            r#"{{"a":{}{},"kind":"E"}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert_eq!(
            fields(&raw(&deep), ["kind"]).unwrap()[0].unwrap().get(),
            r#""E""#
        );
    }

    #[test]
    fn json_types_are_named_from_the_first_byte() {
        let named: Vec<_> = ["null", "true", "false", r#""x""#, "[]", "{}", "-1", "2.5"]
            .iter()
            .map(|t| json_type(Some(&raw(t))))
            .collect();
        assert_eq!(
            named,
            [
                "null",
                "a boolean",
                "a boolean",
                "a string",
                "an array",
                "an object",
                "a number",
                "a number"
            ]
        );
        assert_eq!(json_type(None), "null");
    }

    #[test]
    fn decode_errors_carry_the_path_not_the_position() {
        #[derive(Deserialize, Debug)]
        struct Spec {
            #[allow(dead_code)]
            mode: String,
        }
        #[derive(Deserialize, Debug)]
        struct Object {
            #[allow(dead_code)]
            spec: Spec,
        }
        let e = decode::<Object>(&raw("{\n\"spec\": {\"mode\": 3}}")).unwrap_err();
        assert_eq!(e.path, "spec.mode");
        assert_eq!(e.message, "invalid type: integer `3`, expected a string");
        let e = decode::<Object>(&raw("{}")).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            (".", "missing field `spec`")
        );
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
        assert_eq!(p.request.object.unwrap().get(), r#"{"a":[null,{"b":1}]}"#);
        assert_eq!(p.request.old_object.unwrap().get(), r#""x""#);
        // `null` and an absent object are the same: none.
        let p = ValidatePayload::parse(br#"{"request":{"object":null}}"#).unwrap();
        assert!(p.request.object.is_none() && p.request.old_object.is_none());
    }
}

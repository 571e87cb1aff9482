//! Property-test inputs shared by the policies' "never panics" tests (feature `testing`,
//! enabled only as a dev-dependency, so it never reaches a wasm module).
//!
//! Random JSON rarely gets past a policy's first type check; JSON built from the words a
//! policy looks for (its field names and values) reaches deep into the rules.

use crate::AdmissionRequest;
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON trees up to `depth` levels: leaves are null, booleans, integers, any short text or
/// one of `words`; object keys are one of `keys` or any short identifier.
pub fn json_tree(
    words: Vec<&'static str>,
    keys: Vec<&'static str>,
    depth: u32,
) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
        prop::sample::select(words).prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => prop::sample::select(keys).prop_map(String::from),
        1 => "[a-zA-Z]{1,8}",
    ];
    leaf.prop_recursive(depth, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The operations an API server sends, and one it never does.
pub fn operation() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT", ""])
}

/// An admission request for `object` (and `old_object` on UPDATE/DELETE) in `namespace`.
pub fn request(
    operation: &str,
    namespace: &str,
    object: Value,
    old_object: Value,
) -> AdmissionRequest {
    serde_json::from_value(json!({
        "operation": operation,
        "namespace": namespace,
        "name": "x",
        "object": object,
        "oldObject": old_object,
    }))
    .unwrap_or_default()
}

/// JSON built from RBAC's own words (verbs, kinds, subjects, selectors).
pub fn rbac_json() -> impl Strategy<Value = Value> {
    json_tree(
        vec![
            "",
            "*",
            "*/exec",
            "get",
            "create",
            "bind",
            "escalate",
            "impersonate",
            "ClusterRole",
            "Role",
            "ServiceAccount",
            "User",
            "Group",
            "cluster-admin",
            "admin",
            "flux-system",
            "team-a",
            "flux",
            "rbac.authorization.k8s.io",
            "system:serviceaccounts",
            "system:serviceaccount:flux-system:x",
            "secrets",
            "pods/exec",
            "In",
            "Near",
            "x",
        ],
        vec![
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "namespace",
            "labels",
            "rules",
            "verbs",
            "apiGroups",
            "resources",
            "subjects",
            "roleRef",
            "apiGroup",
            "aggregationRule",
            "clusterRoleSelectors",
            "matchLabels",
            "matchExpressions",
            "key",
            "operator",
            "values",
        ],
        4,
    )
}

/// A Role, ClusterRole, RoleBinding or ClusterRoleBinding with generated contents.
pub fn rbac_object() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec![
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
    ]);
    (kind, rbac_json(), rbac_json(), rbac_json(), rbac_json()).prop_map(
        |(kind, meta, rules, subjects, role_ref)| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": meta, "rules": rules, "subjects": subjects, "roleRef": role_ref,
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "x"}}]}})
        },
    )
}

//! The policy answers every request, whatever the object and the cluster hold: a panic in
//! wasm is a trap, and a trap is a 500 for the API server.

use flux_model::{AdmissionRequest, MemoryCluster, Verdict};
use flux_rbac_least_privilege::{Settings, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON built from RBAC's own words, so generated objects reach deep into the rules.
fn value() -> impl Strategy<Value = Value> {
    let word = prop::sample::select(vec![
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
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        word.prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop::sample::select(vec![
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
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(key.prop_map(String::from), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn rbac_object() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec![
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
    ]);
    (kind, value(), value(), value(), value()).prop_map(
        |(kind, meta, rules, subjects, role_ref)| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": meta, "rules": rules, "subjects": subjects, "roleRef": role_ref,
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "x"}}]}})
        },
    )
}

fn request(op: &str, object: Value, old: Value) -> AdmissionRequest {
    serde_json::from_value(json!({"operation": op, "namespace": "team-a", "name": "x",
                                  "object": object, "oldObject": old}))
    .unwrap()
}

fn settings() -> Settings {
    Settings {
        tenant_service_accounts: vec!["team-*:*".into()],
        ..Settings::default()
    }
}

proptest! {
    #[test]
    fn any_object_any_cluster(object in prop_oneof![value(), rbac_object()],
                              state in prop::collection::vec(rbac_object(), 0..6),
                              op in prop::sample::select(vec!["CREATE", "UPDATE", "DELETE", "CONNECT", "?"])) {
        let cluster = MemoryCluster::new(state);
        let verdict = evaluate(&request(op, object.clone(), object), &settings(), &cluster);
        if op == "DELETE" {
            prop_assert_eq!(verdict, Verdict::accept());
        }
    }

    #[test]
    fn malformed_rejections_are_400(object in rbac_object()) {
        let verdict = evaluate(&request("CREATE", object, Value::Null), &settings(), &MemoryCluster::default());
        if let Verdict::Reject { message, code } = verdict {
            prop_assert!(!message.is_empty());
            prop_assert!(code.is_none() || code == Some(400), "{:?}", code);
        }
    }
}

//! The policy answers every request, whatever the object and the cluster hold: a panic in
//! wasm is a trap, and a trap is a 500 for the API server.

use flux_model::testing::{operation, rbac_json, rbac_object, request};
use flux_model::{MemoryCluster, Verdict};
use flux_secrets_isolation::{Settings, evaluate};
use proptest::prelude::*;
use serde_json::Value;

fn settings() -> Settings {
    Settings {
        allowed_users: vec!["x".into()],
        ..Settings::default()
    }
}

proptest! {
    #[test]
    fn any_object_any_cluster(object in prop_oneof![rbac_json(), rbac_object()],
                              state in prop::collection::vec(rbac_object(), 0..6),
                              op in operation()) {
        let cluster = MemoryCluster::new(state);
        let verdict = evaluate(&request(op, "flux-system", object.clone(), object), &settings(), &cluster);
        if op == "DELETE" {
            prop_assert_eq!(verdict, Verdict::accept());
        }
    }

    #[test]
    fn malformed_rejections_are_400(object in rbac_object()) {
        let verdict = evaluate(&request("CREATE", "flux-system", object, Value::Null), &settings(), &MemoryCluster::default());
        if let Verdict::Reject { message, code } = verdict {
            prop_assert!(!message.is_empty());
            prop_assert!(code.is_none() || code == Some(400), "{:?}", code);
        }
    }
}

//! The policy answers every request, whatever the object and the cluster hold: a panic in
//! wasm is a trap, and a trap is a 500 for the API server.

use flux_secrets_isolation::{POLICY, Settings};
use fluxgate_admission::MemoryCluster;
use fluxgate_admission::flow::review;
use fluxgate_admission::settings::{self, Settings as Both};
use fluxgate_admission::testing::{operation, rbac_json, rbac_object, request};
use proptest::prelude::*;
use serde_json::{Value, json};

fn settings() -> Both<Settings> {
    settings::parse(&json!({"allowedUsers": ["x"]})).unwrap()
}

proptest! {
    #[test]
    fn any_object_any_cluster(object in prop_oneof![rbac_json(), rbac_object()],
                              state in prop::collection::vec(rbac_object(), 0..6),
                              op in operation()) {
        let cluster = MemoryCluster::new(state);
        let verdict = review(&POLICY, &request(op, "flux-system", object.clone(), object), &settings(), &cluster);
        if op == "DELETE" {
            prop_assert!(verdict.is_accepted() && verdict.findings.is_empty(), "{:?}", verdict);
        }
    }

    #[test]
    fn malformed_rejections_are_400(object in rbac_object()) {
        let verdict = review(&POLICY, &request("CREATE", "flux-system", object, Value::Null), &settings(), &MemoryCluster::default());
        if !verdict.is_accepted() {
            prop_assert!(verdict.message().is_some_and(|m| !m.is_empty()));
            prop_assert!(verdict.code.is_none() || verdict.code == Some(400), "{:?}", verdict.code);
        }
    }
}

//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use flux_model::AdmissionRequest;
use flux_model::origin::{Origin, OriginPrefix};
use proptest::prelude::*;
use serde_json::{Value, json};
use source_origin::{Settings, evaluate, origin_allowed};

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,50}",
        "(ssh|https|http|oci|HTTPS|git)://([a-z:@]{0,8}@)?[a-zA-Z0-9.\\[\\]:-]{0,20}(/[a-zA-Z0-9.%_-]{0,10}){0,3}",
        "[a-z]{1,5}@[a-z.]{1,10}:[a-z/]{0,10}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,20}".prop_map(Value::String),
        url().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("url".to_string()),
                    Just("ref".to_string()),
                    Just("branch".to_string()),
                    Just("insecure".to_string()),
                    Just("endpoint".to_string()),
                    Just("bucketName".to_string()),
                    "[a-z]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn settings() -> Settings {
    serde_json::from_value(json!({
        "allowedOrigins": {
            "gitRepository": ["ssh://git@github.com/acme/"],
            "helmRepository": ["oci://ghcr.io/acme/"],
            "ociRepository": ["oci://ghcr.io/acme/"],
            "bucket": ["https://s3.amazonaws.com/acme"]
        },
        "plainHttpHosts": ["minio.local:9000"],
        "privateGitOrigins": ["ssh://git@github.com/acme/"],
        "allowedGitBranches": ["main"],
        "requirePinnedGitRefs": true,
        "requirePinnedOciRefs": true
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn evaluate_never_panics(
        kind in prop_oneof![Just("GitRepository"), Just("HelmRepository"), Just("OCIRepository"), Just("Bucket"), Just("Other")],
        version in prop_oneof![Just("v1"), Just("v1beta1"), Just("v1beta2"), Just("v9")],
        op in prop_oneof![Just("CREATE"), Just("UPDATE"), Just("DELETE"), Just("")],
        spec in json_value(),
        url in url(),
    ) {
        let mut spec = spec;
        if let Value::Object(m) = &mut spec {
            m.entry("url").or_insert(json!(url.clone()));
            m.entry("endpoint").or_insert(json!(url));
        }
        let request: AdmissionRequest = serde_json::from_value(json!({
            "operation": op, "namespace": "team-a",
            "object": {"apiVersion": format!("source.toolkit.fluxcd.io/{version}"), "kind": kind,
                       "metadata": {"name": "x", "namespace": "team-a"}, "spec": spec},
        })).unwrap();
        let _ = evaluate(&request, &settings());
        let _ = evaluate(&request, &Settings::default());
    }

    #[test]
    fn url_functions_never_panic(u in url(), p in url()) {
        if let (Ok(o), Ok(prefix)) = (Origin::parse(&u), OriginPrefix::parse(&p)) {
            let _ = prefix.matches(&o);
        }
        let _ = origin_allowed(&[p], &u);
    }
}

//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use flux_model::AdmissionRequest;
use flux_model::regex_check::Pattern;
use image_automation_guard::{Settings, capture_count, evaluate, references, refspec_destination};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,20}".prop_map(Value::String),
        "[\\^$.*+?()|\\[\\]{}\\\\a-z0-9:<>P-]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("image".to_string()),
                    Just("exclusionList".to_string()),
                    Just("policy".to_string()),
                    Just("semver".to_string()),
                    Just("range".to_string()),
                    Just("filterTags".to_string()),
                    Just("pattern".to_string()),
                    Just("extract".to_string()),
                    Just("git".to_string()),
                    Just("push".to_string()),
                    Just("checkout".to_string()),
                    Just("branch".to_string()),
                    Just("refspec".to_string()),
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
        "allowedImages": ["ghcr.io/acme/", "nginx"],
        "insecureRegistries": ["registry.local:5000"],
        "requireSeparatePushBranch": true,
        "protectedBranches": ["main", "release-*"]
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn evaluate_never_panics(
        kind in prop_oneof![Just("ImageRepository"), Just("ImagePolicy"), Just("ImageUpdateAutomation"), Just("Other")],
        version in prop_oneof![Just("v1"), Just("v1beta1"), Just("v1beta2"), Just("v9")],
        op in prop_oneof![Just("CREATE"), Just("UPDATE"), Just("DELETE")],
        spec in json_value(),
    ) {
        let request: AdmissionRequest = serde_json::from_value(json!({
            "operation": op, "namespace": "team-a",
            "object": {"apiVersion": format!("image.toolkit.fluxcd.io/{version}"), "kind": kind,
                       "metadata": {"name": "x", "namespace": "team-a"}, "spec": spec},
        })).unwrap();
        let _ = evaluate(&request, &settings());
        let _ = evaluate(&request, &Settings::default());
    }

    #[test]
    fn text_functions_never_panic(
        text in "\\PC{0,60}",
        regexish in "[\\^$.*+?()|\\[\\]{}\\\\a-zA-Z0-9:<>_,=-]{0,40}",
    ) {
        let _ = capture_count(&text);
        if let Ok(p) = Pattern::parse(&regexish) {
            prop_assert!(p.capture_names().len() <= capture_count(&regexish));
        }
        let _ = references(&text);
        let _ = references(&regexish);
        let _ = refspec_destination(&text);
    }
}

//! No policy traps, panics or errors out on hostile input: every payload below gets a
//! well-formed ValidationResponse (or SettingsValidationResponse) from the real wasm.
//! Needs the release modules (`just build`).

use fluxgate_runtime::capabilities::EvaluationContext;
use fluxgate_runtime::policy::Policy;
use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_testkit::runner;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use std::path::Path;
use std::sync::Arc;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A well-formed request whose object is `object`, written by a tenant service account
/// (so identity-based policies judge it too).
fn request_with(object: &str) -> Vec<u8> {
    format!(
        r#"{{"request":{{"uid":"r","kind":{{"group":"source.toolkit.fluxcd.io","version":"v1","kind":"GitRepository"}},
            "resource":{{"group":"source.toolkit.fluxcd.io","version":"v1","resource":"gitrepositories"}},
            "operation":"CREATE","namespace":"apps",
            "userInfo":{{"username":"system:serviceaccount:team-a:flux","groups":["system:serviceaccounts:team-a"]}},
            "object":{object}}},"settings":{{}}}}"#
    )
    .into_bytes()
}

/// Payloads no policy can read: each must be rejected with a message.
fn unreadable_payloads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty payload", Vec::new()),
        ("not JSON", b"{{{ definitely not json".to_vec()),
        ("invalid UTF-8", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("JSON array payload", b"[1,2,3]".to_vec()),
        (
            "request is a string",
            br#"{"request":"x","settings":{}}"#.to_vec(),
        ),
        (
            "operation is a number",
            br#"{"request":{"operation":5},"settings":{}}"#.to_vec(),
        ),
        (
            "settings are an array",
            br#"{"request":{"operation":"CREATE"},"settings":[1]}"#.to_vec(),
        ),
    ]
}

/// Readable requests with hostile objects: any verdict will do, but an answer it must be.
fn hostile_objects() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep_spec = format!(
        r#"{{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{{"name":"x"}},"spec":{{"verify":{deep}}}}}"#
    );
    let huge = format!(
        r#"{{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{{"name":"x"}},"spec":{{"url":"{}"}}}}"#,
        "a".repeat(8 << 20)
    );
    let wrong_types = r#"{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository",
        "metadata":{"name":7,"labels":[1]},"spec":{"verify":{"mode":true,"secretRef":"x"},"ref":[1],"url":{}}}"#;
    vec![
        ("object is a number", request_with("42")),
        ("object is deeply nested", request_with(&deep)),
        ("spec value deeply nested", request_with(&deep_spec)),
        ("8 MiB field", request_with(&huge)),
        ("wrong types everywhere", request_with(wrong_types)),
        (
            "unknown apiVersion",
            request_with(r#"{"apiVersion":"source.toolkit.fluxcd.io/v9","kind":"GitRepository"}"#),
        ),
        ("no apiVersion or kind", request_with(r#"{"spec":{}}"#)),
    ]
}

fn hostile_settings() -> Vec<&'static [u8]> {
    vec![
        b"",
        b"null",
        b"42",
        b"\"x\"",
        b"[]",
        b"{\"a\":",
        br#"{"unknownSetting":true}"#,
        &[0xff, 0x00],
    ]
}

#[test]
fn every_policy_answers_hostile_input_without_trapping() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let policies = runner::discover(root()).unwrap();
    assert!(!policies.is_empty());
    for policy in policies {
        let wasm = policy.wasm_path(root());
        assert!(
            wasm.exists(),
            "{} is missing: run `just build` first",
            wasm.display()
        );
        let module = Policy::load(&runtime, &wasm).unwrap();
        let unreadable = unreadable_payloads().into_iter().map(|c| (c, true));
        let hostile = hostile_objects().into_iter().map(|c| (c, false));
        for ((case, payload), must_reject) in unreadable.chain(hostile) {
            let mut instance = runtime
                .instantiate(&module.module, Arc::new(EvaluationContext::default()))
                .unwrap();
            let answer = instance
                .call("validate", &payload)
                .unwrap_or_else(|e| panic!("{}: {case}: {e}", policy.name));
            let response: ValidationResponse = serde_json::from_slice(&answer)
                .unwrap_or_else(|e| panic!("{}: {case}: unreadable response: {e}", policy.name));
            assert!(
                !(must_reject && response.accepted),
                "{}: {case} was accepted",
                policy.name
            );
            if !response.accepted {
                let message = response.message.unwrap_or_default();
                assert!(
                    !message.is_empty(),
                    "{}: {case}: rejection without a message",
                    policy.name
                );
            }
        }
        for payload in hostile_settings() {
            let mut instance = runtime
                .instantiate(&module.module, Arc::new(EvaluationContext::default()))
                .unwrap();
            let answer = instance.call("validate_settings", payload).unwrap();
            let response: SettingsValidationResponse = serde_json::from_slice(&answer).unwrap();
            let expect_valid = payload == b"null";
            assert_eq!(
                response.valid,
                expect_valid,
                "{}: settings {:?}",
                policy.name,
                String::from_utf8_lossy(payload)
            );
            if !response.valid {
                assert!(response.message.is_some_and(|m| m.starts_with("settings")));
            }
        }
    }
}

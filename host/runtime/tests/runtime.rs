//! The host's guarantees, proven with tiny purpose-built guests (tests/data/*.wat):
//! a policy that loops, traps, exhausts memory or is not a waPC module never hangs or
//! crashes the host; it becomes a 500 rejection worded like policy-evaluator's.

use fluxgate_protocol::admission::AdmissionRequest;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn runtime(timeout_ms: u64) -> Runtime {
    Runtime::new(Limits {
        timeout: Some(Duration::from_millis(timeout_ms)),
        max_memory_bytes: 16 << 20,
    })
    .unwrap()
}

fn load(runtime: &Runtime, name: &str) -> anyhow::Result<Policy> {
    let path = format!("{}/tests/data/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    Policy::load(runtime, std::path::Path::new(&path))
}

fn request() -> AdmissionRequest {
    AdmissionRequest::parse(
        r#"{"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
            "resource": {"group": "", "version": "v1", "resource": "configmaps"},
            "operation": "CREATE", "userInfo": {"username": "alice"},
            "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}}"#,
    )
    .unwrap()
}

fn ctx() -> Arc<EvaluationContext> {
    Arc::new(EvaluationContext {
        log: LogSink::Capture(Default::default()),
        ..Default::default()
    })
}

#[test]
fn endless_loop_in_validate_is_cut_at_the_deadline() {
    let rt = runtime(200);
    let policy = load(&rt, "endless_loop").unwrap();
    let started = Instant::now();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    let elapsed = started.elapsed();
    assert!(!response.allowed);
    assert_eq!(response.uid, "u-1");
    assert_eq!(response.status.as_ref().unwrap().code, Some(500));
    assert_eq!(
        response.message(),
        Some("Policy execution interrupted because it exceeded the allowed execution time")
    );
    assert!(
        elapsed >= Duration::from_millis(190),
        "stopped too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "deadline not enforced: {elapsed:?}"
    );

    // The host is still usable afterwards: the next request gets a fresh instance.
    let again = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert_eq!(again, response);
}

#[test]
fn endless_loop_in_wapc_init_is_cut_at_the_deadline() {
    let rt = runtime(100);
    let policy = load(&rt, "endless_init").unwrap();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert!(!response.allowed);
    assert_eq!(
        response.message(),
        Some(
            "internal server error: Initialization failed: wapc_init init interrupted, \
             execution deadline exceeded"
        )
    );
}

#[test]
fn trap_becomes_internal_server_error() {
    let rt = runtime(2000);
    let policy = load(&rt, "trap").unwrap();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert!(!response.allowed);
    assert_eq!(response.status.as_ref().unwrap().code, Some(500));
    let message = response.message().unwrap();
    assert!(
        message.starts_with("internal server error: Guest call failure: "),
        "{message}"
    );
    assert!(message.contains("unreachable"), "{message}");
}

#[test]
fn memory_cap_stops_a_runaway_guest() {
    let rt = runtime(5000);
    let policy = load(&rt, "memory_hog").unwrap();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert!(!response.allowed);
    assert!(
        response
            .message()
            .unwrap()
            .starts_with("internal server error: Guest call failure: "),
        "{response:?}"
    );
}

#[test]
fn without_a_timeout_there_is_no_deadline() {
    // `--disable-timeout-protection`: once the epoch clock has ticked, a deadline of
    // "current epoch + u64::MAX" would wrap around and interrupt every call at once.
    let rt = Runtime::new(Limits {
        timeout: None,
        max_memory_bytes: 16 << 20,
    })
    .unwrap();
    let policy = load(&rt, "accept_all").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert!(response.allowed, "{response:?}");
    let mut instance = rt.instantiate(&policy.module, ctx()).unwrap();
    assert!(instance.memory_size() > 0);
    let before = instance.memory_size();
    instance.call("validate", b"{}").ok();
    assert!(instance.memory_size() >= before);
}

#[test]
fn settings_validation_failure_is_reported_not_raised() {
    let rt = runtime(2000);
    let policy = load(&rt, "trap").unwrap();
    let answer = policy::validate_settings(&rt, &policy, ctx(), &json!({}));
    assert!(!answer.valid);
    assert!(
        answer
            .message
            .unwrap()
            .starts_with("Error invoking settings validation callback: GuestCallFailure(")
    );
}

#[test]
fn modules_that_are_not_wapc_guests_are_refused() {
    let rt = runtime(2000);
    let policy = load(&rt, "no_guest_call").unwrap();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &Value::Null);
    assert_eq!(
        response.message(),
        Some(
            "internal server error: Guest call function (__guest_call) not exported by wasm module."
        )
    );
    let err = Policy::from_bytes(&rt, "junk".into(), b"\0asm-not-really")
        .err()
        .unwrap();
    assert!(!err.to_string().is_empty());
}

#[test]
fn accepting_policy_round_trip() {
    let rt = runtime(2000);
    let policy = load(&rt, "accept_all").unwrap();
    let response = policy::validate(&rt, &policy, ctx(), &request(), &json!({"any": 1}));
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"uid": "u-1", "allowed": true, "auditAnnotations": null, "warnings": ["accept-all"]})
    );
    assert!(policy::validate_settings(&rt, &policy, ctx(), &Value::Null).valid);
    assert_eq!(policy::protocol_version(&rt, &policy, ctx()).unwrap(), "v1");
}

#[test]
fn host_capabilities_reach_the_guest_through_wasm() {
    let rt = runtime(2000);
    let policy = load(&rt, "host_call_echo").unwrap();
    let cluster = ClusterState::parse(
        "resources:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: apps, labels: {team: a}}}\n",
    )
    .unwrap();
    let granted = Arc::new(EvaluationContext {
        cluster: cluster.clone(),
        allowed_resources: [("v1".to_string(), "Namespace".to_string())].into(),
        ..Default::default()
    });
    let get =
        json!({"api_version": "v1", "kind": "Namespace", "name": "apps", "disable_cache": false});
    let mut instance = rt.instantiate(&policy.module, granted).unwrap();
    let answer: Value = serde_json::from_slice(
        &instance
            .call("get_resource", get.to_string().as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(answer["metadata"]["labels"]["team"], "a");

    // Without contextAwareResources the same call is refused, and the error reaches the guest.
    let refused = Arc::new(EvaluationContext {
        cluster,
        ..Default::default()
    });
    let mut instance = rt.instantiate(&policy.module, refused).unwrap();
    let err = instance
        .call("get_resource", get.to_string().as_bytes())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Guest call failure: Policy has not been granted access to Kubernetes v1/Namespace \
         resources. The violation has been reported."
    );
}

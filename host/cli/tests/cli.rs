//! `fluxgate` as a shell user meets it: kwctl-shaped output, clear errors, exit codes.
//! Uses the real git-commit-verification module (`just build`) and the tiny guests in
//! tests/data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/tests/data")
        .join(name)
}

fn policy() -> PathBuf {
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/policies/git-commit-verification.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run `just build` first",
        wasm.display()
    );
    wasm
}

fn fluxgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fluxgate"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_temp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fluxgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const REVIEW_YAML: &str = "\
apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  uid: 705ab4f5-6393-11e8-b7cc-42010a800002
  kind: {group: source.toolkit.fluxcd.io, version: v1, kind: GitRepository}
  resource: {group: source.toolkit.fluxcd.io, version: v1, resource: gitrepositories}
  operation: CREATE
  namespace: apps
  userInfo: {username: alice}
  object:
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata: {name: podinfo, namespace: apps}
    spec: {url: 'https://github.com/stefanprodan/podinfo', interval: 5m}
";

#[test]
fn explain_prints_the_run_response_and_its_findings() {
    let review = write_temp("explain-review.yaml", REVIEW_YAML);
    let args = |cmd: &'static str| {
        fluxgate(&[
            cmd,
            policy().to_str().unwrap(),
            "--request-path",
            review.to_str().unwrap(),
        ])
    };
    let (run, explain) = (args("run"), args("explain"));
    assert!(explain.status.success(), "{}", text(&explain.stderr));
    let explained: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    let ran: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        explained["response"], ran,
        "explain's response is exactly run's"
    );
    let findings = explained["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{explained}");
    let f = &findings[0];
    assert_eq!(f["policy"], "git-commit-verification");
    assert_eq!(f["rule"], "gcv/verify-missing");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["field"], "spec.verify");
    assert!(f["problem"].as_str().unwrap().starts_with("is missing"));
    assert!(f["fix"].as_str().unwrap().starts_with("add spec.verify"));
}

#[test]
fn run_prints_a_kwctl_shaped_response() {
    let review = write_temp("review.yaml", REVIEW_YAML);
    let out = fluxgate(&[
        "run",
        policy().to_str().unwrap(),
        "--request-path",
        review.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(response["allowed"], false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("GitRepository apps/podinfo: spec.verify")
    );
    assert!(response.get("auditAnnotations").is_some() && response.get("warnings").is_some());
    assert!(response.get("patch").is_none() && response.get("patchType").is_none());

    // A bare AdmissionRequest in JSON works the same way.
    let bare: serde_yaml::Value = serde_yaml::from_str(REVIEW_YAML).unwrap();
    let bare = write_temp(
        "bare.json",
        &serde_json::to_string(&bare["request"]).unwrap(),
    );
    let out = fluxgate(&[
        "run",
        policy().to_str().unwrap(),
        "-r",
        bare.to_str().unwrap(),
        "--settings-json",
        r#"{"platformNamespaces":["apps"]}"#,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        r#"{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true,"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn bad_input_gives_a_clear_error_and_exit_code_1() {
    let review = write_temp("review2.yaml", REVIEW_YAML);
    let garbage = write_temp("garbage.json", "{{{ not json: [");
    let not_request = write_temp("not-request.json", r#"{"hello": "world"}"#);
    let wasm = policy();
    let wasm = wasm.to_str().unwrap();
    let not_wapc = data("no_guest_call.wat");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "run",
                "/nonexistent/policy.wasm",
                "-r",
                review.to_str().unwrap(),
            ],
            "cannot read policy module /nonexistent/policy.wasm",
        ),
        (
            vec!["run", wasm, "-r", "/nonexistent/request.json"],
            "cannot read /nonexistent/request.json",
        ),
        (
            vec!["run", wasm, "-r", garbage.to_str().unwrap()],
            "not valid JSON",
        ),
        (
            vec!["run", wasm, "-r", not_request.to_str().unwrap()],
            "not a valid AdmissionRequest: missing field `uid`",
        ),
        (
            vec![
                "run",
                wasm,
                "-r",
                review.to_str().unwrap(),
                "--settings-json",
                r#"{"allowedModez":["Tag"]}"#,
            ],
            "Provided settings are not valid: settings.allowedModez: unknown field `allowedModez`",
        ),
        (
            vec![
                "run",
                wasm,
                "-r",
                review.to_str().unwrap(),
                "--settings-json",
                "{oops",
            ],
            "--settings-json is not valid JSON",
        ),
        (
            vec![
                "run",
                not_wapc.to_str().unwrap(),
                "-r",
                review.to_str().unwrap(),
            ],
            "Provided settings are not valid",
        ),
    ];
    for (args, expected) in cases {
        let out = fluxgate(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("fluxgate: ") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
    }
    let usage = fluxgate(&["run"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn looping_and_trapping_policies_become_500_rejections() {
    let review = write_temp("review3.yaml", REVIEW_YAML);
    let started = Instant::now();
    let out = fluxgate(&[
        "run",
        data("loop_in_validate.wat").to_str().unwrap(),
        "-r",
        review.to_str().unwrap(),
        "--timeout-seconds",
        "0.5",
    ]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(
        text(&out.stdout).trim(),
        r#"{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":false,"status":{"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500},"auditAnnotations":null,"warnings":null}"#
    );

    let out = fluxgate(&[
        "run",
        data("trap_in_validate.wat").to_str().unwrap(),
        "-r",
        review.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(
        r#""allowed":false,"status":{"message":"internal server error: Guest call failure: wasm trap: wasm `unreachable` instruction executed","code":500}"#
    ), "{}", text(&out.stdout));

    // A loop in settings validation is reported as invalid settings, not a hang.
    let out = fluxgate(&[
        "validate-settings",
        data("endless_loop.wat").to_str().unwrap(),
        "--settings-json",
        "{}",
    ]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("guest code interrupted, execution deadline exceeded"));

    let out = fluxgate(&["protocol-version", data("accept_all.wat").to_str().unwrap()]);
    assert_eq!(text(&out.stdout).trim(), "v1");
}

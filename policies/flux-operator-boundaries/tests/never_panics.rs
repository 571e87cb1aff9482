//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use flux_kinds::operator::KustomizePatch;
use flux_operator_boundaries::{POLICY, judge_patch};
use fluxgate_admission::MemoryCluster;
use fluxgate_admission::flow::review;
use fluxgate_admission::settings::{Settings, parse};
use fluxgate_admission::testing::{json_tree, operation, request};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Specs built from the fields the rules read.
fn spec() -> impl Strategy<Value = Value> {
    json_tree(
        vec![
            "https://github.com/acme/app",
            "oci://ghcr.io/acme/app",
            "http://svc.local/x",
            "GitHubBranch",
            "ExternalArtifact",
            "ECRArtifactTag",
            "AzureDevOpsTag",
            "Deployment",
            "kustomize-controller",
            "*",
            "true",
        ],
        vec![
            "serviceAccountName",
            "type",
            "url",
            "insecure",
            "secretRef",
            "name",
            "selectors",
            "namespace",
            "cluster",
            "multitenant",
            "kustomize",
            "patches",
            "patch",
            "target",
            "kind",
        ],
        4,
    )
}

/// Patch text: JSON6902 and strategic-merge shapes around the manager's args, and noise.
fn patch_text() -> impl Strategy<Value = String> {
    let pointer = prop::sample::select(vec![
        "",
        "/spec",
        "/spec/template/spec/containers",
        "/spec/template/spec/containers/0",
        "/spec/template/spec/containers/0/args",
        "/spec/template/spec/containers/0/args/-",
        "/spec/template/spec/containers/0/args/3/x",
        "/spec/template/spec/containers/-/command",
        "~1/~0",
    ]);
    let value = prop::sample::select(vec![
        "--no-cross-namespace-refs=false",
        "--default-service-account",
        "''",
        "'--'",
        "[--x, '--']",
        "{name: manager, args: null}",
        "null",
        "[{spec: 1}]",
    ]);
    let op = prop::sample::select(vec![
        "add", "remove", "replace", "move", "copy", "test", "x",
    ]);
    prop_oneof![
        (op, pointer.clone(), value.clone(), pointer.clone()).prop_map(|(o, p, v, f)| format!(
            "- op: {o}\n  path: '{p}'\n  value: {v}\n  from: '{f}'\n"
        )),
        value.prop_map(|v| format!(
            "spec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args: {v}\n      - {v}\n"
        )),
        "\\PC{0,80}",
    ]
}

fn settings() -> Settings<flux_operator_boundaries::Settings> {
    parse(&json!({
        "multiTenant": true,
        "plainHttpHosts": ["svc.local"],
        "allowedProviderOrigins": ["https://github.com/acme/"],
        "sharedArtifactNamespaces": ["shared"]
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn review_never_panics(
        kind in prop_oneof![Just("FluxInstance"), Just("ResourceSet"), Just("ResourceSetInputProvider"), Just("Other")],
        namespace in prop_oneof![Just("team-a"), Just("flux-system")],
        op in operation(),
        spec in spec(),
    ) {
        let object = json!({"apiVersion": "fluxcd.controlplane.io/v1", "kind": kind,
                            "metadata": {"name": "flux", "namespace": namespace}, "spec": spec});
        let request = request(op, namespace, object.clone(), object);
        let cluster = MemoryCluster::default();
        let verdict = review(&POLICY, &request, &settings(), &cluster);
        if op == "DELETE" {
            prop_assert!(verdict.is_accepted());
        }
        let _ = review(&POLICY, &request, &Settings::default(), &cluster);
    }

    #[test]
    fn patches_never_panic(text in patch_text(), targeted in any::<bool>()) {
        let patch = KustomizePatch {
            patch: Some(text),
            target: targeted.then(|| serde_json::from_value(json!({"kind": "Deployment"})).unwrap()),
        };
        let _ = judge_patch(&patch);
    }
}

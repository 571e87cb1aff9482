//! Flux's reference multi-tenancy (fluxcd/flux2-multi-tenancy, copied in `testkit/fleets/`)
//! is admitted by the tenancy and RBAC policies with their default settings: every object its
//! cluster and tenant overlays build, as the identity Flux applies it with, through the
//! policies' release modules. Needs `just build` and `kubectl kustomize` (Kustomize v5).

use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_testkit::fixture::Fixture;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const POLICIES: [&str; 5] = [
    "kustomization-boundaries",
    "helmrelease-boundaries",
    "tenant-cluster-scope",
    "flux-rbac-least-privilege",
    "flux-secrets-isolation",
];

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).to_path_buf()
}

fn fleet() -> PathBuf {
    root().join("testkit/fleets/flux2-multi-tenancy")
}

/// What kustomize-controller applies for `dir`: `kubectl kustomize` (no load restrictor) when
/// it has a kustomization; otherwise, as the controller's generator does, every manifest in
/// it plus the builds of its subdirectories (fluxcd/pkg `kustomize/kustomize_generator.go`).
fn build(dir: &Path) -> Vec<Value> {
    if !dir.join("kustomization.yaml").exists() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        let mut out = Vec::new();
        for path in entries {
            if path.is_dir() {
                out.extend(build(&path));
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.extend(
                    fluxgate_yaml::documents(&text)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                        .into_iter()
                        .filter(|d| !d.is_null()),
                );
            }
        }
        return out;
    }
    kustomize(dir)
}

fn kustomize(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl")
        .args(["kustomize", "--load-restrictor=LoadRestrictionsNone"])
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl kustomize is needed for this test (Kustomize v5): {e}")
        });
    assert!(
        out.status.success(),
        "kustomize build {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    fluxgate_yaml::documents(&String::from_utf8_lossy(&out.stdout))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// What the cluster overlays and the tenants overlay apply, with the identity that applies
/// it: the `flux-system` sync and the `tenants`/`infrastructure` Kustomizations all run as
/// kustomize-controller (`serviceAccountName: kustomize-controller`).
fn applied() -> Vec<(String, Value)> {
    let controller = "system:serviceaccount:flux-system:kustomize-controller";
    let mut out = Vec::new();
    for cluster in ["staging", "production"] {
        for dir in [
            format!("clusters/{cluster}"),
            format!("tenants/{cluster}"),
            "infrastructure/kyverno".to_string(),
        ] {
            out.extend(
                build(&fleet().join(&dir))
                    .into_iter()
                    .map(|o| (format!("{dir}: {}", name_of(&o)), o)),
            );
        }
    }
    out.into_iter()
        .map(|(what, o)| (format!("{what} as {controller}"), o))
        .collect()
}

fn name_of(o: &Value) -> String {
    format!(
        "{} {}/{}",
        o["kind"].as_str().unwrap_or("?"),
        o["metadata"]["namespace"].as_str().unwrap_or(""),
        o["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Whether one of the policy's metadata `rules` selects this request's resource.
fn selects(metadata: &Metadata, group: &str, version: &str, resource: &str) -> bool {
    let has = |rule: &Value, key: &str, want: &str| {
        rule[key]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x == want || x == "*"))
    };
    metadata.rules.iter().any(|rule| {
        has(rule, "apiGroups", group)
            && has(rule, "apiVersions", version)
            && has(rule, "resources", resource)
    })
}

/// Every object the reference tenancy applies, plus what the cluster already has that the
/// objects refer to (the built-in `cluster-admin` ClusterRole).
fn cluster_state(objects: &[Value]) -> ClusterState {
    let mut resources: Vec<Value> = objects.to_vec();
    resources.push(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "cluster-admin"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                  {"nonResourceURLs": ["*"], "verbs": ["*"]}]
    }));
    ClusterState {
        resources,
        can_i: Vec::new(),
    }
}

#[test]
fn flux2_multi_tenancy_is_admitted_with_default_settings() {
    let applied = applied();
    let objects: Vec<Value> = applied.iter().map(|(_, o)| o.clone()).collect();
    assert!(
        objects.iter().any(|o| o["kind"] == "RoleBinding")
            && objects
                .iter()
                .any(|o| o["kind"] == "Kustomization" && o["metadata"]["namespace"] == "apps"),
        "the overlays did not build the tenant's RBAC and Kustomization"
    );
    let runtime = Runtime::new(Limits::default()).unwrap();
    let mut judged = 0;
    let mut denied = Vec::new();
    for name in POLICIES {
        let wasm = root().join(format!("target/policies/{name}.wasm"));
        let module = Policy::load(&runtime, &wasm)
            .unwrap_or_else(|e| panic!("{}: {e} (run `just build`)", wasm.display()));
        let metadata = Metadata::from_yaml(
            &std::fs::read_to_string(root().join(format!("policies/{name}/metadata.yml"))).unwrap(),
        )
        .unwrap();
        for (what, object) in &applied {
            let fixture = Fixture::parse(
                &serde_json::to_string(&json!({
                    "description": what,
                    "user": "system:serviceaccount:flux-system:kustomize-controller",
                    "groups": ["system:serviceaccounts", "system:serviceaccounts:flux-system"],
                    "object": object,
                    "expect": {"allowed": true},
                }))
                .unwrap(),
            )
            .unwrap();
            let request = fixture.request(what);
            let r = &request.resource;
            if !selects(&metadata, &r.group, &r.version, &r.resource) {
                continue;
            }
            let ctx = Arc::new(EvaluationContext {
                policy_id: name.into(),
                cluster: cluster_state(&objects),
                allowed_resources: metadata.granted_resources(),
                log: LogSink::Discard,
                ..Default::default()
            });
            let response = policy::validate(&runtime, &module, ctx, &request, &Value::Null);
            judged += 1;
            if !response.allowed {
                denied.push(format!("{name}: {what}: {:?}", response.message()));
            }
        }
    }
    assert!(judged >= 10, "only {judged} evaluations");
    assert!(denied.is_empty(), "denied:\n{}", denied.join("\n"));
}

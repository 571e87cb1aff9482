//! The worst cases a policy must still answer in time, with the production limits: the
//! largest request the API server lets through (a 3 MiB object, its request-body limit, in an
//! UPDATE that also carries the 3 MiB old object), a HelmRelease whose values have 100,000
//! keys, a ClusterRole with 10,000 rules and a ClusterRoleBinding with 10,000 subjects.
//! Each is judged on fresh instances, as policy-server judges every request.

use super::generate::Corpus;
use super::{Case, Class, Target};
use crate::runner::PolicyUnderTest;
use fluxgate_runtime::runtime::Runtime;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// The API server's limit on a request body (`maxRequestBodyBytes`, 3 MiB).
pub const REQUEST_BODY_LIMIT: usize = 3 << 20;

/// What a policy should take on one of these (issue #16: "within 100 ms on this machine,
/// well inside policy-server's 2 s"). Rows over it are flagged.
pub const BUDGET: Duration = Duration::from_millis(100);

/// What fails a run (`just fuzz`, `tests/worst_cases.rs`): half of policy-server's deadline.
pub const LIMIT: Duration = Duration::from_secs(1);

/// The tenant every case is written by.
const WRITER: &str = "system:serviceaccount:team-a:flux";

/// One policy on one worst case.
pub struct Row {
    pub policy: String,
    pub case: String,
    pub payload_bytes: usize,
    pub runs: usize,
    pub median: Duration,
    pub max: Duration,
    pub memory: usize,
    pub class: Class,
    /// A trap, 500, timeout or pathless 400, in words.
    pub failure: Option<String>,
}

/// `object` grown to just under `bytes` of JSON with annotations of 1 KiB each. (The API
/// server refuses more than 256 KiB of annotations; it lets a 3 MiB object through in other
/// fields, which the policies decode no differently. What is measured here is the policy
/// reading and decoding the largest body it can be sent.)
pub fn padded(mut object: Value, bytes: usize) -> Value {
    let base = serde_json::to_vec(&object).map_or(0, |v| v.len());
    let value = "x".repeat(1000);
    let per = format!("\"fuzz.fluxgate.dev/pad-000000\":\"{value}\",").len();
    let n = bytes.saturating_sub(base + 64) / per;
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    if !object["metadata"]["annotations"].is_object() {
        object["metadata"]["annotations"] = json!({});
    }
    if let Some(a) = object["metadata"]["annotations"].as_object_mut() {
        for i in 0..n {
            a.insert(format!("fuzz.fluxgate.dev/pad-{i:06}"), json!(value));
        }
    }
    object
}

/// The UPDATE of a 3 MiB object whose judged fields changed: the policy's first denied
/// CREATE fixture, padded, against an old object without its `spec` (or `rules`).
pub fn big_update(corpus: &Corpus) -> Option<Case> {
    let seed = corpus
        .seeds
        .iter()
        .filter(|s| s.request["object"].is_object() && s.request["operation"] == "CREATE")
        .find(|s| s.name.starts_with("reject-"))
        .or_else(|| {
            corpus
                .seeds
                .iter()
                .find(|s| s.request["object"].is_object())
        })?;
    let object = padded(seed.request["object"].clone(), REQUEST_BODY_LIMIT);
    let mut old = object.clone();
    for field in ["spec", "rules", "subjects", "data"] {
        if let Some(o) = old.as_object_mut()
            && o.remove(field).is_some()
        {
            break;
        }
    }
    let mut request = seed.request.clone();
    request["operation"] = json!("UPDATE");
    request["object"] = object;
    request["oldObject"] = old;
    Some(Case {
        index: 0,
        request,
        settings: seed.settings.clone(),
        ctx: seed.ctx,
        deep: None,
        cluster: None,
        origin: format!("3 MiB UPDATE of {}", seed.name),
        mutations: Vec::new(),
    })
}

fn request_for(object: Value, origin: &str) -> Case {
    let request = fluxgate_protocol::admission::AdmissionRequest::create("worst", &object, WRITER);
    Case {
        index: 0,
        request: serde_json::to_value(request).unwrap_or(Value::Null),
        settings: Value::Null,
        ctx: 0,
        deep: None,
        cluster: None,
        origin: origin.into(),
        mutations: Vec::new(),
    }
}

/// A HelmRelease whose values have 100,000 keys (and one nested path that policies read).
pub fn helm_values_100k() -> Case {
    let mut values = serde_json::Map::new();
    for i in 0..100_000 {
        values.insert(format!("key{i}"), json!(format!("value-{i}")));
    }
    values.insert(
        "serviceAccount".into(),
        json!({"create": true, "name": "podinfo"}),
    );
    request_for(
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "podinfo", "namespace": "team-a"},
            "spec": {
                "interval": "10m",
                "chart": {"spec": {"chart": "podinfo", "version": "6.x",
                    "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
                "serviceAccountName": "flux-reconciler",
                "targetNamespace": "team-a",
                "values": values,
            }
        }),
        "HelmRelease, values with 100k keys",
    )
}

/// A ClusterRole with 10,000 distinct rules, every tenth one on Secrets.
pub fn cluster_role_10k_rules() -> Case {
    let rules: Vec<Value> = (0..10_000)
        .map(|i| {
            if i % 10 == 0 {
                json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
                       "resourceNames": [format!("secret-{i}")]})
            } else {
                json!({"apiGroups": [format!("group{i}.example.com")],
                       "resources": [format!("things{i}"), format!("things{i}/status")],
                       "verbs": ["get", "list", "watch"]})
            }
        })
        .collect();
    request_for(
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "tenant-reader"},
            "rules": rules,
        }),
        "ClusterRole, 10k rules",
    )
}

/// A ClusterRoleBinding with 10,000 subjects.
pub fn cluster_role_binding_10k_subjects() -> Case {
    let subjects: Vec<Value> = (0..10_000)
        .map(|i| json!({"kind": "ServiceAccount", "name": format!("sa-{i}"), "namespace": format!("team-{i}")}))
        .collect();
    request_for(
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "tenants-view"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": subjects,
        }),
        "ClusterRoleBinding, 10k subjects",
    )
}

/// A ClusterRoleBinding with 45,000 service-account subjects (2.8 MB, as many as the API
/// server's 3 MiB request limit leaves room for) to a ClusterRole with workload writes,
/// which open escalation paths into the Flux namespaces: every subject is judged against
/// every allowlist.
pub fn cluster_role_binding_45k_subjects() -> Case {
    let subjects: Vec<Value> = (0..45_000)
        .map(|i| json!({"kind": "ServiceAccount", "name": format!("sa-{i}"), "namespace": "apps"}))
        .collect();
    let mut case = request_for(
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "apps-deployers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "deployer"},
            "subjects": subjects,
        }),
        "ClusterRoleBinding, 45k subjects, workload writes",
    );
    case.cluster = Some(json!({"resources": [{
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "deployer"},
        "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "update", "patch"]}],
    }]}));
    case
}

/// The worst cases every policy is sent as they are.
pub fn shared_cases() -> Vec<Case> {
    vec![
        helm_values_100k(),
        cluster_role_10k_rules(),
        cluster_role_binding_10k_subjects(),
        cluster_role_binding_45k_subjects(),
    ]
}

/// Judges `case` `runs` times, each on a fresh instance: the first run in full (with
/// `fluxgate_explain` on a rejection, to check its field path), the others `validate` alone.
pub fn measure(target: &Target, case: &Case, payload: &[u8], runs: usize) -> Row {
    let first = target.fresh_payload(case, payload);
    let mut times = vec![first.time];
    let mut memory = first.memory;
    let mut failure = first
        .class
        .failed()
        .then(|| format!("{}: {}", first.class.name(), first.detail));
    while failure.is_none() && times.len() < runs {
        match target.time_validate(case, payload) {
            Ok((time, mem)) => {
                times.push(time);
                memory = memory.max(mem);
            }
            Err(e) => failure = Some(e),
        }
    }
    times.sort();
    Row {
        policy: target.name.clone(),
        case: case.origin.clone(),
        payload_bytes: payload.len(),
        runs: times.len(),
        median: times[times.len() / 2],
        max: *times.last().unwrap_or(&Duration::ZERO),
        memory,
        class: first.class,
        failure,
    }
}

/// Every worst case on every policy, `jobs` policies at a time (1 for the cleanest figures).
pub fn run_all(
    runtime: &Runtime,
    root: &Path,
    policies: &[PolicyUnderTest],
    runs: usize,
    jobs: usize,
) -> anyhow::Result<Vec<Row>> {
    let schemas = crate::runner::crd_schemas(root)?;
    let shared: Vec<(Case, Vec<u8>)> = shared_cases()
        .into_iter()
        .map(|c| {
            let payload = c.payload();
            (c, payload)
        })
        .collect();
    let one = |policy: &PolicyUnderTest| -> anyhow::Result<Vec<Row>> {
        let corpus = Corpus::load(&policy.fixtures()?, &schemas)?;
        let target = Target::new(runtime, root, policy, &corpus)?;
        let mut rows = Vec::new();
        if let Some(case) = big_update(&corpus) {
            rows.push(measure(&target, &case, &case.payload(), runs));
        }
        for (case, payload) in &shared {
            rows.push(measure(&target, case, payload, runs));
        }
        Ok(rows)
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, policies.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(policy) = policies.get(i) else { break };
                    let rows = one(policy);
                    if let Ok(mut d) = done.lock() {
                        d.push((i, rows));
                    }
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worst-case thread panicked"))?;
    done.sort_by_key(|(i, _)| *i);
    let mut rows = Vec::new();
    for (_, r) in done {
        rows.extend(r?);
    }
    Ok(rows)
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| policy | worst case | payload | verdict | validate, fresh instance: median (max) | peak instance memory |\n\
         |---|---|--:|---|--:|--:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.1} MiB | {} | {:.1} ms ({:.1}) of {} runs{} | {:.1} MiB |\n",
            r.policy,
            r.case,
            r.payload_bytes as f64 / (1 << 20) as f64,
            r.class.name(),
            r.median.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3,
            r.runs,
            if r.median > BUDGET {
                " **over budget**"
            } else {
                ""
            },
            r.memory as f64 / (1 << 20) as f64,
        ));
    }
    out
}

/// One line: how many rows are within the budget, the slowest, the most memory.
pub fn summary(rows: &[Row]) -> String {
    let within = rows.iter().filter(|r| r.median <= BUDGET).count();
    let slowest = rows.iter().max_by_key(|r| r.median);
    let memory = rows.iter().map(|r| r.memory).max().unwrap_or(0);
    let cap = fluxgate_runtime::runtime::Limits::default().max_memory_bytes;
    format!(
        "worst cases: {within} of {} within {} ms (median of fresh-instance runs){}; peak instance memory {:.1} MiB of the {} MiB cap",
        rows.len(),
        BUDGET.as_millis(),
        slowest.map_or(String::new(), |r| format!(
            "; slowest {:.1} ms, {} on {}",
            r.median.as_secs_f64() * 1e3,
            r.policy,
            r.case
        )),
        memory as f64 / (1 << 20) as f64,
        cap >> 20
    )
}

//! The matchConditions of the generated ClusterAdmissionPolicies
//! (`fluxgate_cli::package::match_conditions`), evaluated by a real CEL interpreter (the `cel`
//! crate) on the variables the API server binds before it calls a webhook (`request`,
//! `object`, `oldObject`):
//!
//! * every fixture of every policy that expects a denial passes every condition: nothing a
//!   policy denies is filtered out before it runs;
//! * no condition fails to evaluate on any request (with `failurePolicy: Fail` the API server
//!   would reject it);
//! * the conditions mirror the identity model (`Identities::candidate`) and the platform
//!   namespaces over a grid of writers and settings;
//! * they filter: each fixture rewritten to a request its policy accepts before any rule runs
//!   (its object in a platform namespace, a Flux or kube-system controller or a human writing
//!   it, an UPDATE that keeps its spec and changes a label) is filtered out exactly when the
//!   identity model (and, for spec-judged policies, `update-changes-spec`) says so, and the
//!   built policy accepts every filtered request.
//!
//! The counts per policy are written to stderr. Needs `just build` (the rewritten requests run
//! through the release modules).

use cel::{Context, Program, Value as Cel};
use fluxgate_admission::flow::Scope as FlowScope;
use fluxgate_admission::{Identities, UserInfo};
use fluxgate_cli::package::{self, MatchCondition, Scope};
use fluxgate_protocol::admission::AdmissionRequest;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_testkit::fixture::Fixture;
use fluxgate_testkit::runner;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).to_path_buf()
}

/// Written past the test harness's capture, so the counts show in `cargo test`'s output.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A policy's matchConditions, compiled.
struct Conditions(Vec<(String, Program)>);

impl Conditions {
    fn new(conditions: &[MatchCondition]) -> Self {
        Conditions(
            conditions
                .iter()
                .map(|c| {
                    let program = Program::compile(&c.expression)
                        .unwrap_or_else(|e| panic!("{}: {e}\n{}", c.name, c.expression));
                    (c.name.clone(), program)
                })
                .collect(),
        )
    }

    /// Whether the API server calls the webhook: every condition true. Every condition is
    /// evaluated (as the API server does), and one that does not give a bool panics.
    fn send(&self, request: &Value, object: &Value, old_object: &Value) -> bool {
        let mut ctx = Context::default();
        ctx.add_variable("request", request).unwrap();
        ctx.add_variable("object", object).unwrap();
        ctx.add_variable("oldObject", old_object).unwrap();
        let mut send = true;
        for (name, program) in &self.0 {
            match program.execute(&ctx) {
                Ok(Cel::Bool(b)) => send &= b,
                other => panic!("matchCondition {name} gave {other:?} on request {request}"),
            }
        }
        send
    }

    /// [`Self::send`] for an AdmissionRequest as Kubernetes binds it: `request` without the
    /// objects (filter.go `CreateAdmissionRequest` leaves them unset) and without empty fields
    /// (`omitempty`), `object`/`oldObject` null when absent.
    fn sends(&self, request: &AdmissionRequest) -> bool {
        let mut bound = serde_json::to_value(request).unwrap();
        let map = bound.as_object_mut().unwrap();
        map.remove("object");
        map.remove("oldObject");
        if map.get("namespace").and_then(Value::as_str) == Some("") {
            map.remove("namespace");
        }
        let user = map
            .get_mut("userInfo")
            .and_then(Value::as_object_mut)
            .unwrap();
        if user.get("username").and_then(Value::as_str) == Some("") {
            user.remove("username");
        }
        if user
            .get("groups")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            user.remove("groups");
        }
        let or_null = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
        self.send(
            &bound,
            &or_null(&request.object),
            &or_null(&request.old_object),
        )
    }
}

fn conditions(scope: Scope, settings: &Value) -> Conditions {
    let identities = package::identities(settings).unwrap();
    Conditions::new(&package::match_conditions(scope, &identities))
}

/// The conditions `fluxgate manifest` writes for a policy of `scope` and `metadata`.
fn manifest_conditions(scope: Scope, metadata: &Metadata, settings: &Value) -> Conditions {
    let identities = package::identities(settings).unwrap();
    let mut all = package::match_conditions(scope, &identities);
    if package::spec_judged(&metadata.rules) {
        all.push(package::spec_changed());
    }
    Conditions::new(&all)
}

#[test]
fn spec_changes_are_required_only_of_policies_that_judge_spec_alone() {
    let kinds = [
        artifact_signature_verification::POLICY.kinds(),
        flux_operator_boundaries::POLICY.kinds(),
        flux_rbac_least_privilege::POLICY.kinds(),
        flux_secrets_isolation::POLICY.kinds(),
        git_commit_verification::POLICY.kinds(),
        helmrelease_boundaries::POLICY.kinds(),
        image_automation_guard::POLICY.kinds(),
        kustomization_boundaries::POLICY.kinds(),
        notification_boundaries::POLICY.kinds(),
        source_origin::POLICY.kinds(),
        tenant_cluster_scope::POLICY.kinds(),
    ];
    let policies = runner::discover(&root()).unwrap();
    assert_eq!(
        policies.len(),
        kinds.len(),
        "this test must list every policy"
    );
    let mut with = Vec::new();
    for (policy, kinds) in policies.iter().zip(kinds) {
        let metadata =
            Metadata::from_yaml(&std::fs::read_to_string(policy.dir.join("metadata.yml")).unwrap())
                .unwrap();
        let spec_alone = kinds.iter().all(|k| k.judged_fields == ["spec"]);
        if package::spec_judged(&metadata.rules) {
            assert!(
                spec_alone,
                "{}: its manifest leaves out spec-preserving UPDATEs, but it judges {:?}",
                policy.name,
                kinds
                    .iter()
                    .map(|k| (k.kind, k.judged_fields))
                    .collect::<Vec<_>>()
            );
            with.push(policy.name.as_str());
        }
    }
    report(&format!("update-changes-spec: {}", with.join(", ")));
    // Every policy of Flux kinds alone: not the RBAC, Secret and any-kind policies.
    assert_eq!(with.len(), 8, "the Flux-kind policies: {with:?}");
}

#[test]
fn the_generator_knows_every_policys_scope() {
    let native: [(&str, FlowScope); 11] = [
        (
            artifact_signature_verification::POLICY.name,
            artifact_signature_verification::POLICY.scope,
        ),
        (
            flux_operator_boundaries::POLICY.name,
            flux_operator_boundaries::POLICY.scope,
        ),
        (
            flux_rbac_least_privilege::POLICY.name,
            flux_rbac_least_privilege::POLICY.scope,
        ),
        (
            flux_secrets_isolation::POLICY.name,
            flux_secrets_isolation::POLICY.scope,
        ),
        (
            git_commit_verification::POLICY.name,
            git_commit_verification::POLICY.scope,
        ),
        (
            helmrelease_boundaries::POLICY.name,
            helmrelease_boundaries::POLICY.scope,
        ),
        (
            image_automation_guard::POLICY.name,
            image_automation_guard::POLICY.scope,
        ),
        (
            kustomization_boundaries::POLICY.name,
            kustomization_boundaries::POLICY.scope,
        ),
        (
            notification_boundaries::POLICY.name,
            notification_boundaries::POLICY.scope,
        ),
        (source_origin::POLICY.name, source_origin::POLICY.scope),
        (
            tenant_cluster_scope::POLICY.name,
            tenant_cluster_scope::POLICY.scope,
        ),
    ];
    let discovered: Vec<String> = runner::discover(&root())
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    let listed: Vec<&str> = native.iter().map(|(name, _)| *name).collect();
    assert_eq!(discovered, listed, "this test must list every policy");
    for (name, scope) in native {
        let expected = match scope {
            FlowScope::TenantObjects => Scope::TenantObjects,
            FlowScope::TenantWriters(_) => Scope::TenantWriters,
            FlowScope::Everything => Scope::Everything,
        };
        assert_eq!(
            package::scope_of(name),
            Some(expected),
            "{name}: package::SCOPES must say the policy's own POLICY.scope"
        );
    }
}

/// A request by `username` in `groups` to create a ConfigMap in `namespace`, as the API
/// server binds it (empty fields left out).
fn request_by(username: &str, groups: &[&str], namespace: &str) -> AdmissionRequest {
    let object = json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "x", "namespace": namespace}});
    let mut request = AdmissionRequest::create("grid", &object, username);
    request.user_info.groups = Some(groups.iter().map(|g| g.to_string()).collect());
    if namespace.is_empty() {
        request.namespace = None;
    }
    request
}

/// Writers that spell the service-account prefixes with non-ASCII case folds: the
/// conditions' `(?i)` sends them, the identity model (ASCII folding) does not call them
/// tenants. Sending more than the policy judges is the safe direction.
const UNICODE_FOLDS: [&str; 2] = [
    "ſystem:serviceaccount:team-a:flux",
    "ſystem:serviceaccounts:team-a",
];

#[test]
fn writer_conditions_mirror_the_identity_model() {
    let settings = [
        json!(null),
        json!({"platformNamespaces": []}),
        json!({"platformNamespaces": ["flux-system", "team-a", "a.b", "x|y"]}),
        json!({"tenantLabel": ""}),
        json!({"platformIdentities": ["alice", "system:serviceaccount:team-a:*"]}),
        json!({"platformIdentities": ["*"]}),
        json!({"tenantIdentities": ["alice", "team:*", "system:serviceaccount:flux-system:*-flux-sa"]}),
        json!({"tenantIdentities": ["a?b", "(x)+", "a.b", "ünï*"]}),
        json!({"tenantIdentities": ["*"], "platformIdentities": ["kubernetes-admin"]}),
    ];
    let usernames = [
        "system:serviceaccount:flux-system:kustomize-controller",
        "system:serviceaccount:flux-system:payments-flux-sa",
        "system:serviceaccount:kube-system:generic-garbage-collector",
        "system:serviceaccount:kubewarden:policy-server",
        "system:serviceaccount:team-a:flux",
        "system:serviceaccount:team-b:flux",
        "system:serviceaccount:flux-system-x:y",
        "system:serviceaccount:flux-system",
        "system:serviceaccount::nameless",
        "System:ServiceAccount:flux-system:kustomize-controller",
        "SYSTEM:SERVICEACCOUNT:kube-system:x",
        "system:serviceaccounts:team-a",
        "alice",
        "kubernetes-admin",
        "",
        "gotk:team-a:reconciler",
        "team:a",
        "a.b",
        "axb",
        "aab",
        "a\nb",
        "ünïcode",
        "(x)+",
        UNICODE_FOLDS[0],
    ];
    let group_sets: [&[&str]; 9] = [
        &[],
        &["system:authenticated"],
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:team-a",
            "system:authenticated",
        ],
        &["system:serviceaccounts:flux-system"],
        &["System:ServiceAccounts:flux-system"],
        &["system:serviceaccounts:"],
        &["team:a", "system:masters"],
        &[
            "system:serviceaccounts:kube-system",
            "system:serviceaccounts:team-b",
        ],
        &[UNICODE_FOLDS[1]],
    ];
    let mut checked = 0;
    for s in &settings {
        let identities = package::identities(s).unwrap();
        let conditions = conditions(Scope::TenantWriters, s);
        for username in usernames {
            for groups in group_sets {
                let user = UserInfo {
                    username: username.to_string(),
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    ..Default::default()
                };
                let judged = identities.candidate(&user).is_some();
                let sent = conditions.sends(&request_by(username, groups, "apps"));
                let folded = UNICODE_FOLDS
                    .iter()
                    .any(|f| username == *f || groups.contains(f));
                assert!(
                    sent == judged || (sent && folded),
                    "settings {s}, user {username:?} in {groups:?}: the policy judges it: {judged}, \
                     the conditions send it: {sent}"
                );
                checked += 1;
            }
        }
    }
    report(&format!(
        "match_conditions: tenant-writer conditions agree with Identities::candidate on {checked} writers x settings"
    ));
}

#[test]
fn object_conditions_mirror_the_platform_namespaces() {
    let settings = [
        json!(null),
        json!({"platformNamespaces": []}),
        json!({"platformNamespaces": ["flux-system", "a.b", "x\"y", "ünï"]}),
    ];
    let namespaces = [
        "flux-system",
        "kube-system",
        "kubewarden",
        "apps",
        "team-a",
        "flux-system-x",
        "a.b",
        "axb",
        "x\"y",
        "ünï",
        "",
    ];
    for s in &settings {
        let identities = package::identities(s).unwrap();
        let conditions = conditions(Scope::TenantObjects, s);
        for ns in namespaces {
            let request = request_by(
                "system:serviceaccount:flux-system:kustomize-controller",
                &[],
                ns,
            );
            // Without a namespace the object is sent (the flow would read metadata.namespace).
            let judged = ns.is_empty() || !identities.is_platform_namespace(ns);
            assert_eq!(
                conditions.sends(&request),
                judged,
                "settings {s}, namespace {ns:?}"
            );
        }
    }
}

#[derive(Default)]
struct Counts {
    denials: usize,
    accepts: usize,
    accepts_filtered: usize,
    rewrites: usize,
    rewrites_filtered: usize,
}

/// Writers the identity model tells apart from tenants by name alone (with the default
/// settings): Flux's controllers, the platform's controllers, a human.
const WRITERS: [(&str, &[&str]); 3] = [
    (
        "system:serviceaccount:flux-system:kustomize-controller",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:flux-system",
            "system:authenticated",
        ],
    ),
    (
        "system:serviceaccount:kube-system:generic-garbage-collector",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:authenticated",
        ],
    ),
    ("alice", &["system:authenticated"]),
];

/// The fixture's request rewritten to what its policy accepts before any rule runs, with
/// whether the policy judges it: by the identity model, and (`spec_judged`) an UPDATE that
/// keeps `spec` and changes a label.
fn rewrites(
    scope: Scope,
    spec_judged: bool,
    identities: &Identities,
    request: &AdmissionRequest,
) -> Vec<(String, AdmissionRequest, bool)> {
    let mut out = Vec::new();
    if let Some(object) = &request.object {
        let mut r = request.clone();
        r.operation = "UPDATE".into();
        r.old_object = Some(object.clone());
        if let Some(new) = r.object.as_mut().filter(|o| o["metadata"].is_object()) {
            new["metadata"]["labels"]["fluxgate.dev/relabelled"] = json!("yes");
        }
        let judged = !spec_judged && scope_judges(scope, identities, request);
        out.push(("as an UPDATE that keeps spec".to_string(), r, judged));
    }
    match scope {
        Scope::Everything => {}
        Scope::TenantObjects => {
            for ns in &identities.platform_namespaces {
                let mut r = request.clone();
                r.namespace = Some(ns.clone());
                for object in [&mut r.object, &mut r.old_object].into_iter().flatten() {
                    if object.is_object() {
                        object["metadata"]["namespace"] = json!(ns);
                    }
                }
                out.push((format!("in namespace {ns}"), r, false));
            }
        }
        Scope::TenantWriters => {
            for (username, groups) in WRITERS {
                let mut r = request.clone();
                r.user_info.username = Some(username.to_string());
                r.user_info.groups = Some(groups.iter().map(|g| g.to_string()).collect());
                let user = UserInfo {
                    username: username.to_string(),
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    ..Default::default()
                };
                let judged = identities.candidate(&user).is_some();
                out.push((format!("written by {username}"), r, judged));
            }
        }
    }
    out
}

/// Whether the flow's scope step (5) judges `request` (`object-outside-platform-namespaces`
/// reads `request.namespace`, as here).
fn scope_judges(scope: Scope, identities: &Identities, request: &AdmissionRequest) -> bool {
    match scope {
        Scope::Everything => true,
        Scope::TenantObjects => request
            .namespace
            .as_deref()
            .is_none_or(|ns| ns.is_empty() || !identities.is_platform_namespace(ns)),
        Scope::TenantWriters => {
            let user = UserInfo {
                username: request.user_info.username.clone().unwrap_or_default(),
                groups: request.user_info.groups.iter().flatten().cloned().collect(),
                ..Default::default()
            };
            identities.candidate(&user).is_some()
        }
    }
}

#[test]
fn no_fixture_a_policy_denies_is_filtered_out_and_what_it_accepts_unjudged_is() {
    let root = root();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let mut totals = Counts::default();
    let mut lines = Vec::new();
    for policy in runner::discover(&root).unwrap() {
        let scope = package::scope_of(&policy.name)
            .unwrap_or_else(|| panic!("{}: not in package::SCOPES", policy.name));
        // Loaded once a rewrite is filtered out.
        let mut module = None;
        let metadata =
            Metadata::from_yaml(&std::fs::read_to_string(policy.dir.join("metadata.yml")).unwrap())
                .unwrap();
        let mut compiled: BTreeMap<String, Conditions> = BTreeMap::new();
        let mut counts = Counts::default();
        for file in policy.fixtures().unwrap() {
            let fixture = Fixture::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            if !fixture.expect.settings_valid {
                continue; // refused settings never reach a webhook
            }
            let uid = file.file_stem().unwrap().to_string_lossy().into_owned();
            let conditions = compiled
                .entry(fixture.settings.to_string())
                .or_insert_with(|| manifest_conditions(scope, &metadata, &fixture.settings));
            let request = fixture.request(&uid);
            let sent = conditions.sends(&request);
            if fixture.expect.allowed == Some(false) {
                counts.denials += 1;
                assert!(
                    sent,
                    "{}: the policy denies it, but its matchConditions filter it out",
                    file.display()
                );
            } else {
                counts.accepts += 1;
                counts.accepts_filtered += usize::from(!sent);
            }

            let writes = matches!(fixture.operation.as_str(), "CREATE" | "UPDATE");
            if !writes || !fixture.object.is_object() {
                continue;
            }
            let identities = package::identities(&fixture.settings).unwrap();
            let cluster = fixture
                .cluster_state
                .clone()
                .map(|v| serde_json::from_value::<ClusterState>(v).unwrap())
                .unwrap_or_default();
            let spec_judged = package::spec_judged(&metadata.rules);
            for (what, rewritten, judged) in rewrites(scope, spec_judged, &identities, &request) {
                if !metadata.selects(&rewritten) {
                    continue; // the API server would not send it at all
                }
                counts.rewrites += 1;
                let sent = conditions.sends(&rewritten);
                assert_eq!(
                    sent,
                    judged,
                    "{} {what}: the policy judges it: {judged}, the conditions send it: {sent}",
                    file.display()
                );
                if sent {
                    continue;
                }
                counts.rewrites_filtered += 1;
                let ctx = Arc::new(EvaluationContext {
                    policy_id: uid.clone(),
                    cluster: cluster.clone(),
                    allowed_resources: metadata.granted_resources(),
                    log: LogSink::Discard,
                    ..Default::default()
                });
                let module = module.get_or_insert_with(|| {
                    let wasm = policy.wasm_path(&root);
                    Policy::load(&runtime, &wasm).unwrap_or_else(|e| {
                        panic!("{}: {e}: run `just build` first", wasm.display())
                    })
                });
                let response =
                    policy::validate(&runtime, module, ctx, &rewritten, &fixture.settings);
                assert!(
                    response.allowed,
                    "{} {what}: filtered out by the matchConditions, but the policy denies it: {:?}",
                    file.display(),
                    response.status
                );
            }
        }
        if scope != Scope::Everything {
            assert!(
                counts.rewrites_filtered > 0,
                "{}: the matchConditions filter nothing",
                policy.name
            );
        }
        lines.push(format!(
            "{:<33} {:<13} {:>3} denials sent, {:>3}/{:>3} accept fixtures filtered, {:>3}/{:>3} rewrites filtered (all accepted)",
            policy.name,
            format!("{scope:?}"),
            counts.denials,
            counts.accepts_filtered,
            counts.accepts,
            counts.rewrites_filtered,
            counts.rewrites,
        ));
        totals.denials += counts.denials;
        totals.accepts += counts.accepts;
        totals.accepts_filtered += counts.accepts_filtered;
        totals.rewrites += counts.rewrites;
        totals.rewrites_filtered += counts.rewrites_filtered;
    }
    report("match_conditions: the generated matchConditions on every fixture (cel crate)");
    for line in &lines {
        report(&format!("  {line}"));
    }
    report(&format!(
        "  total: {} denials all sent, {}/{} accept fixtures and {}/{} rewritten requests filtered out",
        totals.denials,
        totals.accepts_filtered,
        totals.accepts,
        totals.rewrites_filtered,
        totals.rewrites
    ));
}

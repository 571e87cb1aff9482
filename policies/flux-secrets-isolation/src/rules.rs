use crate::settings::{MissingRole, Settings};
use fluxgate_admission::{Ctx, Identities};
use fluxgate_matchers::glob::any_matches;
use fluxgate_rbac::Grants as _;
use fluxgate_rbac::{
    self as rbac, Binding, BindingOf, Principal, ROLE, ROLE_BINDING, RbacKind, ResolveError, Role,
    Scope, SourcedRule, SubjectAt,
};
use fluxgate_rules::{Finding, Rule};

use fluxgate_rbac::{BINDING_KINDS as BINDINGS, RBAC_KINDS, ROLE_KINDS as ROLES};

pub const SECRET_ACCESS: Rule = Rule::deny(
    "secrets/flux-secret-access",
    BINDINGS,
    "A binding in a Flux namespace, or cluster-wide, grants reads of secrets, `pods/exec`, `pods/attach` \
     or `serviceaccounts/token` creation only to allowlisted subjects.",
    "a tenant, workload or over-broad operator role reading Flux's deploy keys and registry or cloud tokens.",
    "allowedServiceAccounts",
);
pub const FLUX_NAMESPACE_ESCALATION: Rule = Rule::deny(
    "secrets/flux-namespace-escalation",
    RBAC_KINDS,
    "A binding in a Flux namespace, or cluster-wide (or a change to the role such a binding grants), lets no \
     subject outside the allowlist and the platform identities create or patch pods or workloads, patch \
     ephemeral containers or write Flux objects there, nor use `nodes/proxy` cluster-wide.",
    "a pod, workload, debug container or Kustomization in the Flux namespace that runs as kustomize-controller \
     and mounts Flux's credentials, or a kubelet exec into the controllers' pods.",
    "allowedServiceAccounts",
);
pub const ROLE_WIDENS_BINDING: Rule = Rule::deny(
    "secrets/role-widens-binding",
    ROLES,
    "A Role or ClusterRole bound in the Flux namespaces (or cluster-wide) to subjects outside the \
     allowlist gains no access to Flux's secrets.",
    "an existing binding starting to read Flux's credentials because its role was edited instead of the binding.",
    "allowedServiceAccounts",
);
pub const BINDINGS_UNLISTED: Rule = Rule::deny(
    "secrets/bindings-unlisted",
    ROLES,
    "A role change granting access to Flux's secrets can be checked against the bindings that grant the role.",
    "a role bound to outsiders being widened while the policy cannot see its bindings.",
    "",
);
pub const ROLE_MISSING: Rule = Rule::deny(
    "secrets/role-missing",
    BINDINGS,
    "A binding in a Flux namespace, or cluster-wide, to subjects outside the allowlist refers to a role that exists.",
    "a binding admitted unjudged before its role, which then reads Flux's secrets.",
    "missingRole",
);
pub const ROLE_UNRESOLVED: Rule = Rule::deny(
    "secrets/role-unresolved",
    BINDINGS,
    "Such a binding has a valid roleRef whose role (and aggregation) the policy can look up.",
    "a grant the policy cannot see (a failed look-up, an unevaluable aggregation selector) being admitted unjudged.",
    "",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &SECRET_ACCESS,
    &FLUX_NAMESPACE_ESCALATION,
    &ROLE_WIDENS_BINDING,
    &BINDINGS_UNLISTED,
    &ROLE_UNRESOLVED,
    &ROLE_MISSING,
];

/// How many grants or subjects a message lists before "and N more".
const LIST_LIMIT: usize = 5;

/// What in `rules` reads Flux's credentials: `get`/`list`/`watch` on secrets, and the ways
/// to a pod's or service account's mounted credentials (`pods/exec`, `pods/attach`,
/// `serviceaccounts/token` create).
pub fn secret_access(rules: &[SourcedRule]) -> Vec<String> {
    let mut found = Vec::new();
    for SourcedRule { origin, rule } in rules {
        let reads: Vec<&str> = ["get", "list", "watch"]
            .into_iter()
            .filter(|v| rule.grants(v, "", "secrets"))
            .collect();
        if !reads.is_empty() {
            found.push(format!("{origin}: {} on secrets", reads.join("/")));
        }
        // Exec and attach are opened with create (and, over WebSockets on older clusters, get).
        for sub in ["pods/exec", "pods/attach"] {
            if rule.grants("create", "", sub) || rule.grants("get", "", sub) {
                found.push(format!("{origin}: {sub}"));
            }
        }
        if rule.grants("create", "", "serviceaccounts/token") {
            found.push(format!("{origin}: create on serviceaccounts/token"));
        }
    }
    found
}

/// The paths secrets/flux-secret-access already refuses: exec, attach, token requests, and
/// token Secrets (which it refuses for the read they need).
const COVERED_PATHS: [&str; 4] = [
    rbac::POD_EXEC,
    rbac::POD_ATTACH,
    rbac::TOKEN_REQUEST,
    rbac::TOKEN_SECRET,
];

/// The other escalation paths into the Flux namespaces (fluxgate-rbac
/// [`rbac::escalation_paths`]) that `rules` open at `scope` (a Flux namespace, or cluster-wide).
/// Each reads Flux's credentials too: a pod there mounts any Secret of the namespace, a source
/// sends one to its URL, the kubelet execs into the controllers.
pub fn escalations(rules: &[SourcedRule], scope: Scope) -> Vec<String> {
    rbac::escalation_paths(rules, scope == Scope::Cluster)
        .iter()
        .filter(|e| !COVERED_PATHS.contains(&e.path.name))
        .map(|e| e.describe())
        .collect()
}

/// Whether the allowlist names the subject. A kind RBAC does not know grants nothing.
fn allowed(principal: Principal, group_or_user: &str, settings: &Settings) -> bool {
    match principal {
        Principal::ServiceAccount { namespace, name } => {
            rbac::account_matches(&settings.allowed_service_accounts, namespace, name)
        }
        Principal::User(user) => any_matches(&settings.allowed_users, user),
        Principal::Unknown => true,
        _ => any_matches(&settings.allowed_groups, group_or_user),
    }
}

/// Every subject outside the allowlist.
fn outsiders<'a>(
    binding: &'a Binding,
    binding_namespace: &'a str,
    settings: &'a Settings,
) -> impl Iterator<Item = SubjectAt<'a>> + Clone {
    binding
        .subjects_at(binding_namespace)
        .filter(|s| !allowed(s.principal(), &s.subject.name, settings))
}

/// The outsiders that the identity model does not make Flux controllers or platform
/// identities either: those the escalation paths are judged for.
fn escalating<'a>(
    binding: &'a Binding,
    binding_namespace: &'a str,
    settings: &'a Settings,
    identities: &'a Identities,
) -> impl Iterator<Item = SubjectAt<'a>> + Clone {
    outsiders(binding, binding_namespace, settings)
        .filter(|s| !rbac::controller_or_platform(s.principal(), identities))
}

fn listing<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    fluxgate_rules::abbreviated(items, LIST_LIMIT)
}

fn where_text(scope: Scope, identities: &Identities) -> String {
    match scope {
        Scope::Namespace(ns) => format!("in the Flux namespace {ns}"),
        Scope::Cluster => format!(
            "cluster-wide (Flux namespaces included: {})",
            identities.flux_namespaces.join(", ")
        ),
    }
}

const ESCALATION_FIX: &str = "leave pods, workloads, ephemeral containers and Flux objects in the Flux namespaces (and nodes/proxy anywhere) to the Flux controllers: \
                              bind a role without these grants, or bind it in the subject's own namespace; a subject that must hold them belongs in \
                              settings.allowedServiceAccounts, allowedUsers or allowedGroups, or the shared platformIdentities";

const FIX: &str = "leave secrets, pods/exec, pods/attach and serviceaccounts/token in the Flux namespaces to the Flux controllers: \
                   bind a role without them, or, if the subject must read Flux's credentials, add it to settings.allowedServiceAccounts, allowedUsers or allowedGroups";

/// Judges a RoleBinding (only in a Flux namespace) or a ClusterRoleBinding.
pub fn check_binding(binding: &Binding, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let (settings, identities) = (ctx.settings, ctx.identities);
    let (scope, namespace) = if ctx.object.kind == ROLE_BINDING.kind {
        if !identities.is_flux_namespace(ctx.namespace()) {
            return Vec::new();
        }
        (Scope::Namespace(ctx.namespace()), ctx.namespace())
    } else {
        (Scope::Cluster, "")
    };
    let who = outsiders(binding, namespace, settings);
    if who.clone().next().is_none() {
        return Vec::new();
    }
    let role_ref = &binding.role_ref;
    let binding_ns = (scope != Scope::Cluster).then_some(namespace);
    let role = match rbac::resolve_role_ref(ctx.cluster, role_ref, binding_ns) {
        Ok(role) => role,
        Err(ResolveError::Missing(_)) if settings.missing_role == MissingRole::Allow => {
            return Vec::new();
        }
        Err(ResolveError::Missing(why)) => {
            return vec![ROLE_MISSING.at(
                "roleRef",
                format!(
                    "{why}, so whether it reads Flux's secrets {} cannot be checked for {}",
                    where_text(scope, identities),
                    listing(who.clone())
                ),
                "create the role before the binding (with Flux: in a Kustomization this one dependsOn), or set missingRole: allow",
            )];
        }
        Err(e) => {
            return vec![rbac::unresolved(
                &ROLE_UNRESOLVED,
                &e,
                role_ref,
                "fix the roleRef, or grant the policy the RBAC lookups its metadata declares (contextAwareResources)",
            )];
        }
    };
    let mut role_text = format!("{} {}", role_ref.kind, role_ref.name);
    if !role.aggregated.is_empty() {
        role_text.push_str(&format!(" (aggregating {})", listing(&role.aggregated)));
    }
    let mut out = Vec::new();
    let access = secret_access(&role.rules);
    if !access.is_empty() {
        out.push(SECRET_ACCESS.at(
            "roleRef",
            format!(
                "{role_text} grants {} {} to subjects outside the allowlist: {}",
                listing(&access),
                where_text(scope, identities),
                listing(who.clone())
            ),
            FIX,
        ));
    }
    let paths = escalations(&role.rules, scope);
    let mut who = escalating(binding, namespace, settings, identities).peekable();
    if !paths.is_empty() && who.peek().is_some() {
        out.push(FLUX_NAMESPACE_ESCALATION.at(
            "roleRef",
            format!(
                "{role_text} {} gives subjects outside the allowlist ({}) paths to the Flux controllers' privileges and credentials: {}",
                where_text(scope, identities),
                listing(who),
                listing(&paths)
            ),
            ESCALATION_FIX,
        ));
    }
    out
}

/// Judges a Role (in a Flux namespace) or ClusterRole change by the bindings that already
/// grant it in the Flux namespaces.
pub fn check_role(role: &Role, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let (settings, identities, obj) = (ctx.settings, ctx.identities, ctx.object);
    let kind = if obj.kind == ROLE.kind {
        RbacKind::Role
    } else {
        RbacKind::ClusterRole
    };
    if kind == RbacKind::Role && !identities.is_flux_namespace(&obj.namespace) {
        return Vec::new();
    }
    // With an aggregation that cannot be worked out, role-widens-binding reports why.
    let (rules, aggregation_error) = match rbac::expand(ctx.cluster, kind, &obj.name, role) {
        Ok(resolved) => (resolved.rules, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let access = secret_access(&rules);
    let paths = escalations(&rules, Scope::Cluster);
    if access.is_empty() && paths.is_empty() && aggregation_error.is_none() {
        return Vec::new();
    }
    let bindings = match rbac::bindings_of(
        ctx.cluster,
        kind,
        &obj.namespace,
        &obj.name,
        &role.metadata.labels,
        Some(&identities.flux_namespaces),
    ) {
        Ok(b) => b,
        Err(why) => {
            return vec![BINDINGS_UNLISTED.at(
                "rules",
                format!(
                    "grants {} and the bindings that would grant it cannot be listed: {why}",
                    listing([access.as_slice(), paths.as_slice()].concat())
                ),
                "grant the policy the RBAC lookups its metadata declares (contextAwareResources)",
            )];
        }
    };
    let what = match &aggregation_error {
        Some(why) => vec![why.clone()],
        None => access,
    };
    let mut out = Vec::new();
    for found in &bindings {
        if !what.is_empty() {
            out.extend(widening(found, &what, settings, identities));
        }
        out.extend(opens_escalation(found, &rules, settings, identities));
    }
    out
}

/// A role change that would give subjects of `found` escalation paths into the Flux
/// namespaces. The paths are worked out again for the binding's scope: nodes/proxy opens only
/// through a ClusterRoleBinding.
fn opens_escalation(
    found: &BindingOf,
    rules: &[SourcedRule],
    settings: &Settings,
    identities: &Identities,
) -> Option<Finding> {
    let paths = escalations(rules, found.scope());
    if paths.is_empty() {
        return None;
    }
    let mut who = escalating(&found.binding, found.namespace(), settings, identities).peekable();
    who.peek()?;
    Some(FLUX_NAMESPACE_ESCALATION.at(
        "rules",
        format!(
            "{} grants this role {} to subjects outside the allowlist ({}), so this change would give them paths to the Flux controllers' privileges and credentials: {}",
            found.describe(),
            where_text(found.scope(), identities),
            listing(who),
            listing(&paths)
        ),
        ESCALATION_FIX,
    ))
}

fn widening(
    found: &BindingOf,
    what: &[String],
    settings: &Settings,
    identities: &Identities,
) -> Option<Finding> {
    let mut who = outsiders(&found.binding, found.namespace(), settings).peekable();
    who.peek()?;
    Some(ROLE_WIDENS_BINDING.at(
        "rules",
        format!(
            "{} grants this role {} to subjects outside the allowlist ({}), so this change would grant them {}",
            found.describe(),
            where_text(found.scope(), identities),
            listing(who),
            listing(what)
        ),
        FIX,
    ))
}

#[cfg(test)]
mod tests {
    use crate::POLICY;
    use fluxgate_admission::MemoryCluster;
    use fluxgate_admission::entry::judge;
    use fluxgate_admission::flow::review_create;
    use fluxgate_rules::Verdict;
    use serde_json::{Value, json};

    const RBAC: &str = "rbac.authorization.k8s.io/v1";

    /// The verdict on a CREATE of `object` under `settings`, with `state` in the cluster.
    fn review_with(object: Value, state: Vec<Value>, settings: Value) -> Verdict {
        let payload = json!({
            "request": {
                "operation": "CREATE",
                "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(json!("")),
                "kind": {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": object["kind"]},
                "userInfo": {"username": "system:serviceaccount:flux-system:kustomize-controller"},
                "object": object,
            },
            "settings": settings,
        });
        judge(
            &POLICY,
            &serde_json::to_vec(&payload).unwrap(),
            &MemoryCluster::new(state),
        )
    }

    fn review(object: Value, state: Vec<Value>) -> Verdict {
        review_with(object, state, json!(null))
    }

    fn ids(verdict: &Verdict) -> Vec<&str> {
        verdict.findings.iter().map(|f| f.rule.as_ref()).collect()
    }

    fn role(kind: &str, ns: Option<&str>, name: &str, rules: Value) -> Value {
        let mut r =
            json!({"apiVersion": RBAC, "kind": kind, "metadata": {"name": name}, "rules": rules});
        if let Some(ns) = ns {
            r["metadata"]["namespace"] = json!(ns);
        }
        r
    }

    fn binding(
        kind: &str,
        ns: Option<&str>,
        role_kind: &str,
        role: &str,
        subjects: Value,
    ) -> Value {
        let mut b = json!({
            "apiVersion": RBAC, "kind": kind, "metadata": {"name": "b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": subjects
        });
        if let Some(ns) = ns {
            b["metadata"]["namespace"] = json!(ns);
        }
        b
    }

    fn reader() -> Value {
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}])
    }

    #[test]
    fn role_binding_in_flux_namespace() {
        let state = vec![role("Role", Some("flux-system"), "r", reader())];
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let v = review(
            binding(
                "RoleBinding",
                Some("flux-system"),
                "Role",
                "r",
                alice.clone(),
            ),
            state.clone(),
        );
        assert_eq!(ids(&v), ["secrets/flux-secret-access"]);
        assert!(
            v.findings[0].problem.contains("get/list on secrets"),
            "{v:?}"
        );
        let elsewhere = binding("RoleBinding", Some("apps"), "Role", "r", alice.clone());
        assert!(review(elsewhere, state.clone()).findings.is_empty());
        let controller = json!([{"kind": "User", "name": "system:serviceaccount:flux-system:source-controller"}]);
        let v = review(
            binding("RoleBinding", Some("flux-system"), "Role", "r", controller),
            state.clone(),
        );
        assert!(v.findings.is_empty(), "{v:?}");
        // The Flux namespaces are the shared identity setting.
        let moved = json!({"fluxNamespaces": ["gitops"]});
        let v = review_with(
            binding("RoleBinding", Some("flux-system"), "Role", "r", alice),
            state,
            moved,
        );
        assert!(v.findings.is_empty(), "{v:?}");
    }

    #[test]
    fn exec_counts_as_secret_read() {
        let state = vec![role(
            "ClusterRole",
            None,
            "debug",
            json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        )];
        let devs = json!([{"kind": "Group", "name": "devs"}]);
        let v = review(
            binding("ClusterRoleBinding", None, "ClusterRole", "debug", devs),
            state,
        );
        assert_eq!(ids(&v), ["secrets/flux-secret-access"]);
        assert!(v.findings[0].problem.contains("pods/exec"), "{v:?}");
        assert!(v.findings[0].problem.contains("cluster-wide"), "{v:?}");
    }

    #[test]
    fn missing_and_unresolved_roles() {
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let b = binding(
            "RoleBinding",
            Some("flux-system"),
            "Role",
            "nope",
            alice.clone(),
        );
        assert_eq!(
            ids(&review(b.clone(), Vec::new())),
            ["secrets/role-missing"]
        );
        let allow = json!({"missingRole": "allow"});
        assert!(
            review_with(b.clone(), Vec::new(), allow)
                .findings
                .is_empty()
        );
        // Without a cluster to look the role up in, the binding cannot be judged.
        let v = review_create(&POLICY, b, "admin", json!(null));
        assert_eq!(ids(&v), ["secrets/role-unresolved"]);
        let b = binding("ClusterRoleBinding", None, "Role", "x", alice);
        assert_eq!(ids(&review(b, Vec::new())), ["secrets/role-unresolved"]);
    }

    #[test]
    fn clusterrole_change_is_judged_by_flux_namespace_bindings_only() {
        let rb = |ns: &str| {
            json!({"apiVersion": RBAC, "kind": "RoleBinding",
                   "metadata": {"name": "ops", "namespace": ns},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ops"},
                   "subjects": [{"kind": "User", "name": "alice"}]})
        };
        let ops = role("ClusterRole", None, "ops", reader());
        let v = review(ops.clone(), vec![rb("apps")]);
        assert!(v.findings.is_empty(), "{v:?}");
        let v = review(ops, vec![rb("apps"), rb("flux-system")]);
        assert_eq!(ids(&v), ["secrets/role-widens-binding"]);
        assert!(
            v.findings[0]
                .problem
                .starts_with("RoleBinding flux-system/ops grants"),
            "{v:?}"
        );
    }

    #[test]
    fn paths_into_the_flux_namespace() {
        let state = vec![
            role(
                "ClusterRole",
                None,
                "deployer",
                json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}]),
            ),
            role(
                "ClusterRole",
                None,
                "everything",
                json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            ),
            role(
                "ClusterRole",
                None,
                "debug",
                json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
            ),
        ];
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let rb = |role: &str, subjects: &Value| {
            binding(
                "RoleBinding",
                Some("flux-system"),
                "ClusterRole",
                role,
                subjects.clone(),
            )
        };
        let v = review(rb("deployer", &alice), state.clone());
        assert_eq!(ids(&v), ["secrets/flux-namespace-escalation"]);
        let p = &v.findings[0].problem;
        assert!(
            p.contains("workload-write (rules[0]: patch on deployments.apps)"),
            "{p}"
        );
        assert!(p.contains("(subjects[0] User alice)"), "{p}");
        // Everything: the secret reads and the other paths, each under its own rule.
        let v = review(rb("everything", &alice), state.clone());
        assert_eq!(
            ids(&v),
            [
                "secrets/flux-secret-access",
                "secrets/flux-namespace-escalation"
            ]
        );
        assert!(!v.findings[1].problem.contains("pod-exec"), "{v:?}");
        // Exec is flux-secret-access's alone.
        let v = review(rb("debug", &alice), state.clone());
        assert_eq!(ids(&v), ["secrets/flux-secret-access"]);
        // Not in a Flux namespace: nothing.
        let elsewhere = binding(
            "RoleBinding",
            Some("apps"),
            "ClusterRole",
            "deployer",
            alice.clone(),
        );
        assert!(review(elsewhere, state.clone()).findings.is_empty());
        // Platform identities may hold the paths, not the secret reads.
        let platform = json!({"platformIdentities": ["alice"]});
        let v = review_with(rb("deployer", &alice), state.clone(), platform.clone());
        assert!(v.findings.is_empty(), "{v:?}");
        let v = review_with(rb("everything", &alice), state.clone(), platform);
        assert_eq!(ids(&v), ["secrets/flux-secret-access"]);
        let kubewarden =
            json!([{"kind": "ServiceAccount", "name": "policy-server", "namespace": "kubewarden"}]);
        let v = review(rb("deployer", &kubewarden), state.clone());
        assert!(v.findings.is_empty(), "{v:?}");
        // Another service account of flux-system is not a controller.
        let runner = json!([{"kind": "ServiceAccount", "name": "tf-runner"}]);
        let v = review(rb("deployer", &runner), state);
        assert_eq!(ids(&v), ["secrets/flux-namespace-escalation"]);
        assert!(
            v.findings[0]
                .problem
                .contains("ServiceAccount flux-system/tf-runner"),
            "{v:?}"
        );
    }

    #[test]
    fn nodes_proxy_only_cluster_wide() {
        let state = vec![role(
            "ClusterRole",
            None,
            "kubelet",
            json!([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]),
        )];
        let devs = json!([{"kind": "Group", "name": "devs"}]);
        let v = review(
            binding(
                "ClusterRoleBinding",
                None,
                "ClusterRole",
                "kubelet",
                devs.clone(),
            ),
            state.clone(),
        );
        assert_eq!(ids(&v), ["secrets/flux-namespace-escalation"]);
        assert!(v.findings[0].problem.contains("nodes-proxy"), "{v:?}");
        let v = review(
            binding(
                "RoleBinding",
                Some("flux-system"),
                "ClusterRole",
                "kubelet",
                devs.clone(),
            ),
            state,
        );
        assert!(v.findings.is_empty(), "{v:?}");
        // A role change reaching a ClusterRoleBinding opens it.
        let crb = binding("ClusterRoleBinding", None, "ClusterRole", "kubelet", devs);
        let changed = role(
            "ClusterRole",
            None,
            "kubelet",
            json!([{"apiGroups": [""], "resources": ["*/proxy"], "verbs": ["create"]}]),
        );
        let v = review(changed, vec![crb]);
        assert_eq!(ids(&v), ["secrets/flux-namespace-escalation"]);
        assert!(
            v.findings[0]
                .problem
                .starts_with("ClusterRoleBinding b grants this role cluster-wide"),
            "{v:?}"
        );
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in crate::RULES {
            assert!(rule.id.starts_with("secrets/"), "{}", rule.id);
            assert!(seen.insert(rule.id), "{} twice", rule.id);
        }
    }
}

use crate::settings::{MissingRole, Settings};
use fluxgate_admission::{Ctx, Identities};
use fluxgate_matchers::glob;
use fluxgate_rbac::Grants;
use fluxgate_rbac::{
    self as rbac, Binding, BindingOf, Principal, RBAC_GROUP, ROLE, ROLE_BINDING, RbacKind,
    ResolveError, Role, Scope, SourcedRule, SubjectAt,
};
use fluxgate_rules::{Finding, Rule};
use std::borrow::Cow;

use fluxgate_rbac::{BINDING_KINDS as BINDINGS, RBAC_KINDS, ROLE_KINDS as ROLES};

pub const CLUSTER_ADMIN: Rule = Rule::deny(
    "rbac/cluster-admin",
    BINDINGS,
    "No Flux identity is bound to ClusterRole `cluster-admin` (only `platformAccounts` may be).",
    "a tenant's repository (or a compromised controller) taking the whole cluster with one binding.",
    "platformAccounts",
);
pub const ADMIN_CLUSTER_WIDE: Rule = Rule::deny(
    "rbac/admin-cluster-wide",
    BINDINGS,
    "ClusterRole `admin` is bound to a Flux identity only by a RoleBinding in one namespace.",
    "a tenant getting the objects, secrets and RBAC of every namespace through a ClusterRoleBinding.",
    "platformAccounts",
);
pub const ROLE_MISSING: Rule = Rule::deny(
    "rbac/role-missing",
    BINDINGS,
    "A binding of Flux identities refers to a role that exists, so what it grants can be judged.",
    "a binding admitted unjudged before its role, which then grants anything it likes.",
    "missingRole",
);
pub const ROLE_UNRESOLVED: Rule = Rule::deny(
    "rbac/role-unresolved",
    BINDINGS,
    "A binding of Flux identities has a valid roleRef whose role (and aggregation) the policy can look up.",
    "a grant the policy cannot see (a failed look-up, an unevaluable aggregation selector) being admitted unjudged.",
    "",
);
pub const FORBIDDEN_GRANT: Rule = Rule::deny(
    "rbac/forbidden-grant",
    BINDINGS,
    "The role bound to a Flux identity grants no wildcards, escalate/bind/impersonate, writes on RBAC, \
     admission webhooks, CRDs or `extraForbiddenWrites`, and no cluster-wide token creation.",
    "a Flux identity escalating through an innocently named role: writing RBAC, webhooks or CRDs, \
     impersonating, or minting tokens of other service accounts.",
    "platformAccounts",
);
pub const BINDINGS_UNLISTED: Rule = Rule::deny(
    "rbac/bindings-unlisted",
    ROLES,
    "A role change granting what Flux identities must not hold can be checked against the bindings that grant the role.",
    "a role bound to Flux identities being widened while the policy cannot see its bindings.",
    "",
);
pub const FLUX_NAMESPACE_ESCALATION: Rule = Rule::deny(
    "rbac/flux-namespace-escalation",
    RBAC_KINDS,
    "No Flux identity but the controllers is granted, by a binding in a Flux namespace or cluster-wide (or by \
     a change to the role such a binding grants), a path to the controllers' privileges: creating or patching \
     pods or workloads, ephemeral containers, exec/attach, writing Flux objects or minting tokens there, or \
     `nodes/proxy` cluster-wide.",
    "a tenant or stray service account becoming cluster-admin through a pod, workload or Kustomization that \
     runs as kustomize-controller in the Flux namespace, or through the kubelet API.",
    "platformAccounts",
);
pub const ROLE_WIDENS_BINDING: Rule = Rule::deny(
    "rbac/role-widens-binding",
    ROLES,
    "A Role or ClusterRole already bound to Flux identities (directly or through aggregation) gains none of the forbidden grants.",
    "a tenant widening what it already holds by editing the role instead of the binding.",
    "platformAccounts",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &CLUSTER_ADMIN,
    &ADMIN_CLUSTER_WIDE,
    &FORBIDDEN_GRANT,
    &FLUX_NAMESPACE_ESCALATION,
    &ROLE_UNRESOLVED,
    &ROLE_WIDENS_BINDING,
    &BINDINGS_UNLISTED,
    &ROLE_MISSING,
];

/// Writes that change who may do what, or what the API server enforces:
/// `(group, resource, cluster-scoped)`. Cluster-scoped ones are skipped for a RoleBinding,
/// which grants nothing on them.
const FORBIDDEN_WRITES: [(&str, &str, bool); 11] = [
    (RBAC_GROUP, "roles", false),
    (RBAC_GROUP, "rolebindings", false),
    (RBAC_GROUP, "clusterroles", true),
    (RBAC_GROUP, "clusterrolebindings", true),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicies",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
        true,
    ),
    ("apiextensions.k8s.io", "customresourcedefinitions", true),
];

/// Verbs that hand out more than the role holds, or someone else's identity.
const ESCALATION_VERBS: [&str; 3] = ["escalate", "bind", "impersonate"];

/// How many grants or subjects a message lists before "and N more".
const LIST_LIMIT: usize = 5;

/// How far a subject is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// May hold anything (`platformAccounts`).
    Platform,
    /// A Flux controller: may hold what Flux's crd-controller ClusterRole grants.
    Controller,
    /// Any other Flux identity.
    Flux,
}

/// A subject of a binding that is a Flux identity, shown as
/// `subjects[1] ServiceAccount team-a/flux (a tenant service account)`.
struct FluxSubject<'a> {
    tier: Tier,
    at: SubjectAt<'a>,
    why: Cow<'static, str>,
    /// Whether it may hold the escalation paths into the Flux namespaces: a `controllerAccounts`
    /// account, or one the identity model makes a controller or platform identity
    /// ([`rbac::controller_or_platform`]).
    may_escalate: bool,
}

impl std::fmt::Display for FluxSubject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.at, self.why)
    }
}

/// Whether some service account of `namespace` could be named by a `tenantIdentities` glob.
fn tenants_in(patterns: &[String], namespace: &str) -> bool {
    rbac::could_name_account_in(patterns, namespace)
}

/// Whether a subject is a Flux identity, how far it is trusted and why it counts.
fn classify(
    principal: Principal,
    settings: &Settings,
    identities: &Identities,
) -> Option<(Tier, Cow<'static, str>)> {
    let tenants = &identities.tenant_identities;
    match principal {
        Principal::ServiceAccount { namespace, name } => {
            let accounts = |list: &[String]| rbac::account_matches(list, namespace, name);
            if accounts(&settings.platform_accounts) {
                Some((Tier::Platform, "a platform account".into()))
            } else if accounts(&settings.controller_accounts) {
                Some((Tier::Controller, "a Flux controller account".into()))
            } else if identities.is_flux_namespace(namespace) {
                Some((
                    Tier::Flux,
                    format!("a service account of the Flux namespace {namespace}").into(),
                ))
            } else if !tenants.is_empty()
                && glob::any_matches(
                    tenants,
                    &format!("system:serviceaccount:{namespace}:{name}"),
                )
            {
                Some((Tier::Flux, "a tenant service account".into()))
            } else {
                None
            }
        }
        Principal::ServiceAccountsIn(ns) if identities.is_flux_namespace(ns) => Some((
            Tier::Flux,
            format!("every service account of the Flux namespace {ns}").into(),
        )),
        Principal::ServiceAccountsIn(ns)
            if tenants_in(tenants, ns)
                || glob::any_matches(tenants, &format!("system:serviceaccounts:{ns}")) =>
        {
            Some((
                Tier::Flux,
                format!("every service account of {ns}, tenant service accounts included").into(),
            ))
        }
        Principal::AllServiceAccounts => {
            Some((Tier::Flux, "every service account, Flux's included".into()))
        }
        Principal::Authenticated => Some((
            Tier::Flux,
            "every authenticated identity, Flux's service accounts included".into(),
        )),
        Principal::Group(name) if glob::any_matches(tenants, name) => {
            Some((Tier::Flux, "a tenant group".into()))
        }
        Principal::User(name) if glob::any_matches(tenants, name) => {
            Some((Tier::Flux, "a tenant identity".into()))
        }
        _ => None,
    }
}

/// The binding's subjects that are Flux identities, platform accounts left out.
fn flux_subjects<'a>(
    binding: &'a Binding,
    binding_namespace: &'a str,
    settings: &Settings,
    identities: &Identities,
) -> Vec<FluxSubject<'a>> {
    binding
        .subjects_at(binding_namespace)
        .filter_map(|at| {
            let principal = at.principal();
            let (tier, why) = classify(principal, settings, identities)?;
            (tier != Tier::Platform).then(|| FluxSubject {
                tier,
                at,
                why,
                may_escalate: tier == Tier::Controller
                    || rbac::controller_or_platform(principal, identities),
            })
        })
        .collect()
}

/// What in `rules` a Flux identity must not hold at `scope`. Wildcards confined to
/// `controllerApiGroups` are tolerated in a namespace, and for `controller` (what Flux's
/// controllers need) also cluster-wide, as is `serviceaccounts/token` create.
pub fn forbidden_grants(
    rules: &[SourcedRule],
    scope: Scope,
    controller: bool,
    settings: &Settings,
) -> Vec<String> {
    let cluster_wide = scope == Scope::Cluster;
    let mut found = Vec::new();
    for SourcedRule { origin, rule } in rules {
        if rule.resources().is_empty() {
            continue; // nonResourceURLs only: no objects
        }
        // Flux's controllers hold `*` on Flux's groups everywhere; any Flux identity may in
        // one namespace (flux-edit joins the built-in edit and admin), never cluster-wide,
        // where it means writing Kustomizations in the Flux namespace.
        let tolerated = (controller || !cluster_wide)
            && !rule.api_groups().is_empty()
            && rule
                .api_groups()
                .iter()
                .all(|g| settings.controller_api_groups.contains(g));
        if !tolerated
            && (rule.verbs.iter().any(|v| v == "*") || rule.resources().iter().any(|r| r == "*"))
        {
            found.push(format!("{origin}: wildcard {}", rule.describe()));
            continue;
        }
        for verb in ESCALATION_VERBS {
            if rule.verbs.iter().any(|v| v == verb) {
                found.push(format!("{origin}: verb {verb} on {:?}", rule.resources()));
            }
        }
        for (group, resource, cluster_scoped) in FORBIDDEN_WRITES {
            if (cluster_wide || !cluster_scoped) && rule.grants_write(group, resource) {
                found.push(format!(
                    "{origin}: writes {}",
                    group_resource(group, resource)
                ));
            }
        }
        for (group, resource) in settings.extra_writes() {
            if rule.grants_write(group, resource) {
                found.push(format!(
                    "{origin}: writes {} (extraForbiddenWrites)",
                    group_resource(group, resource)
                ));
            }
        }
        if cluster_wide && !controller && rule.grants("create", "", "serviceaccounts/token") {
            found.push(format!(
                "{origin}: creates serviceaccounts/token cluster-wide (a token of any service account)"
            ));
        }
    }
    found.dedup();
    found
}

/// The escalation paths into the Flux namespaces (fluxgate-rbac [`rbac::escalation_paths`])
/// that `rules` open at `scope`: a RoleBinding in a Flux namespace, or a ClusterRoleBinding,
/// which reaches them all. Cluster-wide `serviceaccounts/token` creation is left to
/// rbac/forbidden-grant, which refuses it already.
pub fn flux_namespace_escalations(
    rules: &[SourcedRule],
    scope: Scope,
    identities: &Identities,
) -> Vec<String> {
    let cluster_wide = match scope {
        Scope::Cluster => true,
        Scope::Namespace(ns) if identities.is_flux_namespace(ns) => false,
        Scope::Namespace(_) => return Vec::new(),
    };
    rbac::escalation_paths(rules, cluster_wide)
        .iter()
        .filter(|e| !(cluster_wide && e.path.name == rbac::TOKEN_REQUEST))
        .map(|e| e.describe())
        .collect()
}

const ESCALATION_FIX: &str = "leave pods, workloads, exec and attach, Flux objects and tokens in the Flux namespaces (and nodes/proxy anywhere) \
                              to the Flux controllers: bind a role without these grants, or bind it with a RoleBinding in the identity's own namespace; \
                              an identity that must hold them belongs in settings.platformAccounts or platformIdentities";

/// `in the Flux namespace flux-system` or `cluster-wide (Flux namespaces included: ...)`.
fn flux_scope_text(scope: Scope, identities: &Identities) -> String {
    match scope {
        Scope::Namespace(ns) => format!("in the Flux namespace {ns}"),
        Scope::Cluster => format!(
            "cluster-wide (Flux namespaces included: {})",
            identities.flux_namespaces.join(", ")
        ),
    }
}

/// The subjects the escalation paths are judged for: Flux identities that are neither
/// controllers nor platform identities.
fn escalating<'s>(
    subjects: &'s [FluxSubject],
) -> impl Iterator<Item = &'s FluxSubject<'s>> + Clone {
    subjects.iter().filter(|s| !s.may_escalate)
}

fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// `a, b, c and 2 more`.
fn listing<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    fluxgate_rules::abbreviated(items, LIST_LIMIT)
}

fn scope_text(scope: Scope) -> String {
    match scope {
        Scope::Cluster => "cluster-wide".into(),
        Scope::Namespace(ns) => format!("in namespace {ns}"),
    }
}

/// Judges a RoleBinding (in its namespace) or a ClusterRoleBinding (cluster-wide).
pub fn check_binding(binding: &Binding, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let (scope, namespace) = if ctx.object.kind == ROLE_BINDING.kind {
        (Scope::Namespace(ctx.namespace()), ctx.namespace())
    } else {
        (Scope::Cluster, "")
    };
    let subjects = flux_subjects(binding, namespace, settings, ctx.identities);
    if subjects.is_empty() {
        return Vec::new();
    }
    let role_ref = &binding.role_ref;
    let at = scope_text(scope);
    let by_name = role_ref.api_group == RBAC_GROUP && role_ref.kind == "ClusterRole";
    if by_name && role_ref.name == "cluster-admin" {
        return vec![CLUSTER_ADMIN.at(
            "roleRef.name",
            format!(
                "ClusterRole cluster-admin (every verb on every resource) is granted {at} to Flux identities: {}",
                listing(&subjects)
            ),
            "bind a role that grants only what these identities reconcile; only settings.platformAccounts may hold cluster-admin",
        )];
    }
    if by_name && role_ref.name == "admin" && scope == Scope::Cluster {
        return vec![ADMIN_CLUSTER_WIDE.at(
            "roleRef.name",
            format!(
                "ClusterRole admin bound cluster-wide gives Flux identities the objects, secrets and RBAC of every namespace: {}",
                listing(&subjects)
            ),
            "bind admin with a RoleBinding in the tenant's own namespace, or bind a narrower ClusterRole",
        )];
    }
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
                    "{why}, so what it grants to Flux identities cannot be checked: {}",
                    listing(&subjects)
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
    for tier in [Tier::Flux, Tier::Controller] {
        let who = subjects.iter().filter(|s| s.tier == tier);
        if who.clone().next().is_none() {
            continue;
        }
        let grants = forbidden_grants(&role.rules, scope, tier == Tier::Controller, settings);
        if grants.is_empty() {
            continue;
        }
        out.push(FORBIDDEN_GRANT.at(
            "roleRef",
            format!(
                "{role_text} {at} grants {} to Flux identities: {}",
                listing(&grants),
                listing(who)
            ),
            "bind a role without these grants (least privilege); a platform identity that needs them belongs in settings.platformAccounts",
        ));
    }
    let who = escalating(&subjects);
    if who.clone().next().is_some() {
        let paths = flux_namespace_escalations(&role.rules, scope, ctx.identities);
        if !paths.is_empty() {
            out.push(FLUX_NAMESPACE_ESCALATION.at(
                "roleRef",
                format!(
                    "{role_text} {} gives Flux identities other than the controllers ({}) paths to the controllers' privileges: {}",
                    flux_scope_text(scope, ctx.identities),
                    listing(who),
                    listing(&paths)
                ),
                ESCALATION_FIX,
            ));
        }
    }
    out
}

/// Judges a Role or ClusterRole change by the bindings that already grant it (directly or
/// through an aggregated ClusterRole) to Flux identities.
pub fn check_role(role: &Role, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let (settings, obj) = (ctx.settings, ctx.object);
    let kind = if obj.kind == ROLE.kind {
        RbacKind::Role
    } else {
        RbacKind::ClusterRole
    };
    let (rules, aggregation_error) = match rbac::expand(ctx.cluster, kind, &obj.name, role) {
        Ok(resolved) => (resolved.rules, None),
        Err(e) => (
            rbac::expand(
                ctx.cluster,
                kind,
                &obj.name,
                &Role {
                    aggregation_rule: None,
                    ..role.clone()
                },
            )
            .map(|r| r.rules)
            .unwrap_or_default(),
            Some(e.to_string()),
        ),
    };
    // A Role outside the Flux namespaces is bound only there, where no path opens.
    let escalation_scope = match kind {
        RbacKind::Role => Scope::Namespace(&obj.namespace),
        _ => Scope::Cluster,
    };
    // Nothing any Flux identity could not hold: no need to ask who holds it.
    if aggregation_error.is_none()
        && forbidden_grants(&rules, Scope::Cluster, false, settings).is_empty()
        && flux_namespace_escalations(&rules, escalation_scope, ctx.identities).is_empty()
    {
        return Vec::new();
    }
    let bindings = match rbac::bindings_of(
        ctx.cluster,
        kind,
        &obj.namespace,
        &obj.name,
        &role.metadata.labels,
        None,
    ) {
        Ok(b) => b,
        Err(why) => {
            return vec![BINDINGS_UNLISTED.at(
                "rules",
                format!(
                    "grants what Flux identities must not hold, and the bindings that would grant it cannot be listed: {why}"
                ),
                "grant the policy the RBAC lookups its metadata declares (contextAwareResources)",
            )];
        }
    };
    let mut out = Vec::new();
    for found in &bindings {
        out.extend(widening(
            found,
            &rules,
            aggregation_error.as_deref(),
            settings,
            ctx.identities,
        ));
        out.extend(opens_escalation(found, &rules, settings, ctx.identities));
    }
    out
}

/// A role change that would give the subjects of `found` escalation paths into the Flux
/// namespaces.
fn opens_escalation(
    found: &BindingOf,
    rules: &[SourcedRule],
    settings: &Settings,
    identities: &Identities,
) -> Option<Finding> {
    let paths = flux_namespace_escalations(rules, found.scope(), identities);
    if paths.is_empty() {
        return None;
    }
    let subjects = flux_subjects(&found.binding, found.namespace(), settings, identities);
    let mut who = escalating(&subjects).peekable();
    who.peek()?;
    Some(FLUX_NAMESPACE_ESCALATION.at(
        "rules",
        format!(
            "{} already grants this role {} to Flux identities other than the controllers ({}), so this change would give them paths to the controllers' privileges: {}",
            found.describe(),
            flux_scope_text(found.scope(), identities),
            listing(who),
            listing(&paths)
        ),
        ESCALATION_FIX,
    ))
}

fn widening(
    found: &BindingOf,
    rules: &[SourcedRule],
    aggregation_error: Option<&str>,
    settings: &Settings,
    identities: &Identities,
) -> Option<Finding> {
    let subjects = flux_subjects(&found.binding, found.namespace(), settings, identities);
    if subjects.is_empty() {
        return None;
    }
    let scope = found.scope();
    let mut problems = Vec::new();
    for tier in [Tier::Flux, Tier::Controller] {
        let who = subjects.iter().filter(|s| s.tier == tier);
        if who.clone().next().is_none() {
            continue;
        }
        let grants = match aggregation_error {
            Some(why) => vec![why.to_string()],
            None => forbidden_grants(rules, scope, tier == Tier::Controller, settings),
        };
        if !grants.is_empty() {
            problems.push(format!("{} to {}", listing(&grants), listing(who)));
        }
    }
    (!problems.is_empty()).then(|| {
        ROLE_WIDENS_BINDING.at(
            "rules",
            format!(
                "{} already grants this role {} to Flux identities, so this change would grant {}",
                found.describe(),
                scope_text(scope),
                problems.join(", and ")
            ),
            "keep these grants out of a role bound to Flux identities: put them in a separate role for the identities that need them",
        )
    })
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

    fn settings() -> Value {
        json!({"tenantIdentities": ["system:serviceaccount:team-*:flux"]})
    }

    /// The verdict on a CREATE of `object` with `state` in the cluster.
    fn review(object: Value, state: Vec<Value>) -> Verdict {
        let payload = json!({
            "request": {
                "operation": "CREATE",
                "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(json!("")),
                "kind": {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": object["kind"]},
                "userInfo": {"username": "system:serviceaccount:flux-system:kustomize-controller"},
                "object": object,
            },
            "settings": settings(),
        });
        judge(
            &POLICY,
            &serde_json::to_vec(&payload).unwrap(),
            &MemoryCluster::new(state),
        )
    }

    fn ids(verdict: &Verdict) -> Vec<&str> {
        verdict.findings.iter().map(|f| f.rule.as_ref()).collect()
    }

    fn cluster_role(name: &str, rules: Value) -> Value {
        json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules})
    }

    fn binding(kind: &str, subjects: Value, role: &str) -> Value {
        let mut b = json!({
            "apiVersion": RBAC, "kind": kind, "metadata": {"name": "b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects
        });
        if kind == "RoleBinding" {
            b["metadata"]["namespace"] = json!("team-a");
        }
        b
    }

    fn tenant() -> Value {
        json!([{"kind": "ServiceAccount", "name": "flux", "namespace": "team-a"}])
    }

    #[test]
    fn cluster_admin_by_name_needs_no_lookup() {
        let b = binding("RoleBinding", tenant(), "cluster-admin");
        let v = review_create(&POLICY, b, "alice", settings());
        assert_eq!(ids(&v), ["rbac/cluster-admin"]);
        assert!(
            v.findings[0]
                .problem
                .contains("ServiceAccount team-a/flux (a tenant service account)")
        );
        let v = review(
            binding("ClusterRoleBinding", tenant(), "cluster-admin"),
            Vec::new(),
        );
        assert_eq!(ids(&v), ["rbac/cluster-admin"]);
        let v = review(binding("ClusterRoleBinding", tenant(), "admin"), Vec::new());
        assert_eq!(ids(&v), ["rbac/admin-cluster-wide"]);
    }

    #[test]
    fn look_alike_is_judged_by_rules() {
        let state = vec![cluster_role(
            "Cluster-Admin",
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        )];
        let v = review(
            binding("ClusterRoleBinding", tenant(), "Cluster-Admin"),
            state.clone(),
        );
        // Everything cluster-wide is also every path into flux-system.
        assert_eq!(
            ids(&v),
            ["rbac/forbidden-grant", "rbac/flux-namespace-escalation"]
        );
        assert!(v.findings[0].problem.contains("wildcard"), "{v:?}");
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let v = review(binding("ClusterRoleBinding", alice, "Cluster-Admin"), state);
        assert!(v.findings.is_empty(), "{v:?}");
    }

    #[test]
    fn controllers_may_hold_flux_wildcards_only() {
        let state = vec![cluster_role(
            "crd",
            json!([{"apiGroups": ["source.toolkit.fluxcd.io"], "resources": ["*"], "verbs": ["*"]},
                   {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]),
        )];
        let controller = json!([{"kind": "ServiceAccount", "name": "source-controller", "namespace": "flux-system"}]);
        let v = review(
            binding("ClusterRoleBinding", controller, "crd"),
            state.clone(),
        );
        assert!(v.findings.is_empty(), "{v:?}");
        let v = review(binding("ClusterRoleBinding", tenant(), "crd"), state);
        assert_eq!(
            ids(&v),
            ["rbac/forbidden-grant", "rbac/flux-namespace-escalation"]
        );
        assert!(
            v.findings[0].problem.contains("serviceaccounts/token"),
            "{v:?}"
        );
        // The token is forbidden-grant's; the escalation is writing sources in flux-system.
        let escalation = &v.findings[1].problem;
        assert!(
            escalation.contains(
                "flux-object-write (rules[0]: create on gitrepositories.source.toolkit.fluxcd.io)"
            ),
            "{v:?}"
        );
        assert!(!escalation.contains("token-request"), "{v:?}");
    }

    fn flux_rb(subjects: Value, role: &str) -> Value {
        let mut b = binding("RoleBinding", subjects, role);
        b["metadata"]["namespace"] = json!("flux-system");
        b
    }

    #[test]
    fn paths_into_the_flux_namespace() {
        let state = vec![
            cluster_role(
                "deployer",
                json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]),
            ),
            cluster_role(
                "debugger",
                json!([{"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]},
                       {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
            ),
            cluster_role(
                "kubelet-reader",
                json!([{"apiGroups": [""], "resources": ["nodes/proxy", "nodes/stats"], "verbs": ["get"]}]),
            ),
        ];
        let v = review(flux_rb(tenant(), "deployer"), state.clone());
        assert_eq!(ids(&v), ["rbac/flux-namespace-escalation"]);
        let p = &v.findings[0].problem;
        assert!(p.contains("in the Flux namespace flux-system"), "{p}");
        assert!(
            p.contains("subjects[0] ServiceAccount team-a/flux (a tenant service account)"),
            "{p}"
        );
        assert!(
            p.contains("workload-write (rules[0]: patch on deployments.apps)"),
            "{p}"
        );
        let v = review(flux_rb(tenant(), "debugger"), state.clone());
        assert_eq!(ids(&v), ["rbac/flux-namespace-escalation"]);
        assert!(
            v.findings[0].problem.contains("ephemeral-containers"),
            "{v:?}"
        );
        assert!(v.findings[0].problem.contains("pod-exec"), "{v:?}");
        // The same grants in the tenant's own namespace open nothing.
        let v = review(binding("RoleBinding", tenant(), "deployer"), state.clone());
        assert!(v.findings.is_empty(), "{v:?}");
        // nodes/proxy opens only through a ClusterRoleBinding.
        let v = review(flux_rb(tenant(), "kubelet-reader"), state.clone());
        assert!(v.findings.is_empty(), "{v:?}");
        let v = review(
            binding("ClusterRoleBinding", tenant(), "kubelet-reader"),
            state.clone(),
        );
        assert_eq!(ids(&v), ["rbac/flux-namespace-escalation"]);
        assert!(
            v.findings[0]
                .problem
                .contains("nodes-proxy (rules[0]: get on nodes/proxy)"),
            "{v:?}"
        );
        // Another service account of flux-system is judged; the controllers are not.
        let tf = json!([{"kind": "ServiceAccount", "name": "tf-runner"}]);
        let v = review(flux_rb(tf, "deployer"), state.clone());
        assert_eq!(ids(&v), ["rbac/flux-namespace-escalation"]);
        let helm = json!([{"kind": "ServiceAccount", "name": "helm-controller"}]);
        let v = review(flux_rb(helm, "deployer"), state);
        assert!(v.findings.is_empty(), "{v:?}");
    }

    #[test]
    fn widening_a_bound_role_into_flux_system() {
        let state = vec![flux_rb(tenant(), "ops")];
        let ops = |rules: Value| cluster_role("ops", rules);
        let v = review(
            ops(
                json!([{"apiGroups": ["kustomize.toolkit.fluxcd.io"], "resources": ["kustomizations"], "verbs": ["create"]}]),
            ),
            state.clone(),
        );
        assert_eq!(ids(&v), ["rbac/flux-namespace-escalation"]);
        assert!(
            v.findings[0]
                .problem
                .starts_with("RoleBinding flux-system/b already grants this role in the Flux namespace flux-system"),
            "{v:?}"
        );
        let v = review(
            ops(
                json!([{"apiGroups": ["kustomize.toolkit.fluxcd.io"], "resources": ["kustomizations"], "verbs": ["get"]}]),
            ),
            state,
        );
        assert!(v.findings.is_empty(), "{v:?}");
    }

    #[test]
    fn namespaced_binding_ignores_cluster_scoped_resources() {
        let rules = json!([{"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["create"]}]);
        let state = vec![cluster_role("crds", rules)];
        let v = review(binding("RoleBinding", tenant(), "crds"), state.clone());
        assert!(v.findings.is_empty(), "{v:?}");
        let v = review(binding("ClusterRoleBinding", tenant(), "crds"), state);
        assert_eq!(ids(&v), ["rbac/forbidden-grant"]);
    }

    #[test]
    fn groups_that_contain_flux_identities_are_judged() {
        let state = vec![cluster_role(
            "imp",
            json!([{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        )];
        for name in [
            "system:serviceaccounts",
            "system:authenticated",
            "system:serviceaccounts:flux-system",
            "system:serviceaccounts:team-c",
        ] {
            let b = binding(
                "ClusterRoleBinding",
                json!([{"kind": "Group", "name": name}]),
                "imp",
            );
            assert_eq!(
                ids(&review(b, state.clone())),
                ["rbac/forbidden-grant"],
                "{name}"
            );
        }
        let apps = json!([{"kind": "Group", "name": "system:serviceaccounts:apps"}]);
        let v = review(binding("ClusterRoleBinding", apps, "imp"), state);
        assert!(v.findings.is_empty(), "{v:?}");
    }

    #[test]
    fn tenant_identities_are_username_and_group_globs() {
        let state = vec![cluster_role(
            "imp",
            json!([{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        )];
        let sa_as_user = json!([{"kind": "User", "name": "system:serviceaccount:team-b:flux"}]);
        let v = review(
            binding("ClusterRoleBinding", sa_as_user, "imp"),
            state.clone(),
        );
        assert_eq!(ids(&v), ["rbac/forbidden-grant"]);
        let other_sa =
            json!([{"kind": "ServiceAccount", "name": "deployer", "namespace": "team-b"}]);
        let v = review(
            binding("ClusterRoleBinding", other_sa, "imp"),
            state.clone(),
        );
        assert!(v.findings.is_empty(), "{v:?}");
        let payload = |subjects: Value, tenants: Value| {
            let b = binding("ClusterRoleBinding", subjects, "imp");
            json!({
                "request": {"operation": "CREATE", "namespace": "", "kind": {"kind": "ClusterRoleBinding"}, "object": b},
                "settings": {"tenantIdentities": tenants},
            })
        };
        let cluster = MemoryCluster::new(state);
        let run = |p: Value| judge(&POLICY, &serde_json::to_vec(&p).unwrap(), &cluster);
        let devs = json!([{"kind": "Group", "name": "team-a-devs"}]);
        let v = run(payload(devs.clone(), json!(["team-*-devs"])));
        assert_eq!(ids(&v), ["rbac/forbidden-grant"]);
        assert!(
            v.findings[0]
                .problem
                .contains("Group team-a-devs (a tenant group)"),
            "{v:?}"
        );
        assert!(run(payload(devs, json!([]))).findings.is_empty());
        let everyone = json!([{"kind": "Group", "name": "system:serviceaccounts:apps"}]);
        let v = run(payload(everyone, json!(["system:serviceaccount:*"])));
        assert_eq!(ids(&v), ["rbac/forbidden-grant"]);
    }

    #[test]
    fn unresolvable_and_missing_roles() {
        let v = review(binding("ClusterRoleBinding", tenant(), "nope"), Vec::new());
        assert_eq!(ids(&v), ["rbac/role-missing"]);
        let mut b = binding("ClusterRoleBinding", tenant(), "x");
        b["roleRef"]["kind"] = json!("Role");
        let v = review(b, Vec::new());
        assert_eq!(ids(&v), ["rbac/role-unresolved"]);
        assert!(v.findings[0].problem.contains("cannot be judged"), "{v:?}");
    }

    #[test]
    fn widening_a_bound_role_names_the_binding() {
        let state = vec![json!({
            "apiVersion": RBAC, "kind": "RoleBinding",
            "metadata": {"name": "flux", "namespace": "team-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "flux"}]
        })];
        let role = |rules: Value| {
            json!({"apiVersion": RBAC, "kind": "Role",
                   "metadata": {"name": "r", "namespace": "team-a"}, "rules": rules})
        };
        let wide = role(
            json!([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]),
        );
        let v = review(wide, state.clone());
        assert_eq!(ids(&v), ["rbac/role-widens-binding"]);
        assert!(
            v.findings[0]
                .problem
                .starts_with("RoleBinding team-a/flux already grants"),
            "{v:?}"
        );
        let star =
            role(json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}]));
        assert_eq!(
            ids(&review(star, state.clone())),
            ["rbac/role-widens-binding"],
            "verbs [*] is a wildcard"
        );
        let narrow =
            role(json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}]));
        assert!(review(narrow, state).findings.is_empty());
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in crate::RULES {
            assert!(rule.id.starts_with("rbac/"), "{}", rule.id);
            assert!(seen.insert(rule.id), "{} twice", rule.id);
        }
    }
}

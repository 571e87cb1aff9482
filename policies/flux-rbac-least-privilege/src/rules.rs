use crate::settings::{MissingRole, Settings};
use flux_model::rbac::{
    self, Binding, BindingOf, Principal, RBAC_GROUP, RbacKind, RbacObject, ResolveError, Role,
    Scope, SourcedRule,
};
use flux_model::{AdmissionRequest, Cluster, ObjectRef, Verdict, Violation};

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

/// Admission entry: RBAC roles and bindings on CREATE and UPDATE.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings, cluster: &dyn Cluster) -> Verdict {
    rbac::review_rbac(request, |object, obj| match object {
        RbacObject::RoleBinding(b) => {
            check_binding(b, Scope::Namespace(&obj.namespace), settings, cluster)
        }
        RbacObject::ClusterRoleBinding(b) => check_binding(b, Scope::Cluster, settings, cluster),
        RbacObject::Role(r) => check_role(r, RbacKind::Role, obj, settings, cluster),
        RbacObject::ClusterRole(r) => check_role(r, RbacKind::ClusterRole, obj, settings, cluster),
    })
}

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

/// A subject of a binding that is a Flux identity.
struct FluxSubject {
    tier: Tier,
    /// `subjects[1] ServiceAccount team-a/flux (a tenant service account)`.
    text: String,
}

/// Whether a subject is a Flux identity, how far it is trusted and why it counts.
fn classify(principal: Principal, settings: &Settings) -> Option<(Tier, String)> {
    let in_flux_ns = |ns: &str| settings.flux_namespaces.iter().any(|f| f == ns);
    match principal {
        Principal::ServiceAccount { namespace, name } => {
            let accounts = |list: &[String]| rbac::account_matches(list, namespace, name);
            if accounts(&settings.platform_accounts) {
                Some((Tier::Platform, "a platform account".into()))
            } else if accounts(&settings.controller_accounts) {
                Some((Tier::Controller, "a Flux controller account".into()))
            } else if in_flux_ns(namespace) {
                Some((
                    Tier::Flux,
                    format!("a service account of the Flux namespace {namespace}"),
                ))
            } else if accounts(&settings.tenant_service_accounts) {
                Some((Tier::Flux, "a tenant service account".into()))
            } else {
                None
            }
        }
        Principal::ServiceAccountsIn(ns) if in_flux_ns(ns) => Some((
            Tier::Flux,
            format!("every service account of the Flux namespace {ns}"),
        )),
        Principal::ServiceAccountsIn(ns)
            if rbac::namespace_has_match(&settings.tenant_service_accounts, ns) =>
        {
            Some((
                Tier::Flux,
                format!("every service account of {ns}, tenant service accounts included"),
            ))
        }
        Principal::AllServiceAccounts => {
            Some((Tier::Flux, "every service account, Flux's included".into()))
        }
        Principal::Authenticated => Some((
            Tier::Flux,
            "every authenticated identity, Flux's service accounts included".into(),
        )),
        _ => None,
    }
}

/// The binding's subjects that are Flux identities, platform accounts left out.
fn flux_subjects(
    binding: &Binding,
    binding_namespace: &str,
    settings: &Settings,
) -> Vec<FluxSubject> {
    binding
        .subjects
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (tier, why) = classify(s.principal(binding_namespace), settings)?;
            (tier != Tier::Platform).then(|| FluxSubject {
                tier,
                text: format!("subjects[{i}] {} ({why})", s.describe(binding_namespace)),
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
        if rule.resources.is_empty() {
            continue; // nonResourceURLs only: no objects
        }
        // Flux's controllers hold `*` on Flux's groups everywhere; any Flux identity may in
        // one namespace (flux-edit joins the built-in edit and admin), never cluster-wide,
        // where it means writing Kustomizations in the Flux namespace.
        let tolerated = (controller || !cluster_wide)
            && !rule.api_groups.is_empty()
            && rule
                .api_groups
                .iter()
                .all(|g| settings.controller_api_groups.contains(g));
        if !tolerated
            && (rule.verbs.iter().any(|v| v == "*") || rule.resources.iter().any(|r| r == "*"))
        {
            found.push(format!("{origin}: wildcard {}", rule.describe()));
            continue;
        }
        for verb in ESCALATION_VERBS {
            if rule.verbs.iter().any(|v| v == verb) {
                found.push(format!("{origin}: verb {verb} on {:?}", rule.resources));
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

fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// `a, b, c and 2 more`.
fn listing(items: &[String]) -> String {
    flux_model::verdict::abbreviated(items, LIST_LIMIT)
}

fn scope_text(scope: Scope) -> String {
    match scope {
        Scope::Cluster => "cluster-wide".into(),
        Scope::Namespace(ns) => format!("in namespace {ns}"),
    }
}

/// Judges a RoleBinding (`scope` = its namespace) or ClusterRoleBinding (`Scope::Cluster`).
pub fn check_binding(
    binding: &Binding,
    scope: Scope,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Vec<Violation> {
    let namespace = match scope {
        Scope::Namespace(ns) => ns,
        Scope::Cluster => "",
    };
    let subjects = flux_subjects(binding, namespace, settings);
    if subjects.is_empty() {
        return Vec::new();
    }
    let role_ref = &binding.role_ref;
    let at = scope_text(scope);
    let all: Vec<String> = subjects.iter().map(|s| s.text.clone()).collect();
    let by_name = role_ref.api_group == RBAC_GROUP && role_ref.kind == "ClusterRole";
    if by_name && role_ref.name == "cluster-admin" {
        return vec![Violation::new(
            "roleRef.name",
            format!(
                "ClusterRole cluster-admin (every verb on every resource) is granted {at} to Flux identities: {}",
                listing(&all)
            ),
            "bind a role that grants only what these identities reconcile; only settings.platformAccounts may hold cluster-admin",
        )];
    }
    if by_name && role_ref.name == "admin" && scope == Scope::Cluster {
        return vec![Violation::new(
            "roleRef.name",
            format!(
                "ClusterRole admin bound cluster-wide gives Flux identities the objects, secrets and RBAC of every namespace: {}",
                listing(&all)
            ),
            "bind admin with a RoleBinding in the tenant's own namespace, or bind a narrower ClusterRole",
        )];
    }
    let binding_ns = (scope != Scope::Cluster).then_some(namespace);
    let role = match rbac::resolve_role_ref(cluster, role_ref, binding_ns) {
        Ok(role) => role,
        Err(ResolveError::Missing(_)) if settings.missing_role == MissingRole::Allow => {
            return Vec::new();
        }
        Err(ResolveError::Missing(why)) => {
            return vec![Violation::new(
                "roleRef",
                format!(
                    "{why}, so what it grants to Flux identities cannot be checked: {}",
                    listing(&all)
                ),
                "create the role before the binding (with Flux: in a Kustomization this one dependsOn), or set missingRole: allow",
            )];
        }
        Err(e) => {
            return vec![rbac::unresolved_violation(
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
        let who: Vec<String> = subjects
            .iter()
            .filter(|s| s.tier == tier)
            .map(|s| s.text.clone())
            .collect();
        if who.is_empty() {
            continue;
        }
        let grants = forbidden_grants(&role.rules, scope, tier == Tier::Controller, settings);
        if grants.is_empty() {
            continue;
        }
        out.push(Violation::new(
            "roleRef",
            format!(
                "{role_text} {at} grants {} to Flux identities: {}",
                listing(&grants),
                listing(&who)
            ),
            "bind a role without these grants (least privilege); a platform identity that needs them belongs in settings.platformAccounts",
        ));
    }
    out
}

/// Judges a Role or ClusterRole change by the bindings that already grant it (directly or
/// through an aggregated ClusterRole) to Flux identities.
pub fn check_role(
    role: &Role,
    kind: RbacKind,
    obj: &ObjectRef,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Vec<Violation> {
    let (rules, aggregation_error) = match rbac::expand(cluster, kind, &obj.name, role) {
        Ok(resolved) => (resolved.rules, None),
        Err(e) => (
            rbac::expand(
                cluster,
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
    // Nothing any Flux identity could not hold: no need to ask who holds it.
    if aggregation_error.is_none()
        && forbidden_grants(&rules, Scope::Cluster, false, settings).is_empty()
    {
        return Vec::new();
    }
    let bindings = match rbac::bindings_of(
        cluster,
        kind,
        &obj.namespace,
        &obj.name,
        &role.metadata.labels,
        None,
    ) {
        Ok(b) => b,
        Err(why) => {
            return vec![Violation::new(
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
        ));
    }
    out
}

fn widening(
    found: &BindingOf,
    rules: &[SourcedRule],
    aggregation_error: Option<&str>,
    settings: &Settings,
) -> Option<Violation> {
    let subjects = flux_subjects(&found.binding, found.namespace(), settings);
    if subjects.is_empty() {
        return None;
    }
    let scope = found.scope();
    let mut problems = Vec::new();
    for tier in [Tier::Flux, Tier::Controller] {
        let who: Vec<String> = subjects
            .iter()
            .filter(|s| s.tier == tier)
            .map(|s| s.text.clone())
            .collect();
        if who.is_empty() {
            continue;
        }
        let grants = match aggregation_error {
            Some(why) => vec![why.to_string()],
            None => forbidden_grants(rules, scope, tier == Tier::Controller, settings),
        };
        if !grants.is_empty() {
            problems.push(format!("{} to {}", listing(&grants), listing(&who)));
        }
    }
    (!problems.is_empty()).then(|| {
        Violation::new(
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
    use super::*;
    use flux_model::MemoryCluster;
    use serde_json::{Value, json};

    fn settings() -> Settings {
        Settings {
            tenant_service_accounts: vec!["team-*:flux".into()],
            ..Settings::default()
        }
    }

    fn cluster_role(name: &str, rules: Value) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": name}, "rules": rules})
    }

    fn binding(subjects: Value, role: &str) -> Binding {
        serde_json::from_value(json!({
            "metadata": {"name": "b"},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
            "subjects": subjects
        }))
        .unwrap()
    }

    fn tenant() -> Value {
        json!([{"kind": "ServiceAccount", "name": "flux", "namespace": "team-a"}])
    }

    #[test]
    fn cluster_admin_by_name_needs_no_lookup() {
        let v = check_binding(
            &binding(tenant(), "cluster-admin"),
            Scope::Cluster,
            &settings(),
            &MemoryCluster::default(),
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].problem
                .contains("ServiceAccount team-a/flux (a tenant service account)")
        );
    }

    #[test]
    fn look_alike_is_judged_by_rules() {
        let c = MemoryCluster::new(vec![cluster_role(
            "Cluster-Admin",
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        )]);
        let v = check_binding(
            &binding(tenant(), "Cluster-Admin"),
            Scope::Cluster,
            &settings(),
            &c,
        );
        assert!(v[0].problem.contains("wildcard"), "{v:?}");
        let v = check_binding(
            &binding(json!([{"kind": "User", "name": "alice"}]), "Cluster-Admin"),
            Scope::Cluster,
            &settings(),
            &c,
        );
        assert!(v.is_empty());
    }

    #[test]
    fn controllers_may_hold_flux_wildcards_only() {
        let c = MemoryCluster::new(vec![cluster_role(
            "crd",
            json!([{"apiGroups": ["source.toolkit.fluxcd.io"], "resources": ["*"], "verbs": ["*"]},
                   {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]),
        )]);
        let controller = json!([{"kind": "ServiceAccount", "name": "source-controller", "namespace": "flux-system"}]);
        assert!(
            check_binding(&binding(controller, "crd"), Scope::Cluster, &settings(), &c).is_empty()
        );
        let v = check_binding(&binding(tenant(), "crd"), Scope::Cluster, &settings(), &c);
        assert!(v[0].problem.contains("serviceaccounts/token"), "{v:?}");
    }

    #[test]
    fn namespaced_binding_ignores_cluster_scoped_resources() {
        let rules = json!([{"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["create"]}]);
        let c = MemoryCluster::new(vec![cluster_role("crds", rules)]);
        let b = binding(tenant(), "crds");
        assert!(check_binding(&b, Scope::Namespace("team-a"), &settings(), &c).is_empty());
        assert_eq!(check_binding(&b, Scope::Cluster, &settings(), &c).len(), 1);
    }

    #[test]
    fn groups_that_contain_flux_identities_are_judged() {
        let c = MemoryCluster::new(vec![cluster_role(
            "imp",
            json!([{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        )]);
        for name in [
            "system:serviceaccounts",
            "system:authenticated",
            "system:serviceaccounts:flux-system",
            "system:serviceaccounts:team-c",
        ] {
            let b = binding(json!([{"kind": "Group", "name": name}]), "imp");
            let v = check_binding(&b, Scope::Cluster, &settings(), &c);
            assert_eq!(v.len(), 1, "{name}");
        }
        let b = binding(
            json!([{"kind": "Group", "name": "system:serviceaccounts:apps"}]),
            "imp",
        );
        assert!(check_binding(&b, Scope::Cluster, &settings(), &c).is_empty());
    }

    #[test]
    fn widening_a_bound_role_names_the_binding() {
        let c = MemoryCluster::new(vec![json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "flux", "namespace": "team-a"},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "flux"}]
        })]);
        let role: Role = serde_json::from_value(json!({
            "metadata": {"name": "r", "namespace": "team-a"},
            "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]
        }))
        .unwrap();
        let obj = ObjectRef {
            kind: "Role".into(),
            namespace: "team-a".into(),
            name: "r".into(),
        };
        let v = check_role(&role, RbacKind::Role, &obj, &settings(), &c);
        assert_eq!(v.len(), 1);
        assert!(
            v[0].problem
                .starts_with("RoleBinding team-a/flux already grants"),
            "{v:?}"
        );
        let narrow: Role = serde_json::from_value(json!({
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}]
        }))
        .unwrap();
        let v = check_role(&narrow, RbacKind::Role, &obj, &settings(), &c);
        assert_eq!(v.len(), 1, "verbs [*] is a wildcard: {v:?}");
    }
}

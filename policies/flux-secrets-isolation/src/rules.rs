use crate::settings::{MissingRole, Settings};
use flux_model::glob::any_matches;
use flux_model::rbac::{
    self, Binding, BindingOf, Principal, RbacKind, RbacObject, ResolveError, Role, Scope,
    SourcedRule,
};
use flux_model::{AdmissionRequest, Cluster, ObjectRef, Verdict, Violation};

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

/// `subjects[i] ...` for every subject outside the allowlist.
fn outsiders(binding: &Binding, binding_namespace: &str, settings: &Settings) -> Vec<String> {
    binding
        .subjects
        .iter()
        .enumerate()
        .filter(|(_, s)| !allowed(s.principal(binding_namespace), &s.name, settings))
        .map(|(i, s)| format!("subjects[{i}] {}", s.describe(binding_namespace)))
        .collect()
}

fn listing(items: &[String]) -> String {
    flux_model::verdict::abbreviated(items, LIST_LIMIT)
}

fn where_text(scope: Scope, settings: &Settings) -> String {
    match scope {
        Scope::Namespace(ns) => format!("in the Flux namespace {ns}"),
        Scope::Cluster => format!(
            "cluster-wide (Flux namespaces included: {})",
            settings.flux_namespaces.join(", ")
        ),
    }
}

const FIX: &str = "leave secrets, pods/exec, pods/attach and serviceaccounts/token in the Flux namespaces to the Flux controllers: \
                   bind a role without them, or, if the subject must read Flux's credentials, add it to settings.allowedServiceAccounts, allowedUsers or allowedGroups";

fn is_flux_namespace(ns: &str, settings: &Settings) -> bool {
    settings.flux_namespaces.iter().any(|f| f == ns)
}

/// Judges a RoleBinding (`scope` = its namespace) or ClusterRoleBinding (`Scope::Cluster`).
pub fn check_binding(
    binding: &Binding,
    scope: Scope,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Vec<Violation> {
    let namespace = match scope {
        Scope::Namespace(ns) if !is_flux_namespace(ns, settings) => return Vec::new(),
        Scope::Namespace(ns) => ns,
        Scope::Cluster => "",
    };
    let who = outsiders(binding, namespace, settings);
    if who.is_empty() {
        return Vec::new();
    }
    let role_ref = &binding.role_ref;
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
                    "{why}, so whether it reads Flux's secrets {} cannot be checked for {}",
                    where_text(scope, settings),
                    listing(&who)
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
    let access = secret_access(&role.rules);
    if access.is_empty() {
        return Vec::new();
    }
    let mut role_text = format!("{} {}", role_ref.kind, role_ref.name);
    if !role.aggregated.is_empty() {
        role_text.push_str(&format!(" (aggregating {})", listing(&role.aggregated)));
    }
    vec![Violation::new(
        "roleRef",
        format!(
            "{role_text} grants {} {} to subjects outside the allowlist: {}",
            listing(&access),
            where_text(scope, settings),
            listing(&who)
        ),
        FIX,
    )]
}

/// Judges a Role (in a Flux namespace) or ClusterRole change by the bindings that already
/// grant it in the Flux namespaces.
pub fn check_role(
    role: &Role,
    kind: RbacKind,
    obj: &ObjectRef,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Vec<Violation> {
    if kind == RbacKind::Role && !is_flux_namespace(&obj.namespace, settings) {
        return Vec::new();
    }
    let (access, aggregation_error) = match rbac::expand(cluster, kind, &obj.name, role) {
        Ok(resolved) => (secret_access(&resolved.rules), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    if access.is_empty() && aggregation_error.is_none() {
        return Vec::new();
    }
    let bindings = match rbac::bindings_of(
        cluster,
        kind,
        &obj.namespace,
        &obj.name,
        &role.metadata.labels,
        Some(&settings.flux_namespaces),
    ) {
        Ok(b) => b,
        Err(why) => {
            return vec![Violation::new(
                "rules",
                format!(
                    "grants {} and the bindings that would grant it cannot be listed: {why}",
                    listing(&access)
                ),
                "grant the policy the RBAC lookups its metadata declares (contextAwareResources)",
            )];
        }
    };
    let what = match &aggregation_error {
        Some(why) => vec![why.clone()],
        None => access,
    };
    bindings
        .iter()
        .filter_map(|found| widening(found, &what, settings))
        .collect()
}

fn widening(found: &BindingOf, what: &[String], settings: &Settings) -> Option<Violation> {
    let who = outsiders(&found.binding, found.namespace(), settings);
    (!who.is_empty()).then(|| {
        Violation::new(
            "rules",
            format!(
                "{} grants this role {} to subjects outside the allowlist ({}), so this change would grant them {}",
                found.describe(),
                where_text(found.scope(), settings),
                listing(&who),
                listing(what)
            ),
            FIX,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_model::MemoryCluster;
    use flux_model::rbac::RBAC_GROUP;
    use serde_json::{Value, json};

    fn role(kind: &str, ns: Option<&str>, name: &str, rules: Value) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": {"name": name, "namespace": ns}, "rules": rules})
    }

    fn binding(kind: &str, name: &str, subjects: Value) -> Binding {
        serde_json::from_value(json!({
            "metadata": {"name": "b"},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": kind, "name": name},
            "subjects": subjects
        }))
        .unwrap()
    }

    fn reader() -> Value {
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}])
    }

    #[test]
    fn role_binding_in_flux_namespace() {
        let c = MemoryCluster::new(vec![role("Role", Some("flux-system"), "r", reader())]);
        let alice = json!([{"kind": "User", "name": "alice"}]);
        let v = check_binding(
            &binding("Role", "r", alice.clone()),
            Scope::Namespace("flux-system"),
            &Settings::default(),
            &c,
        );
        assert!(v[0].problem.contains("get/list on secrets"), "{v:?}");
        assert!(
            check_binding(
                &binding("Role", "r", alice),
                Scope::Namespace("apps"),
                &Settings::default(),
                &c
            )
            .is_empty()
        );
        let controller = json!([{"kind": "User", "name": "system:serviceaccount:flux-system:source-controller"}]);
        assert!(
            check_binding(
                &binding("Role", "r", controller),
                Scope::Namespace("flux-system"),
                &Settings::default(),
                &c
            )
            .is_empty()
        );
    }

    #[test]
    fn exec_counts_as_secret_read() {
        let c = MemoryCluster::new(vec![role(
            "ClusterRole",
            None,
            "debug",
            json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        )]);
        let v = check_binding(
            &binding(
                "ClusterRole",
                "debug",
                json!([{"kind": "Group", "name": "devs"}]),
            ),
            Scope::Cluster,
            &Settings::default(),
            &c,
        );
        assert!(v[0].problem.contains("pods/exec"), "{v:?}");
        assert!(v[0].problem.contains("cluster-wide"), "{v:?}");
    }

    #[test]
    fn clusterrole_change_is_judged_by_flux_namespace_bindings_only() {
        let rb = |ns: &str| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "ops", "namespace": ns},
                   "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "ops"},
                   "subjects": [{"kind": "User", "name": "alice"}]})
        };
        let role: Role =
            serde_json::from_value(json!({"metadata": {"name": "ops"}, "rules": reader()}))
                .unwrap();
        let obj = ObjectRef {
            kind: "ClusterRole".into(),
            namespace: String::new(),
            name: "ops".into(),
        };
        let elsewhere = MemoryCluster::new(vec![rb("apps")]);
        assert!(
            check_role(
                &role,
                RbacKind::ClusterRole,
                &obj,
                &Settings::default(),
                &elsewhere
            )
            .is_empty()
        );
        let in_flux = MemoryCluster::new(vec![rb("apps"), rb("flux-system")]);
        let v = check_role(
            &role,
            RbacKind::ClusterRole,
            &obj,
            &Settings::default(),
            &in_flux,
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].problem
                .starts_with("RoleBinding flux-system/ops grants"),
            "{v:?}"
        );
    }
}

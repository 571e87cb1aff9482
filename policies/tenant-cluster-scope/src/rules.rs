use crate::settings::Settings;
use flux_kinds::ObjectMeta;
use fluxgate_admission::{Ctx, Tenant, trust};
use fluxgate_rules::{Finding, KindSpec, Rule, Severity};
use serde::Deserialize;

pub const CLUSTER_SCOPED_WRITE: Rule = Rule {
    id: "tenant/cluster-scoped-write",
    severity: Severity::Deny,
    kinds: &[KindSpec::ANY],
    title: "A tenant identity writes no cluster-scoped object (ClusterRoleBinding, CRD, Namespace, webhook, ...).",
    stops: "a tenant repository granting itself cluster-admin, or reaching every namespace through a \
            cluster-scoped object, with whatever its RBAC happens to allow.",
    on_by_default: true,
    setting: "allowedClusterScopedKinds",
};
pub const FOREIGN_NAMESPACE_WRITE: Rule = Rule {
    id: "tenant/foreign-namespace-write",
    title: "A tenant identity writes only in its own namespace (never in a platform namespace).",
    stops: "a tenant planting objects in another tenant's namespace, or a Kustomization or RoleBinding in \
            flux-system that Flux then applies with the platform's identity.",
    setting: "",
    ..CLUSTER_SCOPED_WRITE
};

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &CLUSTER_SCOPED_WRITE,
    &FOREIGN_NAMESPACE_WRITE,
    &trust::ANCHOR_WRITE,
];

/// What the policy reads of any object: its name. The kind and namespace come from the
/// request, which the API server fills from the URL.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Head {
    pub metadata: ObjectMeta,
}

/// Why the tenant writing this object may not.
pub fn check(head: &Head, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let Some(tenant) = ctx.tenant else {
        return Vec::new();
    };
    let gvk = &ctx.request.kind;
    let (group, kind) = (gvk.group.as_str(), gvk.kind.as_str());
    // The object's name, or the request's (an UPDATE of the same name carries both).
    let name = head
        .metadata
        .name
        .as_deref()
        .unwrap_or(ctx.request.name.as_str());
    if let Some(finding) = trust::anchor_write(ctx, group, kind, name) {
        return vec![finding];
    }
    // A Namespace is cluster-scoped although its requests carry its own name as namespace.
    let namespace = ctx.request.namespace.as_str();
    let cluster_scoped = namespace.is_empty() || (group.is_empty() && kind == "Namespace");
    if cluster_scoped {
        if ctx.settings.allows_cluster_scoped(group, kind) {
            return Vec::new();
        }
        let api_group = if group.is_empty() { "core" } else { group };
        return vec![CLUSTER_SCOPED_WRITE.at(
            "kind",
            format!(
                "{kind} ({api_group}) is cluster-scoped and reaches every namespace, but it is written by the tenant identity {}",
                describe(tenant)
            ),
            format!(
                "apply it from the platform's Flux repository, or allow the kind in settings.allowedClusterScopedKinds ({group}/{kind})"
            ),
        )];
    }
    if tenant.owns(namespace, ctx.identities) {
        return Vec::new();
    }
    let (outside, keep) = match &tenant.namespace {
        Some(home) => (
            format!("is outside the tenant's namespace {home:?}"),
            format!("keep the tenant's objects in namespace {home}"),
        ),
        None => (
            "is a platform namespace".to_string(),
            "keep the tenant's objects out of the platform namespaces".to_string(),
        ),
    };
    vec![FOREIGN_NAMESPACE_WRITE.at(
        "metadata.namespace",
        format!(
            "{namespace:?} {outside}, written by the tenant identity {}",
            tenant.name
        ),
        keep,
    )]
}

/// `system:serviceaccount:team-a:x of namespace team-a` (why it counts as a tenant is the
/// identity model's, added by the flow to each denial).
fn describe(tenant: &Tenant) -> String {
    match &tenant.namespace {
        Some(ns) => format!("{} of namespace {ns}", tenant.name),
        None => tenant.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::POLICY;
    use fluxgate_admission::MemoryCluster;
    use fluxgate_admission::flow::review;
    use fluxgate_admission::settings::parse;
    use serde_json::{Value, json};

    fn request(
        user: &str,
        group: &str,
        kind: &str,
        namespace: &str,
    ) -> fluxgate_admission::AdmissionRequest {
        serde_json::from_value(json!({
            "operation": "CREATE", "namespace": namespace,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "userInfo": {"username": user},
            "object": {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}},
        }))
        .unwrap()
    }

    fn rules(
        request: &fluxgate_admission::AdmissionRequest,
        settings: Value,
        state: Vec<Value>,
    ) -> Vec<String> {
        let settings = parse(&settings).unwrap();
        let verdict = review(&POLICY, request, &settings, &MemoryCluster::new(state));
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    fn namespace(name: &str, tenant: Option<&str>) -> Value {
        let labels = tenant.map_or(json!({}), |t| json!({"toolkit.fluxcd.io/tenant": t}));
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
    }

    fn account(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}})
    }

    #[test]
    fn labelled_tenants_are_judged_operators_are_not() {
        let state = vec![
            namespace("team-a", Some("team-a")),
            namespace("cert-manager", None),
            account("cert-manager", "cert-manager-cainjector"),
        ];
        let crb = "ClusterRoleBinding";
        let rbac = "rbac.authorization.k8s.io";
        let tenant = request("system:serviceaccount:team-a:team-a", rbac, crb, "");
        assert_eq!(
            rules(&tenant, json!(null), state.clone()),
            ["tenant/cluster-scoped-write"]
        );
        let operator = request(
            "system:serviceaccount:cert-manager:cert-manager-cainjector",
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            "",
        );
        assert!(rules(&operator, json!(null), state).is_empty());
    }

    #[test]
    fn a_namespace_is_cluster_scoped_even_with_its_name_as_namespace() {
        let r = request(
            "system:serviceaccount:team-a:team-a",
            "",
            "Namespace",
            "team-b",
        );
        assert_eq!(
            rules(&r, json!({"tenantLabel": ""}), vec![]),
            ["tenant/cluster-scoped-write"]
        );
    }

    #[test]
    fn per_team_accounts_in_flux_system() {
        let settings =
            json!({"tenantIdentities": ["system:serviceaccount:flux-system:payments-flux-sa"]});
        let crb = |user: &str| request(user, "rbac.authorization.k8s.io", "ClusterRoleBinding", "");
        let team = crb("system:serviceaccount:flux-system:payments-flux-sa");
        assert_eq!(
            rules(&team, settings.clone(), vec![]),
            ["tenant/cluster-scoped-write"]
        );
        let platform = crb("system:serviceaccount:flux-system:platform-sa");
        assert!(rules(&platform, settings.clone(), vec![]).is_empty());
        let in_team_ns = request(
            "system:serviceaccount:flux-system:payments-flux-sa",
            "apps",
            "Deployment",
            "payments",
        );
        assert!(rules(&in_team_ns, settings.clone(), vec![]).is_empty());
        let in_flux = request(
            "system:serviceaccount:flux-system:payments-flux-sa",
            "apps",
            "Deployment",
            "flux-system",
        );
        assert_eq!(
            rules(&in_flux, settings, vec![]),
            ["tenant/foreign-namespace-write"]
        );
    }
}

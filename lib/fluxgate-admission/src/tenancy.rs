//! Boundary rules shared by the tenancy policies (Kustomization, HelmRelease): which
//! identity a Flux object applies with, where it writes, and what it references. Each rule
//! is declared once here and listed by both policies.

use crate::flow::Ctx;
use crate::identity::FLUX_CONTROLLER_ACCOUNTS;
use flux_kinds::FluxKind;
use flux_kinds::kustomize::KubeConfigReference;
use flux_kinds::object::DependencyReference;
use fluxgate_rules::{Finding, KindSpec, Rule};
use std::collections::BTreeMap;

const TENANT_KINDS: &[KindSpec] = &[FluxKind::Kustomization.spec(), FluxKind::HelmRelease.spec()];

const fn tenancy_rule(
    id: &'static str,
    title: &'static str,
    stops: &'static str,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, TENANT_KINDS, title, stops, setting)
}

pub const SERVICE_ACCOUNT_MISSING: Rule = tenancy_rule(
    "tenancy/service-account-missing",
    "A tenant Kustomization or HelmRelease names the service account Flux impersonates.",
    "a tenant object applied with the controller's own cluster-admin identity \
     (no `--default-service-account` lockdown visible to admission).",
    "platformNamespaces",
);
pub const CONTROLLER_ACCOUNT: Rule = tenancy_rule(
    "tenancy/controller-service-account",
    "A tenant object does not impersonate a Flux controller's own service account.",
    "a tenant borrowing kustomize-controller's or helm-controller's rights by naming its account.",
    "",
);
pub const DENIED_ACCOUNT: Rule = tenancy_rule(
    "tenancy/denied-service-account",
    "A tenant object does not impersonate an account the platform denies (`default`).",
    "a tenant applying with a shared account whose rights were granted for something else.",
    "deniedServiceAccounts",
);
pub const TARGET_NAMESPACE_MISSING: Rule = Rule {
    kinds: &[FluxKind::Kustomization.spec()],
    ..tenancy_rule(
        "tenancy/target-namespace-missing",
        "A tenant Kustomization that names no service account sets `spec.targetNamespace` \
         (every tenant Kustomization, with `requireTargetNamespace`).",
        "manifests that name another namespace landing there when nothing else bounds the tenant; \
         with its own service account the tenant is bounded by that account's RBAC \
         (impersonation, Flux's multi-tenancy model).",
        "requireTargetNamespace",
    )
};
pub const FOREIGN_NAMESPACE: Rule = tenancy_rule(
    "tenancy/foreign-namespace",
    "`spec.targetNamespace` and `spec.storageNamespace` stay in the tenant's namespaces.",
    "a tenant deploying into, or keeping release state in, another tenant's namespace.",
    "allowedTargetNamespaces",
);
pub const CROSS_NAMESPACE_SOURCE: Rule = tenancy_rule(
    "tenancy/cross-namespace-source",
    "Source and chart references stay in the tenant's namespace or a shared one.",
    "a tenant building another tenant's (or the platform's) private source.",
    "sharedSourceNamespaces",
);
pub const CROSS_NAMESPACE_DEPENDENCY: Rule = tenancy_rule(
    "tenancy/cross-namespace-dependency",
    "`spec.dependsOn` stays in the tenant's namespace.",
    "a tenant probing or stalling other tenants' reconciliations (Flux's \
     `--no-cross-namespace-refs` does not check dependsOn).",
    "",
);
pub const REMOTE_CLUSTER: Rule = tenancy_rule(
    "tenancy/remote-cluster",
    "A tenant object does not apply to a remote cluster through `spec.kubeConfig`.",
    "writes sent to a cluster where this cluster's admission and tenancy rules do not reach.",
    "allowKubeConfig",
);
pub const REMOTE_CLUSTER_CONTROLLER_IDENTITY: Rule = tenancy_rule(
    "tenancy/remote-cluster-controller-identity",
    "With `allowKubeConfig`, a remote cluster reached through `spec.kubeConfig.configMapRef` \
     (Flux 2.7+ workload identity) is admitted only when the controllers run with \
     `--default-kubeconfig-service-account`.",
    "a tenant reaching whichever remote cluster the controller's own cloud or service-account \
     identity can reach: a kubeconfig ConfigMap without `serviceAccountName` authenticates as \
     kustomize- or helm-controller, and admission cannot read the ConfigMap.",
    "controllerLockdown.defaultKubeconfigServiceAccount",
);

/// `spec.serviceAccountName` must be set, and be neither a Flux controller's account nor
/// one of `denied`. `controller` names who applies without one (`kustomize-controller`).
pub fn service_account(name: Option<&str>, denied: &[String], controller: &str) -> Option<Finding> {
    let field = "spec.serviceAccountName";
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Some(SERVICE_ACCOUNT_MISSING.at(
            field,
            format!("is missing, so Flux applies with {controller}'s own cluster-admin identity"),
            "set spec.serviceAccountName to the tenant's service account in this namespace",
        ));
    };
    if FLUX_CONTROLLER_ACCOUNTS.contains(&name) {
        return Some(CONTROLLER_ACCOUNT.at(
            field,
            format!(
                "{name:?} is a Flux controller's account: it would lend the tenant the controller's rights"
            ),
            "use the tenant's own service account",
        ));
    }
    denied.iter().any(|d| d == name).then(|| {
        DENIED_ACCOUNT.at(
            field,
            format!("{name:?} is not allowed for tenant objects on this cluster"),
            format!(
                "use a dedicated service account, not one of [{}]",
                denied.join(", ")
            ),
        )
    })
}

/// A namespace field (`spec.targetNamespace`, `spec.storageNamespace`) must be one of
/// `allowed` (the object's own namespace first). `required` says whether absence is a fault.
pub fn namespace_field(
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
    required: bool,
) -> Option<Finding> {
    match value.filter(|v| !v.is_empty()) {
        None if required => Some(TARGET_NAMESPACE_MISSING.at(
            field,
            "is missing, so objects keep whatever namespace the manifests name",
            format!(
                "set {field}: {}",
                allowed.first().copied().unwrap_or_default()
            ),
        )),
        Some(v) if !allowed.contains(&v) => Some(FOREIGN_NAMESPACE.at(
            field,
            format!("{v:?} is not this tenant's namespace"),
            format!("use one of [{}]", allowed.join(", ")),
        )),
        _ => None,
    }
}

/// The namespaces an object in `own` may write to: its own, then the extra ones a setting
/// grants that namespace (`{team-a: [team-a-preview]}`).
pub fn allowed_namespaces<'a>(
    own: &'a str,
    extra: &'a BTreeMap<String, Vec<String>>,
) -> Vec<&'a str> {
    std::iter::once(own)
        .chain(extra.get(own).into_iter().flatten().map(String::as_str))
        .collect()
}

/// A reference's namespace when it points outside the tenant: neither empty, nor `own`,
/// nor one of `shared`.
pub fn foreign_namespace<'a>(
    namespace: Option<&'a str>,
    own: &str,
    shared: &[String],
) -> Option<&'a str> {
    namespace.filter(|n| !n.is_empty() && *n != own && !shared.iter().any(|s| s == n))
}

/// A source reference (`field`, e.g. `spec.sourceRef.namespace`) into a namespace that is
/// neither `own` nor shared. `thing` names what is referenced (`source`, `chart source`).
pub fn source_reference(
    field: &str,
    namespace: Option<&str>,
    own: &str,
    shared: &[String],
    thing: &str,
) -> Option<Finding> {
    let ns = foreign_namespace(namespace, own, shared)?;
    let also = if shared.is_empty() {
        String::new()
    } else {
        format!(" or in [{}]", shared.join(", "))
    };
    Some(CROSS_NAMESPACE_SOURCE.at(
        field,
        format!("{ns:?} is another namespace: the tenant would use a {thing} it does not own"),
        format!("use a {thing} in {own}{also}"),
    ))
}

/// `spec.dependsOn[i].namespace` entries outside the tenant.
pub fn depends_on(deps: Option<&[DependencyReference]>, own: &str) -> Vec<Finding> {
    deps.unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, dep)| {
            let ns = foreign_namespace(dep.namespace.as_deref(), own, &[])?;
            Some(CROSS_NAMESPACE_DEPENDENCY.at(
                format!("spec.dependsOn[{i}].namespace"),
                format!("{ns:?} is another namespace (Flux's --no-cross-namespace-refs does not check dependsOn)"),
                format!("depend only on objects in {own}"),
            ))
        })
        .collect()
}

/// `spec.kubeConfig` sends the writes to another cluster, out of this one's admission.
pub fn kube_config() -> Finding {
    REMOTE_CLUSTER.at(
        "spec.kubeConfig",
        "applies to a remote cluster, where this cluster's admission and tenancy rules do not reach",
        "remove spec.kubeConfig, or manage remote clusters from the platform namespaces",
    )
}

/// Judges `spec.kubeConfig` (Kustomization and HelmRelease, every served version: the
/// reference is one shared type, `meta.KubeConfigReference`). `secretRef` and, from Flux 2.7,
/// `configMapRef` both send the writes to another cluster: [`REMOTE_CLUSTER`] unless
/// `allowed` (`allowKubeConfig`).
///
/// When allowed, a `configMapRef` builds the kubeconfig from the ConfigMap's `provider`,
/// `cluster`, `address` and `serviceAccountName`; without `serviceAccountName` the controller
/// authenticates with its own identity (CRD docs of `kubeConfig.configMapRef`: "If not
/// specified, the controller ServiceAccount will be used"), unless it runs with
/// `--default-kubeconfig-service-account`, which then names an account of the object's own
/// namespace (fluxcd/pkg `auth/controller_flags.go`, `ControllerFlagDefaultKubeConfigServiceAccount`).
/// The ConfigMap is not looked up: it is applied in the same batch as the object (so it is
/// usually absent at admission), and the tenant can edit it afterwards without this object
/// being judged again, so only the controller flag bounds it ([`REMOTE_CLUSTER_CONTROLLER_IDENTITY`]).
/// A `secretRef` kubeconfig carries its own credentials.
pub fn remote_cluster<P>(
    kube_config: Option<&KubeConfigReference>,
    allowed: bool,
    ctx: &Ctx<P>,
    controller: &str,
) -> Option<Finding> {
    let kube_config = kube_config?;
    if !allowed {
        return Some(self::kube_config());
    }
    let config_map = kube_config.config_map_ref.as_ref()?;
    if ctx
        .identities
        .controller_lockdown
        .default_kubeconfig_service_account
    {
        return None;
    }
    Some(REMOTE_CLUSTER_CONTROLLER_IDENTITY.at(
        "spec.kubeConfig.configMapRef",
        format!(
            "names ConfigMap {:?}: unless its data.serviceAccountName names an account, {controller} \
             authenticates to the remote cluster with its own identity, which admission cannot rule out",
            config_map.name
        ),
        format!(
            "run {controller} with --default-kubeconfig-service-account and declare \
             controllerLockdown.defaultKubeconfigServiceAccount, or use spec.kubeConfig.secretRef \
             with a kubeconfig of the tenant's own"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_accounts() {
        let denied = vec!["default".to_string()];
        assert!(service_account(Some("tenant"), &denied, "x").is_none());
        let missing = service_account(None, &denied, "helm-controller").unwrap();
        assert!(missing.problem.contains("helm-controller's"));
        assert_eq!(missing.rule, SERVICE_ACCOUNT_MISSING.id);
        assert!(service_account(Some(" "), &denied, "x").is_some());
        let controller = service_account(Some("helm-controller"), &denied, "x").unwrap();
        assert_eq!(controller.rule, CONTROLLER_ACCOUNT.id);
        let denied = service_account(Some("default"), &denied, "x").unwrap();
        assert_eq!(denied.rule, DENIED_ACCOUNT.id);
    }

    #[test]
    fn namespaces() {
        assert!(namespace_field("spec.targetNamespace", Some("a"), &["a"], true).is_none());
        assert!(namespace_field("spec.targetNamespace", None, &["a"], true).is_some());
        assert!(namespace_field("spec.storageNamespace", None, &["a"], false).is_none());
        assert!(namespace_field("spec.storageNamespace", Some("b"), &["a"], false).is_some());
        assert_eq!(foreign_namespace(Some("b"), "a", &[]), Some("b"));
        assert_eq!(
            foreign_namespace(Some("shared"), "a", &["shared".into()]),
            None
        );
        assert_eq!(foreign_namespace(Some(""), "a", &[]), None);
    }

    #[test]
    fn remote_clusters() {
        use crate::cluster::NoCluster;
        use crate::identity::Identities;
        use crate::request::AdmissionRequest;
        use flux_kinds::object::{LocalObjectReference, ObjectRef, SecretKeyReference};

        let (request, object) = (AdmissionRequest::default(), ObjectRef::default());
        let judge = |kube_config: Option<&KubeConfigReference>, allowed, lockdown| {
            let mut identities = Identities::default();
            identities
                .controller_lockdown
                .default_kubeconfig_service_account = lockdown;
            let ctx = Ctx {
                request: &request,
                settings: &(),
                identities: &identities,
                object: &object,
                api_version: "kustomize.toolkit.fluxcd.io/v1",
                cluster: &NoCluster,
                tenant: None,
            };
            remote_cluster(kube_config, allowed, &ctx, "kustomize-controller")
                .map(|f| f.rule.to_string())
        };
        let secret = KubeConfigReference {
            secret_ref: Some(SecretKeyReference {
                name: "prod".into(),
                key: None,
            }),
            ..Default::default()
        };
        let config_map = KubeConfigReference {
            config_map_ref: Some(LocalObjectReference {
                name: "prod".into(),
            }),
            ..Default::default()
        };
        assert_eq!(judge(None, false, false), None);
        for remote in [&secret, &config_map] {
            assert_eq!(
                judge(Some(remote), false, true),
                Some(REMOTE_CLUSTER.id.into())
            );
        }
        assert_eq!(judge(Some(&secret), true, false), None);
        assert_eq!(
            judge(Some(&config_map), true, false),
            Some(REMOTE_CLUSTER_CONTROLLER_IDENTITY.id.into())
        );
        assert_eq!(judge(Some(&config_map), true, true), None);
        // Neither reference (the CRD's CEL rule refuses it): still a remote cluster.
        let empty = KubeConfigReference::default();
        assert_eq!(
            judge(Some(&empty), false, false),
            Some(REMOTE_CLUSTER.id.into())
        );
    }
}

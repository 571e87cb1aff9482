//! Boundary checks shared by the tenancy policies (Kustomization, HelmRelease): which
//! identity a Flux object applies with, where it writes, and what it references.

use crate::verdict::Violation;
use std::collections::BTreeMap;

/// Service accounts of the Flux controllers: a tenant object that names one borrows the
/// platform's cluster-wide rights.
pub const FLUX_CONTROLLER_ACCOUNTS: [&str; 6] = [
    "kustomize-controller",
    "helm-controller",
    "source-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
];

/// `spec.serviceAccountName` must be set, and be neither a Flux controller's account nor
/// one of `denied`. `controller` names who applies without one (`kustomize-controller`).
pub fn service_account(
    name: Option<&str>,
    denied: &[String],
    controller: &str,
) -> Option<Violation> {
    let field = "spec.serviceAccountName";
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Some(Violation::new(
            field,
            format!("is missing, so Flux applies with {controller}'s own cluster-admin identity"),
            "set spec.serviceAccountName to the tenant's service account in this namespace",
        ));
    };
    if FLUX_CONTROLLER_ACCOUNTS.contains(&name) {
        return Some(Violation::new(
            field,
            format!(
                "{name:?} is a Flux controller's account: it would lend the tenant the controller's rights"
            ),
            "use the tenant's own service account",
        ));
    }
    denied.iter().any(|d| d == name).then(|| {
        Violation::new(
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
) -> Option<Violation> {
    match value.filter(|v| !v.is_empty()) {
        None if required => Some(Violation::new(
            field,
            "is missing, so objects keep whatever namespace the manifests name",
            format!(
                "set {field}: {}",
                allowed.first().copied().unwrap_or_default()
            ),
        )),
        Some(v) if !allowed.contains(&v) => Some(Violation::new(
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
) -> Option<Violation> {
    let ns = foreign_namespace(namespace, own, shared)?;
    let also = if shared.is_empty() {
        String::new()
    } else {
        format!(" or in [{}]", shared.join(", "))
    };
    Some(Violation::new(
        field,
        format!("{ns:?} is another namespace: the tenant would use a {thing} it does not own"),
        format!("use a {thing} in {own}{also}"),
    ))
}

/// `spec.dependsOn[i].namespace` entries outside the tenant (Flux's
/// `--no-cross-namespace-refs` does not check `dependsOn`).
pub fn depends_on(
    deps: Option<&[crate::object::DependencyReference]>,
    own: &str,
) -> Vec<Violation> {
    deps.unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, dep)| {
            let ns = foreign_namespace(dep.namespace.as_deref(), own, &[])?;
            Some(Violation::new(
                format!("spec.dependsOn[{i}].namespace"),
                format!("{ns:?} is another namespace (Flux's --no-cross-namespace-refs does not check dependsOn)"),
                format!("depend only on objects in {own}"),
            ))
        })
        .collect()
}

/// `spec.kubeConfig` sends the writes to another cluster, out of this one's admission.
pub fn kube_config() -> Violation {
    Violation::new(
        "spec.kubeConfig",
        "applies to a remote cluster, where this cluster's admission and tenancy rules do not reach",
        "remove spec.kubeConfig, or manage remote clusters from the platform namespaces",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_accounts() {
        let denied = vec!["default".to_string()];
        assert!(service_account(Some("tenant"), &denied, "x").is_none());
        assert!(
            service_account(None, &denied, "helm-controller")
                .unwrap()
                .problem
                .contains("helm-controller's")
        );
        assert!(service_account(Some(" "), &denied, "x").is_some());
        assert!(service_account(Some("helm-controller"), &denied, "x").is_some());
        assert!(service_account(Some("default"), &denied, "x").is_some());
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
}

use crate::path::{normalize, within};
use crate::settings::{FLUX_CONTROLLER_ACCOUNTS, Settings};
use flux_model::kinds::kustomize::Kustomization;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation};

/// Admission entry: Kustomization CREATE/UPDATE outside the platform namespaces.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    flux_model::review::review(
        request,
        FluxKind::Kustomization,
        |k: &Kustomization, obj: &ObjectRef| {
            if settings.platform_namespaces.contains(&obj.namespace) {
                return Vec::new();
            }
            check(k, &obj.namespace, settings)
        },
    )
}

/// Every boundary a tenant Kustomization in `namespace` crosses.
pub fn check(k: &Kustomization, namespace: &str, settings: &Settings) -> Vec<Violation> {
    let mut out = Vec::new();
    check_service_account(k.spec.service_account_name.as_deref(), settings, &mut out);
    check_target_namespace(
        k.spec.target_namespace.as_deref(),
        namespace,
        settings,
        &mut out,
    );
    check_references(k, namespace, settings, &mut out);
    check_path(k.spec.path.as_deref(), namespace, settings, &mut out);
    if k.spec.force == Some(true) && !settings.allow_force {
        out.push(Violation::new(
            "spec.force",
            "is true: Flux deletes and recreates objects whose immutable fields changed",
            "remove spec.force; use the per-object annotation kustomize.toolkit.fluxcd.io/force: enabled from the platform repository, temporarily",
        ));
    }
    if k.spec.kube_config.is_some() && !settings.allow_kube_config {
        out.push(Violation::new(
            "spec.kubeConfig",
            "applies to a remote cluster, where this cluster's admission and tenancy rules do not reach",
            "remove spec.kubeConfig, or manage remote clusters from the platform namespaces",
        ));
    }
    if settings.require_prune && k.spec.prune != Some(true) {
        out.push(Violation::new(
            "spec.prune",
            "is not true, so objects removed from Git stay in the cluster",
            "set spec.prune: true",
        ));
    }
    out
}

fn check_service_account(name: Option<&str>, settings: &Settings, out: &mut Vec<Violation>) {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        out.push(Violation::new(
            "spec.serviceAccountName",
            "is missing, so Flux applies with kustomize-controller's own cluster-admin identity",
            "set spec.serviceAccountName to the tenant's service account in this namespace",
        ));
        return;
    };
    if FLUX_CONTROLLER_ACCOUNTS.contains(&name) {
        out.push(Violation::new(
            "spec.serviceAccountName",
            format!("{name:?} is a Flux controller's account: it would lend the tenant the controller's rights"),
            "use the tenant's own service account",
        ));
    } else if settings.denied_service_accounts.iter().any(|d| d == name) {
        out.push(Violation::new(
            "spec.serviceAccountName",
            format!("{name:?} is not allowed for tenant Kustomizations on this cluster"),
            format!(
                "use a dedicated service account, not one of [{}]",
                settings.denied_service_accounts.join(", ")
            ),
        ));
    }
}

fn check_target_namespace(
    target: Option<&str>,
    namespace: &str,
    settings: &Settings,
    out: &mut Vec<Violation>,
) {
    let allowed = settings.target_namespaces(namespace);
    match target.filter(|t| !t.is_empty()) {
        None => out.push(Violation::new(
            "spec.targetNamespace",
            "is missing, so objects keep whatever namespace the manifests name",
            format!("set spec.targetNamespace: {namespace}"),
        )),
        Some(t) if !allowed.contains(&t) => out.push(Violation::new(
            "spec.targetNamespace",
            format!("{t:?} is not this tenant's namespace"),
            format!("use one of [{}]", allowed.join(", ")),
        )),
        Some(_) => {}
    }
}

/// `sourceRef` and `dependsOn` may only point into the tenant's namespace or a shared one.
/// (Flux's `--no-cross-namespace-refs` covers `sourceRef` only, at reconcile time.)
fn check_references(
    k: &Kustomization,
    namespace: &str,
    settings: &Settings,
    out: &mut Vec<Violation>,
) {
    if let Some(ns) = k
        .spec
        .source_ref
        .as_ref()
        .and_then(|r| foreign(&r.namespace, namespace, settings, true))
    {
        out.push(Violation::new(
            "spec.sourceRef.namespace",
            format!("{ns:?} is another namespace: the tenant would read a source it does not own"),
            format!("use a source in {namespace}{}", shared_list(settings)),
        ));
    }
    for (i, dep) in k.spec.depends_on.iter().flatten().enumerate() {
        if let Some(ns) = foreign(&dep.namespace, namespace, settings, false) {
            out.push(Violation::new(
                format!("spec.dependsOn[{i}].namespace"),
                format!("{ns:?} is another namespace (Flux's --no-cross-namespace-refs does not check dependsOn)"),
                format!("depend only on Kustomizations in {namespace}"),
            ));
        }
    }
}

/// The referenced namespace when it is neither the tenant's own nor (if `shared_ok`) shared.
fn foreign<'a>(
    ns: &'a Option<String>,
    own: &str,
    settings: &Settings,
    shared_ok: bool,
) -> Option<&'a str> {
    let shared = |n: &str| shared_ok && settings.shared_source_namespaces.iter().any(|s| s == n);
    ns.as_deref()
        .filter(|n| !n.is_empty() && *n != own && !shared(n))
}

fn shared_list(settings: &Settings) -> String {
    if settings.shared_source_namespaces.is_empty() {
        String::new()
    } else {
        format!(" or in [{}]", settings.shared_source_namespaces.join(", "))
    }
}

fn check_path(path: Option<&str>, namespace: &str, settings: &Settings, out: &mut Vec<Violation>) {
    if settings.allowed_path_prefixes.is_empty() {
        return;
    }
    let raw = path.unwrap_or("./");
    let prefixes: Vec<String> = settings
        .allowed_path_prefixes
        .iter()
        .map(|p| p.replace("{namespace}", namespace))
        .collect();
    let inside = normalize(raw).is_some_and(|parts| {
        prefixes
            .iter()
            .filter_map(|p| normalize(p))
            .any(|prefix| within(&parts, &prefix))
    });
    if !inside {
        out.push(Violation::new(
            "spec.path",
            format!("{raw:?} is outside the tenant's part of the repository"),
            format!("use a path under one of [{}]", prefixes.join(", ")),
        ));
    }
}

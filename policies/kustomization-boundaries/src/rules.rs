use crate::path::{normalize, within};
use crate::settings::Settings;
use flux_model::kinds::kustomize::Kustomization;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation, tenancy};

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
    let spec = &k.spec;
    let targets = settings.target_namespaces(namespace);
    let mut out: Vec<Violation> = [
        tenancy::service_account(
            spec.service_account_name.as_deref(),
            &settings.denied_service_accounts,
            "kustomize-controller",
        ),
        tenancy::namespace_field(
            "spec.targetNamespace",
            spec.target_namespace.as_deref(),
            &targets,
            true,
        ),
        tenancy::source_reference(
            "spec.sourceRef.namespace",
            spec.source_ref
                .as_ref()
                .and_then(|r| r.namespace.as_deref()),
            namespace,
            &settings.shared_source_namespaces,
            "source",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.extend(tenancy::depends_on(spec.depends_on.as_deref(), namespace));
    check_path(spec.path.as_deref(), namespace, settings, &mut out);
    if spec.force == Some(true) && !settings.allow_force {
        out.push(Violation::new(
            "spec.force",
            "is true: Flux deletes and recreates objects whose immutable fields changed",
            "remove spec.force; use the per-object annotation kustomize.toolkit.fluxcd.io/force: enabled from the platform repository, temporarily",
        ));
    }
    if spec.kube_config.is_some() && !settings.allow_kube_config {
        out.push(tenancy::kube_config());
    }
    if settings.require_prune && spec.prune != Some(true) {
        out.push(Violation::new(
            "spec.prune",
            "is not true, so objects removed from Git stay in the cluster",
            "set spec.prune: true",
        ));
    }
    out
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

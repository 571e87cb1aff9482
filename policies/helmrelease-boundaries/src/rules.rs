use crate::settings::Settings;
use crate::values::{Finding, scan_text, scan_value};
use flux_model::kinds::helm::HelmRelease;
use flux_model::semver_range::Constraint;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation, glob, tenancy};
use serde_json::Value;

/// Admission entry: HelmRelease CREATE/UPDATE outside the platform namespaces.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    flux_model::review::review(
        request,
        FluxKind::HelmRelease,
        |hr: &HelmRelease, obj: &ObjectRef| {
            if settings.platform_namespaces.contains(&obj.namespace) {
                return Vec::new();
            }
            check(hr, obj, settings)
        },
    )
}

/// Every boundary a tenant HelmRelease crosses.
pub fn check(hr: &HelmRelease, obj: &ObjectRef, settings: &Settings) -> Vec<Violation> {
    let spec = &hr.spec;
    let own = obj.namespace.as_str();
    let targets = settings.target_namespaces(own);
    let mut out: Vec<Violation> = [
        tenancy::service_account(
            spec.service_account_name.as_deref(),
            &settings.denied_service_accounts,
            "helm-controller",
        ),
        tenancy::namespace_field(
            "spec.targetNamespace",
            spec.target_namespace.as_deref(),
            &targets,
            true,
        ),
        tenancy::namespace_field(
            "spec.storageNamespace",
            spec.storage_namespace.as_deref(),
            &targets,
            false,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    check_chart_sources(hr, own, settings, &mut out);
    out.extend(tenancy::depends_on(spec.depends_on.as_deref(), own));
    check_chart_version(hr, &mut out);
    if spec.kube_config.is_some() && !settings.allow_kube_config {
        out.push(tenancy::kube_config());
    }
    check_privileges(hr, obj, settings, &mut out);
    check_remediation(hr, settings, &mut out);
    out
}

fn check_chart_sources(hr: &HelmRelease, own: &str, settings: &Settings, out: &mut Vec<Violation>) {
    let shared = &settings.shared_source_namespaces;
    let chart_source = hr
        .spec
        .chart
        .as_ref()
        .and_then(|c| c.spec.source_ref.as_ref());
    let refs = [
        (
            "spec.chart.spec.sourceRef.namespace",
            chart_source.and_then(|r| r.namespace.as_deref()),
        ),
        (
            "spec.chartRef.namespace",
            hr.spec
                .chart_ref
                .as_ref()
                .and_then(|r| r.namespace.as_deref()),
        ),
    ];
    out.extend(refs.into_iter().filter_map(|(field, namespace)| {
        tenancy::source_reference(field, namespace, own, shared, "chart source")
    }));
}

/// `spec.chart.spec.version` is a Masterminds constraint that must cap the major version.
/// It only applies to HelmRepository charts (Git and Bucket charts ignore it; a `chartRef`
/// takes its version from the OCIRepository).
fn check_chart_version(hr: &HelmRelease, out: &mut Vec<Violation>) {
    let Some(chart) = &hr.spec.chart else { return };
    let kind = chart
        .spec
        .source_ref
        .as_ref()
        .map_or("HelmRepository", |r| r.kind.as_str());
    if kind != "HelmRepository" {
        return;
    }
    let field = "spec.chart.spec.version";
    let fix =
        "pin a bounded range such as \">=1.4.0 <2.0.0\", \"~1.4\" or \"1.x\", or an exact version";
    let Some(version) = chart
        .spec
        .version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    else {
        out.push(Violation::new(
            field,
            "is missing, which Flux reads as \"*\": any future chart release is installed",
            fix,
        ));
        return;
    };
    match Constraint::parse(version) {
        Err(e) => out.push(Violation::new(
            field,
            format!("is not a valid semver constraint: {e}"),
            fix,
        )),
        Ok(c) => {
            if let Some(open) = c.unbounded_alternative() {
                out.push(Violation::new(
                    field,
                    format!(
                        "{version:?} has no upper bound ({open:?} admits any future major release)"
                    ),
                    fix,
                ));
            }
        }
    }
}

fn check_privileges(
    hr: &HelmRelease,
    obj: &ObjectRef,
    settings: &Settings,
    out: &mut Vec<Violation>,
) {
    let release = format!("{}/{}", obj.namespace, obj.name);
    if glob::any_matches(&settings.exempt_releases, &release) {
        return;
    }
    let mut findings: Vec<Finding> = hr
        .spec
        .values
        .as_ref()
        .map(|v| scan_value(v, "spec.values"))
        .unwrap_or_default();
    for (i, renderer) in hr.spec.post_renderers.iter().flatten().enumerate() {
        findings.extend(scan_post_renderer(
            renderer,
            &format!("spec.postRenderers[{i}].kustomize"),
        ));
    }
    for f in findings {
        let path = f.path.split(" (line").next().unwrap_or(&f.path);
        if glob::any_matches(&settings.exempt_value_paths, path) {
            continue;
        }
        out.push(Violation::new(
            f.path.clone(),
            format!("asks for {}", f.what),
            "remove it from the tenant's values, or have the platform exempt the release (settings.exemptReleases) or this path (settings.exemptValuePaths)",
        ));
    }
}

/// Kustomize post-renderers: `patches[].patch` (text), and the older
/// `patchesStrategicMerge[]` (objects) and `patchesJson6902[].patch[]` (operations).
fn scan_post_renderer(renderer: &Value, path: &str) -> Vec<Finding> {
    let kustomize = &renderer["kustomize"];
    let mut out = Vec::new();
    for (i, p) in kustomize["patches"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(text) = p["patch"].as_str() {
            out.extend(scan_text(text, &format!("{path}.patches[{i}].patch")));
        }
    }
    for (i, p) in kustomize["patchesStrategicMerge"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        out.extend(scan_value(p, &format!("{path}.patchesStrategicMerge[{i}]")));
    }
    for (i, p) in kustomize["patchesJson6902"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, op) in p["patch"].as_array().into_iter().flatten().enumerate() {
            let at = format!("{path}.patchesJson6902[{i}].patch[{j}]");
            let key = op["path"]
                .as_str()
                .and_then(|p| p.rsplit('/').next())
                .unwrap_or_default();
            let mut wrapped = serde_json::Map::new();
            wrapped.insert(key.to_string(), op["value"].clone());
            out.extend(scan_value(&Value::Object(wrapped), &format!("{at}.value")));
        }
    }
    out
}

fn check_remediation(hr: &HelmRelease, settings: &Settings, out: &mut Vec<Violation>) {
    let spec = &hr.spec;
    let install_retries = spec
        .install
        .as_ref()
        .and_then(|i| i.remediation.as_ref())
        .and_then(|r| r.retries);
    if settings.require_install_remediation && install_retries.unwrap_or(0) == 0 {
        out.push(Violation::new(
            "spec.install.remediation.retries",
            "is not set, so a failed install is left as it is",
            "set spec.install.remediation.retries (for example 3)",
        ));
    }
    if settings.require_upgrade_remediation {
        let upgrade = spec.upgrade.as_ref();
        let remediation = upgrade.and_then(|u| u.remediation.as_ref());
        let rolls_back = remediation.is_some_and(|r| {
            r.retries.unwrap_or(0) != 0 && r.strategy.as_deref().is_none_or(|s| s == "rollback")
        });
        let cleans_up = upgrade.and_then(|u| u.cleanup_on_fail) == Some(true);
        if !rolls_back && !cleans_up {
            out.push(Violation::new(
                "spec.upgrade.remediation",
                "does not roll back a failed upgrade (retries unset or 0, or strategy uninstall) and cleanupOnFail is not set",
                "set spec.upgrade.remediation.retries with strategy rollback, or spec.upgrade.cleanupOnFail: true",
            ));
        }
    }
    if settings.require_tests && spec.test.as_ref().and_then(|t| t.enable) != Some(true) {
        out.push(Violation::new(
            "spec.test.enable",
            "is not true, so chart tests never run",
            "set spec.test.enable: true",
        ));
    }
}

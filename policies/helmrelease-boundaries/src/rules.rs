use crate::settings::Settings;
use crate::values::{Risk, scan_operations, scan_text, scan_value};
use flux_kinds::FluxKind;
use flux_kinds::helm::HelmRelease;
use flux_kinds::source::HelmChart;
use fluxgate_admission::identity::service_account_parts;
use fluxgate_admission::{Ctx, tenancy};
use fluxgate_matchers::glob;
use fluxgate_matchers::semver_range::Constraint;
use fluxgate_rules::{Finding, KindSpec, Rule};
use serde_json::Value;

const KINDS: &[KindSpec] = &[FluxKind::HelmRelease.spec()];
/// A chart version is chosen by a HelmRelease's `spec.chart` or by the HelmChart a
/// `spec.chartRef` names.
const CHART_KINDS: &[KindSpec] = &[FluxKind::HelmRelease.spec(), FluxKind::HelmChart.spec()];

const fn rule(
    id: &'static str,
    title: &'static str,
    stops: &'static str,
    on_by_default: bool,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, KINDS, title, stops, setting).on_by_default(on_by_default)
}

pub const CHART_VERSION_UNBOUNDED: Rule = Rule::deny(
    "helmrelease/chart-version-unbounded",
    CHART_KINDS,
    "A HelmRepository chart's version (a HelmRelease's `spec.chart.spec.version`, a HelmChart's \
     `spec.version`) caps the major version in every `||` alternative.",
    "a new major chart release (or a hijacked chart repository publishing one) being installed \
     unreviewed on the next reconciliation.",
    "",
);
pub const CHART_VERSION_INVALID: Rule = Rule::deny(
    "helmrelease/chart-version-invalid",
    CHART_KINDS,
    "The chart version is a valid Masterminds semver constraint.",
    "a release whose chart version nobody can reason about, which helm-controller refuses at reconcile time.",
    "",
);
pub const CHART_VERSION_NOT_JUDGED: Rule = Rule::deny(
    "helmrelease/chart-version-not-judged",
    KINDS,
    "A `spec.chartRef` to an OCIRepository or ExternalArtifact installs a version this policy \
     cannot see (warning).",
    "a reviewer reading \"bounded chart versions\" as covering releases whose version is chosen \
     by another object (the OCIRepository's `spec.ref`, or whatever produced the artifact).",
    "",
)
.warning();
pub const PRIVILEGED_POD_SETTINGS: Rule = rule(
    "helmrelease/privileged-pod-settings",
    "Chart values and post-renderer patches do not ask for privileged pods (privileged, host \
     namespaces, root, dangerous capabilities, hostPath).",
    "a tenant turning a chart's switches into a privileged or host-mounting pod that escapes to the node.",
    true,
    "exemptValuePaths",
);
pub const INSTALL_REMEDIATION_REQUIRED: Rule = rule(
    "helmrelease/install-remediation-required",
    "`spec.install.remediation.retries` is non-zero when `requireInstallRemediation` is set.",
    "a failed install left half-applied until someone notices.",
    false,
    "requireInstallRemediation",
);
pub const UPGRADE_REMEDIATION_REQUIRED: Rule = rule(
    "helmrelease/upgrade-remediation-required",
    "A failed upgrade rolls back (`spec.upgrade.remediation` retries, strategy rollback) or is \
     cleaned up (`cleanupOnFail`) when `requireUpgradeRemediation` is set.",
    "a failed upgrade left running in a broken, half-upgraded state.",
    false,
    "requireUpgradeRemediation",
);
pub const TESTS_REQUIRED: Rule = rule(
    "helmrelease/tests-required",
    "`spec.test.enable` is true when `requireTests` is set.",
    "a release marked ready without its chart's tests ever running.",
    false,
    "requireTests",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &tenancy::SERVICE_ACCOUNT_MISSING,
    &tenancy::CONTROLLER_ACCOUNT,
    &tenancy::DENIED_ACCOUNT,
    &tenancy::FOREIGN_NAMESPACE,
    &tenancy::CROSS_NAMESPACE_SOURCE,
    &tenancy::CROSS_NAMESPACE_DEPENDENCY,
    &CHART_VERSION_UNBOUNDED,
    &CHART_VERSION_INVALID,
    &CHART_VERSION_NOT_JUDGED,
    &PRIVILEGED_POD_SETTINGS,
    &tenancy::REMOTE_CLUSTER,
    &tenancy::REMOTE_CLUSTER_CONTROLLER_IDENTITY,
    &INSTALL_REMEDIATION_REQUIRED,
    &UPGRADE_REMEDIATION_REQUIRED,
    &TESTS_REQUIRED,
];

/// Every boundary a tenant HelmRelease crosses (releases named in `exemptReleases` never
/// get here: the policy's exemption admits them first).
pub fn check(hr: &HelmRelease, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &hr.spec;
    let own = ctx.namespace();
    let targets = settings.target_namespaces(own);
    let mut out: Vec<Finding> = [
        tenancy::service_account(
            spec.service_account_name.as_deref(),
            &settings.denied_service_accounts,
            "helm-controller",
        ),
        // Helm installs into the release namespace, which defaults to the HelmRelease's own
        // (helm-controller: `GetReleaseNamespace`); templates that name another namespace go
        // there with or without targetNamespace, and impersonation RBAC is what stops them.
        tenancy::namespace_field(
            "spec.targetNamespace",
            spec.target_namespace.as_deref(),
            &targets,
            false,
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
    out.extend(tenancy::remote_cluster(
        spec.kube_config.as_ref(),
        settings.allow_kube_config,
        ctx,
        "helm-controller",
    ));
    check_privileges(hr, settings, &mut out);
    check_remediation(hr, settings, &mut out);
    out
}

fn check_chart_sources(hr: &HelmRelease, own: &str, settings: &Settings, out: &mut Vec<Finding>) {
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
/// It only applies to HelmRepository charts (Git and Bucket charts ignore it). A `chartRef`
/// takes its version from the object it names (helm-controller `internal/reconcile`
/// resolves HelmChart, OCIRepository and ExternalArtifact): a HelmChart's own version is
/// judged when the HelmChart is admitted; the other two are said to be out of reach.
fn check_chart_version(hr: &HelmRelease, out: &mut Vec<Finding>) {
    if let Some(chart_ref) = &hr.spec.chart_ref {
        let kind = chart_ref.kind.as_str();
        if kind != "HelmChart" {
            let source = match kind {
                "OCIRepository" => "the OCIRepository's spec.ref (tag, semver or digest)",
                _ => "whatever produced the artifact",
            };
            out.push(CHART_VERSION_NOT_JUDGED.at(
                "spec.chartRef",
                format!("names {kind} {:?}: the chart version installed is chosen by {source}, which this policy does not see", chart_ref.name),
                "pin the version where it is chosen (an OCIRepository spec.ref.semver with an upper bound, or a digest)",
            ));
        }
    }
    let Some(chart) = &hr.spec.chart else { return };
    let kind = chart
        .spec
        .source_ref
        .as_ref()
        .map_or("HelmRepository", |r| r.kind.as_str());
    if kind == "HelmRepository" {
        out.extend(chart_version(
            "spec.chart.spec.version",
            chart.spec.version.as_deref(),
        ));
    }
}

/// A HelmChart's `spec.version`, when it selects from a HelmRepository. HelmCharts that
/// helm-controller writes mirror a HelmRelease's `spec.chart`, judged there (so a release
/// the platform exempts keeps working); any other writer's HelmChart is judged here.
pub fn check_helm_chart(hc: &HelmChart, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let writer = service_account_parts(&ctx.request.user_info.username);
    if writer
        .is_some_and(|(ns, sa)| sa == "helm-controller" && ctx.identities.is_flux_namespace(ns))
    {
        return Vec::new();
    }
    let from_repository = hc
        .spec
        .source_ref
        .as_ref()
        .is_none_or(|r| r.kind == "HelmRepository");
    if !from_repository {
        return Vec::new();
    }
    chart_version("spec.version", hc.spec.version.as_deref())
        .into_iter()
        .collect()
}

/// Why the chart version at `field` is not a bounded semver constraint, if it is not.
fn chart_version(field: &str, version: Option<&str>) -> Option<Finding> {
    let fix =
        "pin a bounded range such as \">=1.4.0 <2.0.0\", \"~1.4\" or \"1.x\", or an exact version";
    let Some(version) = version.filter(|v| !v.trim().is_empty()) else {
        return Some(CHART_VERSION_UNBOUNDED.at(
            field,
            "is missing, which Flux reads as \"*\": any future chart release is installed",
            fix,
        ));
    };
    match Constraint::parse(version) {
        Err(e) => Some(CHART_VERSION_INVALID.at(
            field,
            format!("is not a valid semver constraint: {e}"),
            fix,
        )),
        Ok(c) => c.unbounded_alternative().map(|open| {
            CHART_VERSION_UNBOUNDED.at(
                field,
                format!(
                    "{version:?} has no upper bound ({open:?} admits any future major release)"
                ),
                fix,
            )
        }),
    }
}

fn check_privileges(hr: &HelmRelease, settings: &Settings, out: &mut Vec<Finding>) {
    let mut risks: Vec<Risk> = hr
        .spec
        .values
        .as_ref()
        .map(|v| scan_value(v, "spec.values"))
        .unwrap_or_default();
    for (i, renderer) in hr.spec.post_renderers.iter().flatten().enumerate() {
        risks.extend(scan_post_renderer(
            renderer,
            &format!("spec.postRenderers[{i}].kustomize"),
        ));
    }
    for risk in risks {
        if glob::any_matches(&settings.exempt_value_paths, &risk.path) {
            continue;
        }
        let problem = match &risk.inner {
            Some(at) => format!("sets {at}: asks for {}", risk.what),
            None => format!("asks for {}", risk.what),
        };
        out.push(PRIVILEGED_POD_SETTINGS.at(
            risk.path,
            problem,
            "remove it from the tenant's values, or have the platform exempt the release (settings.exemptReleases) or this path (settings.exemptValuePaths)",
        ));
    }
}

/// Kustomize post-renderers: `patches[].patch` (text), and the older
/// `patchesStrategicMerge[]` (objects) and `patchesJson6902[].patch[]` (operations).
fn scan_post_renderer(renderer: &Value, path: &str) -> Vec<Risk> {
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
        if let Some(operations) = p["patch"].as_array() {
            let at = format!("{path}.patchesJson6902[{i}].patch");
            out.extend(scan_operations(operations, &at));
        }
    }
    out
}

fn check_remediation(hr: &HelmRelease, settings: &Settings, out: &mut Vec<Finding>) {
    let spec = &hr.spec;
    let install_retries = spec
        .install
        .as_ref()
        .and_then(|i| i.remediation.as_ref())
        .and_then(|r| r.retries);
    if settings.require_install_remediation && install_retries.unwrap_or(0) == 0 {
        out.push(INSTALL_REMEDIATION_REQUIRED.at(
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
            out.push(UPGRADE_REMEDIATION_REQUIRED.at(
                "spec.upgrade.remediation",
                "does not roll back a failed upgrade (retries unset or 0, or strategy uninstall) and cleanupOnFail is not set",
                "set spec.upgrade.remediation.retries with strategy rollback, or spec.upgrade.cleanupOnFail: true",
            ));
        }
    }
    if settings.require_tests && spec.test.as_ref().and_then(|t| t.enable) != Some(true) {
        out.push(TESTS_REQUIRED.at(
            "spec.test.enable",
            "is not true, so chart tests never run",
            "set spec.test.enable: true",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    const TENANT: &str = "system:serviceaccount:team-a:flux";

    /// A release `namespace/name` within every boundary, with `extra` merged into its spec
    /// (`null` removes a field).
    fn release(namespace: &str, name: &str, extra: Value) -> Value {
        let mut spec = json!({
            "interval": "10m",
            "chart": {"spec": {"chart": "podinfo", "version": "6.x",
                               "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
            "serviceAccountName": "flux-reconciler", "targetNamespace": namespace
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                spec.as_object_mut().unwrap().remove(k);
            } else {
                spec[k] = v.clone();
            }
        }
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec
        })
    }

    fn rules_of(object: Value, settings: Value) -> Vec<String> {
        let verdict = review_create(&POLICY, object, TENANT, settings);
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    /// The rule ids release team-a/podinfo with `extra` gets under `settings`.
    fn rules(extra: Value, settings: Value) -> Vec<String> {
        rules_of(release("team-a", "podinfo", extra), settings)
    }

    fn chart(version: Value, kind: &str) -> Value {
        json!({"chart": {"spec": {"chart": "c", "version": version,
                                  "sourceRef": {"kind": kind, "name": "s"}}}})
    }

    #[test]
    fn within_boundaries_passes() {
        assert!(rules(json!({}), json!(null)).is_empty());
    }

    #[test]
    fn identities_namespaces_and_references() {
        let missing = json!({"serviceAccountName": null});
        assert_eq!(
            rules(missing, json!(null)),
            ["tenancy/service-account-missing"]
        );
        let controller = json!({"serviceAccountName": "helm-controller"});
        assert_eq!(
            rules(controller, json!(null)),
            ["tenancy/controller-service-account"]
        );
        let default = json!({"serviceAccountName": "default"});
        assert_eq!(
            rules(default, json!(null)),
            ["tenancy/denied-service-account"]
        );
        // Helm installs into the HelmRelease's own namespace without targetNamespace.
        let no_target = json!({"targetNamespace": null});
        assert!(rules(no_target, json!(null)).is_empty());
        let storage = json!({"storageNamespace": "team-b"});
        assert_eq!(rules(storage, json!(null)), ["tenancy/foreign-namespace"]);
        let chart_ref = json!({"chart": null, "chartRef": {"kind": "OCIRepository", "name": "p", "namespace": "flux-system"}});
        assert_eq!(
            rules(chart_ref.clone(), json!(null)),
            [
                "tenancy/cross-namespace-source",
                "helmrelease/chart-version-not-judged"
            ]
        );
        assert_eq!(
            rules(
                chart_ref,
                json!({"sharedSourceNamespaces": ["flux-system"]})
            ),
            ["helmrelease/chart-version-not-judged"]
        );
        let dep = json!({"dependsOn": [{"name": "db", "namespace": "team-b"}]});
        assert_eq!(
            rules(dep, json!(null)),
            ["tenancy/cross-namespace-dependency"]
        );
        let remote = json!({"kubeConfig": {"secretRef": {"name": "prod"}}});
        assert_eq!(
            rules(remote.clone(), json!(null)),
            ["tenancy/remote-cluster"]
        );
        assert!(rules(remote, json!({"allowKubeConfig": true})).is_empty());
    }

    #[test]
    fn remote_clusters_through_a_config_map() {
        let remote = json!({"kubeConfig": {"configMapRef": {"name": "prod"}}});
        assert_eq!(
            rules(remote.clone(), json!(null)),
            ["tenancy/remote-cluster"]
        );
        assert_eq!(
            rules(remote.clone(), json!({"allowKubeConfig": true})),
            ["tenancy/remote-cluster-controller-identity"]
        );
        let locked = json!({"allowKubeConfig": true,
                            "controllerLockdown": {"defaultKubeconfigServiceAccount": true}});
        assert!(rules(remote, locked).is_empty());
        // In every served version (the field is the shared meta.KubeConfigReference).
        for version in ["v2beta1", "v2beta2", "v2"] {
            let mut obj = release(
                "team-a",
                "podinfo",
                json!({"kubeConfig": {"configMapRef": {"name": "prod"}}}),
            );
            obj["apiVersion"] = json!(format!("helm.toolkit.fluxcd.io/{version}"));
            assert_eq!(
                rules_of(obj, json!(null)),
                ["tenancy/remote-cluster"],
                "{version}"
            );
        }
    }

    #[test]
    fn every_chart_reference_kind_is_judged_for_namespace() {
        let not_judged = "helmrelease/chart-version-not-judged";
        for kind in ["HelmChart", "OCIRepository", "ExternalArtifact", "Unheard"] {
            let to = |namespace: &str| json!({"chart": null, "chartRef": {"kind": kind, "name": "podinfo", "namespace": namespace}});
            let version: &[&str] = if kind == "HelmChart" {
                &[]
            } else {
                &[not_judged]
            };
            let mut elsewhere = vec!["tenancy/cross-namespace-source"];
            elsewhere.extend(version);
            assert_eq!(rules(to("team-b"), json!(null)), elsewhere, "{kind}");
            assert_eq!(rules(to("team-a"), json!(null)), version, "{kind}");
            let shared = json!({"sharedSourceNamespaces": ["charts"]});
            assert_eq!(rules(to("charts"), shared), version, "{kind}");
        }
        for kind in ["HelmRepository", "GitRepository", "Bucket"] {
            let chart = json!({"chart": {"spec": {"chart": "c", "version": "1.x",
                "sourceRef": {"kind": kind, "name": "s", "namespace": "team-b"}}}});
            assert_eq!(
                rules(chart, json!(null)),
                ["tenancy/cross-namespace-source"],
                "{kind}"
            );
        }
    }

    #[test]
    fn chart_versions() {
        for open in [
            json!(null),
            json!("*"),
            json!(">=1.0.0"),
            json!("~1.4 || >=3"),
        ] {
            let got = rules(chart(open.clone(), "HelmRepository"), json!(null));
            assert_eq!(got, ["helmrelease/chart-version-unbounded"], "{open}");
        }
        let invalid = chart(json!("one"), "HelmRepository");
        assert_eq!(
            rules(invalid, json!(null)),
            ["helmrelease/chart-version-invalid"]
        );
        for bounded in ["~1.4", "^1.2.3", "1.x", ">=1 <2", "1.2 - 1.4.5"] {
            assert!(
                rules(chart(json!(bounded), "HelmRepository"), json!(null)).is_empty(),
                "{bounded}"
            );
        }
        assert!(rules(chart(json!("*"), "GitRepository"), json!(null)).is_empty());
    }

    #[test]
    fn chart_refs_and_helm_charts() {
        let to = |kind: &str| json!({"chart": null, "chartRef": {"kind": kind, "name": "podinfo"}});
        assert!(rules(to("HelmChart"), json!(null)).is_empty());
        for kind in ["OCIRepository", "ExternalArtifact"] {
            assert_eq!(
                rules(to(kind), json!(null)),
                ["helmrelease/chart-version-not-judged"]
            );
        }
        let chart = |version: Value, kind: &str| {
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart",
                   "metadata": {"name": "podinfo", "namespace": "team-a"},
                   "spec": {"chart": "podinfo", "version": version, "interval": "5m",
                            "sourceRef": {"kind": kind, "name": "charts"}}})
        };
        for open in [json!(null), json!("*"), json!(">=6.0.0")] {
            assert_eq!(
                rules_of(chart(open.clone(), "HelmRepository"), json!(null)),
                ["helmrelease/chart-version-unbounded"],
                "{open}"
            );
        }
        assert!(rules_of(chart(json!("6.x"), "HelmRepository"), json!(null)).is_empty());
        assert!(rules_of(chart(json!("*"), "GitRepository"), json!(null)).is_empty());
        // helm-controller's own HelmCharts mirror a HelmRelease judged on its own.
        let by_controller = review_create(
            &POLICY,
            chart(json!("*"), "HelmRepository"),
            "system:serviceaccount:flux-system:helm-controller",
            json!(null),
        );
        assert!(by_controller.findings.is_empty());
    }

    #[test]
    fn privileged_values_and_patches() {
        let values = json!({"values": {"a": {"securityContext": {"privileged": true}}, "b": {"hostNetwork": "true"}}});
        assert_eq!(
            rules(values.clone(), json!(null)),
            [
                "helmrelease/privileged-pod-settings",
                "helmrelease/privileged-pod-settings"
            ]
        );
        let one_path = json!({"exemptValuePaths": ["spec.values.a.*"]});
        assert_eq!(
            rules(values, one_path),
            ["helmrelease/privileged-pod-settings"]
        );
        let patch = json!({"postRenderers": [{"kustomize": {"patches": [{"patch": "spec:\n  hostPID: true\n"}]}}]});
        assert_eq!(
            rules(patch, json!(null)),
            ["helmrelease/privileged-pod-settings"]
        );
    }

    #[test]
    fn remediation_and_tests_when_required() {
        let required = json!({"requireInstallRemediation": true, "requireUpgradeRemediation": true, "requireTests": true});
        assert_eq!(
            rules(json!({}), required.clone()),
            [
                "helmrelease/install-remediation-required",
                "helmrelease/upgrade-remediation-required",
                "helmrelease/tests-required"
            ]
        );
        let present = json!({
            "install": {"remediation": {"retries": 3}},
            "upgrade": {"cleanupOnFail": true},
            "test": {"enable": true}
        });
        assert!(rules(present, required).is_empty());
    }

    #[test]
    fn exempt_releases_are_not_checked() {
        let risky = json!({"serviceAccountName": null, "values": {"privileged": true}});
        let exempt = json!({"exemptReleases": ["team-net/cilium"]});
        assert!(rules_of(release("team-net", "cilium", risky.clone()), exempt.clone()).is_empty());
        let other = rules_of(release("team-net", "podinfo", risky), exempt);
        assert_eq!(
            other,
            [
                "tenancy/service-account-missing",
                "helmrelease/privileged-pod-settings"
            ]
        );
    }

    #[test]
    fn platform_namespaces_are_shared_and_not_checked() {
        let risky = json!({"serviceAccountName": null});
        assert!(rules_of(release("kubewarden", "x", risky.clone()), json!(null)).is_empty());
        let settings = json!({"platformNamespaces": ["infra"]});
        assert!(rules_of(release("infra", "x", risky.clone()), settings.clone()).is_empty());
        assert_eq!(
            rules_of(release("kube-system", "x", risky), settings),
            ["tenancy/service-account-missing"]
        );
    }

    #[test]
    fn rules_are_listed_once() {
        let mut ids: Vec<&str> = crate::RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), crate::RULES.len());
    }
}

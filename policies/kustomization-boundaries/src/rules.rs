use crate::path::{normalize, within};
use crate::settings::Settings;
use flux_kinds::FluxKind;
use flux_kinds::kustomize::Kustomization;
use fluxgate_admission::{Ctx, tenancy};
use fluxgate_rules::{Finding, KindSpec, Rule};

const KINDS: &[KindSpec] = &[FluxKind::Kustomization.spec()];

const fn rule(
    id: &'static str,
    title: &'static str,
    stops: &'static str,
    on_by_default: bool,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, KINDS, title, stops, setting).on_by_default(on_by_default)
}

pub const FORCE: Rule = rule(
    "kustomization/force",
    "A tenant Kustomization does not set `spec.force: true`.",
    "a tenant deleting and recreating objects (and their data) whenever an immutable field changes.",
    true,
    "allowForce",
);
pub const PATH_OUTSIDE_PREFIXES: Rule = rule(
    "kustomization/path-outside-prefixes",
    "`spec.path` stays inside one of `allowedPathPrefixes` (whole components, after `.`, `..` and `//`).",
    "a tenant applying another team's (or the platform's) directory of the shared repository.",
    false,
    "allowedPathPrefixes",
);
pub const COMPONENT_OUTSIDE_PREFIXES: Rule = rule(
    "kustomization/component-outside-prefixes",
    "Every `spec.components` entry, resolved from `spec.path` as kustomize does, stays inside \
     `allowedPathPrefixes`.",
    "a tenant pulling another team's (or the platform's) directory into its build as a Component.",
    false,
    "allowedPathPrefixes",
);
pub const PRUNE_REQUIRED: Rule = rule(
    "kustomization/prune-required",
    "`spec.prune` is true when `requirePrune` is set.",
    "objects removed from Git lingering in the cluster, unreviewed and still running.",
    false,
    "requirePrune",
);

pub const DECRYPTION_GLOBAL_KEYS: Rule = rule(
    "kustomization/decryption-global-keys",
    "A tenant Kustomization with `spec.decryption` names its own `decryption.secretRef`, unless \
     the platform declares that kustomize-controller holds no decryption keys of its own.",
    "a tenant decrypting other tenants' and the platform's SOPS secrets with the controller's \
     global age keys (`--sops-age-secret`), which kustomize-controller imports whenever \
     `decryption.secretRef` is absent, `decryption.serviceAccountName` or not.",
    true,
    "controllerLockdown.globalDecryptionKeys",
);
pub const DECRYPTION_CONTROLLER_IDENTITY: Rule = rule(
    "kustomization/decryption-controller-identity",
    "A tenant Kustomization with `spec.decryption` names `decryption.serviceAccountName` \
     (Kustomization v1, Flux 2.6+), unless kustomize-controller runs with \
     `--default-decryption-service-account` or holds no KMS/Vault identity of its own.",
    "a tenant decrypting with the controller's own AWS/Azure/GCP KMS or Vault identity, which \
     kustomize-controller uses for every key service the `secretRef` gives no static credential for.",
    true,
    "controllerLockdown.defaultDecryptionServiceAccount",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &tenancy::SERVICE_ACCOUNT_MISSING,
    &tenancy::CONTROLLER_ACCOUNT,
    &tenancy::DENIED_ACCOUNT,
    &tenancy::TARGET_NAMESPACE_MISSING,
    &tenancy::FOREIGN_NAMESPACE,
    &tenancy::CROSS_NAMESPACE_SOURCE,
    &tenancy::CROSS_NAMESPACE_DEPENDENCY,
    &FORCE,
    &tenancy::REMOTE_CLUSTER,
    &tenancy::REMOTE_CLUSTER_CONTROLLER_IDENTITY,
    &DECRYPTION_GLOBAL_KEYS,
    &DECRYPTION_CONTROLLER_IDENTITY,
    &PATH_OUTSIDE_PREFIXES,
    &COMPONENT_OUTSIDE_PREFIXES,
    &PRUNE_REQUIRED,
];

/// Every boundary a tenant Kustomization crosses.
pub fn check(k: &Kustomization, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let namespace = ctx.namespace();
    let spec = &k.spec;
    let targets = settings.target_namespaces(namespace);
    let mut out: Vec<Finding> = [
        tenancy::service_account(
            spec.service_account_name.as_deref(),
            &settings.denied_service_accounts,
            "kustomize-controller",
        ),
        tenancy::namespace_field(
            "spec.targetNamespace",
            spec.target_namespace.as_deref(),
            &targets,
            settings.require_target_namespace || spec.service_account_name.is_none(),
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
    check_components(spec, namespace, settings, &mut out);
    if spec.force == Some(true) && !settings.allow_force {
        out.push(FORCE.at(
            "spec.force",
            "is true: Flux deletes and recreates objects whose immutable fields changed",
            "remove spec.force; use the per-object annotation kustomize.toolkit.fluxcd.io/force: enabled from the platform repository, temporarily",
        ));
    }
    out.extend(tenancy::remote_cluster(
        spec.kube_config.as_ref(),
        settings.allow_kube_config,
        ctx,
        "kustomize-controller",
    ));
    check_decryption(spec, ctx, &mut out);
    if settings.require_prune && spec.prune != Some(true) {
        out.push(PRUNE_REQUIRED.at(
            "spec.prune",
            "is not true, so objects removed from Git stay in the cluster",
            "set spec.prune: true",
        ));
    }
    out
}

/// `spec.decryption` (every served version; `serviceAccountName` only in v1, Flux 2.6+), as
/// kustomize-controller resolves it (`internal/decryptor/decryptor.go`):
///
/// * `ImportKeys` imports the controller's `--sops-age-secret` age keys whenever
///   `decryption.secretRef` is nil, whatever `serviceAccountName` says; with a `secretRef` it
///   imports that Secret's keys and static KMS/Vault credentials instead.
/// * `SetAuthOptions` runs for every Kustomization with `decryption`: the AWS, Azure and GCP
///   KMS (and Vault Kubernetes auth) credentials the Secret did not provide come from
///   `decryption.serviceAccountName`, else from `--default-decryption-service-account`
///   (`auth.GetDefaultDecryptionServiceAccount`), else from the controller's own identity.
///
/// `controllerLockdown.globalDecryptionKeys: false` declares the controller holds none of
/// these (no age secret, no KMS/Vault identity, no `VAULT_TOKEN`), so neither rule applies.
fn check_decryption(
    spec: &flux_kinds::kustomize::KustomizationSpec,
    ctx: &Ctx<Settings>,
    out: &mut Vec<Finding>,
) {
    let Some(decryption) = &spec.decryption else {
        return;
    };
    let lockdown = &ctx.identities.controller_lockdown;
    if !lockdown.global_decryption_keys {
        return;
    }
    let named = |n: Option<&str>| n.is_some_and(|n| !n.trim().is_empty());
    let no_account_field = ctx.version() != "v1";
    let declare = "declare controllerLockdown.globalDecryptionKeys: false when kustomize-controller \
                   has no --sops-age-secret and no KMS/Vault identity of its own";
    if !named(decryption.secret_ref.as_ref().map(|r| r.name.as_str())) {
        out.push(DECRYPTION_GLOBAL_KEYS.at(
            "spec.decryption.secretRef",
            "is missing, so kustomize-controller decrypts with its own global age keys \
             (--sops-age-secret), which open secrets encrypted for other tenants and the platform",
            format!(
                "set spec.decryption.secretRef to a Secret of this namespace holding the tenant's own keys, or {declare}"
            ),
        ));
    }
    if !named(decryption.service_account_name.as_deref())
        && !lockdown.default_decryption_service_account
    {
        let set = if no_account_field {
            "move to kustomize.toolkit.fluxcd.io/v1 and set spec.decryption.serviceAccountName"
        } else {
            "set spec.decryption.serviceAccountName"
        };
        out.push(DECRYPTION_CONTROLLER_IDENTITY.at(
            "spec.decryption.serviceAccountName",
            "is missing, so kustomize-controller reaches KMS and Vault with its own identity for \
             every key the secretRef gives no static credential for",
            format!(
                "{set} to a service account of this namespace bound to the tenant's own KMS identity, \
                 declare controllerLockdown.defaultDecryptionServiceAccount when kustomize-controller \
                 runs with --default-decryption-service-account, or {declare}"
            ),
        ));
    }
}

/// The prefixes a tenant of `namespace` may use, `{namespace}` filled in.
fn prefixes(settings: &Settings, namespace: &str) -> Vec<String> {
    settings
        .allowed_path_prefixes
        .iter()
        .map(|p| p.replace("{namespace}", namespace))
        .collect()
}

/// Whether `path` (from the source root) normalises to somewhere under one of `prefixes`.
fn inside(path: &str, prefixes: &[String]) -> bool {
    normalize(path).is_some_and(|parts| {
        prefixes
            .iter()
            .filter_map(|p| normalize(p))
            .any(|prefix| within(&parts, &prefix))
    })
}

fn check_path(path: Option<&str>, namespace: &str, settings: &Settings, out: &mut Vec<Finding>) {
    if settings.allowed_path_prefixes.is_empty() {
        return;
    }
    let raw = path.unwrap_or("./");
    let prefixes = prefixes(settings, namespace);
    if !inside(raw, &prefixes) {
        out.push(PATH_OUTSIDE_PREFIXES.at(
            "spec.path",
            format!("{raw:?} is outside the tenant's part of the repository"),
            format!("use a path under one of [{}]", prefixes.join(", ")),
        ));
    }
}

/// `spec.components` are kustomize Components that Flux adds to the kustomization it builds
/// in `spec.path`, so kustomize resolves them from that directory (Flux docs, Kustomization
/// `.spec.components`: "local and relative to the path specified by `.spec.path`"). A
/// leading `/` is the source root: the controller builds inside the artifact's directory.
fn check_components(
    spec: &flux_kinds::kustomize::KustomizationSpec,
    namespace: &str,
    settings: &Settings,
    out: &mut Vec<Finding>,
) {
    if settings.allowed_path_prefixes.is_empty() {
        return;
    }
    let prefixes = prefixes(settings, namespace);
    let base = spec.path.as_deref().unwrap_or("./");
    for (i, component) in spec.components.iter().flatten().enumerate() {
        let resolved = match component.strip_prefix('/') {
            Some(from_root) => from_root.to_string(),
            None => format!("{base}/{component}"),
        };
        if !inside(&resolved, &prefixes) {
            out.push(COMPONENT_OUTSIDE_PREFIXES.at(
                format!("spec.components[{i}]"),
                format!("{component:?} resolves to {resolved:?} from spec.path, outside the tenant's part of the repository"),
                format!("use components under one of [{}]", prefixes.join(", ")),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    const TENANT: &str = "system:serviceaccount:team-a:flux";

    /// A Kustomization in `namespace` within every boundary, with `extra` merged into its spec.
    fn kustomization(namespace: &str, extra: Value) -> Value {
        let mut spec = json!({
            "interval": "10m", "prune": true, "path": "./tenants/team-a/apps",
            "sourceRef": {"kind": "GitRepository", "name": "team-a"},
            "serviceAccountName": "flux-reconciler", "targetNamespace": "team-a"
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                spec.as_object_mut().unwrap().remove(k);
            } else {
                spec[k] = v.clone();
            }
        }
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": namespace}, "spec": spec
        })
    }

    /// The rule ids a team-a Kustomization with `extra` gets under `settings`.
    fn rules(extra: Value, settings: Value) -> Vec<String> {
        let verdict = review_create(&POLICY, kustomization("team-a", extra), TENANT, settings);
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    #[test]
    fn within_boundaries_passes() {
        assert!(rules(json!({}), json!(null)).is_empty());
    }

    #[test]
    fn service_accounts() {
        let missing = json!({"serviceAccountName": null});
        assert_eq!(
            rules(missing, json!(null)),
            ["tenancy/service-account-missing"]
        );
        let controller = json!({"serviceAccountName": "kustomize-controller"});
        assert_eq!(
            rules(controller, json!(null)),
            ["tenancy/controller-service-account"]
        );
        let default = json!({"serviceAccountName": "default"});
        assert_eq!(
            rules(default, json!(null)),
            ["tenancy/denied-service-account"]
        );
    }

    #[test]
    fn namespaces_sources_and_dependencies() {
        // With its own service account the tenant is bounded by that account's RBAC ...
        let no_target = json!({"targetNamespace": null});
        assert!(rules(no_target.clone(), json!(null)).is_empty());
        // ... unless the platform asks for targetNamespace everywhere ...
        let strict = json!({"requireTargetNamespace": true});
        assert_eq!(
            rules(no_target, strict),
            ["tenancy/target-namespace-missing"]
        );
        // ... and without one nothing else bounds it.
        let neither = json!({"targetNamespace": null, "serviceAccountName": null});
        assert_eq!(
            rules(neither, json!(null)),
            [
                "tenancy/service-account-missing",
                "tenancy/target-namespace-missing"
            ]
        );
        let other = json!({"targetNamespace": "team-a-preview"});
        assert_eq!(
            rules(other.clone(), json!(null)),
            ["tenancy/foreign-namespace"]
        );
        let extra = json!({"allowedTargetNamespaces": {"team-a": ["team-a-preview"]}});
        assert!(rules(other, extra).is_empty());
        let source = json!({"sourceRef": {"kind": "GitRepository", "name": "x", "namespace": "flux-system"}});
        assert_eq!(
            rules(source.clone(), json!(null)),
            ["tenancy/cross-namespace-source"]
        );
        assert!(rules(source, json!({"sharedSourceNamespaces": ["flux-system"]})).is_empty());
        let dep = json!({"dependsOn": [{"name": "a"}, {"name": "b", "namespace": "infra"}]});
        assert_eq!(
            rules(dep, json!(null)),
            ["tenancy/cross-namespace-dependency"]
        );
    }

    #[test]
    fn force_kube_config_and_prune() {
        let force = json!({"force": true});
        assert_eq!(rules(force.clone(), json!(null)), ["kustomization/force"]);
        assert!(rules(force, json!({"allowForce": true})).is_empty());
        let remote = json!({"kubeConfig": {"secretRef": {"name": "prod"}}});
        assert_eq!(
            rules(remote.clone(), json!(null)),
            ["tenancy/remote-cluster"]
        );
        assert!(rules(remote, json!({"allowKubeConfig": true})).is_empty());
        let no_prune = json!({"prune": false});
        assert!(rules(no_prune.clone(), json!(null)).is_empty());
        assert_eq!(
            rules(no_prune, json!({"requirePrune": true})),
            ["kustomization/prune-required"]
        );
    }

    #[test]
    fn paths() {
        let prefixes = json!({"allowedPathPrefixes": ["./tenants/{namespace}/"]});
        assert!(rules(json!({}), prefixes.clone()).is_empty());
        for path in [
            "./tenants/team-a/../team-b",
            "./tenants/team-a-evil",
            "./",
            "../x",
        ] {
            let escape = json!({"path": path});
            assert_eq!(
                rules(escape, prefixes.clone()),
                ["kustomization/path-outside-prefixes"],
                "{path}"
            );
        }
        let root = json!({"path": null});
        assert_eq!(
            rules(root, prefixes),
            ["kustomization/path-outside-prefixes"]
        );
    }

    #[test]
    fn every_boundary_at_once() {
        let all =
            json!({"serviceAccountName": null, "targetNamespace": "kube-system", "force": true});
        assert_eq!(
            rules(all, json!(null)),
            [
                "tenancy/service-account-missing",
                "tenancy/foreign-namespace",
                "kustomization/force"
            ]
        );
    }

    #[test]
    fn platform_namespaces_are_shared_and_not_checked() {
        let obj = kustomization("kube-system", json!({"serviceAccountName": null}));
        assert!(
            review_create(&POLICY, obj, TENANT, json!(null))
                .findings
                .is_empty()
        );
        let obj = kustomization("infra", json!({"serviceAccountName": null}));
        let settings = json!({"platformNamespaces": ["infra"]});
        assert!(
            review_create(&POLICY, obj, TENANT, settings)
                .findings
                .is_empty()
        );
    }

    #[test]
    fn components_resolve_from_the_path() {
        let prefixes = json!({"allowedPathPrefixes": ["./tenants/{namespace}/"]});
        let path =
            |components: Value| json!({"path": "./tenants/team-a/apps", "components": components});
        let own = path(json!([
            "../components/ingress",
            "./local",
            "/tenants/team-a/x"
        ]));
        assert!(rules(own, prefixes.clone()).is_empty());
        for escape in [
            "../../team-b/secrets",
            "../../../platform",
            "/tenants/team-b",
            "..//../../x",
        ] {
            assert_eq!(
                rules(path(json!([escape])), prefixes.clone()),
                ["kustomization/component-outside-prefixes"],
                "{escape}"
            );
        }
    }

    const GLOBAL_KEYS: &str = "kustomization/decryption-global-keys";
    const CONTROLLER_IDENTITY: &str = "kustomization/decryption-controller-identity";

    #[test]
    fn decryption_names_its_own_keys_and_identity() {
        let with = |decryption: Value| json!({"decryption": decryption});
        let own = with(
            json!({"provider": "sops", "secretRef": {"name": "sops-keys"},
                              "serviceAccountName": "sops-identity"}),
        );
        assert!(rules(own, json!(null)).is_empty());
        // No decryption: nothing to judge.
        assert!(rules(json!({"decryption": null}), json!(null)).is_empty());
        for (decryption, expected) in [
            (
                json!({"provider": "sops"}),
                vec![GLOBAL_KEYS, CONTROLLER_IDENTITY],
            ),
            // serviceAccountName alone: the controller still imports its age keys.
            (
                json!({"provider": "sops", "serviceAccountName": "sops-identity"}),
                vec![GLOBAL_KEYS],
            ),
            (
                json!({"provider": "sops", "secretRef": {"name": ""}, "serviceAccountName": "x"}),
                vec![GLOBAL_KEYS],
            ),
            (
                json!({"provider": "sops", "secretRef": {"name": "k"}}),
                vec![CONTROLLER_IDENTITY],
            ),
            (
                json!({"provider": "sops", "secretRef": {"name": "k"}, "serviceAccountName": " "}),
                vec![CONTROLLER_IDENTITY],
            ),
            (json!({}), vec![GLOBAL_KEYS, CONTROLLER_IDENTITY]),
        ] {
            assert_eq!(
                rules(with(decryption.clone()), json!(null)),
                expected,
                "{decryption}"
            );
        }
    }

    #[test]
    fn decryption_lockdown_settings() {
        let bare = json!({"decryption": {"provider": "sops"}});
        let account_only =
            json!({"decryption": {"provider": "sops", "serviceAccountName": "sops-identity"}});
        let no_global = json!({"controllerLockdown": {"globalDecryptionKeys": false}});
        assert!(rules(bare.clone(), no_global.clone()).is_empty());
        assert!(rules(account_only.clone(), no_global).is_empty());
        let default_account =
            json!({"controllerLockdown": {"defaultDecryptionServiceAccount": true}});
        assert_eq!(rules(bare, default_account.clone()), [GLOBAL_KEYS]);
        assert_eq!(rules(account_only, default_account), [GLOBAL_KEYS]);
        let keys = json!({"decryption": {"provider": "sops", "secretRef": {"name": "k"}}});
        let default_account =
            json!({"controllerLockdown": {"defaultDecryptionServiceAccount": true}});
        assert!(rules(keys, default_account).is_empty());
    }

    #[test]
    fn decryption_in_every_served_version() {
        for version in ["v1beta1", "v1beta2", "v1"] {
            let mut obj = kustomization("team-a", json!({"decryption": {"provider": "sops"}}));
            obj["apiVersion"] = json!(format!("kustomize.toolkit.fluxcd.io/{version}"));
            let verdict = review_create(&POLICY, obj, TENANT, json!(null));
            let ids: Vec<&str> = verdict.findings.iter().map(|f| f.rule.as_ref()).collect();
            assert_eq!(ids, [GLOBAL_KEYS, CONTROLLER_IDENTITY], "{version}");
            // The betas have no decryption.serviceAccountName: the fix says to move to v1.
            let fix = &verdict.findings[1].fix;
            assert_eq!(
                fix.contains("move to kustomize.toolkit.fluxcd.io/v1"),
                version != "v1"
            );
        }
    }

    #[test]
    fn remote_clusters_through_a_config_map() {
        let remote = json!({"kubeConfig": {"configMapRef": {"name": "prod"}}});
        assert_eq!(
            rules(remote.clone(), json!(null)),
            ["tenancy/remote-cluster"]
        );
        let allowed = json!({"allowKubeConfig": true});
        assert_eq!(
            rules(remote.clone(), allowed),
            ["tenancy/remote-cluster-controller-identity"]
        );
        let locked = json!({"allowKubeConfig": true,
                            "controllerLockdown": {"defaultKubeconfigServiceAccount": true}});
        assert!(rules(remote, locked.clone()).is_empty());
        // The lockdown alone does not allow remote clusters.
        let lockdown_only =
            json!({"controllerLockdown": {"defaultKubeconfigServiceAccount": true}});
        let secret = json!({"kubeConfig": {"secretRef": {"name": "prod"}}});
        assert_eq!(
            rules(secret.clone(), lockdown_only),
            ["tenancy/remote-cluster"]
        );
        assert!(rules(secret, locked).is_empty());
    }

    #[test]
    fn source_kinds_are_all_judged_for_namespace() {
        // ExternalArtifact (Flux 2.7) and kinds this policy has never heard of alike.
        for kind in [
            "GitRepository",
            "OCIRepository",
            "Bucket",
            "ExternalArtifact",
            "Unheard",
        ] {
            let elsewhere =
                json!({"sourceRef": {"kind": kind, "name": "x", "namespace": "team-b"}});
            assert_eq!(
                rules(elsewhere, json!(null)),
                ["tenancy/cross-namespace-source"],
                "{kind}"
            );
            let own = json!({"sourceRef": {"kind": kind, "name": "x", "namespace": "team-a"}});
            assert!(rules(own, json!(null)).is_empty(), "{kind}");
            let shared =
                json!({"sourceRef": {"kind": kind, "name": "x", "namespace": "artifacts"}});
            let settings = json!({"sharedSourceNamespaces": ["artifacts"]});
            assert!(rules(shared, settings).is_empty(), "{kind}");
        }
    }

    #[test]
    fn rules_are_listed_once() {
        let mut ids: Vec<&str> = crate::RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), crate::RULES.len());
    }
}

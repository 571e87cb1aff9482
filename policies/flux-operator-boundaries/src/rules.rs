use crate::patches::{self, Problem};
use crate::settings::Settings;
use flux_kinds::FluxKind;
use flux_kinds::operator::{FluxInstance, ResourceSet, ResourceSetInputProvider};
use fluxgate_admission::Ctx;
use fluxgate_matchers::origin::{Origin, redact_credentials};
use fluxgate_rules::{Finding, KindSpec, Rule};

const INSTANCE: &[KindSpec] = &[FluxKind::FluxInstance.spec()];
const RESOURCE_SET: &[KindSpec] = &[FluxKind::ResourceSet.spec()];
const PROVIDER: &[KindSpec] = &[FluxKind::ResourceSetInputProvider.spec()];

pub const RESOURCESET_SERVICE_ACCOUNT_MISSING: Rule = Rule::deny(
    "operator/resourceset-service-account-missing",
    RESOURCE_SET,
    "A tenant ResourceSet names the service account the operator impersonates \
     (`spec.serviceAccountName`), unless the operator runs with `--default-service-account`.",
    "a tenant's ResourceSet being applied with the Flux Operator's own cluster-admin identity, \
     creating any object anywhere (ClusterRoleBindings, other tenants' namespaces).",
    "operatorDefaultServiceAccount",
);
pub const PROVIDER_URL_INVALID: Rule = Rule::deny(
    "operator/provider-url-invalid",
    PROVIDER,
    "A ResourceSetInputProvider that calls out names a URL that parses as `scheme://host/path` \
     with its type's scheme (`https://` for Git services and external services, `oci://` for \
     artifact tags): no scp-like syntax, whitespace, backslashes or `.`/`..` segments.",
    "a URL that an allowlist and the operator's HTTP or OCI client would read differently \
     (`https://github.com/acme/../evil/app`).",
    "",
);
pub const PROVIDER_URL_CREDENTIALS: Rule = Rule::deny(
    "operator/provider-url-credentials",
    PROVIDER,
    "A ResourceSetInputProvider's URL carries no credentials, in its user part or its query; \
     they belong in `spec.secretRef`.",
    "a token written into the object, where everyone who can read input providers (and the \
     audit log, and the operator's `url` metric label) sees it.",
    "",
);
pub const PROVIDER_INSECURE: Rule = Rule::deny(
    "operator/provider-insecure",
    PROVIDER,
    "A ResourceSetInputProvider reaches its service over TLS: no `http://` URL and no \
     `insecure: true`, except to a host in `plainHttpHosts`.",
    "inputs fetched unencrypted, where anyone on the path can choose what the ResourceSet \
     renders (branch names, tags, digests, free-form fields).",
    "plainHttpHosts",
);
pub const PROVIDER_NOT_ALLOWED: Rule = Rule::deny(
    "operator/provider-not-allowed",
    PROVIDER,
    "A ResourceSetInputProvider's URL lies under one of `allowedProviderOrigins`, compared by \
     scheme, host, port, user and whole path segments.",
    "a tenant feeding its ResourceSets from another organisation's repository or registry \
     (`github.com.evil.io`, `acme-evil`).",
    "allowedProviderOrigins",
)
.on_by_default(false);
pub const PROVIDER_CLOUD_IDENTITY: Rule = Rule::deny(
    "operator/provider-cloud-identity",
    PROVIDER,
    "A tenant ResourceSetInputProvider of a cloud type (ACR, ECR or GAR artifact tags, AWS \
     CodeCommit, Azure DevOps without `secretRef`) names its own `serviceAccountName`.",
    "a tenant listing the platform's registries and repositories with the operator's own cloud \
     identity, which the operator falls back to without a service account.",
    "allowOperatorCloudIdentity",
);
pub const PROVIDER_CROSS_NAMESPACE: Rule = Rule::deny(
    "operator/provider-cross-namespace",
    PROVIDER,
    "A tenant ExternalArtifact input provider selects ExternalArtifacts in its own namespace \
     or one of `sharedArtifactNamespaces` (`spec.selectors[].namespace`, never `*`).",
    "a tenant reading another tenant's artifacts (URLs, revisions, digests) into its own \
     ResourceSets.",
    "sharedArtifactNamespaces",
);
pub const MULTITENANT_DISABLED: Rule = Rule::deny(
    "operator/multitenant-disabled",
    INSTANCE,
    "With `multiTenant`, every FluxInstance sets `spec.cluster.multitenant: true` (the \
     default is false).",
    "a multi-tenant cluster's Flux being installed, or re-installed by an UPDATE, without the \
     lockdown: cross-namespace references, remote bases and controller identities open to \
     every tenant.",
    "multiTenant",
)
.on_by_default(false);
pub const LOCKDOWN_PATCHED: Rule = Rule::deny(
    "operator/lockdown-patched",
    INSTANCE,
    "A FluxInstance with `cluster.multitenant: true` (with `multiTenant`: any FluxInstance) has \
     no `kustomize.patches` that drop, overwrite or negate `--no-cross-namespace-refs`, \
     `--no-remote-bases` or `--default-service-account`, end flag parsing (`--`), override \
     the controller's command, or add `--insecure-kubeconfig-exec`/`--insecure-kubeconfig-tls`.",
    "the lockdown the operator adds being taken away again by a patch applied after it \
     (JSON6902 `remove` on the args, a strategic-merge args list, `=false`), leaving a \
     cluster that looks multi-tenant and is not.",
    "multiTenant",
);
pub const PATCH_UNREADABLE: Rule = Rule::deny(
    "operator/patch-unreadable",
    INSTANCE,
    "Where the lockdown is judged, every `kustomize.patches[].patch` is a strategic-merge or \
     JSON6902 patch kustomize can read and apply.",
    "a patch this policy cannot read passing unjudged.",
    "multiTenant",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &RESOURCESET_SERVICE_ACCOUNT_MISSING,
    &PROVIDER_URL_INVALID,
    &PROVIDER_URL_CREDENTIALS,
    &PROVIDER_INSECURE,
    &PROVIDER_NOT_ALLOWED,
    &PROVIDER_CLOUD_IDENTITY,
    &PROVIDER_CROSS_NAMESPACE,
    &MULTITENANT_DISABLED,
    &LOCKDOWN_PATCHED,
    &PATCH_UNREADABLE,
];

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// A ResourceSet is applied as `spec.serviceAccountName` of its namespace, else as the
/// operator's `--default-service-account` of its namespace, else as the operator itself
/// (flux-operator `resourceset_controller.go` `apply`: fluxcd/pkg `runtime/client`
/// impersonation with the default and the object's account). Platform namespaces hold the
/// platform's own ResourceSets.
pub fn check_resource_set(rs: &ResourceSet, ctx: &Ctx<Settings>) -> Vec<Finding> {
    if ctx.identities.is_platform_namespace(ctx.namespace())
        || set(&rs.spec.service_account_name).is_some()
        || ctx.settings.operator_default_service_account
    {
        return Vec::new();
    }
    vec![RESOURCESET_SERVICE_ACCOUNT_MISSING.at(
        "spec.serviceAccountName",
        "is missing, so the Flux Operator applies the generated objects with its own cluster-admin identity",
        "set spec.serviceAccountName to a service account of this namespace bound to what the tenant may create, \
         or declare operatorDefaultServiceAccount when the operator runs with --default-service-account",
    )]
}

/// The schemes each input provider type calls (the operator's CRD validation: Git services
/// `http(s)`, AWS CodeCommit `https`, artifact tags `oci`, external services `http(s)`);
/// `None` for the types that call nothing (Static, ExternalArtifact).
fn schemes(provider_type: &str) -> Option<&'static [&'static str]> {
    match provider_type {
        "Static" | "ExternalArtifact" => None,
        t if t.starts_with("AWSCodeCommit") => Some(&["https"]),
        t if t.ends_with("ArtifactTag") => Some(&["oci"]),
        t if t.starts_with("Git") || t.starts_with("AzureDevOps") || t == "ExternalService" => {
            Some(&["https", "http"])
        }
        _ => Some(&["https", "http", "oci"]),
    }
}

/// The cloud whose workload identity the operator uses for a type (flux-operator
/// `resourcesetinputprovider_controller.go`: `inputProviderToCloudProvider` for the artifact
/// tags, AWS CodeCommit, and Azure DevOps when no secret gives a token).
fn cloud(provider_type: &str, has_secret: bool) -> Option<&'static str> {
    match provider_type {
        "ACRArtifactTag" => Some("Azure"),
        "ECRArtifactTag" => Some("AWS"),
        "GARArtifactTag" => Some("GCP"),
        t if t.starts_with("AWSCodeCommit") => Some("AWS"),
        t if t.starts_with("AzureDevOps") && !has_secret => Some("Azure"),
        _ => None,
    }
}

/// Every rule a tenant ResourceSetInputProvider breaks.
pub fn check_provider(rsip: &ResourceSetInputProvider, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let mut out = Vec::new();
    if ctx.identities.is_platform_namespace(ctx.namespace()) {
        return out;
    }
    let settings = ctx.settings;
    let spec = &rsip.spec;
    let provider_type = spec.provider_type.as_deref().unwrap_or("");
    let origin = check_url(provider_type, spec.url.as_deref(), settings, &mut out);
    if spec.insecure == Some(true)
        && !origin
            .as_ref()
            .is_some_and(|o| settings.plain_http_allowed(&o.host, o.port))
    {
        let host = origin
            .as_ref()
            .map_or_else(|| "the service".to_string(), Origin::host_port);
        out.push(PROVIDER_INSECURE.at(
            "spec.insecure",
            format!("is true: the operator would call {host} over plain HTTP, which is not in plainHttpHosts"),
            "remove spec.insecure and serve the provider over TLS (spec.certSecretRef for a private CA)",
        ));
    }
    let has_secret = spec.secret_ref.as_ref().is_some_and(|s| !s.name.is_empty());
    if let Some(cloud) = cloud(provider_type, has_secret)
        && set(&spec.service_account_name).is_none()
        && !settings.allow_operator_cloud_identity
    {
        out.push(PROVIDER_CLOUD_IDENTITY.at(
            "spec.serviceAccountName",
            format!(
                "is missing for the {provider_type} type, so the operator authenticates to {cloud} with its own workload identity, which can reach the platform's registries and repositories"
            ),
            "set spec.serviceAccountName to a service account of this namespace bound to the tenant's own cloud identity",
        ));
    }
    if provider_type == "ExternalArtifact" {
        let own = ctx.namespace();
        for (i, selector) in spec.selectors.iter().flatten().enumerate() {
            let Some(ns) = set(&selector.namespace) else {
                continue;
            };
            if ns == own || settings.shared_artifact_namespaces.iter().any(|s| s == ns) {
                continue;
            }
            let which = if ns == "*" {
                "every namespace (`*`)".to_string()
            } else {
                format!("the namespace {ns:?}")
            };
            out.push(PROVIDER_CROSS_NAMESPACE.at(
                format!("spec.selectors[{i}].namespace"),
                format!("selects ExternalArtifacts in {which}, outside this tenant's namespace {own:?}"),
                "drop the namespace (the provider's own is the default) or use one of sharedArtifactNamespaces",
            ));
        }
    }
    out
}

/// Parses `spec.url` for the type and checks scheme, credentials, plain HTTP and the
/// allowlist, the way source-origin judges a source URL.
fn check_url(
    provider_type: &str,
    url: Option<&str>,
    settings: &Settings,
    out: &mut Vec<Finding>,
) -> Option<Origin> {
    let field = "spec.url";
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        if let Some(schemes) = schemes(provider_type) {
            out.push(PROVIDER_URL_INVALID.at(
                field,
                format!("is missing for the {provider_type:?} type, which calls a service"),
                format!("set spec.url to a {}:// URL", schemes[0]),
            ));
        }
        return None;
    };
    let schemes = schemes(provider_type).unwrap_or(&["https", "http", "oci"]);
    let shown = redact_credentials(url);
    let origin = match Origin::parse(url) {
        Ok(o) => o,
        Err(e) => {
            out.push(PROVIDER_URL_INVALID.at(
                field,
                format!("{shown:?} {e}"),
                format!("write spec.url as {}://host/path", schemes[0]),
            ));
            return None;
        }
    };
    if !schemes.contains(&origin.scheme.as_str()) {
        out.push(PROVIDER_URL_INVALID.at(
            field,
            format!(
                "{shown:?} uses scheme {:?}, which the {provider_type} type does not call",
                origin.scheme
            ),
            format!("use one of the schemes [{}]", schemes.join(", ")),
        ));
    } else if origin.scheme == "http" && !settings.plain_http_allowed(&origin.host, origin.port) {
        out.push(PROVIDER_INSECURE.at(
            field,
            format!(
                "{shown:?} uses plain HTTP to {}, which is not in plainHttpHosts",
                origin.host_port()
            ),
            "use an https:// URL",
        ));
    }
    if origin.has_credentials() {
        out.push(PROVIDER_URL_CREDENTIALS.at(
            field,
            format!("{shown:?} carries credentials in the URL"),
            "remove them from the URL and put them in the Secret named by spec.secretRef",
        ));
    }
    let params = origin.credential_params();
    if !params.is_empty() {
        out.push(PROVIDER_URL_CREDENTIALS.at(
            field,
            format!(
                "{shown:?} carries credentials in its query ({})",
                params.join(", ")
            ),
            "remove them from the URL and put them in the Secret named by spec.secretRef",
        ));
    }
    let allowed = settings.provider_origins();
    if !settings.allowed_provider_origins.is_empty()
        && !fluxgate_matchers::origin::any_matches(&allowed, &origin)
    {
        out.push(PROVIDER_NOT_ALLOWED.at(
            field,
            format!("{shown:?} is not an allowed origin"),
            format!(
                "use a URL under one of [{}]",
                settings.allowed_provider_origins.join(", ")
            ),
        ));
    }
    Some(origin)
}

/// A FluxInstance installs Flux itself, from the platform namespace: it is judged wherever
/// it is. With `cluster.multitenant` (or `multiTenant`) the lockdown must survive its
/// patches; with `multiTenant` it must be on.
pub fn check_instance(fi: &FluxInstance, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let mut out = Vec::new();
    let multitenant = fi.spec.cluster.as_ref().and_then(|c| c.multitenant);
    if settings.multi_tenant && multitenant != Some(true) {
        let (field, state) = match multitenant {
            Some(_) => ("spec.cluster.multitenant", "is false"),
            None => (
                "spec.cluster.multitenant",
                "is not set (the operator's default is false)",
            ),
        };
        out.push(MULTITENANT_DISABLED.at(
            field,
            format!("{state} on a cluster the platform declares multi-tenant (multiTenant): Flux would run without the lockdown flags"),
            "set spec.cluster.multitenant: true",
        ));
    }
    if multitenant != Some(true) && !settings.multi_tenant {
        return out;
    }
    let patches = fi
        .spec
        .kustomize
        .as_ref()
        .and_then(|k| k.patches.as_deref())
        .unwrap_or_default();
    for (i, patch) in patches.iter().enumerate() {
        let field = format!("spec.kustomize.patches[{i}].patch");
        for problem in patches::judge(patch) {
            out.push(match problem {
                Problem::Lockdown(what) => LOCKDOWN_PATCHED.at(
                    field.clone(),
                    what,
                    "leave the lockdown flags alone: append other flags with `op: add` at .../containers/0/args/-, and change resources, volumes or scheduling instead of args",
                ),
                Problem::Unreadable(what) => PATCH_UNREADABLE.at(
                    field.clone(),
                    what,
                    "write the patch as a strategic-merge object or a list of JSON6902 operations with a target",
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    /// Every input provider type of the operator's ResourceSetInputProvider CRD, with the
    /// URL schemes its CRD validation allows and the cloud whose identity it uses.
    #[test]
    fn every_input_provider_type() {
        /// Type, schemes, cloud without a secret, cloud with one.
        type Row = (
            &'static str,
            Option<&'static [&'static str]>,
            Option<&'static str>,
            Option<&'static str>,
        );
        const GIT: Option<&[&str]> = Some(&["https", "http"]);
        let table: [Row; 22] = [
            ("Static", None, None, None),
            ("GitHubBranch", GIT, None, None),
            ("GitHubTag", GIT, None, None),
            ("GitHubPullRequest", GIT, None, None),
            ("GitLabBranch", GIT, None, None),
            ("GitLabTag", GIT, None, None),
            ("GitLabMergeRequest", GIT, None, None),
            ("GitLabEnvironment", GIT, None, None),
            ("AzureDevOpsBranch", GIT, Some("Azure"), None),
            ("AzureDevOpsTag", GIT, Some("Azure"), None),
            ("AzureDevOpsPullRequest", GIT, Some("Azure"), None),
            (
                "AWSCodeCommitBranch",
                Some(&["https"]),
                Some("AWS"),
                Some("AWS"),
            ),
            (
                "AWSCodeCommitTag",
                Some(&["https"]),
                Some("AWS"),
                Some("AWS"),
            ),
            (
                "AWSCodeCommitPullRequest",
                Some(&["https"]),
                Some("AWS"),
                Some("AWS"),
            ),
            ("GiteaBranch", GIT, None, None),
            ("GiteaTag", GIT, None, None),
            ("GiteaPullRequest", GIT, None, None),
            ("OCIArtifactTag", Some(&["oci"]), None, None),
            (
                "ACRArtifactTag",
                Some(&["oci"]),
                Some("Azure"),
                Some("Azure"),
            ),
            ("ECRArtifactTag", Some(&["oci"]), Some("AWS"), Some("AWS")),
            ("GARArtifactTag", Some(&["oci"]), Some("GCP"), Some("GCP")),
            ("ExternalService", GIT, None, None),
        ];
        for (t, want_schemes, cloud_without_secret, cloud_with_secret) in table {
            assert_eq!(schemes(t), want_schemes, "{t}");
            assert_eq!(
                cloud(t, false),
                cloud_without_secret,
                "{t} without a secret"
            );
            assert_eq!(cloud(t, true), cloud_with_secret, "{t} with a secret");
        }
        assert_eq!(schemes("ExternalArtifact"), None);
        // A type a newer operator adds is held to every scheme the CRD's pattern allows.
        assert_eq!(schemes("SomethingNew"), Some(&["https", "http", "oci"][..]));
    }

    fn rules(kind: &str, namespace: &str, spec: Value, settings: Value) -> Vec<String> {
        let object = json!({
            "apiVersion": "fluxcd.controlplane.io/v1", "kind": kind,
            "metadata": {"name": "flux", "namespace": namespace}, "spec": spec
        });
        let verdict = review_create(
            &POLICY,
            object,
            "system:serviceaccount:team-a:flux",
            settings,
        );
        let mut ids: Vec<String> = verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect();
        ids.dedup();
        ids
    }

    #[test]
    fn resource_sets() {
        let rs = |spec: Value, ns: &str, settings: Value| rules("ResourceSet", ns, spec, settings);
        assert_eq!(
            rs(json!({"resources": []}), "team-a", json!(null)),
            [RESOURCESET_SERVICE_ACCOUNT_MISSING.id]
        );
        assert_eq!(
            rs(json!({"serviceAccountName": " "}), "team-a", json!(null)),
            [RESOURCESET_SERVICE_ACCOUNT_MISSING.id]
        );
        assert!(rs(json!({"serviceAccountName": "flux"}), "team-a", json!(null)).is_empty());
        assert!(rs(json!({}), "flux-system", json!(null)).is_empty());
        assert!(
            rs(
                json!({}),
                "team-a",
                json!({"operatorDefaultServiceAccount": true})
            )
            .is_empty()
        );
    }

    #[test]
    fn input_providers() {
        let rsip = |spec: Value, settings: Value| {
            rules("ResourceSetInputProvider", "team-a", spec, settings)
        };
        let gh = |url: &str| json!({"type": "GitHubBranch", "url": url});
        assert!(rsip(gh("https://github.com/acme/app"), json!(null)).is_empty());
        assert_eq!(
            rsip(gh("http://gitea.local/acme/app"), json!(null)),
            [PROVIDER_INSECURE.id]
        );
        assert!(
            rsip(
                gh("http://gitea.local/acme/app"),
                json!({"plainHttpHosts": ["gitea.local"]})
            )
            .is_empty()
        );
        assert_eq!(
            rsip(gh("https://x:tok@github.com/acme/app"), json!(null)),
            [PROVIDER_URL_CREDENTIALS.id]
        );
        assert_eq!(
            rsip(
                gh("https://github.com/acme/app?access_token=x"),
                json!(null)
            ),
            [PROVIDER_URL_CREDENTIALS.id]
        );
        assert_eq!(
            rsip(gh("https://github.com/acme/../evil"), json!(null)),
            [PROVIDER_URL_INVALID.id]
        );
        assert_eq!(
            rsip(gh("oci://ghcr.io/acme/app"), json!(null)),
            [PROVIDER_URL_INVALID.id]
        );
        assert_eq!(
            rsip(json!({"type": "GitHubBranch"}), json!(null)),
            [PROVIDER_URL_INVALID.id]
        );
        let acme = json!({"allowedProviderOrigins": ["https://github.com/acme/"]});
        assert_eq!(
            rsip(gh("https://github.com/acme-evil/app"), acme.clone()),
            [PROVIDER_NOT_ALLOWED.id]
        );
        assert!(rsip(gh("https://GitHub.com:443/acme/app"), acme).is_empty());
        let oci = json!({"type": "OCIArtifactTag", "url": "oci://registry.local:5000/app", "insecure": true});
        assert_eq!(rsip(oci.clone(), json!(null)), [PROVIDER_INSECURE.id]);
        assert!(rsip(oci, json!({"plainHttpHosts": ["registry.local:5000"]})).is_empty());
        assert!(
            rsip(
                json!({"type": "Static", "defaultValues": {"a": "b"}}),
                json!(null)
            )
            .is_empty()
        );
        let ecr =
            json!({"type": "ECRArtifactTag", "url": "oci://1.dkr.ecr.eu-west-1.amazonaws.com/app"});
        assert_eq!(rsip(ecr.clone(), json!(null)), [PROVIDER_CLOUD_IDENTITY.id]);
        assert!(rsip(ecr, json!({"allowOperatorCloudIdentity": true})).is_empty());
        let ado =
            json!({"type": "AzureDevOpsBranch", "url": "https://dev.azure.com/acme/p/_git/app"});
        assert_eq!(rsip(ado.clone(), json!(null)), [PROVIDER_CLOUD_IDENTITY.id]);
        let mut with_secret = ado;
        with_secret["secretRef"] = json!({"name": "pat"});
        assert!(rsip(with_secret, json!(null)).is_empty());
        let ea = |ns: &str| json!({"type": "ExternalArtifact", "selectors": [{"matchLabels": {"a": "b"}}, {"namespace": ns, "name": "x"}]});
        assert!(rsip(ea("team-a"), json!(null)).is_empty());
        assert_eq!(
            rsip(ea("team-b"), json!(null)),
            [PROVIDER_CROSS_NAMESPACE.id]
        );
        assert_eq!(rsip(ea("*"), json!(null)), [PROVIDER_CROSS_NAMESPACE.id]);
        assert!(
            rsip(
                ea("shared"),
                json!({"sharedArtifactNamespaces": ["shared"]})
            )
            .is_empty()
        );
    }

    #[test]
    fn flux_instances() {
        let fi =
            |spec: Value, settings: Value| rules("FluxInstance", "flux-system", spec, settings);
        let dist = json!({"version": "2.x", "registry": "ghcr.io/fluxcd"});
        let drop_args = json!([{"target": {"kind": "Deployment"},
            "patch": "- op: remove\n  path: /spec/template/spec/containers/0/args\n"}]);
        let single = json!({"distribution": dist, "kustomize": {"patches": drop_args}});
        assert!(
            fi(single.clone(), json!(null)).is_empty(),
            "no lockdown to judge"
        );
        assert_eq!(
            fi(single.clone(), json!({"multiTenant": true})),
            [MULTITENANT_DISABLED.id, LOCKDOWN_PATCHED.id]
        );
        let mut multi = single;
        multi["cluster"] = json!({"multitenant": true});
        assert_eq!(fi(multi.clone(), json!(null)), [LOCKDOWN_PATCHED.id]);
        multi["kustomize"]["patches"] =
            json!([{"target": {"kind": "Deployment"}, "patch": "spec: [x"}]);
        assert_eq!(fi(multi.clone(), json!(null)), [PATCH_UNREADABLE.id]);
        multi["kustomize"] = json!({});
        assert!(fi(multi.clone(), json!({"multiTenant": true})).is_empty());
        multi["cluster"]["multitenant"] = json!(false);
        assert_eq!(
            fi(multi, json!({"multiTenant": true})),
            [MULTITENANT_DISABLED.id]
        );
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(rule.id.starts_with("operator/"), "{}", rule.id);
            assert!(RULES[..i].iter().all(|r| r.id != rule.id), "{}", rule.id);
        }
    }
}

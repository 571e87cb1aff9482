use crate::identity::{
    IDENTITY_MISSING, IDENTITY_REGEX_INVALID, IDENTITY_UNPINNED, ISSUER_NOT_ALLOWED,
    ISSUER_NOT_LITERAL, SUBJECT_NOT_ALLOWED, SUBJECT_TOO_BROAD, check_identities,
};
use crate::settings::{MissingSource, Provider, Settings};
use crate::view::{ChartRepository, Release, Signed};
use flux_kinds::FluxKind;
use flux_kinds::object::LocalObjectReference;
use flux_kinds::source::OciVerification;
use fluxgate_admission::cluster::{self, Cluster, LookupError, ObjectKey};
use fluxgate_admission::{Ctx, trust};
use fluxgate_rules::{Finding, KindSpec, ObjectRef, Rule, Severity};

/// The one HelmRepository version the policy reads (declared in metadata.yml
/// `contextAwareResources`; served since Flux 2.3).
pub const HELM_REPOSITORY_API_VERSION: &str = "source.toolkit.fluxcd.io/v1";

const OCI_REPOSITORY: KindSpec = FluxKind::OciRepository.spec();
const HELM_CHART: KindSpec = FluxKind::HelmChart.spec();
const HELM_RELEASE: KindSpec = FluxKind::HelmRelease.spec();
const ALL_KINDS: &[KindSpec] = &[OCI_REPOSITORY, HELM_CHART, HELM_RELEASE];
/// The kinds whose `spec.verify` can pin a keyless identity.
pub(crate) const VERIFIED_KINDS: &[KindSpec] = &[OCI_REPOSITORY, HELM_CHART];
/// The kinds whose need for verification depends on their HelmRepository.
const CHART_KINDS: &[KindSpec] = &[HELM_CHART, HELM_RELEASE];

pub(crate) const fn rule(
    id: &'static str,
    kinds: &'static [KindSpec],
    title: &'static str,
    stops: &'static str,
    on_by_default: bool,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, kinds, title, stops, setting).on_by_default(on_by_default)
}

pub const VERIFY_MISSING: Rule = rule(
    "signature/verify-missing",
    ALL_KINDS,
    "An OCIRepository, and a HelmChart or HelmRelease chart from an OCI HelmRepository, sets \
     `spec.verify` (HelmRelease: `spec.chart.spec.verify`).",
    "Flux pulling an artifact or chart that anyone with push access to the registry (or a \
     stolen registry token) replaced.",
    true,
    "enforceKinds",
);
pub const PROVIDER_UNKNOWN: Rule = rule(
    "signature/provider-unknown",
    ALL_KINDS,
    "`verify.provider` is a provider Flux knows, spelt as the CRD does (`cosign`, `notation`).",
    "a verify block source-controller would refuse at reconcile time (`Cosign`).",
    true,
    "",
);
pub const PROVIDER_NOT_ALLOWED: Rule = rule(
    "signature/provider-not-allowed",
    ALL_KINDS,
    "`verify.provider` (absent: `cosign`) is one of `allowedProviders`.",
    "a tenant verifying with a provider whose trust the platform does not manage.",
    true,
    "allowedProviders",
);
pub const SECRET_NAME_EMPTY: Rule = rule(
    "signature/secret-name-empty",
    ALL_KINDS,
    "A `verify.secretRef` names its Secret.",
    "a verify block that can find no key or trust policy and stalls the source.",
    true,
    "",
);
pub const NOTATION_SECRET_MISSING: Rule = rule(
    "signature/notation-secret-missing",
    ALL_KINDS,
    "notation verification sets `verify.secretRef` (trust policy and certificates).",
    "a notation check that cannot verify anything, failing every pull.",
    true,
    "",
);
pub const VERIFY_UNSERVED: Rule = rule(
    "signature/verify-unserved",
    &[HELM_CHART],
    "An OCI chart's HelmChart is `v1beta2` or `v1`: `v1beta1` has no `spec.verify`.",
    "an OCI chart admitted in a version that cannot verify it.",
    true,
    "",
);
pub const KEYLESS_UNPINNABLE: Rule = rule(
    "signature/keyless-unpinnable",
    &[HELM_RELEASE],
    "A HelmRelease's cosign `spec.chart.spec.verify` sets `secretRef`: it has no \
     `matchOIDCIdentity`, so keyless there cannot be pinned (use `spec.chartRef`).",
    "a keyless chart check that accepts any identity Fulcio certifies.",
    true,
    "",
);
pub const CHART_SOURCE_KIND_UNKNOWN: Rule = rule(
    "signature/chart-source-kind-unknown",
    CHART_KINDS,
    "A chart's `sourceRef.kind` is HelmRepository, GitRepository or Bucket (case-sensitive).",
    "a chart whose need for verification cannot be told, admitted unverified.",
    true,
    "",
);
pub const VERIFY_WITHOUT_EFFECT: Rule = Rule {
    severity: Severity::Warn,
    ..rule(
        "signature/verify-without-effect",
        CHART_KINDS,
        "A verify block on a chart from an HTTP(S) HelmRepository is admitted with a warning: \
         Flux verifies only OCI charts.",
        "a team believing its charts are verified when Flux ignores the block.",
        true,
        "",
    )
};
pub const HELM_REPOSITORY_MISSING: Rule = rule(
    "signature/helm-repository-missing",
    CHART_KINDS,
    "A chart that is not compliantly verified has its HelmRepository in the cluster, so \
     whether it is an OCI artifact can be told.",
    "an OCI chart admitted unverified because its repository was applied after it.",
    true,
    "missingHelmRepository",
);
pub const HELM_REPOSITORY_MISSING_ADMITTED: Rule = Rule {
    severity: Severity::Warn,
    ..rule(
        "signature/helm-repository-missing-admitted",
        CHART_KINDS,
        "With `missingHelmRepository: accept`, a chart whose HelmRepository does not exist is \
         admitted with a warning listing what an OCI source would need.",
        "GitOps trees that apply a chart before its repository being blocked, without hiding it.",
        false,
        "missingHelmRepository",
    )
};
pub const HELM_REPOSITORY_UNREADABLE: Rule = rule(
    "signature/helm-repository-unreadable",
    CHART_KINDS,
    "The chart's HelmRepository can be read (the policy's `contextAwareResources` grant) \
     when the chart is not compliantly verified; a failed look-up denies.",
    "an OCI chart admitted unverified because the look-up failed (fail closed).",
    true,
    "",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &VERIFY_MISSING,
    &PROVIDER_UNKNOWN,
    &PROVIDER_NOT_ALLOWED,
    &SECRET_NAME_EMPTY,
    &NOTATION_SECRET_MISSING,
    &IDENTITY_MISSING,
    &IDENTITY_REGEX_INVALID,
    &IDENTITY_UNPINNED,
    &ISSUER_NOT_LITERAL,
    &SUBJECT_TOO_BROAD,
    &ISSUER_NOT_ALLOWED,
    &SUBJECT_NOT_ALLOWED,
    &VERIFY_UNSERVED,
    &KEYLESS_UNPINNABLE,
    &CHART_SOURCE_KIND_UNKNOWN,
    &VERIFY_WITHOUT_EFFECT,
    &HELM_REPOSITORY_MISSING,
    &HELM_REPOSITORY_MISSING_ADMITTED,
    &HELM_REPOSITORY_UNREADABLE,
    &trust::KEY_SECRET_NOT_ANCHOR,
];

/// The policy's own exemptions: kinds `enforceKinds` leaves out, objects `exemptObjects` names.
pub fn exempt(obj: &ObjectRef, settings: &Settings) -> bool {
    !settings.enforces_kind(&obj.kind) || settings.is_exempt(&obj.namespace, &obj.name)
}

/// OCIRepository: `spec.verify` is required and must really check the signer.
pub fn check_oci_repository(repo: &Signed, ctx: &Ctx<Settings>) -> Vec<Finding> {
    check_oci_verify("spec.verify", repo.spec.verify.as_ref(), ctx)
}

/// HelmChart: charts from an OCI HelmRepository need `spec.verify` (Flux supports it for
/// no other source). Git and Bucket charts are plain files: nothing to verify.
pub fn check_helm_chart(chart: &Signed, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let source = chart.spec.source_ref.as_ref();
    let kind = source.map_or("", |r| r.kind.as_str());
    if let Some(v) = unverifiable_source("spec.sourceRef.kind", kind) {
        return v;
    }
    let findings = if chart.version() == "v1beta1" {
        vec![VERIFY_UNSERVED.at(
            "apiVersion",
            "HelmChart v1beta1 has no spec.verify, so an OCI chart cannot be verified",
            "use source.toolkit.fluxcd.io/v1 (or v1beta2) and set spec.verify",
        )]
    } else {
        check_oci_verify("spec.verify", chart.spec.verify.as_ref(), ctx)
    };
    if findings.is_empty() {
        return findings;
    }
    // HelmChart's sourceRef has no namespace: the repository is in the chart's namespace.
    let name = source.map_or("", |r| r.name.as_str());
    judge_by_source(
        findings,
        "spec.sourceRef",
        ctx.namespace(),
        name,
        chart.spec.verify.is_some(),
        settings,
        ctx.cluster,
    )
}

/// HelmRelease: a `spec.chart` template from an OCI HelmRepository needs
/// `spec.chart.spec.verify` with a `secretRef`. That verify has no `matchOIDCIdentity`, so a
/// keyless check there cannot be pinned. A `spec.chartRef` points at an OCIRepository or
/// HelmChart, which this policy judges on its own admission: it passes here.
pub fn check_helm_release(release: &Release, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let Some(chart) = &release.spec.chart else {
        return Vec::new();
    };
    let source = chart.spec.source_ref.as_ref();
    let kind = source.map_or("", |r| r.kind.as_str());
    if let Some(v) = unverifiable_source("spec.chart.spec.sourceRef.kind", kind) {
        return v;
    }
    let verify = chart.spec.verify.as_ref();
    let field = "spec.chart.spec.verify";
    let findings =
        match verify {
            None => vec![VERIFY_MISSING.at(
            field,
            "is missing, so helm-controller installs an OCI chart whose signature nobody checked",
            format!(
                "add {field} with provider ({}) and secretRef naming the Secret with the public \
                 keys or trust policy; for keyless cosign use spec.chartRef to an OCIRepository \
                 whose spec.verify.matchOIDCIdentity pins the signer",
                settings.providers_text()
            ),
        )],
            Some(v) => {
                let mut out = Vec::new();
                let provider = check_provider(field, v.provider.as_deref(), settings, &mut out);
                match (provider, secret_name(v.secret_ref.as_ref())) {
                (_, Some(name)) if name.trim().is_empty() => out.push(empty_secret(field)),
                (Some(Provider::Cosign), None) => out.push(KEYLESS_UNPINNABLE.at(
                    format!("{field}.secretRef"),
                    "is missing, so this is a keyless cosign check, and HelmRelease's verify has \
                     no matchOIDCIdentity: any identity Fulcio certifies would be accepted",
                    format!(
                        "set {field}.secretRef to a Secret with the cosign public key, or move to \
                         spec.chartRef pointing at an OCIRepository (or HelmChart) whose \
                         spec.verify.matchOIDCIdentity pins issuer and subject"
                    ),
                )),
                (Some(Provider::Notation), None) => out.push(notation_needs_secret(field)),
                (_, Some(name)) => {
                    out.extend(trust::key_secret(ctx, &format!("{field}.secretRef.name"), name))
                }
                _ => {}
            }
                out
            }
        };
    if findings.is_empty() {
        return findings;
    }
    let source = source.cloned().unwrap_or_default();
    let namespace = source
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(ctx.namespace());
    judge_by_source(
        findings,
        "spec.chart.spec.sourceRef",
        namespace,
        &source.name,
        verify.is_some(),
        settings,
        ctx.cluster,
    )
}

/// `Some(no findings)` for chart sources Flux cannot verify (Git, Bucket), `Some(deny)` for
/// a kind Flux does not know, `None` for HelmRepository (decided by its type).
fn unverifiable_source(field: &str, kind: &str) -> Option<Vec<Finding>> {
    match kind {
        "HelmRepository" => None,
        "GitRepository" | "Bucket" => Some(Vec::new()),
        other => Some(vec![CHART_SOURCE_KIND_UNKNOWN.at(
            field,
            format!(
                "{other:?} is not a chart source kind Flux knows, so whether the chart must be \
                 verified cannot be told"
            ),
            "use HelmRepository, GitRepository or Bucket (case-sensitive)",
        )]),
    }
}

/// What a chart's HelmRepository says about verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// `type: oci`: charts are OCI artifacts and can (so must) be verified.
    Oci,
    /// An HTTP(S) index: Flux cannot verify these charts.
    Http,
    Missing,
    /// The lookup failed (capability not granted, API error, undecodable object).
    Unknown(String),
}

/// Reads the HelmRepository `namespace/name` to learn whether its charts are OCI artifacts.
pub fn chart_source(cluster: &dyn Cluster, namespace: &str, name: &str) -> ChartSource {
    let key = ObjectKey {
        api_version: HELM_REPOSITORY_API_VERSION,
        kind: "HelmRepository",
        namespace: Some(namespace),
        name,
    };
    match cluster::get_as::<ChartRepository>(cluster, &key) {
        Ok(repo) => {
            let oci_type = repo.spec.repository_type.as_deref() == Some("oci");
            let oci_url = repo
                .spec
                .url
                .as_deref()
                .is_some_and(|u| u.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("oci://")));
            if oci_type || oci_url {
                ChartSource::Oci
            } else {
                ChartSource::Http
            }
        }
        Err(LookupError::NotFound) => ChartSource::Missing,
        Err(LookupError::Failed(why)) => ChartSource::Unknown(why),
    }
}

/// Keeps `findings` when the chart's HelmRepository is OCI; drops them for HTTP(S)
/// repositories (warning when a verify block is there to no effect); applies
/// `missingHelmRepository` when it does not exist; denies when the lookup failed (fail closed).
fn judge_by_source(
    findings: Vec<Finding>,
    field: &str,
    namespace: &str,
    name: &str,
    has_verify: bool,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Vec<Finding> {
    match chart_source(cluster, namespace, name) {
        ChartSource::Oci => findings,
        ChartSource::Http if has_verify => vec![VERIFY_WITHOUT_EFFECT.at(
            field,
            format!(
                "HelmRepository {namespace}/{name} is not of type oci, and Flux verifies chart \
                 signatures only for OCI HelmRepositories: the verify block has no effect"
            ),
            "remove the verify block, or serve the chart from a HelmRepository of type oci",
        )],
        ChartSource::Http => Vec::new(),
        ChartSource::Missing => match settings.missing_helm_repository {
            MissingSource::Deny => vec![HELM_REPOSITORY_MISSING.at(
                field,
                format!(
                    "HelmRepository {namespace}/{name} does not exist, so whether the chart is an \
                     OCI artifact that must be verified is unknown (and the verification below \
                     is not in place: {})",
                    summary(&findings)
                ),
                "create the HelmRepository before the chart, add a compliant verify block, or \
                 set settings.missingHelmRepository: accept",
            )],
            MissingSource::Accept => vec![HELM_REPOSITORY_MISSING_ADMITTED.at(
                field,
                format!(
                    "HelmRepository {namespace}/{name} does not exist, chart admitted unchecked \
                     (settings.missingHelmRepository: accept); if it is an OCI repository: {}",
                    summary(&findings)
                ),
                "create the HelmRepository, or add a compliant verify block",
            )],
        },
        ChartSource::Unknown(why) => vec![HELM_REPOSITORY_UNREADABLE.at(
            field,
            format!(
                "cannot read HelmRepository {namespace}/{name} ({why}), so whether the chart \
                 must be verified is unknown"
            ),
            format!(
                "grant the policy contextAwareResources {{apiVersion: \
                 {HELM_REPOSITORY_API_VERSION}, kind: HelmRepository}}, or add a compliant \
                 verify block"
            ),
        )],
    }
}

fn summary(findings: &[Finding]) -> String {
    let parts: Vec<String> = findings
        .iter()
        .map(|v| format!("{}: {}", v.field, v.problem))
        .collect();
    parts.join("; ")
}

/// OCIRepository and HelmChart `spec.verify`: provider allowed; notation with its trust
/// policy Secret; cosign with keys, or keyless with a pinned identity.
fn check_oci_verify(
    field: &str,
    verify: Option<&OciVerification>,
    ctx: &Ctx<Settings>,
) -> Vec<Finding> {
    let settings = ctx.settings;
    let Some(verify) = verify else {
        return vec![VERIFY_MISSING.at(
            field,
            "is missing, so Flux pulls the artifact without checking its signature",
            format!(
                "add {field} with provider ({}): cosign with secretRef (public keys) or with \
                 matchOIDCIdentity (keyless), or notation with secretRef (trust policy and \
                 certificates)",
                settings.providers_text()
            ),
        )];
    };
    let mut out = Vec::new();
    let provider = check_provider(field, verify.provider.as_deref(), settings, &mut out);
    match (provider, secret_name(verify.secret_ref.as_ref())) {
        (_, Some(name)) if name.trim().is_empty() => out.push(empty_secret(field)),
        (Some(Provider::Notation), None) => out.push(notation_needs_secret(field)),
        (Some(Provider::Cosign), None) => out.extend(check_identities(
            &format!("{field}.matchOIDCIdentity"),
            verify.match_oidc_identity.as_deref(),
            settings,
        )),
        (_, Some(name)) => out.extend(trust::key_secret(
            ctx,
            &format!("{field}.secretRef.name"),
            name,
        )),
        _ => {}
    }
    // Flux 2.9: a private Sigstore root (OCIRepository only) is a trust anchor too.
    if let Some(root) = secret_name(verify.trusted_root_secret_ref.as_ref()) {
        let at = format!("{field}.trustedRootSecretRef.name");
        out.extend(trust::key_secret(ctx, &at, root));
    }
    out
}

/// The provider as Flux reads it (absent means the CRD default `cosign`), or `None` after
/// recording why it is refused.
fn check_provider(
    field: &str,
    provider: Option<&str>,
    settings: &Settings,
    out: &mut Vec<Finding>,
) -> Option<Provider> {
    let value = provider.unwrap_or("cosign");
    let field = format!("{field}.provider");
    match Provider::parse(value) {
        None => {
            out.push(PROVIDER_UNKNOWN.at(
                field,
                format!(
                    "{value:?} is not a signature provider Flux knows (values are case-sensitive)"
                ),
                format!("use one of {}", settings.providers_text()),
            ));
            None
        }
        Some(p) if !settings.allowed_providers.contains(&p) => {
            out.push(PROVIDER_NOT_ALLOWED.at(
                field,
                format!("{value:?} is not allowed by settings.allowedProviders"),
                format!("use one of {}", settings.providers_text()),
            ));
            None
        }
        Some(p) => Some(p),
    }
}

fn secret_name(secret: Option<&LocalObjectReference>) -> Option<&str> {
    secret.map(|s| s.name.as_str())
}

fn empty_secret(field: &str) -> Finding {
    SECRET_NAME_EMPTY.at(
        format!("{field}.secretRef.name"),
        "is empty, so no key or trust policy can be found",
        "name the Secret holding the public keys (cosign) or trust policy and certificates (notation)",
    )
}

fn notation_needs_secret(field: &str) -> Finding {
    NOTATION_SECRET_MISSING.at(
        format!("{field}.secretRef"),
        "is missing, and notation cannot verify without a trust policy and certificates \
         (source-controller fails every pull)",
        format!(
            "set {field}.secretRef to a Secret with trustpolicy.json and the CA certificates (*.pem/*.crt)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::POLICY;
    use fluxgate_admission::MemoryCluster;
    use fluxgate_rules::Verdict;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    const KEYLESS: &str = r#"{"provider": "cosign", "matchOIDCIdentity": [{"issuer": "^https://token\\.actions\\.githubusercontent\\.com$", "subject": "^https://github\\.com/org/app/\\.github/workflows/release\\.yml@refs/tags/v.+$"}]}"#;

    /// The payload Kubewarden sends for `op` of `object` (in `apps`) under `settings`.
    fn payload(op: &str, object: Value, settings: Value) -> Vec<u8> {
        let kind = object["kind"].clone();
        let (object, old) = if op == "DELETE" {
            (Value::Null, object)
        } else {
            (object, Value::Null)
        };
        serde_json::to_vec(&json!({
            "request": {
                "operation": op, "namespace": "apps", "kind": {"kind": kind},
                "userInfo": {"username": "system:serviceaccount:apps:flux"},
                "object": object, "oldObject": old,
            },
            "settings": settings,
        }))
        .unwrap()
    }

    /// The verdict on a CREATE of `object`, through the whole flow.
    fn judge(object: Value, settings: Value, cluster: &dyn Cluster) -> Verdict {
        fluxgate_admission::entry::judge(&POLICY, &payload("CREATE", object, settings), cluster)
    }

    /// The rule ids of a verdict's findings.
    fn ids(v: &Verdict) -> Vec<&str> {
        v.findings.iter().map(|f| f.rule.as_ref()).collect()
    }

    fn denied(v: &Verdict, needle: &str) -> bool {
        v.message().is_some_and(|m| m.contains(needle))
    }

    fn oci_repo(verify: Value) -> Value {
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
               "metadata": {"name": "app", "namespace": "apps"},
               "spec": {"url": "oci://ghcr.io/org/app", "verify": verify}})
    }

    fn chart(api: &str, verify: Value, source_kind: &str) -> Value {
        json!({"apiVersion": api, "kind": "HelmChart",
               "metadata": {"name": "app", "namespace": "apps"},
               "spec": {"chart": "app", "sourceRef": {"kind": source_kind, "name": "charts"},
                        "verify": verify}})
    }

    fn release(verify: Value, source_namespace: Option<&str>) -> Value {
        json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
               "metadata": {"name": "app", "namespace": "apps"},
               "spec": {"chart": {"spec": {"chart": "app", "verify": verify,
                   "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": source_namespace}}}}})
    }

    fn repo(namespace: &str, kind: Option<&str>) -> Value {
        json!({"apiVersion": HELM_REPOSITORY_API_VERSION, "kind": "HelmRepository",
               "metadata": {"name": "charts", "namespace": namespace},
               "spec": {"type": kind, "url": if kind == Some("oci") {"oci://ghcr.io/org"} else {"https://charts.example.com"}}})
    }

    fn keyless() -> Value {
        serde_json::from_str(KEYLESS).unwrap()
    }

    #[test]
    fn oci_repository() {
        let c = MemoryCluster::default();
        let judge = |verify: Value, settings: Value| judge(oci_repo(verify), settings, &c);
        assert!(judge(keyless(), Value::Null).findings.is_empty());
        let with_key = json!({"provider": "cosign", "secretRef": {"name": "k"}});
        assert!(judge(with_key, Value::Null).findings.is_empty());
        let v = judge(Value::Null, Value::Null);
        assert_eq!(ids(&v), ["signature/verify-missing"]);
        assert!(
            denied(&v, "OCIRepository apps/app: spec.verify: is missing"),
            "{v:?}"
        );
        let v = judge(json!({"provider": "cosign"}), Value::Null);
        assert_eq!(ids(&v), ["signature/identity-missing"]);
        let v = judge(json!({"provider": "notation"}), Value::Null);
        assert_eq!(ids(&v), ["signature/notation-secret-missing"]);
        let v = judge(
            json!({"provider": "notation", "secretRef": {"name": " "}}),
            Value::Null,
        );
        assert_eq!(ids(&v), ["signature/secret-name-empty"]);
        let v = judge(
            json!({"provider": "Cosign", "secretRef": {"name": "k"}}),
            Value::Null,
        );
        assert_eq!(ids(&v), ["signature/provider-unknown"]);
        assert!(denied(&v, "case-sensitive"), "{v:?}");
        let only_notation = json!({"allowedProviders": ["notation"]});
        let v = judge(keyless(), only_notation);
        assert_eq!(ids(&v), ["signature/provider-not-allowed"]);
        let v = judge(json!("true"), Value::Null);
        assert_eq!(v.code, Some(400));
        assert!(denied(&v, "spec.verify: invalid type"), "{v:?}");
    }

    #[test]
    fn keyless_identities() {
        let c = MemoryCluster::default();
        let identity = |issuer: &str, subject: &str| {
            oci_repo(json!({"matchOIDCIdentity": [{"issuer": issuer, "subject": subject}]}))
        };
        let gh = r"^https://token\.actions\.githubusercontent\.com$";
        let v = judge(identity(gh, ".*"), Value::Null, &c);
        assert_eq!(ids(&v), ["signature/identity-unpinned"]);
        let v = judge(
            identity("^(", r"^https://github\.com/org/app/.*$"),
            Value::Null,
            &c,
        );
        assert_eq!(ids(&v), ["signature/identity-regex-invalid"]);
        let v = judge(
            identity(
                "^https://token.actions.githubusercontent.com$",
                r"^https://github\.com/org/.*$",
            ),
            Value::Null,
            &c,
        );
        assert_eq!(
            ids(&v),
            [
                "signature/keyless-issuer-not-literal",
                "signature/keyless-subject-too-broad"
            ]
        );
        assert!(denied(&v, &format!("fix: use {gh}")), "{v:?}");
        let owner = json!({"subjectPinDepth": "owner"});
        let v = judge(identity(gh, r"^https://github\.com/org/.*$"), owner, &c);
        assert!(v.findings.is_empty(), "{v:?}");
        let allowed = json!({"allowedIssuers": ["https://token.actions.githubusercontent.com"],
                             "allowedSubjectPrefixes": ["https://github.com/org/"]});
        let v = judge(
            identity(r"^https://x\.example$", r"^https://github\.com/evil/.*$"),
            allowed,
            &c,
        );
        assert_eq!(
            ids(&v),
            [
                "signature/issuer-not-allowed",
                "signature/subject-not-allowed"
            ]
        );
    }

    #[test]
    fn helm_chart_by_source_type() {
        let oci = MemoryCluster::new(vec![repo("apps", Some("oci"))]);
        let http = MemoryCluster::new(vec![repo("apps", None)]);
        let none = MemoryCluster::default();
        let api = "source.toolkit.fluxcd.io/v1";
        let unverified = || chart(api, Value::Null, "HelmRepository");
        let v = judge(unverified(), Value::Null, &oci);
        assert_eq!(ids(&v), ["signature/verify-missing"]);
        assert!(
            judge(chart(api, keyless(), "HelmRepository"), Value::Null, &oci)
                .findings
                .is_empty()
        );
        assert!(judge(unverified(), Value::Null, &http).findings.is_empty());
        let v = judge(
            chart(api, json!({"provider": "cosign"}), "HelmRepository"),
            Value::Null,
            &http,
        );
        assert!(v.is_accepted());
        assert_eq!(ids(&v), ["signature/verify-without-effect"]);
        assert!(
            v.warnings()[0].contains("the verify block has no effect"),
            "{v:?}"
        );
        assert!(
            judge(chart(api, Value::Null, "GitRepository"), Value::Null, &none)
                .findings
                .is_empty()
        );
        let v = judge(chart(api, Value::Null, "OCIRepository"), Value::Null, &none);
        assert_eq!(ids(&v), ["signature/chart-source-kind-unknown"]);
        let v = judge(unverified(), Value::Null, &none);
        assert_eq!(ids(&v), ["signature/helm-repository-missing"]);
        assert!(denied(&v, "does not exist"), "{v:?}");
        let v = judge(
            unverified(),
            json!({"missingHelmRepository": "accept"}),
            &none,
        );
        assert!(v.is_accepted());
        assert_eq!(ids(&v), ["signature/helm-repository-missing-admitted"]);
        assert!(v.warnings()[0].contains("does not exist"), "{v:?}");
        // v1beta1 has no verify: an OCI chart cannot be verified in that version.
        let mut old = chart(
            "source.toolkit.fluxcd.io/v1beta1",
            Value::Null,
            "HelmRepository",
        );
        old["spec"].as_object_mut().unwrap().remove("verify");
        let v = judge(old.clone(), Value::Null, &oci);
        assert_eq!(ids(&v), ["signature/verify-unserved"]);
        assert!(denied(&v, "HelmChart v1beta1 has no spec.verify"), "{v:?}");
        assert!(judge(old, Value::Null, &http).findings.is_empty());
    }

    #[test]
    fn helm_release() {
        let oci_elsewhere = MemoryCluster::new(vec![repo("shared", Some("oci"))]);
        let with_key = json!({"provider": "cosign", "secretRef": {"name": "cosign-pub"}});
        let v = judge(
            release(with_key, Some("shared")),
            Value::Null,
            &oci_elsewhere,
        );
        assert!(v.findings.is_empty(), "{v:?}");
        let v = judge(
            release(json!({"provider": "cosign"}), Some("shared")),
            Value::Null,
            &oci_elsewhere,
        );
        assert_eq!(ids(&v), ["signature/keyless-unpinnable"]);
        assert!(
            denied(&v, "no matchOIDCIdentity") && denied(&v, "spec.chartRef"),
            "{v:?}"
        );
        let v = judge(
            release(json!({"provider": "notation"}), Some("shared")),
            Value::Null,
            &oci_elsewhere,
        );
        assert_eq!(ids(&v), ["signature/notation-secret-missing"]);
        let v = judge(
            release(Value::Null, Some("shared")),
            Value::Null,
            &oci_elsewhere,
        );
        assert_eq!(ids(&v), ["signature/verify-missing"]);
        assert!(denied(&v, "spec.chart.spec.verify: is missing"), "{v:?}");
        // Without the namespace the repository is looked up in the release's namespace.
        let v = judge(release(Value::Null, None), Value::Null, &oci_elsewhere);
        assert!(denied(&v, "apps/charts does not exist"), "{v:?}");
        let chart_ref = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "app", "namespace": "apps"},
            "spec": {"chartRef": {"kind": "OCIRepository", "name": "app"}}});
        assert!(
            judge(chart_ref, Value::Null, &MemoryCluster::default())
                .findings
                .is_empty()
        );
    }

    #[test]
    fn never_judged() {
        let c = MemoryCluster::default();
        let delete = payload("DELETE", oci_repo(Value::Null), Value::Null);
        assert!(fluxgate_admission::entry::judge(&POLICY, &delete, &c).is_accepted());
        let platform = json!({"platformNamespaces": ["apps"]});
        assert!(
            judge(oci_repo(Value::Null), platform, &c)
                .findings
                .is_empty()
        );
        let exempt = json!({"exemptObjects": ["apps/a*"]});
        assert!(judge(oci_repo(Value::Null), exempt, &c).findings.is_empty());
        let only_releases = json!({"enforceKinds": ["HelmRelease"]});
        assert!(
            judge(oci_repo(Value::Null), only_releases, &c)
                .findings
                .is_empty()
        );
        let mut other = oci_repo(Value::Null);
        other["kind"] = json!("GitRepository");
        let v = judge(other, Value::Null, &c);
        assert!(v.is_accepted() && !v.warnings().is_empty(), "{v:?}");
    }

    /// A cluster whose every lookup fails, like a policy without its context-aware grant.
    struct Ungranted;
    use serde_json::value::RawValue;

    impl Cluster for Ungranted {
        fn get(&self, _: &ObjectKey) -> Result<Box<RawValue>, LookupError> {
            Err(LookupError::Failed("not granted".into()))
        }
        fn list(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
        ) -> Result<Vec<Box<RawValue>>, LookupError> {
            Err(LookupError::Failed("not granted".into()))
        }
    }

    #[test]
    fn failed_lookup_fails_closed_but_compliant_objects_need_none() {
        let api = "source.toolkit.fluxcd.io/v1";
        let v = judge(
            chart(api, Value::Null, "HelmRepository"),
            Value::Null,
            &Ungranted,
        );
        assert_eq!(ids(&v), ["signature/helm-repository-unreadable"]);
        assert!(
            denied(&v, "cannot read HelmRepository apps/charts (not granted)"),
            "{v:?}"
        );
        assert!(denied(&v, "contextAwareResources"), "{v:?}");
        let ok = judge(
            chart(api, keyless(), "HelmRepository"),
            Value::Null,
            &Ungranted,
        );
        assert!(ok.findings.is_empty(), "{ok:?}");
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        for (i, rule) in RULES.iter().enumerate() {
            // The trust-anchor rule is shared with git-commit-verification.
            let shared = rule.id == trust::KEY_SECRET_NOT_ANCHOR.id;
            assert!(rule.id.starts_with("signature/") || shared, "{}", rule.id);
            assert!(RULES[..i].iter().all(|r| r.id != rule.id), "{}", rule.id);
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[\\^$.*a-z(|)\\\\:/]{0,12}".prop_map(Value::String),
            Just(json!("cosign")),
            Just(json!("notation")),
            Just(json!("HelmRepository")),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("verify".to_string()),
                        Just("provider".to_string()),
                        Just("secretRef".to_string()),
                        Just("name".to_string()),
                        Just("matchOIDCIdentity".to_string()),
                        Just("issuer".to_string()),
                        Just("subject".to_string()),
                        Just("chart".to_string()),
                        Just("spec".to_string()),
                        Just("sourceRef".to_string()),
                        Just("kind".to_string()),
                        Just("namespace".to_string()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..5,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn rules_never_panic(
            spec in arb_json(),
            kind in prop_oneof![Just("OCIRepository"), Just("HelmChart"), Just("HelmRelease"), Just("Bucket")],
            version in prop_oneof![Just("source.toolkit.fluxcd.io/v1"), Just("source.toolkit.fluxcd.io/v1beta1"),
                                   Just("helm.toolkit.fluxcd.io/v2beta1"), Just("helm.toolkit.fluxcd.io/v9")],
            repo_spec in arb_json(),
            lenient in any::<bool>(),
        ) {
            let object = json!({"apiVersion": version, "kind": kind,
                                "metadata": {"name": "x", "namespace": "apps"}, "spec": spec});
            let cluster = MemoryCluster::new(vec![json!({"apiVersion": HELM_REPOSITORY_API_VERSION,
                "kind": "HelmRepository", "metadata": {"name": "charts", "namespace": "apps"}, "spec": repo_spec})]);
            let settings = json!({
                "missingHelmRepository": if lenient { "accept" } else { "deny" },
                "allowedIssuers": ["https://token.actions.githubusercontent.com"],
                "allowedSubjectPrefixes": ["https://github.com/org/"],
            });
            let _ = judge(object, settings, &cluster);
        }
    }
}

use crate::identity::check_identities;
use crate::settings::{EnforcedKind, MissingSource, Provider, Settings};
use crate::view::{ChartRepository, Release, Signed};
use flux_model::cluster::{self, Cluster, LookupError, ObjectKey};
use flux_model::kinds::source::OciVerification;
use flux_model::object::LocalObjectReference;
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation};

/// The one HelmRepository version the policy reads (declared in metadata.yml
/// `contextAwareResources`; served since Flux 2.3).
pub const HELM_REPOSITORY_API_VERSION: &str = "source.toolkit.fluxcd.io/v1";

/// Admission entry: dispatches on the kind and judges CREATE/UPDATE of the enforced kinds.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings, cluster: &dyn Cluster) -> Verdict {
    let kind = if request.kind.kind.is_empty() {
        request
            .object
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
    } else {
        request.kind.kind.as_str()
    };
    let mut warnings = Vec::new();
    let verdict = match kind {
        "OCIRepository" if settings.enforces(EnforcedKind::OciRepository) => {
            flux_model::review::review(
                request,
                FluxKind::OciRepository,
                |repo: &Signed, obj: &ObjectRef| {
                    if settings.is_exempt(&obj.namespace, &obj.name) {
                        return Vec::new();
                    }
                    check_oci_repository(repo, settings)
                },
            )
        }
        "HelmChart" if settings.enforces(EnforcedKind::HelmChart) => flux_model::review::review(
            request,
            FluxKind::HelmChart,
            |chart: &Signed, obj: &ObjectRef| {
                if settings.is_exempt(&obj.namespace, &obj.name) {
                    return Vec::new();
                }
                check_helm_chart(chart, obj, settings, cluster, &mut warnings)
            },
        ),
        "HelmRelease" if settings.enforces(EnforcedKind::HelmRelease) => {
            flux_model::review::review(
                request,
                FluxKind::HelmRelease,
                |release: &Release, obj: &ObjectRef| {
                    if settings.is_exempt(&obj.namespace, &obj.name) {
                        return Vec::new();
                    }
                    check_helm_release(release, obj, settings, cluster, &mut warnings)
                },
            )
        }
        "OCIRepository" | "HelmChart" | "HelmRelease" => Verdict::accept(),
        other => {
            if !flux_model::Operation::of(request).writes() {
                return Verdict::accept();
            }
            return Verdict::accept_with_warning(format!(
                "this policy judges OCIRepository, HelmChart and HelmRelease objects only, \
                 {other:?} was passed through unchecked: check the policy's rules"
            ));
        }
    };
    match verdict {
        Verdict::Accept { warnings: mut w } => {
            w.append(&mut warnings);
            Verdict::Accept { warnings: w }
        }
        reject => reject,
    }
}

/// OCIRepository: `spec.verify` is required and must really check the signer.
pub fn check_oci_repository(repo: &Signed, settings: &Settings) -> Vec<Violation> {
    check_oci_verify("spec.verify", repo.spec.verify.as_ref(), settings)
}

/// HelmChart: charts from an OCI HelmRepository need `spec.verify` (Flux supports it for
/// no other source). Git and Bucket charts are plain files: nothing to verify.
pub fn check_helm_chart(
    chart: &Signed,
    obj: &ObjectRef,
    settings: &Settings,
    cluster: &dyn Cluster,
    warnings: &mut Vec<String>,
) -> Vec<Violation> {
    let source = chart.spec.source_ref.as_ref();
    let kind = source.map_or("", |r| r.kind.as_str());
    if let Some(v) = unverifiable_source("spec.sourceRef.kind", kind) {
        return v;
    }
    let violations = if chart.version() == "v1beta1" {
        vec![Violation::new(
            "apiVersion",
            "HelmChart v1beta1 has no spec.verify, so an OCI chart cannot be verified",
            "use source.toolkit.fluxcd.io/v1 (or v1beta2) and set spec.verify",
        )]
    } else {
        check_oci_verify("spec.verify", chart.spec.verify.as_ref(), settings)
    };
    if violations.is_empty() {
        return violations;
    }
    // HelmChart's sourceRef has no namespace: the repository is in the chart's namespace.
    let name = source.map_or("", |r| r.name.as_str());
    judge_by_source(
        violations,
        "spec.sourceRef",
        &obj.namespace,
        name,
        chart.spec.verify.is_some(),
        settings,
        cluster,
        warnings,
    )
}

/// HelmRelease: a `spec.chart` template from an OCI HelmRepository needs
/// `spec.chart.spec.verify` with a `secretRef`. That verify has no `matchOIDCIdentity`, so a
/// keyless check there cannot be pinned. A `spec.chartRef` points at an OCIRepository or
/// HelmChart, which this policy judges on its own admission: it passes here.
pub fn check_helm_release(
    release: &Release,
    obj: &ObjectRef,
    settings: &Settings,
    cluster: &dyn Cluster,
    warnings: &mut Vec<String>,
) -> Vec<Violation> {
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
    let violations = match verify {
        None => vec![Violation::new(
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
                (Some(Provider::Cosign), None) => out.push(Violation::new(
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
                _ => {}
            }
            out
        }
    };
    if violations.is_empty() {
        return violations;
    }
    let source = source.cloned().unwrap_or_default();
    let namespace = source
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&obj.namespace);
    judge_by_source(
        violations,
        "spec.chart.spec.sourceRef",
        namespace,
        &source.name,
        verify.is_some(),
        settings,
        cluster,
        warnings,
    )
}

/// `Some(no violations)` for chart sources Flux cannot verify (Git, Bucket), `Some(deny)` for
/// a kind Flux does not know, `None` for HelmRepository (decided by its type).
fn unverifiable_source(field: &str, kind: &str) -> Option<Vec<Violation>> {
    match kind {
        "HelmRepository" => None,
        "GitRepository" | "Bucket" => Some(Vec::new()),
        other => Some(vec![Violation::new(
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

/// Keeps `violations` when the chart's HelmRepository is OCI; drops them for HTTP(S)
/// repositories; applies `missingHelmRepository` when it does not exist; denies when the
/// lookup failed (fail closed).
#[allow(clippy::too_many_arguments)]
fn judge_by_source(
    violations: Vec<Violation>,
    field: &str,
    namespace: &str,
    name: &str,
    has_verify: bool,
    settings: &Settings,
    cluster: &dyn Cluster,
    warnings: &mut Vec<String>,
) -> Vec<Violation> {
    match chart_source(cluster, namespace, name) {
        ChartSource::Oci => violations,
        ChartSource::Http => {
            if has_verify {
                warnings.push(format!(
                    "{field}: HelmRepository {namespace}/{name} is not of type oci, and Flux \
                     verifies chart signatures only for OCI HelmRepositories: the verify block \
                     has no effect"
                ));
            }
            Vec::new()
        }
        ChartSource::Missing => match settings.missing_helm_repository {
            MissingSource::Deny => vec![Violation::new(
                field,
                format!(
                    "HelmRepository {namespace}/{name} does not exist, so whether the chart is an \
                     OCI artifact that must be verified is unknown (and the verification below \
                     is not in place: {})",
                    summary(&violations)
                ),
                "create the HelmRepository before the chart, add a compliant verify block, or \
                 set settings.missingHelmRepository: accept",
            )],
            MissingSource::Accept => {
                warnings.push(format!(
                    "{field}: HelmRepository {namespace}/{name} does not exist, chart admitted \
                     unchecked (settings.missingHelmRepository: accept); if it is an OCI \
                     repository: {}",
                    summary(&violations)
                ));
                Vec::new()
            }
        },
        ChartSource::Unknown(why) => vec![Violation::new(
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

fn summary(violations: &[Violation]) -> String {
    let parts: Vec<String> = violations
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
    settings: &Settings,
) -> Vec<Violation> {
    let Some(verify) = verify else {
        return vec![Violation::new(
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
        _ => {}
    }
    out
}

/// The provider as Flux reads it (absent means the CRD default `cosign`), or `None` after
/// recording why it is refused.
fn check_provider(
    field: &str,
    provider: Option<&str>,
    settings: &Settings,
    out: &mut Vec<Violation>,
) -> Option<Provider> {
    let value = provider.unwrap_or("cosign");
    let field = format!("{field}.provider");
    match Provider::parse(value) {
        None => {
            out.push(Violation::new(
                field,
                format!(
                    "{value:?} is not a signature provider Flux knows (values are case-sensitive)"
                ),
                format!("use one of {}", settings.providers_text()),
            ));
            None
        }
        Some(p) if !settings.allowed_providers.contains(&p) => {
            out.push(Violation::new(
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

fn empty_secret(field: &str) -> Violation {
    Violation::new(
        format!("{field}.secretRef.name"),
        "is empty, so no key or trust policy can be found",
        "name the Secret holding the public keys (cosign) or trust policy and certificates (notation)",
    )
}

fn notation_needs_secret(field: &str) -> Violation {
    Violation::new(
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
    use flux_model::MemoryCluster;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    const KEYLESS: &str = r#"{"provider": "cosign", "matchOIDCIdentity": [{"issuer": "^https://token\\.actions\\.githubusercontent\\.com$", "subject": "^https://github\\.com/org/app/\\.github/workflows/release\\.yml@refs/tags/v.+$"}]}"#;

    fn request(op: &str, object: Value) -> AdmissionRequest {
        let kind = object["kind"].clone();
        serde_json::from_value(json!({
            "operation": op, "namespace": "apps", "object": object,
            "kind": {"group": "", "version": "", "kind": kind}
        }))
        .unwrap()
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

    fn judge(object: Value, settings: &Settings, cluster: &MemoryCluster) -> Verdict {
        evaluate(&request("CREATE", object), settings, cluster)
    }

    fn rejected(v: &Verdict, needle: &str) -> bool {
        matches!(v, Verdict::Reject { message, .. } if message.contains(needle))
    }

    fn keyless() -> Value {
        serde_json::from_str(KEYLESS).unwrap()
    }

    #[test]
    fn oci_repository() {
        let s = Settings::default();
        let c = MemoryCluster::default();
        assert!(judge(oci_repo(keyless()), &s, &c).is_accepted());
        assert!(
            judge(
                oci_repo(json!({"provider": "cosign", "secretRef": {"name": "k"}})),
                &s,
                &c
            )
            .is_accepted()
        );
        let v = judge(oci_repo(Value::Null), &s, &c);
        assert!(
            rejected(&v, "OCIRepository apps/app: spec.verify: is missing"),
            "{v:?}"
        );
        let v = judge(oci_repo(json!({"provider": "cosign"})), &s, &c);
        assert!(
            rejected(&v, "spec.verify.matchOIDCIdentity: is missing"),
            "{v:?}"
        );
        let v = judge(oci_repo(json!({"provider": "notation"})), &s, &c);
        assert!(rejected(&v, "spec.verify.secretRef: is missing"), "{v:?}");
        let v = judge(
            oci_repo(json!({"provider": "Cosign", "secretRef": {"name": "k"}})),
            &s,
            &c,
        );
        assert!(rejected(&v, "case-sensitive"), "{v:?}");
        let only_notation = Settings {
            allowed_providers: vec![Provider::Notation],
            ..Settings::default()
        };
        assert!(rejected(
            &judge(oci_repo(keyless()), &only_notation, &c),
            "settings.allowedProviders"
        ));
        let v = judge(oci_repo(json!("true")), &s, &c);
        assert!(
            matches!(v, Verdict::Reject { code: Some(400), ref message } if message.contains("spec.verify: invalid type")),
            "{v:?}"
        );
    }

    #[test]
    fn helm_chart_by_source_type() {
        let s = Settings::default();
        let oci = MemoryCluster::new(vec![repo("apps", Some("oci"))]);
        let http = MemoryCluster::new(vec![repo("apps", None)]);
        let none = MemoryCluster::default();
        let api = "source.toolkit.fluxcd.io/v1";
        let v = judge(chart(api, Value::Null, "HelmRepository"), &s, &oci);
        assert!(rejected(&v, "spec.verify: is missing"), "{v:?}");
        assert!(judge(chart(api, keyless(), "HelmRepository"), &s, &oci).is_accepted());
        assert!(judge(chart(api, Value::Null, "HelmRepository"), &s, &http).is_accepted());
        assert!(judge(chart(api, Value::Null, "GitRepository"), &s, &none).is_accepted());
        assert!(rejected(
            &judge(chart(api, Value::Null, "HelmRepository"), &s, &none),
            "does not exist"
        ));
        let lenient = Settings {
            missing_helm_repository: MissingSource::Accept,
            ..Settings::default()
        };
        let v = judge(chart(api, Value::Null, "HelmRepository"), &lenient, &none);
        assert!(
            matches!(v, Verdict::Accept { ref warnings } if warnings[0].contains("does not exist")),
            "{v:?}"
        );
        // v1beta1 has no verify: an OCI chart cannot be verified in that version.
        let mut old = chart(
            "source.toolkit.fluxcd.io/v1beta1",
            Value::Null,
            "HelmRepository",
        );
        old["spec"].as_object_mut().unwrap().remove("verify");
        assert!(rejected(
            &judge(old.clone(), &s, &oci),
            "HelmChart v1beta1 has no spec.verify"
        ));
        assert!(judge(old, &s, &http).is_accepted());
    }

    #[test]
    fn helm_release() {
        let s = Settings::default();
        let oci_elsewhere = MemoryCluster::new(vec![repo("shared", Some("oci"))]);
        let with_key = json!({"provider": "cosign", "secretRef": {"name": "cosign-pub"}});
        assert!(judge(release(with_key, Some("shared")), &s, &oci_elsewhere).is_accepted());
        let v = judge(
            release(json!({"provider": "cosign"}), Some("shared")),
            &s,
            &oci_elsewhere,
        );
        assert!(
            rejected(&v, "no matchOIDCIdentity") && rejected(&v, "spec.chartRef"),
            "{v:?}"
        );
        let v = judge(release(Value::Null, Some("shared")), &s, &oci_elsewhere);
        assert!(rejected(&v, "spec.chart.spec.verify: is missing"), "{v:?}");
        // Without the namespace the repository is looked up in the release's namespace.
        assert!(rejected(
            &judge(release(Value::Null, None), &s, &oci_elsewhere),
            "apps/charts does not exist"
        ));
        let chart_ref = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "app", "namespace": "apps"},
            "spec": {"chartRef": {"kind": "OCIRepository", "name": "app"}}});
        assert!(judge(chart_ref, &s, &MemoryCluster::default()).is_accepted());
    }

    #[test]
    fn never_judged() {
        let s = Settings::default();
        let c = MemoryCluster::default();
        let delete: AdmissionRequest = serde_json::from_value(json!({
            "operation": "DELETE", "namespace": "apps", "oldObject": oci_repo(Value::Null),
            "kind": {"group": "source.toolkit.fluxcd.io", "version": "v1", "kind": "OCIRepository"}}))
        .unwrap();
        assert!(evaluate(&delete, &s, &c).is_accepted());
        let exempt = Settings {
            exempt_namespaces: vec!["apps".into()],
            ..Settings::default()
        };
        assert!(judge(oci_repo(Value::Null), &exempt, &c).is_accepted());
        let only_releases = Settings {
            enforce_kinds: vec![EnforcedKind::HelmRelease],
            ..Settings::default()
        };
        assert!(judge(oci_repo(Value::Null), &only_releases, &c).is_accepted());
        let mut other = oci_repo(Value::Null);
        other["kind"] = json!("GitRepository");
        assert!(
            matches!(judge(other, &s, &c), Verdict::Accept { ref warnings } if !warnings.is_empty())
        );
    }

    /// A cluster whose every lookup fails, like a policy without its context-aware grant.
    struct Ungranted;

    impl Cluster for Ungranted {
        fn get(&self, _: &ObjectKey) -> Result<Value, LookupError> {
            Err(LookupError::Failed("not granted".into()))
        }
        fn list(&self, _: &str, _: &str, _: Option<&str>) -> Result<Vec<Value>, LookupError> {
            Err(LookupError::Failed("not granted".into()))
        }
    }

    #[test]
    fn failed_lookup_fails_closed_but_compliant_objects_need_none() {
        let s = Settings::default();
        let api = "source.toolkit.fluxcd.io/v1";
        let v = evaluate(
            &request("CREATE", chart(api, Value::Null, "HelmRepository")),
            &s,
            &Ungranted,
        );
        assert!(
            rejected(&v, "cannot read HelmRepository apps/charts (not granted)"),
            "{v:?}"
        );
        assert!(rejected(&v, "contextAwareResources"), "{v:?}");
        let ok = evaluate(
            &request("CREATE", chart(api, keyless(), "HelmRepository")),
            &s,
            &Ungranted,
        );
        assert!(ok.is_accepted(), "{ok:?}");
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
            let settings = Settings {
                missing_helm_repository: if lenient { MissingSource::Accept } else { MissingSource::Deny },
                allowed_issuers: vec!["https://token.actions.githubusercontent.com".into()],
                allowed_subject_prefixes: vec!["https://github.com/org/".into()],
                ..Settings::default()
            };
            let _ = evaluate(&request("CREATE", object), &settings, &cluster);
        }
    }
}

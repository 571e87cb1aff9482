//! Each typed view reads real objects of every version it covers, ignores fields it does
//! not know, and reports a wrongly typed field with its path.

use flux_kinds::{helm, image, kustomize, notification, source};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn read<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn object(api_version: &str, kind: &str, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}, "spec": spec})
}

#[test]
fn sources() {
    let oci: source::OciRepository = read(object(
        "source.toolkit.fluxcd.io/v1beta2",
        "OCIRepository",
        json!({"url": "oci://ghcr.io/acme/manifests", "ref": {"semver": "1.x"}, "layerSelector": {"mediaType": "x"},
               "verify": {"provider": "cosign", "matchOIDCIdentity": [{"issuer": "^https://token.actions.githubusercontent.com$", "subject": "^x$"}]}}),
    ));
    let verify = oci.spec.verify.unwrap();
    assert_eq!(verify.match_oidc_identity.unwrap()[0].subject, "^x$");
    assert_eq!(oci.spec.reference.unwrap().semver.as_deref(), Some("1.x"));

    let helm_repo: source::HelmRepository = read(object(
        "source.toolkit.fluxcd.io/v1",
        "HelmRepository",
        json!({"url": "oci://ghcr.io/acme/charts", "type": "oci", "passCredentials": true, "insecure": false}),
    ));
    assert_eq!(helm_repo.spec.repository_type.as_deref(), Some("oci"));
    assert_eq!(helm_repo.spec.pass_credentials, Some(true));

    let chart: source::HelmChart = read(object(
        "source.toolkit.fluxcd.io/v1beta1",
        "HelmChart",
        json!({"chart": "podinfo", "version": "6.x", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}),
    ));
    assert_eq!(chart.spec.source_ref.unwrap().kind, "HelmRepository");

    let bucket: source::Bucket = read(object(
        "source.toolkit.fluxcd.io/v1beta2",
        "Bucket",
        json!({"bucketName": "b", "endpoint": "minio.acme.io", "insecure": true, "sts": {"provider": "ldap"}}),
    ));
    assert_eq!(bucket.spec.insecure, Some(true));
}

#[test]
fn kustomizations_of_every_version() {
    // v1beta1 still had `validation` and `patchesStrategicMerge`: ignored, not errors.
    let k: kustomize::Kustomization = read(object(
        "kustomize.toolkit.fluxcd.io/v1beta1",
        "Kustomization",
        json!({"path": "./apps", "prune": true, "validation": "client", "patchesStrategicMerge": [],
               "sourceRef": {"kind": "GitRepository", "name": "repo", "namespace": "flux-system"},
               "dependsOn": [{"name": "infra", "namespace": "other"}], "serviceAccountName": "tenant"}),
    ));
    assert_eq!(
        k.spec.source_ref.unwrap().namespace.as_deref(),
        Some("flux-system")
    );
    assert_eq!(
        k.spec.depends_on.unwrap()[0].namespace.as_deref(),
        Some("other")
    );
    let k: kustomize::Kustomization = read(object(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        json!({"force": true, "kubeConfig": {"secretRef": {"name": "remote", "key": "value"}}, "targetNamespace": "t"}),
    ));
    assert_eq!(k.spec.force, Some(true));
    assert_eq!(
        k.spec
            .kube_config
            .unwrap()
            .secret_ref
            .unwrap()
            .key
            .as_deref(),
        Some("value")
    );
}

#[test]
fn helm_releases_of_every_version() {
    let hr: helm::HelmRelease = read(object(
        "helm.toolkit.fluxcd.io/v2beta1",
        "HelmRelease",
        json!({"chart": {"spec": {"chart": "podinfo", "version": "*", "sourceRef": {"kind": "HelmRepository", "name": "r", "namespace": "x"}}},
               "values": {"securityContext": {"privileged": "true"}}, "valuesFrom": [{"kind": "Secret", "name": "v"}],
               "upgrade": {"remediation": {"retries": -1, "strategy": "rollback"}}}),
    ));
    assert_eq!(hr.spec.chart.unwrap().spec.version.as_deref(), Some("*"));
    assert_eq!(
        hr.spec.values.unwrap()["securityContext"]["privileged"],
        "true"
    );
    assert_eq!(
        hr.spec.upgrade.unwrap().remediation.unwrap().retries,
        Some(-1)
    );
    let hr: helm::HelmRelease = read(object(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        json!({"chartRef": {"kind": "OCIRepository", "name": "podinfo", "namespace": "shared"}, "test": {"enable": true},
               "postRenderers": [{"kustomize": {"patches": [{"patch": "..."}]}}]}),
    ));
    assert_eq!(
        hr.spec.chart_ref.unwrap().namespace.as_deref(),
        Some("shared")
    );
    assert_eq!(hr.spec.post_renderers.unwrap().len(), 1);
}

#[test]
fn image_and_notification_kinds() {
    let repo: image::ImageRepository = read(object(
        "image.toolkit.fluxcd.io/v1beta2",
        "ImageRepository",
        json!({"image": "ghcr.io/acme/app", "exclusionList": ["^.*\\.sig$"], "insecure": false}),
    ));
    assert_eq!(repo.spec.exclusion_list.unwrap(), ["^.*\\.sig$"]);
    let policy: image::ImagePolicy = read(object(
        "image.toolkit.fluxcd.io/v1",
        "ImagePolicy",
        json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": ">=1.0.0 <2.0.0"}},
               "filterTags": {"pattern": "^main-(?P<ts>[0-9]+)$", "extract": "$ts"}}),
    ));
    assert_eq!(
        policy.spec.policy.unwrap().semver.unwrap().range,
        ">=1.0.0 <2.0.0"
    );
    let auto: image::ImageUpdateAutomation = read(object(
        "image.toolkit.fluxcd.io/v1beta1",
        "ImageUpdateAutomation",
        json!({"sourceRef": {"kind": "GitRepository", "name": "repo"}, "git": {"push": {"branch": "main"}}}),
    ));
    assert_eq!(auto.spec.git.unwrap()["push"]["branch"], "main");
    let alert: notification::Alert = read(object(
        "notification.toolkit.fluxcd.io/v1beta3",
        "Alert",
        json!({"providerRef": {"name": "slack"}, "eventSeverity": "error",
               "eventSources": [{"kind": "GitRepository", "name": "*"}]}),
    ));
    assert_eq!(alert.spec.event_sources.unwrap()[0].name, "*");
    let provider: notification::Provider = read(object(
        "notification.toolkit.fluxcd.io/v1beta1",
        "Provider",
        json!({"type": "slack", "address": "https://hooks.slack.com/x"}),
    ));
    assert_eq!(provider.spec.provider_type.as_deref(), Some("slack"));
}

#[test]
fn wrong_types_are_reported_with_their_path() {
    let bad = object(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        json!({"upgrade": {"remediation": {"retries": "3"}}}),
    );
    let err = serde_path_to_error::deserialize::<_, helm::HelmRelease>(&bad).unwrap_err();
    assert_eq!(err.path().to_string(), "spec.upgrade.remediation.retries");
}

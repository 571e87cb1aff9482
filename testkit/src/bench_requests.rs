//! The bench's large real-world shapes (`fluxgate-testkit bench-requests DIR`, used by
//! `just bench`): requests the size of what Flux sends for big objects, generated so the
//! repository carries no megabyte of YAML. Each is written by a labelled tenant's service
//! account in its own namespace, with the cluster state its look-ups find, so every policy
//! that judges the kind judges it in full.

use crate::fixture::Fixture;
use serde_json::{Value, json};
use std::path::Path;

const TENANT: &str = "team-a";
const WRITER: &str = "system:serviceaccount:team-a:flux-reconciler";

/// `(name, object)` of every shape.
pub fn shapes() -> Vec<(&'static str, Value)> {
    vec![
        ("helmrelease-values-10kb", helm_release(10 * 1024)),
        ("helmrelease-values-100kb", helm_release(100 * 1024)),
        ("clusterrole-200-rules", cluster_role(200)),
        ("kustomization-50-patches", kustomization(50)),
    ]
}

/// Writes `DIR/<shape>/{request,settings,cluster}.json` for every shape.
pub fn write(dir: &Path) -> anyhow::Result<()> {
    for (name, object) in shapes() {
        let case = json!({
            "description": name,
            "user": WRITER,
            "object": object,
            "clusterState": {"resources": [
                {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": TENANT, "labels": {"toolkit.fluxcd.io/tenant": TENANT}}},
                {"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "flux-reconciler", "namespace": TENANT,
                              "labels": {"toolkit.fluxcd.io/tenant": TENANT}}},
            ]},
            "expect": {"allowed": true},
        });
        let fixture = Fixture::parse(&case.to_string())?;
        fixture.export(name, &dir.join(name))?;
    }
    Ok(())
}

/// A HelmRelease whose `spec.values` is about `bytes` of JSON: a chart's usual tree of
/// components, each with image, resources, env, labels and annotations.
fn helm_release(bytes: usize) -> Value {
    let mut values = serde_json::Map::new();
    let mut i = 0;
    while Value::Object(values.clone()).to_string().len() < bytes {
        values.insert(
            format!("component{i}"),
            json!({
                "enabled": true,
                "replicaCount": 2,
                "image": {"repository": format!("ghcr.io/example/component-{i}"), "tag": "1.4.2", "pullPolicy": "IfNotPresent"},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
                "podLabels": {"app.kubernetes.io/part-of": "example", "team": TENANT},
                "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                "service": {"type": "ClusterIP", "port": 80},
            }),
        );
        i += 1;
    }
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "example", "namespace": TENANT},
        "spec": {
            "interval": "10m",
            "serviceAccountName": "flux-reconciler",
            "chart": {"spec": {"chart": "example", "version": "1.4.x",
                               "sourceRef": {"kind": "HelmRepository", "name": "example"}}},
            "values": values,
        },
    })
}

/// A ClusterRole with `n` read rules over distinct resources.
fn cluster_role(n: usize) -> Value {
    let rules: Vec<Value> = (0..n)
        .map(|i| {
            json!({"apiGroups": [format!("group{}.example.com", i % 20)],
                   "resources": [format!("widgets{i}"), format!("widgets{i}/status")],
                   "verbs": ["get", "list", "watch"]})
        })
        .collect();
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "example-reader"},
        "rules": rules,
    })
}

/// A Kustomization with `n` strategic-merge patches, each with a target.
fn kustomization(n: usize) -> Value {
    let patches: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "patch": format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  replicas: 3\n  template:\n    metadata:\n      annotations:\n        example.com/revision: \"{i}\"\n"),
                "target": {"kind": "Deployment", "name": format!("app-{i}")},
            })
        })
        .collect();
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": TENANT},
        "spec": {
            "interval": "10m",
            "path": "./apps",
            "prune": true,
            "serviceAccountName": "flux-reconciler",
            "sourceRef": {"kind": "GitRepository", "name": "apps"},
            "patches": patches,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_their_size() {
        let size = |name: &str| {
            let (_, object) = shapes().into_iter().find(|(n, _)| *n == name).unwrap();
            object
        };
        let values = |o: Value| o["spec"]["values"].to_string().len();
        assert!((10 * 1024..12 * 1024).contains(&values(size("helmrelease-values-10kb"))));
        assert!((100 * 1024..102 * 1024).contains(&values(size("helmrelease-values-100kb"))));
        assert_eq!(
            size("clusterrole-200-rules")["rules"]
                .as_array()
                .unwrap()
                .len(),
            200
        );
        assert_eq!(
            size("kustomization-50-patches")["spec"]["patches"]
                .as_array()
                .unwrap()
                .len(),
            50
        );
    }
}

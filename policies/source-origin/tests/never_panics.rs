//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use fluxgate_admission::MemoryCluster;
use fluxgate_admission::flow::review;
use fluxgate_admission::settings::{Settings, parse};
use fluxgate_admission::testing::{json_tree, operation, request};
use fluxgate_matchers::origin::{Origin, OriginPrefix};
use proptest::prelude::*;
use serde_json::{Value, json};
use source_origin::POLICY;

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,50}",
        "(ssh|https|http|oci|HTTPS|git)://([a-z:@]{0,8}@)?[a-zA-Z0-9.\\[\\]:-]{0,20}(/[a-zA-Z0-9.%_-]{0,10}){0,3}",
        "[a-z]{1,5}@[a-z.]{1,10}:[a-z/]{0,10}",
    ]
}

/// Source specs built from the fields the rules read, with URL-shaped leaves.
fn spec() -> impl Strategy<Value = Value> {
    json_tree(
        vec![
            "ssh://git@github.com/acme/app",
            "https://GitHub.com:443/acme",
            "oci://ghcr.io/acme/x",
            "true",
            "main",
            "1.x",
        ],
        vec![
            "url",
            "ref",
            "branch",
            "tag",
            "semver",
            "digest",
            "insecure",
            "endpoint",
            "bucketName",
            "secretRef",
            "passCredentials",
            "type",
            "provider",
            "serviceAccountName",
            "sources",
            "sourceRef",
            "namespace",
            "kind",
        ],
        3,
    )
}

fn settings() -> Settings<source_origin::Settings> {
    parse(&json!({
        "allowedOrigins": {
            "gitRepository": ["ssh://git@github.com/acme/"],
            "helmRepository": ["oci://ghcr.io/acme/"],
            "ociRepository": ["oci://ghcr.io/acme/"],
            "bucket": ["https://s3.amazonaws.com/acme"]
        },
        "plainHttpHosts": ["minio.local:9000"],
        "privateGitOrigins": ["ssh://git@github.com/acme/"],
        "allowedGitBranches": ["main"],
        "requirePinnedGitRefs": true,
        "requirePinnedOciRefs": true,
        "sharedSourceNamespaces": ["shared"]
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn review_never_panics(
        kind in prop_oneof![Just("GitRepository"), Just("HelmRepository"), Just("OCIRepository"), Just("Bucket"),
                            Just("ExternalArtifact"), Just("ArtifactGenerator"), Just("Other")],
        version in prop_oneof![Just("v1"), Just("v1beta1"), Just("v1beta2"), Just("v9")],
        op in operation(),
        spec in spec(),
        url in url(),
    ) {
        let mut spec = spec;
        if let Value::Object(m) = &mut spec {
            m.entry("url").or_insert(json!(url.clone()));
            m.entry("endpoint").or_insert(json!(url));
        }
        let group = if kind == "ArtifactGenerator" { "source.extensions.fluxcd.io" } else { "source.toolkit.fluxcd.io" };
        let object = json!({"apiVersion": format!("{group}/{version}"), "kind": kind,
                            "metadata": {"name": "x", "namespace": "team-a"}, "spec": spec});
        let request = request(op, "team-a", object.clone(), object);
        let cluster = MemoryCluster::default();
        let verdict = review(&POLICY, &request, &settings(), &cluster);
        // DELETE is never denied: Flux's prune and garbage collection must always work.
        if op == "DELETE" {
            prop_assert!(verdict.is_accepted());
        }
        let _ = review(&POLICY, &request, &Settings::default(), &cluster);
    }

    #[test]
    fn url_functions_never_panic(u in url(), p in url()) {
        if let (Ok(o), Ok(prefix)) = (Origin::parse(&u), OriginPrefix::parse(&p)) {
            let _ = prefix.matches(&o);
        }
    }
}

//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use fluxgate_admission::MemoryCluster;
use fluxgate_admission::flow::review;
use fluxgate_admission::settings::{Settings, parse};
use fluxgate_admission::testing::{json_tree, operation, request};
use notification_boundaries::{POLICY, cel_references};
use proptest::prelude::*;
use serde_json::{Value, json};

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,50}",
        "(https|http|HTTP|nats|ftp)://([a-z:@]{0,8}@)?[a-zA-Z0-9.\\[\\]:-]{0,20}(/[a-zA-Z0-9.%_-]{0,10}){0,3}(\\?[a-z]{1,5}=[a-z]{0,4})?",
        "Endpoint=sb://[a-z]{1,8}.servicebus.windows.net/;SharedAccessKey=[a-z]{0,8}",
        "[a-z.:0-9]{0,12}(,[a-z.:/@0-9]{0,12}){0,3}",
    ]
}

fn cel() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "(claims|vars|x)[.\\[?'\"]{0,3}[a-z_]{0,8}['\"\\]]{0,2} ?(==|in|&&)? ?['\"r]{0,3}[a-z.]{0,8}",
        "[rbRB]{0,2}('''|\"\"\"|'|\")[a-z.\\\\]{0,10}('''|\"\"\"|'|\")?",
    ]
}

/// Notification specs built from the fields the rules read.
fn spec() -> impl Strategy<Value = Value> {
    json_tree(
        vec![
            "generic",
            "generic-oidc",
            "dockerhub",
            "azureeventhub",
            "googlepubsub",
            "nats",
            "slack",
            "team-b",
            "*",
            "https://token.actions.githubusercontent.com",
        ],
        vec![
            "type",
            "address",
            "proxy",
            "secretRef",
            "serviceAccountName",
            "resources",
            "eventSources",
            "namespace",
            "oidcProviders",
            "issuerURL",
            "validations",
            "variables",
            "expression",
            "name",
        ],
        4,
    )
}

fn settings() -> Settings<notification_boundaries::Settings> {
    parse(&json!({
        "allowedUnverifiedReceiverTypes": ["dockerhub"],
        "plainHttpHosts": ["am.local:9093"],
        "allowedProviderHosts": ["hooks.slack.com", "*.acme.io", "[::1]:8443"],
        "sharedNamespaces": ["shared"],
        "allowedOidcIssuers": ["https://token.actions.githubusercontent.com"],
        "oidcIdentityClaims": ["repository_owner"],
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn review_never_panics(
        kind in prop_oneof![Just("Alert"), Just("Provider"), Just("Receiver"), Just("Other")],
        version in prop_oneof![Just("v1"), Just("v1beta1"), Just("v1beta2"), Just("v1beta3"), Just("v9")],
        op in operation(),
        spec in spec(),
        address in address(),
        expression in cel(),
    ) {
        let mut spec = spec;
        if let Value::Object(m) = &mut spec {
            m.entry("address").or_insert(json!(address.clone()));
            m.entry("proxy").or_insert(json!(address.clone()));
            m.entry("oidcProviders").or_insert(json!([{
                "issuerURL": address,
                "validations": [{"expression": expression.clone()}],
                "variables": [{"name": "v", "expression": expression}],
            }]));
        }
        let object = json!({"apiVersion": format!("notification.toolkit.fluxcd.io/{version}"), "kind": kind,
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
    fn cel_scanning_never_panics(expression in cel(), any in "\\PC{0,60}") {
        let _ = cel_references(&expression);
        let _ = cel_references(&any);
    }
}

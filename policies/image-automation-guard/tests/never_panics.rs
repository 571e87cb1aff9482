//! The rules answer every input with a verdict, never a panic: a panic in a policy is a
//! trap, and a trap is a 500 for the API server.

use fluxgate_admission::settings::{self, Settings};
use fluxgate_admission::testing::{json_tree, operation, request};
use fluxgate_admission::{MemoryCluster, flow};
use fluxgate_matchers::regex_check::Pattern;
use image_automation_guard::{POLICY, TagRegex, references, refspec_destination};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Image automation specs built from the fields the rules read, with regex-shaped leaves.
fn spec() -> impl Strategy<Value = Value> {
    json_tree(
        vec![
            "^v(?P<ts>[0-9]+)$",
            "^.*\\.sig$",
            "^main-[a-f0-9]+-(?P<ts>.*)",
            "^main-(?P<ts>.*?)",
            ".*",
            "$ts",
            "${ts}",
            "$1",
            ">=1.0.0",
            "1.x || *",
            "numerical",
            "main",
            "refs/heads/main:refs/heads/flux",
            "HEAD:refs/for/main",
            "nginx",
            "team-b",
            "aws",
        ],
        vec![
            "image",
            "exclusionList",
            "policy",
            "semver",
            "range",
            "numerical",
            "alphabetical",
            "order",
            "filterTags",
            "pattern",
            "extract",
            "git",
            "push",
            "checkout",
            "ref",
            "branch",
            "refspec",
            "insecure",
            "sourceRef",
            "namespace",
            "imageRepositoryRef",
            "provider",
            "serviceAccountName",
        ],
        4,
    )
}

fn settings() -> Settings<image_automation_guard::Settings> {
    settings::parse(&json!({
        "allowedImages": ["ghcr.io/acme/", "nginx"],
        "insecureRegistries": ["registry.local:5000"],
        "requireSeparatePushBranch": true,
        "protectedBranches": ["main", "release-*"]
    }))
    .unwrap()
}

proptest! {
    #[test]
    fn review_never_panics(
        kind in prop_oneof![Just("ImageRepository"), Just("ImagePolicy"), Just("ImageUpdateAutomation"), Just("Other")],
        version in prop_oneof![Just("v1"), Just("v1beta1"), Just("v1beta2"), Just("v9")],
        op in operation(),
        spec in spec(),
    ) {
        let object = json!({"apiVersion": format!("image.toolkit.fluxcd.io/{version}"), "kind": kind,
                            "metadata": {"name": "x", "namespace": "team-a"}, "spec": spec});
        let request = request(op, "team-a", object.clone(), object);
        let cluster = MemoryCluster::default();
        let verdict = flow::review(&POLICY, &request, &settings(), &cluster);
        // DELETE is never denied: Flux's prune and garbage collection must always work.
        if op == "DELETE" {
            prop_assert!(verdict.is_accepted());
        }
        let _ = flow::review(&POLICY, &request, &Settings::default(), &cluster);
    }

    #[test]
    fn text_functions_never_panic(
        text in "\\PC{0,60}",
        regexish in "[\\^$.*+?()|\\[\\]{}\\\\a-zA-Z0-9:<>_,=-]{0,40}",
    ) {
        if let Ok(p) = Pattern::parse(&regexish) {
            prop_assert!(p.capture_names().len() <= p.capture_count());
        }
        let _ = references(&text);
        let _ = references(&regexish);
        let _ = refspec_destination(&text);
        if let Some(r) = TagRegex::parse(&regexish) {
            let _ = (r.is_match(&text), r.anchored_in_effect(), r.group_accepts_any_text(1), r.group_fixed_text(1));
        }
    }
}

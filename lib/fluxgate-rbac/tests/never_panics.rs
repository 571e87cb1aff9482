//! RBAC views, rule matching, selectors and role resolution answer every input, including
//! cluster state that no API server would hold, with a value or an error.

use fluxgate_admission::MemoryCluster;
use fluxgate_rbac::{self as rbac, Grants, LabelSelector, PolicyRule, RbacKind, RoleRef, Selects};
use proptest::prelude::*;
use serde_json::{Value, json};

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec![
            "",
            "*",
            "*/exec",
            "pods",
            "pods/exec",
            "pods/ephemeralcontainers",
            "nodes/proxy",
            "kustomizations",
            "kustomize.toolkit.fluxcd.io",
            "patch",
            "get",
            "create",
            "apps",
            "a",
        ])
        .prop_map(String::from),
        0..4,
    )
}

fn labels() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(vec!["a", "b", "agg"]).prop_map(String::from),
        prop::sample::select(vec!["true", "x", ""]).prop_map(String::from),
        0..3,
    )
    .prop_map(|m| json!(m))
}

fn selector() -> impl Strategy<Value = Value> {
    (labels(), prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist", "Odd"]), words())
        .prop_map(|(l, op, values)| {
            json!({"matchLabels": l, "matchExpressions": [{"key": "a", "operator": op, "values": values}]})
        })
}

fn cluster_role() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["r0", "r1", "r2", "r3"]),
        labels(),
        prop::option::of(prop::collection::vec(selector(), 0..3)),
        words(),
        words(),
    )
        .prop_map(|(name, labels, agg, verbs, resources)| {
            let mut o = json!({"apiVersion": rbac::RBAC_API_VERSION, "kind": "ClusterRole",
                "metadata": {"name": name, "labels": labels},
                "rules": [{"apiGroups": ["*"], "resources": resources, "verbs": verbs}]});
            if let Some(s) = agg {
                o["aggregationRule"] = json!({"clusterRoleSelectors": s});
            }
            o
        })
}

proptest! {
    #[test]
    fn rule_matching_never_panics(groups in words(), resources in words(), verbs in words(),
                                  verb in "[a-z*/]{0,8}", resource in "[a-z*/]{0,12}") {
        let rule = PolicyRule { api_groups: Some(groups), resources: Some(resources), verbs, ..Default::default() };
        let _ = rule.grants(&verb, "", &resource);
        let _ = rule.describe();
        let sourced = [rbac::SourcedRule { origin: "rules[0]".into(), rule }];
        for cluster_wide in [false, true] {
            for found in rbac::escalation_paths(&sourced, cluster_wide) {
                prop_assert!(cluster_wide || found.path.reach == rbac::Reach::FluxNamespace);
                let _ = found.describe();
            }
        }
    }

    #[test]
    fn account_globs_never_panic(pattern in "[a-z*:é]{0,12}", namespace in "[a-z*é]{0,6}") {
        let _ = rbac::could_name_account_in(&[pattern], &namespace);
    }

    #[test]
    fn selectors_never_panic(sel in selector(), l in labels()) {
        let sel: LabelSelector = serde_json::from_value(sel).unwrap();
        let _ = sel.matches(&serde_json::from_value(l).unwrap());
    }

    #[test]
    fn resolution_terminates_on_any_aggregation(roles in prop::collection::vec(cluster_role(), 0..8),
                                               name in prop::sample::select(vec!["r0", "r1", "x"])) {
        let cluster = MemoryCluster::new(roles);
        let role_ref = RoleRef { api_group: rbac::RBAC_GROUP.into(), kind: "ClusterRole".into(), name: name.into() };
        if let Ok(r) = rbac::resolve_role_ref(&cluster, &role_ref, None) {
            prop_assert!(r.aggregated.len() <= 8);
        }
        let _ = rbac::bindings_of(&cluster, RbacKind::ClusterRole, "", name, &Default::default(), None);
    }
}

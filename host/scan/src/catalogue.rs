//! The rule catalogue as the scanner's reports describe rules: `docs/rules.json`, generated
//! from the policies' code (`just rules`, checked fresh by the testkit), embedded at build time
//! so a report names every rule with its title and a link to its section of docs/rules.md.

use crate::report::{Finding, RuleInfo};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Where docs/rules.md is published: a rule's `helpUri` is this plus `#<anchor>`.
pub const RULES_DOC: &str = "https://github.com/fluxgate-dev/fluxgate/blob/main/docs/rules.md";

/// The fields of a `docs/rules.json` entry the reports use (the others are ignored).
#[derive(Deserialize)]
struct Entry {
    id: String,
    policies: Vec<String>,
    title: String,
    anchor: String,
}

fn catalogue() -> &'static BTreeMap<String, RuleInfo> {
    static CATALOGUE: OnceLock<BTreeMap<String, RuleInfo>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // Generated and checked by the testkit; a test below asserts it parses, so an empty
        // map here (every rule then described by its id alone) cannot ship unnoticed.
        let entries: Vec<Entry> =
            serde_json::from_str(include_str!("../../../docs/rules.json")).unwrap_or_default();
        entries
            .into_iter()
            .map(|e| {
                let info = RuleInfo {
                    id: e.id.clone(),
                    policy: e.policies.join(", "),
                    title: e.title,
                    help_uri: format!("{RULES_DOC}#{}", e.anchor),
                };
                (e.id, info)
            })
            .collect()
    })
}

/// The rule `id` as the catalogue describes it; `policy` lists every policy that declares it
/// (`, `-separated: the admission flow's rules belong to all of them).
pub fn rule(id: &str) -> Option<RuleInfo> {
    catalogue().get(id).cloned()
}

/// Every rule any finding names, once, sorted by id. An id the catalogue does not know (a
/// module newer than this binary) is described by the id itself, under the finding's policy.
pub fn rules_for(findings: &[Finding]) -> Vec<RuleInfo> {
    let mut rules: BTreeMap<&str, RuleInfo> = BTreeMap::new();
    for f in findings {
        rules.entry(&f.rule).or_insert_with(|| {
            rule(&f.rule).unwrap_or_else(|| RuleInfo {
                id: f.rule.clone(),
                policy: f.policy.clone(),
                title: f.rule.clone(),
                help_uri: RULES_DOC.to_string(),
            })
        });
    }
    rules.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Level;

    fn finding(policy: &str, rule: &str) -> Finding {
        Finding {
            policy: policy.into(),
            rule: rule.into(),
            severity: Level::Deny,
            file: "a.yaml".into(),
            line: 1,
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: "ns".into(),
            name: "n".into(),
            field: "spec".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn the_embedded_catalogue_parses() {
        assert!(catalogue().len() > 50, "docs/rules.json did not parse");
        let info = rule("gcv/verify-missing").unwrap();
        assert_eq!(info.policy, "git-commit-verification");
        assert_eq!(
            info.help_uri,
            "https://github.com/fluxgate-dev/fluxgate/blob/main/docs/rules.md#gcv-verify-missing"
        );
        assert!(!info.title.is_empty());
        assert!(
            rule("admission/invalid-object")
                .unwrap()
                .policy
                .contains(", ")
        );
        assert_eq!(rule("no/such-rule"), None);
    }

    #[test]
    fn rules_for_lists_each_id_once_sorted_and_names_unknown_ones() {
        let rules = rules_for(&[
            finding("source-origin", "origin/plain-http"),
            finding("p", "zz/unknown"),
            finding("git-commit-verification", "gcv/verify-missing"),
            finding("source-origin", "origin/plain-http"),
        ]);
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["gcv/verify-missing", "origin/plain-http", "zz/unknown"]
        );
        assert_eq!(rules[2].title, "zz/unknown");
        assert_eq!(rules[2].policy, "p");
        assert!(rules_for(&[]).is_empty());
    }
}

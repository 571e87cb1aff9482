//! `docs/rules.md`: the rule catalogue, generated from the policies' rule lists so it can
//! never drift from the code (a test regenerates it and fails when the file differs).

use crate::{KindSpec, Rule, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A policy and the rules it can report, in the order its README lists them.
#[derive(Debug, Clone)]
pub struct PolicyRules {
    pub policy: &'static str,
    pub rules: Vec<&'static Rule>,
}

/// The catalogue as Markdown: an index per policy, then one section per rule id (a rule
/// shared by several policies, such as the admission flow's, appears once).
pub fn markdown(policies: &[PolicyRules]) -> String {
    let mut by_id: BTreeMap<&str, (&Rule, Vec<&str>)> = BTreeMap::new();
    for p in policies {
        for rule in &p.rules {
            by_id
                .entry(rule.id)
                .or_insert((rule, Vec::new()))
                .1
                .push(p.policy);
        }
    }
    let mut out = String::from(
        "# Rule catalogue\n\n\
         <!-- Generated from the policies' code by `just rules`; a test fails when it is stale. -->\n\n\
         Every finding a fluxgate policy reports carries one of these ids: in the admission message\n\
         (`... ; fix: ... [gcv/verify-missing]`), in `fluxgate explain`, in scanner reports and in the\n\
         playground. An id keeps its meaning forever; a rule that changes meaning gets a new id.\n\n",
    );
    out.push_str("## By policy\n\n");
    for p in policies {
        let _ = write!(out, "- **{}**:", p.policy);
        for rule in &p.rules {
            let _ = write!(out, " [`{}`](#{})", rule.id, anchor(rule.id));
        }
        out.push('\n');
    }
    out.push_str("\n## Rules\n");
    for (id, (rule, owners)) in &by_id {
        let _ = write!(
            out,
            "\n### `{id}`\n<a id=\"{}\"></a>\n\n{}\n\n\
             | | |\n|---|---|\n\
             | Policy | {} |\n| Kinds | {} |\n| Severity | {} |\n| Default | {} |\n| Setting | {} |\n\n\
             Stops: {}\n",
            anchor(id),
            rule.title,
            owners.join(", "),
            kinds(rule.kinds),
            match rule.severity {
                Severity::Deny => "deny",
                Severity::Warn => "warn (admitted with a warning)",
            },
            if rule.on_by_default { "on" } else { "off" },
            if rule.setting.is_empty() {
                "none".to_string()
            } else {
                format!("`{}`", rule.setting)
            },
            rule.stops,
        );
    }
    out
}

/// The fragment a link to a rule uses: the id with `/` as `-`.
pub fn anchor(id: &str) -> String {
    id.replace('/', "-")
}

fn kinds(kinds: &[KindSpec]) -> String {
    kinds
        .iter()
        .map(|k| {
            if k.is_any() {
                "any kind".to_string()
            } else {
                format!("{} ({})", k.kind, k.api_versions())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Rule = Rule {
        id: "x/a",
        severity: Severity::Deny,
        kinds: &[KindSpec::ANY],
        title: "A must hold.",
        stops: "a tenant doing A.",
        on_by_default: true,
        setting: "allowA",
    };
    const B: Rule = Rule {
        id: "shared/b",
        on_by_default: false,
        setting: "",
        ..A
    };

    #[test]
    fn lists_each_rule_once_with_its_policies() {
        let md = markdown(&[
            PolicyRules {
                policy: "p1",
                rules: vec![&A, &B],
            },
            PolicyRules {
                policy: "p2",
                rules: vec![&B],
            },
        ]);
        assert_eq!(md.matches("### `shared/b`").count(), 1);
        assert!(md.contains("| Policy | p1, p2 |"), "{md}");
        assert!(md.contains("- **p2**: [`shared/b`](#shared-b)"), "{md}");
        assert!(md.contains("| Setting | `allowA` |"));
        assert!(md.contains("| Default | off |"));
    }
}

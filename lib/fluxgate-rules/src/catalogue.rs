//! `docs/rules.md` and `docs/rules.json`: the rule catalogue, generated from the policies'
//! rule lists so it can never drift from the code (a test regenerates both and fails when a
//! file differs). The Markdown is for people; the JSON is the same catalogue as data, for the
//! scanner's SARIF rules and anything else that needs a rule's title or link.
//!
//! Neither generator is called by a policy, so neither reaches a wasm module.

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
    let by_id = by_id(policies);
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

/// The catalogue as JSON (`docs/rules.json`): an array sorted by id, one object per rule id,
///
/// ```json
/// {"id", "policies": [...], "severity": "deny"|"warn", "title", "stops", "onByDefault",
///  "setting", "kinds": [{"kind", "apiVersions": [...]}], "anchor"}
/// ```
///
/// `setting` is `""` when none relaxes the rule; a rule of any kind lists
/// `{"kind": "*", "apiVersions": []}`; `anchor` is the rule's fragment in `docs/rules.md`.
/// Pretty-printed as serde_json does (two-space indent), with a trailing newline. Written by
/// hand: this crate is linked into every policy and has no serde_json.
pub fn json(policies: &[PolicyRules]) -> String {
    fn strings<'a>(out: &mut String, indent: &str, items: impl ExactSizeIterator<Item = &'a str>) {
        if items.len() == 0 {
            out.push_str("[]");
            return;
        }
        out.push('[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(indent);
            out.push_str("  ");
            json_string(out, item);
        }
        out.push('\n');
        out.push_str(indent);
        out.push(']');
    }
    let by_id = by_id(policies);
    if by_id.is_empty() {
        return "[]\n".to_string();
    }
    let mut out = String::from("[");
    for (n, (id, (rule, owners))) in by_id.iter().enumerate() {
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        out.push_str("  {\n    \"id\": ");
        json_string(&mut out, id);
        out.push_str(",\n    \"policies\": ");
        strings(&mut out, "    ", owners.iter().copied());
        out.push_str(",\n    \"severity\": ");
        json_string(&mut out, rule.severity.name());
        out.push_str(",\n    \"title\": ");
        json_string(&mut out, rule.title);
        out.push_str(",\n    \"stops\": ");
        json_string(&mut out, rule.stops);
        out.push_str(",\n    \"onByDefault\": ");
        out.push_str(if rule.on_by_default { "true" } else { "false" });
        out.push_str(",\n    \"setting\": ");
        json_string(&mut out, rule.setting);
        out.push_str(",\n    \"kinds\": ");
        if rule.kinds.is_empty() {
            out.push_str("[]");
        } else {
            out.push('[');
            for (i, k) in rule.kinds.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str("      {\n        \"kind\": ");
                json_string(&mut out, k.kind);
                out.push_str(",\n        \"apiVersions\": ");
                // `group/version`, or `version` for the core group, as an object's apiVersion.
                let versions: Vec<String> = k
                    .versions
                    .iter()
                    .map(|v| match k.group {
                        "" => v.to_string(),
                        group => format!("{group}/{v}"),
                    })
                    .collect();
                strings(&mut out, "        ", versions.iter().map(String::as_str));
                out.push_str("\n      }");
            }
            out.push_str("\n    ]");
        }
        out.push_str(",\n    \"anchor\": ");
        json_string(&mut out, &anchor(id));
        out.push_str("\n  }");
    }
    out.push_str("\n]\n");
    out
}

/// Every rule id once, sorted, with the policies that list it (in the catalogue's order).
fn by_id(policies: &[PolicyRules]) -> BTreeMap<&'static str, (&'static Rule, Vec<&'static str>)> {
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
    by_id
}

/// `text` as a JSON string (RFC 8259 section 7): `"` and `\\` escaped, control characters as
/// the short escapes or `\u00XX`, everything else as is (the output is UTF-8).
fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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

    #[test]
    fn json_lists_each_rule_once_sorted_and_escaped() {
        const C: Rule = Rule {
            id: "x/c",
            severity: Severity::Warn,
            kinds: &[KindSpec {
                group: "source.toolkit.fluxcd.io",
                kind: "GitRepository",
                versions: &["v1beta2", "v1"],
                namespaced: true,
                judged_fields: &["spec"],
            }],
            title: "Say \"no\" to C:\\ \u{1}\n",
            ..A
        };
        let json = json(&[
            PolicyRules {
                policy: "p1",
                rules: vec![&C, &B, &A],
            },
            PolicyRules {
                policy: "p2",
                rules: vec![&B],
            },
        ]);
        let a = json.find("\"id\": \"x/a\"").unwrap();
        let c = json.find("\"id\": \"x/c\"").unwrap();
        let b = json.find("\"id\": \"shared/b\"").unwrap();
        assert!(b < a && a < c, "sorted by id: {json}");
        assert_eq!(json.matches("\"id\": ").count(), 3);
        assert!(
            json.starts_with("[\n  {\n    \"id\": \"shared/b\",\n"),
            "{json}"
        );
        assert!(json.ends_with("\n  }\n]\n"), "{json}");
        assert!(
            json.contains("\"policies\": [\n      \"p1\",\n      \"p2\"\n    ],"),
            "{json}"
        );
        assert!(
            json.contains(r#""title": "Say \"no\" to C:\\ \u0001\n","#),
            "{json}"
        );
        assert!(json.contains("\"severity\": \"warn\""));
        assert!(json.contains("\"onByDefault\": false,\n    \"setting\": \"\","));
        assert!(json.contains(
            "\"kind\": \"GitRepository\",\n        \"apiVersions\": [\n          \
             \"source.toolkit.fluxcd.io/v1beta2\",\n          \"source.toolkit.fluxcd.io/v1\"\n        ]"
        ));
        assert!(json.contains("\"kind\": \"*\",\n        \"apiVersions\": []"));
        assert!(json.contains("\"anchor\": \"shared-b\""));
        assert_eq!(super::json(&[]), "[]\n");
    }
}

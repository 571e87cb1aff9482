//! The rule catalogue is generated from the code and cannot drift from it or from the
//! fixtures. `just rules` (FLUXGATE_BLESS=1) rewrites docs/rules.md and docs/rules.json.

use fluxgate_testkit::catalogue;
use fluxgate_testkit::fixture::Fixture;
use fluxgate_testkit::runner;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn docs_rules_md_is_generated_from_the_code() {
    let path = root().join("docs/rules.md");
    let want = catalogue::markdown();
    if std::env::var_os("FLUXGATE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `just rules` and commit the result"
    );
}

#[test]
fn docs_rules_json_is_generated_from_the_code() {
    let path = root().join("docs/rules.json");
    let want = catalogue::json();
    if std::env::var_os("FLUXGATE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.json is stale: run `just rules` and commit the result"
    );
}

/// The hand-written JSON is JSON, and says what the rule declarations say.
#[test]
fn docs_rules_json_reads_back_as_the_catalogue() {
    let parsed: serde_json::Value = serde_json::from_str(&catalogue::json()).unwrap();
    let entries = parsed.as_array().unwrap();
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut rules = BTreeMap::new();
    for p in catalogue::policies() {
        for rule in p.rules {
            owners.entry(rule.id).or_default().push(p.policy);
            rules.insert(rule.id, rule);
        }
    }
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        rules.keys().copied().collect::<Vec<_>>(),
        "sorted, once each"
    );
    for entry in entries {
        let rule = rules[entry["id"].as_str().unwrap()];
        assert_eq!(entry["policies"], serde_json::json!(owners[rule.id]));
        assert_eq!(entry["severity"], rule.severity.name());
        assert_eq!(entry["title"], rule.title);
        assert_eq!(entry["stops"], rule.stops);
        assert_eq!(entry["onByDefault"], rule.on_by_default);
        assert_eq!(entry["setting"], rule.setting);
        assert_eq!(
            entry["anchor"],
            fluxgate_rules::catalogue::anchor(rule.id).as_str()
        );
        let kinds = entry["kinds"].as_array().unwrap();
        assert_eq!(kinds.len(), rule.kinds.len(), "{}", rule.id);
        for (k, spec) in kinds.iter().zip(rule.kinds) {
            assert_eq!(k["kind"], spec.kind);
            for v in k["apiVersions"].as_array().unwrap() {
                assert!(spec.serves(v.as_str().unwrap()), "{}: {v}", rule.id);
            }
        }
    }
    // Byte for byte what serde_json's pretty printer writes: layout and escaping.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Entry {
        id: String,
        policies: Vec<String>,
        severity: String,
        title: String,
        stops: String,
        on_by_default: bool,
        setting: String,
        kinds: Vec<Kind>,
        anchor: String,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Kind {
        kind: String,
        api_versions: Vec<String>,
    }
    let text = catalogue::json();
    let typed: Vec<Entry> = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string_pretty(&typed).unwrap() + "\n", text);
}

#[test]
fn rule_ids_are_well_formed_and_unique_per_policy() {
    let mut meaning: BTreeMap<&str, &str> = BTreeMap::new();
    for p in catalogue::policies() {
        let mut seen = BTreeSet::new();
        for rule in &p.rules {
            let (area, what) = rule.id.split_once('/').unwrap_or_default();
            let kebab = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            };
            assert!(
                kebab(area) && kebab(what),
                "{}: {:?} is not area/what",
                p.policy,
                rule.id
            );
            assert!(
                seen.insert(rule.id),
                "{}: {} listed twice",
                p.policy,
                rule.id
            );
            assert!(
                !rule.title.is_empty() && !rule.stops.is_empty(),
                "{}: say what it requires and stops",
                rule.id
            );
            // One id, one meaning: a rule shared by policies is the same declaration.
            let previous = meaning.insert(rule.id, rule.title);
            assert!(
                previous.is_none_or(|t| t == rule.title),
                "{} means two things",
                rule.id
            );
        }
    }
}

#[test]
fn every_rule_a_fixture_expects_is_in_its_policys_catalogue() {
    let declared: BTreeMap<&str, BTreeSet<&str>> = catalogue::policies()
        .into_iter()
        .map(|p| (p.policy, p.rules.iter().map(|r| r.id).collect()))
        .collect();
    let mut missing = Vec::new();
    for policy in runner::discover(root()).unwrap() {
        let ids = &declared[policy.name.as_str()];
        for file in policy.fixtures().unwrap() {
            let fixture = Fixture::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            for rule in fixture.expect.rules.iter().flatten() {
                if !ids.contains(rule.as_str()) {
                    missing.push(format!("{}: {rule}", file.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rule ids not in the catalogue: {missing:#?}"
    );
}

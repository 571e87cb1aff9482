//! The hardening guide's expected-behaviour table is backed by fixtures: every row names a
//! fixture where the default cluster admits the change and one where the hardened cluster
//! denies it. The runner replays both; this test keeps the table and the suite in step.

use fluxgate_testkit::fixture::Fixture;
use std::path::{Path, PathBuf};

fn docs() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs")).to_path_buf()
}

/// Link targets of a Markdown table row, in order: `[text](target)`.
fn link_targets(row: &str) -> Vec<&str> {
    row.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .collect()
}

fn load(target: &str) -> Fixture {
    let path = docs().join(target);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{target}: the guide names a fixture that cannot be read: {e}"));
    Fixture::parse(&text).unwrap_or_else(|e| panic!("{target}: {e}"))
}

#[test]
fn every_expected_behaviour_row_has_an_admitting_and_a_denying_fixture() {
    let guide = std::fs::read_to_string(docs().join("hardening-guide.md")).unwrap();
    let rows: Vec<&str> = guide
        .lines()
        .filter(|l| l.starts_with('|') && l.contains("/fixtures/"))
        .collect();
    assert!(
        rows.len() >= 9,
        "expected-behaviour table has {} rows",
        rows.len()
    );
    for row in rows {
        let targets: Vec<&str> = link_targets(row)
            .into_iter()
            .filter(|t| t.contains("/fixtures/"))
            .collect();
        let [default, hardened] = targets[..] else {
            panic!("row must name exactly a default and a hardened fixture: {row}");
        };
        let (d, h) = (load(default), load(hardened));
        assert_eq!(
            d.expect.allowed,
            Some(true),
            "{default}: the default cluster must admit"
        );
        assert_eq!(
            h.expect.allowed,
            Some(false),
            "{hardened}: the hardened cluster must deny"
        );
        assert_eq!(
            d.object["kind"], h.object["kind"],
            "{row}: both fixtures must be about the same kind of object"
        );
        let policy = |t: &str| t.split("/fixtures/").next().unwrap().to_string();
        assert_eq!(
            policy(default),
            policy(hardened),
            "{row}: one policy per row"
        );
        assert!(
            row.contains(&format!(
                "| {} |",
                policy(default).rsplit('/').next().unwrap()
            )),
            "{row}: the Policy column must name the fixtures' policy"
        );
    }
}

//! Each output format of a small report, against its golden file under tests/golden/
//! (`FLUXGATE_BLESS=1 cargo test -p fluxgate-scan` rewrites them), plus what each format
//! promises beyond the bytes.

mod common;

use fluxgate_scan::output::{Format, render};
use fluxgate_scan::report::Report;
use serde_json::Value;

#[test]
fn table() {
    let text = render(&common::report(), Format::Table, false);
    common::golden("report.table.txt", &text);
    assert!(!text.contains('\x1b'), "no colour unless asked");
    assert!(text.ends_with("5 objects, 2 denials, 1 warning, 1 error\n"));
}

#[test]
fn table_in_colour_is_the_same_text() {
    let report = common::report();
    let coloured = render(&report, Format::Table, true);
    assert!(coloured.contains("\x1b[1;31mDENY\x1b[0m"));
    assert!(coloured.contains("\x1b[1;33mWARN\x1b[0m"));
    // Without its SGR sequences it is the plain table.
    let mut plain = String::new();
    let mut rest = coloured.as_str();
    while let Some(start) = rest.find("\x1b[") {
        plain.push_str(&rest[..start]);
        let end = rest[start..].find('m').unwrap();
        rest = &rest[start + end + 1..];
    }
    plain.push_str(rest);
    assert_eq!(plain, render(&report, Format::Table, false));
}

#[test]
fn table_of_a_clean_scan_is_its_summary() {
    let report = Report {
        objects: 3,
        ..Report::default()
    };
    assert_eq!(
        render(&report, Format::Table, true),
        "3 objects, 0 denials, 0 warnings, 0 errors\n"
    );
}

#[test]
fn table_does_not_pass_control_characters_to_the_terminal() {
    let mut report = common::report();
    report.findings[0].message = "evil\x1b]0;owned\x07 \x1b[2J".into();
    let text = render(&report, Format::Table, false);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
    assert!(text.contains("evil\\u{1b}]0;owned\\u{7}"), "{text}");
}

#[test]
fn json() {
    let report = common::report();
    let text = render(&report, Format::Json, false);
    common::golden("report.json", &text);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value, serde_json::to_value(&report).unwrap());
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let sorted = |mut v: Vec<&str>| {
        v.sort();
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(keys(&value), sorted(vec!["objects", "findings", "errors"]));
    assert_eq!(
        keys(&value["findings"][0]),
        sorted(vec![
            "policy",
            "rule",
            "severity",
            "file",
            "line",
            "apiVersion",
            "kind",
            "namespace",
            "name",
            "field",
            "message"
        ])
    );
    assert_eq!(value["findings"][2]["severity"], "warn");
    assert_eq!(
        keys(&value["errors"][0]),
        sorted(vec!["file", "line", "message"])
    );
}

#[test]
fn sarif() {
    let report = common::report();
    let text = render(&report, Format::Sarif, false);
    common::golden("report.sarif", &text);
    let log: Value = serde_json::from_str(&text).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    assert_eq!(run["results"][2]["level"], "warning");
    assert_eq!(
        run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "apps/R%26D%20podinfo/release.yaml"
    );
    // A report without its rules (a caller that did not fill them) takes them from the
    // catalogue, the same ids in the same order.
    let bare = Report {
        rules: Vec::new(),
        ..report
    };
    let log: Value = serde_json::from_str(&render(&bare, Format::Sarif, false)).unwrap();
    let described = |log: &Value| -> Vec<Value> {
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        rules.iter().map(|r| r["id"].clone()).collect()
    };
    assert_eq!(
        described(&log),
        described(&serde_json::from_str(&text).unwrap())
    );
    assert_eq!(log["runs"][0]["results"], run["results"]);
    let catalogued = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(
        catalogued["shortDescription"]["text"],
        fluxgate_scan::catalogue::rule("gcv/verify-missing")
            .unwrap()
            .title
    );
}

#[test]
fn sarif_describes_a_rule_the_report_lacks() {
    let mut report = common::report();
    report.rules.retain(|r| r.id != "origin/plain-http");
    report.findings[1].rule = "zz/from-a-newer-module".into();
    let log: Value = serde_json::from_str(&render(&report, Format::Sarif, false)).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let index = run["results"][1]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "zz/from-a-newer-module");
    assert_eq!(rules[index]["name"], "FromANewerModule");
    assert_eq!(rules[index]["properties"]["policy"], "source-origin");
}

#[test]
fn junit() {
    let text = render(&common::report(), Format::Junit, false);
    common::golden("report.junit.xml", &text);
    assert_eq!(text.matches("<testcase ").count(), 4);
    assert_eq!(text.matches("<failure ").count(), 2);
    assert_eq!(text.matches("<error ").count(), 1);
    assert!(!text.contains("R&D"), "escaped: {text}");
}

#[test]
fn junit_of_a_clean_scan_has_one_passing_case() {
    let text = render(&Report::default(), Format::Junit, false);
    assert!(text.contains("<testcase classname=\"fluxgate scan\" name=\"no findings\"/>"));
    assert!(text.contains("tests=\"1\" failures=\"0\" errors=\"0\""));
}

#[test]
fn github() {
    let text = render(&common::report(), Format::Github, false);
    common::golden("report.github.txt", &text);
    // One command a line, each a finding or an error; no raw newline inside a message.
    assert_eq!(text.lines().count(), 4);
    assert!(
        text.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
    );
    assert!(text.contains("%0Afix"), "{text}");
}

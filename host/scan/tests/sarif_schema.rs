//! The SARIF output is valid under the official SARIF 2.1.0 schema (tests/schemas/, see its
//! SOURCES.md), and the check would catch an invalid log.

mod common;

use fluxgate_scan::output::{Format, render};
use fluxgate_scan::report::{Error, Report};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::path("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// The schema's complaints about `log`, one a line (empty: valid).
fn problems(validator: &jsonschema::Validator, log: &Value) -> String {
    validator
        .iter_errors(log)
        .map(|e| format!("{}: {e}\n", e.instance_path()))
        .collect()
}

fn sarif(report: &Report) -> Value {
    serde_json::from_str(&render(report, Format::Sarif, false)).unwrap()
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let validator = validator();
    let log = sarif(&common::report());
    assert_eq!(problems(&validator, &log), "");

    // A clean scan, and an error without a line (no region), are valid too.
    let clean = sarif(&Report::default());
    assert_eq!(problems(&validator, &clean), "");
    let lineless = Report {
        errors: vec![Error {
            file: "weird dir/x.yaml".into(),
            line: None,
            message: "unreadable".into(),
        }],
        ..Report::default()
    };
    assert_eq!(problems(&validator, &sarif(&lineless)), "");
}

#[test]
fn the_schema_check_catches_invalid_logs() {
    let validator = validator();
    let good = sarif(&common::report());

    let mut bogus_level = good.clone();
    bogus_level["runs"][0]["results"][0]["level"] = "bogus".into();
    let found = problems(&validator, &bogus_level);
    assert!(found.contains("/runs/0/results/0/level"), "{found}");

    let mut no_line_zero = good.clone();
    no_line_zero["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!validator.is_valid(&no_line_zero));

    let mut wrong_version = good.clone();
    wrong_version["version"] = "2.0.0".into();
    assert!(!validator.is_valid(&wrong_version));

    let mut unknown_field = good;
    unknown_field["runs"][0]["tool"]["driver"]["colour"] = "red".into();
    assert!(!validator.is_valid(&unknown_field));
}

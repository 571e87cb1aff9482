//! The report the format tests render: two files, three findings (one a warning) on two
//! objects, one error; its text exercises every format's escaping (`%`, `,`, `:`, quotes,
//! `&`, `<`, a space and a newline).

// Each test binary uses only part of this.
#![allow(dead_code)]

use fluxgate_scan::catalogue;
use fluxgate_scan::report::{Error, Finding, Level, Report, RuleInfo};
use std::path::{Path, PathBuf};

#[allow(clippy::too_many_arguments)]
fn finding(
    policy: &str,
    rule: &str,
    severity: Level,
    file: &str,
    line: usize,
    (api_version, kind, namespace, name): (&str, &str, &str, &str),
    field: &str,
    message: &str,
) -> Finding {
    Finding {
        policy: policy.into(),
        rule: rule.into(),
        severity,
        file: file.into(),
        line,
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
        field: field.into(),
        message: message.into(),
    }
}

pub fn report() -> Report {
    const GIT: (&str, &str, &str, &str) = (
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        "flux-system",
        "podinfo",
    );
    const HELM: (&str, &str, &str, &str) = (
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        "apps",
        "podinfo",
    );
    let findings = vec![
        finding(
            "git-commit-verification",
            "gcv/verify-missing",
            Level::Deny,
            "clusters/prod/sources.yaml",
            4,
            GIT,
            "spec.verify",
            "is not set; fix: set spec.verify.mode and spec.verify.secretRef",
        ),
        finding(
            "source-origin",
            "origin/plain-http",
            Level::Deny,
            "clusters/prod/sources.yaml",
            9,
            GIT,
            "spec.url",
            "\"http://git.example.com/podinfo.git\" is plain HTTP, 100% readable on the way: \
             the host is not in plainHttpHosts; fix: use https://",
        ),
        finding(
            "helmrelease-boundaries",
            "helmrelease/chart-version-not-judged",
            Level::Warn,
            "apps/R&D podinfo/release.yaml",
            12,
            HELM,
            "spec.chartRef",
            "OCIRepository <podinfo-chart> installs a version this policy cannot see;\nfix: \
             pin spec.ref.tag or spec.ref.digest on it",
        ),
    ];
    // The rules as the scan describes them, written out so the golden files do not change
    // with the catalogue's wording (`catalogue::rules_for` is tested on its own).
    let rules = [
        (
            "gcv/verify-missing",
            "git-commit-verification",
            "A GitRepository sets `spec.verify`.",
        ),
        (
            "helmrelease/chart-version-not-judged",
            "helmrelease-boundaries",
            "A chartRef's version is judged (warning).",
        ),
        (
            "origin/plain-http",
            "source-origin",
            "A URL uses `http://` only to allowed hosts.",
        ),
    ];
    Report {
        objects: 5,
        rules: rules
            .iter()
            .map(|(id, policy, title)| RuleInfo {
                id: id.to_string(),
                policy: policy.to_string(),
                title: title.to_string(),
                help_uri: format!("{}#{}", catalogue::RULES_DOC, id.replace('/', "-")),
            })
            .collect(),
        findings,
        errors: vec![Error {
            file: "apps/broken.yaml".into(),
            line: Some(7),
            message: "YAML: mapping values are not allowed in this context at line 7, column 9"
                .into(),
        }],
    }
}

/// `tests/<name>`.
pub fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Compares `have` with the golden file `tests/golden/<name>`; `FLUXGATE_BLESS=1` rewrites
/// it (the testkit's convention).
pub fn golden(name: &str, have: &str) {
    let file = path("golden").join(name);
    if std::env::var_os("FLUXGATE_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, have).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        have == want,
        "{} differs from the output (FLUXGATE_BLESS=1 cargo test -p fluxgate-scan rewrites it):\n\
         --- output ---\n{have}",
        file.display()
    );
}

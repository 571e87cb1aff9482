//! What a scan found: the objects it judged, every finding at its file and line, and every
//! input it could not read or build. The output formats (`output`) render this.

use serde::Serialize;

/// deny or warn, as the policies' findings say.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
}

/// One policy finding on one object.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub policy: String,
    pub rule: String,
    pub severity: Level,
    /// Relative to the scanned PATH, `/`-separated.
    pub file: String,
    /// 1-based line of the object (or of the field, where it can be told).
    pub line: usize,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Field path in the object (`spec.chart.spec.version`).
    pub field: String,
    /// "problem; fix: fix", as the admission message words it.
    pub message: String,
}

impl Finding {
    /// A finding about the applied object `a`: its file, line and identity filled in.
    pub fn about(
        a: &crate::flux::Applied,
        policy: &str,
        rule: &str,
        severity: Level,
        field: String,
        message: String,
    ) -> Finding {
        let (api_version, kind, namespace, name) = crate::repo::identity(&a.object);
        Finding {
            policy: policy.to_string(),
            rule: rule.to_string(),
            severity,
            file: a.file.clone(),
            line: a.line,
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            field,
            message,
        }
    }
}

/// An input the scan could not use (broken YAML, a build that failed, a source it will not
/// guess), reported instead of aborting the scan.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

/// A rule as the SARIF `tool.driver.rules` and the table's legend describe it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub policy: String,
    pub title: String,
    /// Link to the rule's section of docs/rules.md.
    pub help_uri: String,
}

#[derive(Serialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Objects evaluated (each counted once, whatever the number of policies).
    pub objects: usize,
    pub findings: Vec<Finding>,
    pub errors: Vec<Error>,
    /// Every rule any finding names (for SARIF), sorted by id.
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
}

impl Report {
    /// Whether anything at `level` or above was found (`None`: never fail).
    pub fn fails(&self, fail_on: Option<Level>) -> bool {
        fail_on.is_some_and(|level| self.findings.iter().any(|f| f.severity <= level))
    }
}

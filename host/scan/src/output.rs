//! The report in the formats `fluxgate scan --format` offers: a table for people, the
//! report's own JSON, SARIF 2.1.0 for code scanning, JUnit XML for CI test reports and
//! GitHub Actions workflow commands for annotations on a pull request.
//!
//! Every format is a pure function of the report: no clock, no absolute path, so a scan's
//! output is the same on every machine (the golden tests rely on it). Text that came from
//! the scanned files (names, messages) is escaped for each format; the table replaces control
//! characters, so a file cannot drive the terminal.

use crate::catalogue;
use crate::report::{Error, Finding, Level, Report, RuleInfo};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::str::FromStr;

/// An output format, named on the command line as `table|json|sarif|junit|github`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Sarif,
    Junit,
    Github,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    /// Works as a clap `value_parser` (clap uses `FromStr` for such types).
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format {s:?}: expected one of {}", names.join(", "))
            })
    }
}

/// The report in `format`; `color` adds ANSI colours (the table only).
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Table => table(report, color),
        Format::Json => json_report(report),
        Format::Sarif => sarif(report),
        Format::Junit => junit(report),
        Format::Github => github(report),
    }
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
fn object(f: &Finding) -> String {
    if f.namespace.is_empty() {
        format!("{} {}", f.kind, f.name)
    } else {
        format!("{} {}/{}", f.kind, f.namespace, f.name)
    }
}

/// `Kind ns/name: field: message`: one finding in one line of text.
fn sentence(f: &Finding) -> String {
    if f.field.is_empty() {
        format!("{}: {}", object(f), f.message)
    } else {
        format!("{}: {}: {}", object(f), f.field, f.message)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------------------
// table

/// ANSI SGR sequences, or nothing without colour.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Text from the scanned files with every control character (newlines, ESC, ...) written as
/// its Rust escape, so a file cannot move the cursor or recolour the terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn table(report: &Report, color: bool) -> String {
    let paint = Paint(color);
    // file → object → findings, files and objects by first line, findings as reported.
    let mut files: BTreeMap<&str, Vec<Vec<&Finding>>> = BTreeMap::new();
    for f in &report.findings {
        let objects = files.entry(&f.file).or_default();
        let same = |g: &&Finding| {
            (&g.api_version, &g.kind, &g.namespace, &g.name)
                == (&f.api_version, &f.kind, &f.namespace, &f.name)
        };
        match objects.iter_mut().find(|o| same(&o[0])) {
            Some(o) => o.push(f),
            None => objects.push(vec![f]),
        }
    }
    let mut out = String::new();
    for (file, mut objects) in files {
        let first_line = |o: &Vec<&Finding>| o.iter().map(|f| f.line).min().unwrap_or(0);
        objects.sort_by_key(first_line);
        let _ = writeln!(out, "{}", paint.wrap("1", &printable(file)));
        for o in &objects {
            let line = first_line(o);
            let _ = writeln!(out, "  {} (line {line})", printable(&object(o[0])));
            for f in o {
                let level = match f.severity {
                    Level::Deny => paint.wrap("1;31", "DENY"),
                    Level::Warn => paint.wrap("1;33", "WARN"),
                };
                let at = if f.line == line {
                    String::new()
                } else {
                    format!(" (line {})", f.line)
                };
                let what = if f.field.is_empty() {
                    printable(&f.message)
                } else {
                    format!("{}: {}", printable(&f.field), printable(&f.message))
                };
                let _ = writeln!(
                    out,
                    "    {level} {}{at}  {what}",
                    paint.wrap("36", &printable(&f.rule))
                );
            }
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "{}", paint.wrap("1;31", "errors:"));
        for e in &report.errors {
            let _ = writeln!(
                out,
                "  {}: {}",
                printable(&location(e)),
                printable(&e.message)
            );
        }
        out.push('\n');
    }
    let denials = count(report, Level::Deny);
    let warnings = count(report, Level::Warn);
    let _ = writeln!(
        out,
        "{}, {}, {}, {}",
        plural(report.objects, "object", "objects"),
        plural(denials, "denial", "denials"),
        plural(warnings, "warning", "warnings"),
        plural(report.errors.len(), "error", "errors"),
    );
    out
}

/// `file:line`, or `file` when the error has no line.
fn location(e: &Error) -> String {
    match e.line {
        Some(line) => format!("{}:{line}", e.file),
        None => e.file.clone(),
    }
}

fn count(report: &Report, level: Level) -> usize {
    report
        .findings
        .iter()
        .filter(|f| f.severity == level)
        .count()
}

// ---------------------------------------------------------------------------------------
// json

/// The report's serde form, `{"objects", "findings", "errors"}`, pretty-printed.
fn json_report(report: &Report) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

// ---------------------------------------------------------------------------------------
// sarif

/// The schema a SARIF 2.1.0 log names (the `id` of the OASIS schema, errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The driver's `informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/fluxgate-dev/fluxgate";

/// The rules a SARIF log describes: the report's, plus any a finding names that they lack.
fn sarif_rules(report: &Report) -> Vec<RuleInfo> {
    let mut rules: BTreeMap<String, RuleInfo> = report
        .rules
        .iter()
        .map(|r| (r.id.clone(), r.clone()))
        .collect();
    let missing: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| !rules.contains_key(&f.rule))
        .cloned()
        .collect();
    for r in catalogue::rules_for(&missing) {
        rules.insert(r.id.clone(), r);
    }
    rules.into_values().collect()
}

/// `verify-missing` (from `gcv/verify-missing`) as `VerifyMissing`: SARIF's
/// `reportingDescriptor.name`, an identifier-like name (SARIF 2.1.0 §3.49.7).
fn pascal_name(id: &str) -> String {
    let last = id.rsplit('/').next().unwrap_or(id);
    let mut out = String::new();
    for word in last.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// A relative, `/`-separated path as a URI reference (RFC 3986 §4.2): every byte outside the
/// unreserved set and `/` percent-encoded, so `a b.yaml` or `x:y.yaml` stay relative paths.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A SARIF `location` in the scanned tree (`%SRCROOT%`: the scanned PATH); no region when
/// the line is not known (SARIF's `startLine` is at least 1).
fn sarif_location(file: &str, line: Option<usize>) -> Value {
    let mut physical = json!({
        "artifactLocation": { "uri": uri(file), "uriBaseId": "%SRCROOT%" },
    });
    if let Some(line) = line.filter(|&l| l > 0) {
        physical["region"] = json!({ "startLine": line });
    }
    json!({ "physicalLocation": physical })
}

fn sarif(report: &Report) -> String {
    let rules = sarif_rules(report);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": pascal_name(&r.id),
                "shortDescription": { "text": r.title },
                "helpUri": r.help_uri,
                "properties": { "policy": r.policy },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "ruleIndex": index[f.rule.as_str()],
                "level": match f.severity {
                    Level::Deny => "error",
                    Level::Warn => "warning",
                },
                "message": { "text": sentence(f) },
                "locations": [sarif_location(&f.file, Some(f.line))],
                "properties": {
                    "policy": f.policy,
                    "apiVersion": f.api_version,
                    "kind": f.kind,
                    "namespace": f.namespace,
                    "name": f.name,
                    "field": f.field,
                },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [sarif_location(&e.file, e.line)],
            })
        })
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fluxgate",
                    "informationUri": INFORMATION_URI,
                    "rules": descriptors,
                },
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

// ---------------------------------------------------------------------------------------
// junit

/// `text` for XML 1.0 character data and attribute values: the five markup characters as
/// entities, tab/newline/CR as character references (attribute values keep them), and the
/// characters XML 1.0 cannot carry at all (other C0 controls, U+FFFE/U+FFFF) as U+FFFD.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn junit(report: &Report) -> String {
    let failures = count(report, Level::Deny);
    let tests = report.findings.len().max(1) + report.errors.len();
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\"",
        report.errors.len()
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"fluxgate scan\" {counts}>");
    let _ = writeln!(
        out,
        "  <testsuite name=\"fluxgate scan\" {counts} skipped=\"0\">"
    );
    for f in &report.findings {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{} {}\">",
            xml(&f.file),
            xml(&object(f)),
            xml(&f.rule)
        );
        let what = if f.field.is_empty() {
            f.message.clone()
        } else {
            format!("{}: {}", f.field, f.message)
        };
        let detail = format!(
            "{} [{}] at {}:{} ({})",
            sentence(f),
            f.rule,
            f.file,
            f.line,
            f.policy
        );
        match f.severity {
            Level::Deny => {
                let _ = writeln!(
                    out,
                    "      <failure type=\"deny\" message=\"{}\">{}</failure>",
                    xml(&what),
                    xml(&detail)
                );
            }
            Level::Warn => {
                let _ = writeln!(
                    out,
                    "      <system-out>warning: {}</system-out>",
                    xml(&detail)
                );
            }
        }
        out.push_str("    </testcase>\n");
    }
    if report.findings.is_empty() {
        out.push_str("    <testcase classname=\"fluxgate scan\" name=\"no findings\"/>\n");
    }
    for e in &report.errors {
        let name = match e.line {
            Some(line) => format!("scan error at line {line}"),
            None => "scan error".to_string(),
        };
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml(&e.file),
            xml(&name)
        );
        let _ = writeln!(
            out,
            "      <error type=\"scan\" message=\"{}\">{}: {}</error>",
            xml(&e.message),
            xml(&location(e)),
            xml(&e.message)
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

// ---------------------------------------------------------------------------------------
// github

// GitHub Actions workflow commands, `::error file=F,line=L,title=T::message` (GitHub docs,
// "Workflow commands for GitHub Actions", "Setting an error message"). Escaping as the
// runner's own toolkit does it (actions/toolkit packages/core/src/command.ts, escapeData and
// escapeProperty): in the message `%`, `\r`, `\n` as `%25`, `%0D`, `%0A`; in a property
// value also `:` and `,` as `%3A` and `%2C`, which would otherwise end the value.

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Level::Deny => "error",
            Level::Warn => "warning",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},title={}::{}",
            escape_property(&f.file),
            f.line,
            escape_property(&f.rule),
            escape_data(&sentence(f))
        );
    }
    for e in &report.errors {
        let line = e.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "::error file={}{line},title={}::{}",
            escape_property(&e.file),
            escape_property("fluxgate scan error"),
            escape_data(&e.message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        let err = "xml".parse::<Format>().unwrap_err();
        assert!(err.contains("table, json, sarif, junit, github"), "{err}");
    }

    #[test]
    fn escapes() {
        assert_eq!(pascal_name("gcv/verify-missing"), "VerifyMissing");
        assert_eq!(pascal_name("plain"), "Plain");
        assert_eq!(uri("dir/a b:c%.yaml"), "dir/a%20b%3Ac%25.yaml");
        assert_eq!(uri("ü.yaml"), "%C3%BC.yaml");
        assert_eq!(
            xml("<a href=\"x\">&'\n\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;\u{fffd}"
        );
        assert_eq!(escape_data("50%\r\nof: a,b"), "50%25%0D%0Aof: a,b");
        assert_eq!(escape_property("50%\r\nof: a,b"), "50%25%0D%0Aof%3A a%2Cb");
        assert_eq!(printable("a\x1b[31mb\nc"), "a\\u{1b}[31mb\\nc");
    }
}

//! The pasted text as Kubernetes objects, each with the lines it spans, and the line a
//! finding's field path points at. Pure Rust (no browser), tested natively.
//!
//! Documents are split at `---` lines the way `fluxgate scan` splits a file
//! (`host/scan/src/repo.rs`), so a broken document costs only itself, and each is read by
//! the project's own YAML reader (`fluxgate-yaml`).

use serde::Serialize;
use serde_json::Value;

/// The most text one evaluation reads: a paste is a handful of manifests, not a checkout
/// (`fluxgate scan` is for that). Past it the page says so instead of working for seconds.
pub const MAX_BYTES: usize = 1 << 20;
/// The most documents one evaluation judges.
pub const MAX_DOCUMENTS: usize = 250;

/// One document of the paste.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// 0-based position among the paste's documents (empty ones not counted).
    pub index: usize,
    /// 1-based line of the document's first content line, and of its last line.
    pub line: usize,
    pub end_line: usize,
    #[serde(skip)]
    pub text: String,
    /// 1-based line the `text` starts on (its `---` or first line).
    #[serde(skip)]
    pub first_line: usize,
    #[serde(skip)]
    pub value: Value,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Why the document is not judged (invalid YAML, not an object, no kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a whole paste is refused.
pub fn refuse(text: &str) -> Option<String> {
    if text.len() > MAX_BYTES {
        return Some(format!(
            "The paste is {} bytes: the playground reads up to {MAX_BYTES} bytes (1 MiB) at once. \
             Paste fewer documents, or run `fluxgate scan` on the files.",
            text.len()
        ));
    }
    let documents = chunks(text).len();
    if documents > MAX_DOCUMENTS {
        return Some(format!(
            "The paste has {documents} documents: the playground judges up to {MAX_DOCUMENTS} \
             at once. Paste fewer, or run `fluxgate scan` on the files."
        ));
    }
    None
}

/// The documents of a paste (call [`refuse`] first).
pub fn documents(text: &str) -> Vec<Document> {
    let mut out = Vec::new();
    for (start, chunk) in chunks(text) {
        let end_line = start + chunk.lines().count().saturating_sub(1);
        let line = start + first_content_line(&chunk);
        let mut push = |value: Value, error: Option<String>| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let error = error.or_else(|| shape_error(&value));
            out.push(Document {
                index: out.len(),
                line,
                end_line,
                text: chunk.clone(),
                first_line: start,
                api_version: s(&value["apiVersion"]),
                kind: s(&value["kind"]),
                namespace: s(&value["metadata"]["namespace"]),
                name: s(&value["metadata"]["name"]),
                value,
                error,
            });
        };
        match fluxgate_yaml::documents(&chunk) {
            Ok(values) => {
                for value in values.into_iter().filter(|v| !v.is_null()) {
                    push(value, None);
                }
            }
            Err(e) => push(
                Value::Null,
                Some(format!(
                    "invalid YAML at line {}: {}",
                    start + e.line - 1,
                    e.message
                )),
            ),
        }
    }
    out
}

/// Why a parsed document is not a Kubernetes object.
fn shape_error(value: &Value) -> Option<String> {
    let what = match value {
        Value::Object(_) => {
            let missing: Vec<&str> = ["apiVersion", "kind"]
                .into_iter()
                .filter(|k| value[*k].as_str().is_none_or(str::is_empty))
                .collect();
            if missing.is_empty() {
                return None;
            }
            return Some(format!(
                "not a Kubernetes object: no {} (a manifest starts with apiVersion and kind)",
                missing.join(" and no ")
            ));
        }
        Value::Null => return None,
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
    };
    Some(format!(
        "not a Kubernetes object: the document is {what}, where a mapping with apiVersion, kind \
         and metadata was expected"
    ))
}

/// The text split at `---` lines: each chunk with the 1-based line it starts on (as
/// `fluxgate_scan::repo::chunks`), leaving out chunks with nothing but the marker, blank
/// lines and comments.
pub fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut start, mut current) = (1, String::new());
    let has_content = |chunk: &str| chunk.lines().nth(first_content_line(chunk)).is_some();
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker {
            if has_content(&current) {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            start = i + 1;
        }
        current.push_str(line);
        current.push('\n');
    }
    if has_content(&current) {
        out.push((start, current));
    }
    out
}

/// Lines before the first line with content (blank lines, comments, the `---`); the line
/// count when there is none.
fn first_content_line(chunk: &str) -> usize {
    chunk
        .lines()
        .position(|l| {
            let t = l.trim();
            !(t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with('%'))
        })
        .unwrap_or(chunk.lines().count())
}

/// One step of a finding's field path: `spec.git.push.branch`, `spec.exclusionList[2]`,
/// `metadata.annotations[kustomize.toolkit.fluxcd.io/ssa]`.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Step::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Step::Key(std::mem::take(&mut key)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                let inner = inner.trim_matches(|c| c == '"' || c == '\'');
                match inner.parse::<usize>() {
                    Ok(n) => out.push(Step::Index(n)),
                    Err(_) => out.push(Step::Key(inner.to_string())),
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Step::Key(key));
    }
    out
}

/// A line of block YAML as the locator sees it.
struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// Starts with a `- ` sequence entry.
    dash: bool,
    /// Column of the mapping key after any `- ` prefixes.
    key_indent: usize,
    key: Option<&'a str>,
    /// Whether the line holds content (not blank, not a comment).
    content: bool,
}

fn read_line(raw: &str) -> Line<'_> {
    let indent = raw.len() - raw.trim_start_matches(' ').len();
    let mut rest = &raw[indent..];
    let content = !(rest.trim().is_empty() || rest.starts_with('#'));
    let dash = rest == "-" || rest.starts_with("- ");
    let mut key_indent = indent;
    while rest.starts_with("- ") || rest == "-" {
        let after = rest.get(1..).unwrap_or("");
        let spaces = after.len() - after.trim_start_matches(' ').len();
        key_indent += 1 + spaces;
        rest = after.trim_start_matches(' ');
    }
    Line {
        indent,
        dash,
        key_indent,
        key: key_of(rest),
        content,
    }
}

/// The mapping key a line starts with, unquoted.
fn key_of(rest: &str) -> Option<&str> {
    if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = rest[1..].find(q)? + 1;
        return rest[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| &rest[1..end]);
    }
    let colon = rest
        .match_indices(':')
        .find(|(i, _)| matches!(rest.as_bytes().get(i + 1), None | Some(b' ' | b'\t')))?
        .0;
    let key = rest[..colon].trim_end();
    (!key.is_empty() && !key.starts_with(['{', '[', '#', '&', '*', '!', '|', '>'])).then_some(key)
}

/// The 1-based line of `document` that `field` points at: the deepest step of the path found
/// in the text (a flow collection or an absent field stops the walk at its parent), `None`
/// when not even the first step is there.
pub fn locate(document: &Document, field: &str) -> Option<usize> {
    let lines: Vec<Line> = document.text.lines().map(read_line).collect();
    let (mut lo, mut hi) = (0, lines.len());
    let mut found = None;
    for step in steps(field) {
        let Some(first) = (lo..hi).find(|&i| lines[i].content) else {
            break;
        };
        match step {
            Step::Key(key) => {
                let level = lines[first].key_indent;
                let at = (first..hi).find(|&i| {
                    let l = &lines[i];
                    l.content && l.key_indent == level && l.key == Some(key.as_str())
                });
                let Some(i) = at else { break };
                // The value: the lines below, up to the next key at this level or shallower
                // (a sequence at the key's own indent belongs to it).
                let end = (i + 1..hi)
                    .find(|&j| {
                        let l = &lines[j];
                        l.content && (l.indent < level || (l.indent == level && !l.dash))
                    })
                    .unwrap_or(hi);
                found = Some(i);
                (lo, hi) = (i + 1, end);
            }
            Step::Index(n) => {
                if !lines[first].dash {
                    break;
                }
                let level = lines[first].indent;
                let Some(i) = (first..hi)
                    .filter(|&j| lines[j].content && lines[j].dash && lines[j].indent == level)
                    .nth(n)
                else {
                    break;
                };
                let end = (i + 1..hi)
                    .find(|&j| lines[j].content && lines[j].indent <= level)
                    .unwrap_or(hi);
                found = Some(i);
                (lo, hi) = (i, end);
            }
        }
    }
    found.map(|i| document.first_line + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASTE: &str = "\
# tenants
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: apps
  namespace: tenant-a
spec:
  url: https://github.com/x/y
  ref:
    branch: main
  ignore: |
    url: not-a-key
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: auto, namespace: tenant-a}
spec:
  sourceRef:
    kind: GitRepository
  policies:
  - name: a
    path: x
  -   name: b
      path: y
  items:
    - one
    - two
---
just a string
---
kind: [broken
";

    #[test]
    fn documents_with_their_lines_and_errors() {
        let docs = documents(PASTE);
        let summary: Vec<(usize, usize, &str, Option<&str>)> = docs
            .iter()
            .map(|d| (d.line, d.end_line, d.kind.as_str(), d.error.as_deref()))
            .collect();
        assert_eq!(summary[0], (2, 12, "GitRepository", None));
        assert_eq!(summary[1], (14, 27, "ImageUpdateAutomation", None));
        assert!(summary[2].3.unwrap().contains("the document is a string"));
        assert!(summary[3].3.unwrap().starts_with("invalid YAML at line 32"));
        assert_eq!(docs[1].name, "auto");
    }

    #[test]
    fn fields_point_at_their_lines() {
        let docs = documents(PASTE);
        let at = |d: usize, f: &str| locate(&docs[d], f);
        assert_eq!(at(0, "spec.ref.branch"), Some(10));
        assert_eq!(at(0, "spec.url"), Some(8));
        assert_eq!(at(0, "metadata.namespace"), Some(6));
        assert_eq!(at(0, "spec.ref.tag"), Some(9), "absent: its parent");
        assert_eq!(at(0, "status"), None);
        assert_eq!(
            at(1, "metadata.name"),
            Some(16),
            "flow mapping: the key holding it"
        );
        assert_eq!(at(1, "spec.sourceRef.kind"), Some(19));
        assert_eq!(at(1, "spec.policies[0].path"), Some(22));
        assert_eq!(at(1, "spec.policies[1]"), Some(23));
        assert_eq!(at(1, "spec.policies[1].path"), Some(24));
        assert_eq!(at(1, "spec.items[1]"), Some(27));
    }

    #[test]
    fn path_steps() {
        assert_eq!(
            steps("metadata.annotations[kustomize.toolkit.fluxcd.io/ssa]"),
            [
                Step::Key("metadata".into()),
                Step::Key("annotations".into()),
                Step::Key("kustomize.toolkit.fluxcd.io/ssa".into())
            ]
        );
        assert_eq!(
            steps("spec.exclusionList[2]"),
            [
                Step::Key("spec".into()),
                Step::Key("exclusionList".into()),
                Step::Index(2)
            ]
        );
    }

    #[test]
    fn oversized_pastes_are_refused() {
        assert!(refuse(&"a: b\n".repeat(300_000)).unwrap().contains("1 MiB"));
        assert!(
            refuse(&"a: b\n---\n".repeat(1000))
                .unwrap()
                .contains("1000 documents")
        );
        assert!(refuse(PASTE).is_none());
    }
}

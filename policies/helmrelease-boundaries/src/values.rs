//! Finds privileged pod settings in chart values and post-renderer patches, at any depth.
//!
//! Chart values are free-form: a chart may put `privileged: true` anywhere, so every key is
//! looked at, case-insensitively (`Privileged`), and string booleans count (`"true"` is
//! rendered into a manifest as `true`). This is advisory by nature: values can also come from
//! `valuesFrom` and chart defaults; Pod admission on the rendered workloads is the backstop.

use serde_json::Value;

/// One risky setting: where it is and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub path: String,
    pub what: &'static str,
}

const TRUE_FLAGS: [(&str, &str); 5] = [
    ("privileged", "a privileged container"),
    ("hostnetwork", "the host's network namespace"),
    ("hostpid", "the host's process namespace"),
    ("hostipc", "the host's IPC namespace"),
    ("allowprivilegeescalation", "privilege escalation"),
];
const DANGEROUS_CAPABILITIES: [&str; 3] = ["SYS_ADMIN", "NET_ADMIN", "ALL"];

/// Walks `value` (found at `path`) and reports every risky setting.
pub fn scan_value(value: &Value, path: &str) -> Vec<Risk> {
    let mut out = Vec::new();
    walk(value, path, &mut out);
    out
}

fn walk(value: &Value, path: &str, out: &mut Vec<Risk>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = join(path, key);
                if let Some(what) = judge(key, child) {
                    out.push(Risk {
                        path: child_path.clone(),
                        what,
                    });
                }
                walk(child, &child_path, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// What `key: value` asks for, if it is risky.
fn judge(key: &str, value: &Value) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    if let Some((_, what)) = TRUE_FLAGS.iter().find(|(k, _)| *k == key) {
        return truthy(value).then_some(*what);
    }
    match key.as_str() {
        "runasnonroot" => falsy(value).then_some("running as root allowed (runAsNonRoot: false)"),
        "runasuser" => is_zero(value).then_some("running as root (runAsUser: 0)"),
        "hostpath" => (value.is_object() || value.is_string()).then_some("a hostPath volume"),
        "add" => adds_dangerous_capability(value)
            .then_some("a dangerous capability (SYS_ADMIN, NET_ADMIN or ALL)"),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "on"
        ),
        _ => false,
    }
}

fn falsy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !*b,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "false" | "no" | "off"
        ),
        _ => false,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.trim() == "0",
        _ => false,
    }
}

fn adds_dangerous_capability(v: &Value) -> bool {
    let dangerous = |s: &str| {
        let cap = s.trim().to_ascii_uppercase();
        let cap = cap.strip_prefix("CAP_").unwrap_or(&cap);
        DANGEROUS_CAPABILITIES.contains(&cap)
    };
    match v {
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(dangerous),
        Value::String(s) => dangerous(s),
        _ => false,
    }
}

fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

/// Scans a post-renderer patch given as text: JSON is walked like values; YAML (strategic
/// merge or JSON6902) is read line by line, `key: value` pairs judged as above and a
/// JSON6902 `path: .../privileged` judged with the `value:` that follows it.
pub fn scan_text(text: &str, path: &str) -> Vec<Risk> {
    if let Ok(value) = serde_json::from_slice::<Value>(text.as_bytes()) {
        return scan_value(&value, path);
    }
    let mut out = Vec::new();
    let mut pending_key: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches("- ").trim();
        let Some((key, raw)) = line.split_once(':') else {
            continue;
        };
        let (key, raw) = (
            key.trim().trim_matches(['"', '\'']),
            raw.trim().trim_matches(['"', '\'']),
        );
        let value = yaml_scalar(raw);
        let at = || format!("{path} (line {}: {line})", n + 1);
        match key {
            "path" => pending_key = raw.rsplit('/').next().map(str::to_string),
            "value" => {
                if let Some(what) = pending_key.take().and_then(|k| judge(&k, &value)) {
                    out.push(Risk { path: at(), what });
                }
            }
            _ => {
                if let Some(what) = judge(key, &value) {
                    out.push(Risk { path: at(), what });
                }
            }
        }
    }
    out
}

/// A YAML scalar as JSON: booleans, integers, flow lists of strings, else a string.
fn yaml_scalar(raw: &str) -> Value {
    if let Some(list) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(
            list.split(',')
                .map(|s| Value::String(s.trim().trim_matches(['"', '\'']).to_string()))
                .collect(),
        );
    }
    match raw.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(found: &[Risk]) -> Vec<&str> {
        found.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn values_at_any_depth() {
        let values = json!({
            "controller": {"securityContext": {"privileged": true, "runAsUser": 0}},
            "sidecars": [{"securityContext": {"Privileged": "true", "capabilities": {"add": ["NET_RAW", "cap_sys_admin"]}}}],
            "hostNetwork": "false",
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            "podSecurityContext": {"runAsNonRoot": false},
            "a.b": {"hostPID": true}
        });
        let found = scan_value(&values, "spec.values");
        assert_eq!(
            paths(&found),
            [
                "spec.values[\"a.b\"].hostPID",
                "spec.values.controller.securityContext.privileged",
                "spec.values.controller.securityContext.runAsUser",
                "spec.values.podSecurityContext.runAsNonRoot",
                "spec.values.sidecars[0].securityContext.Privileged",
                "spec.values.sidecars[0].securityContext.capabilities.add",
                "spec.values.volumes[0].hostPath",
            ]
        );
    }

    #[test]
    fn safe_values_pass() {
        let values = json!({"securityContext": {"privileged": false, "runAsNonRoot": true, "runAsUser": 1000,
                            "capabilities": {"add": ["NET_BIND_SERVICE"]}}, "hostNetwork": false});
        assert!(scan_value(&values, "spec.values").is_empty());
    }

    #[test]
    fn patch_text() {
        let smp = "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      hostNetwork: true\n";
        assert_eq!(scan_text(smp, "p").len(), 1);
        let json6902 = "- op: add\n  path: /spec/template/spec/containers/0/securityContext/privileged\n  value: true\n";
        assert_eq!(scan_text(json6902, "p")[0].what, "a privileged container");
        let caps = "capabilities:\n  add: [\"SYS_ADMIN\"]\n";
        assert_eq!(scan_text(caps, "p").len(), 1);
        assert!(scan_text("replicas: 2\nimage: x", "p").is_empty());
    }
}

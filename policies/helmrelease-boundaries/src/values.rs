//! Finds privileged pod settings in chart values, in the manifests string values carry, and
//! in post-renderer patches, at any depth.
//!
//! Chart values are free-form: a chart may put `privileged: true` anywhere, so every key is
//! looked at, case-insensitively (`Privileged`). Text that Helm or kustomize parses again as
//! YAML is judged as the parser that reads it would: a string value a chart inserts unquoted
//! into a template, and a post-renderer patch. This is advisory by nature: values can also
//! come from `valuesFrom` and chart defaults; Pod admission on the rendered workloads is the
//! backstop.

use serde_json::{Map, Value};
use std::fmt;

/// One risky setting: the HelmRelease field it is in, where inside that field's text when
/// the field is a document (a patch, a manifest in a string), and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub path: String,
    pub inner: Option<String>,
    pub what: String,
}

const TRUE_FLAGS: [(&str, &str); 6] = [
    ("privileged", "a privileged container"),
    ("hostnetwork", "the host's network namespace"),
    ("hostpid", "the host's process namespace"),
    ("hostipc", "the host's IPC namespace"),
    ("allowprivilegeescalation", "privilege escalation"),
    ("hostprocess", "a Windows HostProcess container"),
];

/// The capabilities the Pod Security Standards' baseline profile lets a container add
/// (kubernetes.io/docs/concepts/security/pod-security-standards, "Capabilities"): anything
/// else is privilege beyond the container runtime's default set.
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// How many times text inside text (a manifest in a string in a manifest...) is unpacked.
const MAX_NESTED_DOCUMENTS: u8 = 3;

/// Walks chart values (found at `path`) and reports every risky setting.
pub fn scan_value(value: &Value, path: &str) -> Vec<Risk> {
    let mut scan = Scan::new(path, None);
    scan.walk(value, At::Root(path), "", MAX_NESTED_DOCUMENTS);
    scan.found
}

/// Scans a kustomize patch given as text (`postRenderers[].kustomize.patches[].patch`) the
/// way kustomize reads it (api/internal/builtins/PatchTransformer.go): the trimmed text is a
/// JSON6902 patch written as JSON when it starts with `[`, a JSON6902 patch written as YAML
/// when it is a list of operations, and otherwise a strategic-merge patch (YAML, possibly
/// several documents). Text no parser accepts is reported: kustomize would refuse it too,
/// and nothing unread may pass.
pub fn scan_text(text: &str, path: &str) -> Vec<Risk> {
    let text = text.trim();
    let documents = if text.starts_with('[') {
        serde_json::from_slice::<Value>(text.as_bytes())
            .map(|v| vec![v])
            .map_err(|e| e.to_string())
    } else {
        yaml_documents(text)
    };
    match documents {
        Ok(documents) => {
            let mut scan = Scan::new(path, Some(String::new()));
            for document in &documents {
                scan.document(document, MAX_NESTED_DOCUMENTS);
            }
            scan.found
        }
        Err(why) => vec![Risk {
            path: path.to_string(),
            inner: None,
            what: format!("a patch that cannot be read as YAML or JSON ({why})"),
        }],
    }
}

/// Judges JSON6902 operations given as objects (`patchesJson6902[].patch`).
pub fn scan_operations(operations: &[Value], path: &str) -> Vec<Risk> {
    let mut scan = Scan::new(path, Some(String::new()));
    scan.operations(operations, MAX_NESTED_DOCUMENTS);
    scan.found
}

/// Every non-empty YAML document in `text`, as JSON values (comments, flow style, anchors
/// and tags resolved by fluxgate-yaml's reader).
fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    let documents = fluxgate_yaml::documents(text).map_err(|e| e.to_string())?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

/// Where a value sits, written out only when something is reported there: values with
/// 100,000 keys cost no path string per key.
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root(path) => f.write_str(path),
            At::Key(parent, key) => f.write_str(&join(&parent.to_string(), key)),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

struct Scan<'a> {
    /// The HelmRelease field being scanned.
    field: &'a str,
    /// `Some` while inside a document the field's text holds: findings then name the path
    /// inside it.
    inner: Option<String>,
    found: Vec<Risk>,
}

impl<'a> Scan<'a> {
    fn new(field: &'a str, inner: Option<String>) -> Self {
        Scan {
            field,
            inner,
            found: Vec::new(),
        }
    }

    fn report(&mut self, at: &str, what: String) {
        let (path, inner) = match &self.inner {
            Some(_) => (self.field.to_string(), Some(at.to_string())),
            None => (at.to_string(), None),
        };
        self.found.push(Risk { path, inner, what });
    }

    /// One document of a patch: a list of JSON6902 operations, or an object to merge.
    fn document(&mut self, document: &Value, depth: u8) {
        match document {
            Value::Array(items) if items.iter().any(is_operation) => {
                self.operations(items, depth);
            }
            other => self.walk(other, At::Root(""), "", depth),
        }
    }

    /// JSON6902 operations: what `add`/`replace` set, judged at the path they set it at
    /// (JSON pointer, RFC 6901: `~1` is `/`, `~0` is `~`; array indices and `-` name list
    /// elements).
    fn operations(&mut self, operations: &[Value], depth: u8) {
        for op in operations {
            let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
            if !matches!(kind, "add" | "replace") {
                continue;
            }
            let (Some(pointer), Some(value)) =
                (op.get("path").and_then(Value::as_str), op.get("value"))
            else {
                continue;
            };
            let keys: Vec<String> = pointer
                .split('/')
                .skip(1)
                .map(|k| k.replace("~1", "/").replace("~0", "~"))
                .collect();
            let is_index =
                |k: &str| k == "-" || (!k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
            // The value sits under the last key that names a field; indices after it name
            // an element of that field's list (`.../capabilities/add/-`), which is judged as
            // the field's value: one capability, or one container, reads as a list of one.
            let Some(last) = keys.iter().rposition(|k| !is_index(k)) else {
                continue;
            };
            let parent = keys[..last]
                .iter()
                .rev()
                .find(|k| !is_index(k))
                .map_or("", String::as_str);
            let mut object = Map::new();
            object.insert(keys[last].clone(), value.clone());
            self.walk_entries(&object, At::Root(pointer), parent, depth, true);
        }
    }

    fn walk(&mut self, value: &Value, at: At, parent: &str, depth: u8) {
        match value {
            Value::Object(map) => self.walk_entries(map, at, parent, depth, false),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, At::Index(&at, i), parent, depth);
                }
            }
            Value::String(text) if depth > 0 => self.manifests_in(text, at, depth - 1),
            Value::String(text) if !manifests(text).is_empty() => self.report(
                &at.to_string(),
                format!(
                    "manifests nested in text deeper than {MAX_NESTED_DOCUMENTS} levels, which are not judged"
                ),
            ),
            _ => {}
        }
    }

    /// `at_pointer`: the map is one JSON6902 value, already named by `at`.
    fn walk_entries(
        &mut self,
        map: &Map<String, Value>,
        at: At,
        parent: &str,
        depth: u8,
        at_pointer: bool,
    ) {
        for (key, child) in map {
            let child_at = if at_pointer { at } else { At::Key(&at, key) };
            if let Some(what) = judge(parent, key, child) {
                self.report(&child_at.to_string(), what);
            }
            self.walk(child, child_at, key, depth);
        }
    }

    /// A string value that holds Kubernetes manifests: charts pass such values through
    /// `tpl` (bitnami's `extraDeploy`, `extraManifests`, `extraObjects`), so they deploy as
    /// written. Judged like a patch, with the path inside the text.
    fn manifests_in(&mut self, text: &str, at: At, depth: u8) {
        let manifests = manifests(text);
        if manifests.is_empty() {
            return;
        }
        let path = &at.to_string();
        let mut inner = Scan::new("", Some(String::new()));
        for manifest in &manifests {
            inner.walk(manifest, At::Root(""), "", depth);
        }
        for risk in inner.found {
            let inner_path = risk.inner.unwrap_or(risk.path);
            let at = match self.inner {
                Some(_) => format!("{path} (manifest text) {inner_path}"),
                None => path.to_string(),
            };
            let what = match self.inner {
                Some(_) => risk.what,
                None => format!("{} (at {inner_path} in the manifest it holds)", risk.what),
            };
            self.report(&at, what);
        }
    }
}

/// The manifests a string holds, as a chart's `tpl` would deploy them: every YAML document
/// (or list item) with a `kind`, except ConfigMaps and Secrets, whose data is opaque text.
/// Text with no `:` holds no mapping, so no manifest; any other text is parsed, since a key
/// may be spelt with escapes (`"\x6bind": Pod` is `kind: Pod` to a YAML reader).
fn manifests(text: &str) -> Vec<Value> {
    if !text.contains(':') {
        return Vec::new();
    }
    let Ok(documents) = yaml_documents(text) else {
        return Vec::new(); // not YAML as written (a template expression, prose): nothing it deploys
    };
    documents
        .into_iter()
        .flat_map(|d| match d {
            Value::Array(items) => items,
            other => vec![other],
        })
        .filter(|d| {
            d.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| !matches!(k, "ConfigMap" | "Secret"))
        })
        .collect()
}

fn is_operation(v: &Value) -> bool {
    v.get("op").is_some_and(Value::is_string) && v.get("path").is_some_and(Value::is_string)
}

/// What `key: value` (under `parent`) asks for, if it is risky.
fn judge(parent: &str, key: &str, value: &Value) -> Option<String> {
    // Compared without copying the key: most keys of large values are none of these.
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    if let Some((_, what)) = TRUE_FLAGS.iter().find(|(k, _)| is(k)) {
        return truthy(value).then(|| what.to_string());
    }
    if is("runasnonroot") {
        falsy(value).then(|| "running as root allowed (runAsNonRoot: false)".into())
    } else if is("runasuser") {
        is_zero(value).then(|| "running as root (runAsUser: 0)".into())
    } else if is("hostpath") {
        (value.is_object() || value.is_string()).then(|| "a hostPath volume".into())
    } else if is("add") && parent.eq_ignore_ascii_case("capabilities") {
        added_privilege(value)
    } else {
        None
    }
}

/// A boolean as the YAML 1.1 parser Helm renders templates with reads it (go-yaml v2
/// `resolve.go`, through sigs.k8s.io/yaml): a string inserted unquoted into a template, or a
/// patch's scalar, becomes `true` for each of these spellings (and only these: `tRue` is a
/// string).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(
            s.trim(),
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
        ),
        _ => false,
    }
}

/// The YAML 1.1 `false` spellings (go-yaml v2 `resolve.go`).
fn falsy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !*b,
        Value::String(s) => matches!(
            s.trim(),
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF"
        ),
        _ => false,
    }
}

/// Zero as a number, or as a string a YAML reader turns into zero (`0`, `00`, `-0`, `0x0`,
/// `0o0`, `0b0`).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => {
            let s = s.trim();
            let s = s.strip_prefix(['-', '+']).unwrap_or(s);
            let digits = ["0x", "0o", "0b"]
                .iter()
                .find_map(|p| s.strip_prefix(p))
                .unwrap_or(s);
            !digits.is_empty() && digits.bytes().all(|b| b == b'0')
        }
        _ => false,
    }
}

/// `capabilities.add` entries outside the baseline set, named as the runtime reads them.
fn added_privilege(v: &Value) -> Option<String> {
    let names: Vec<&str> = match v {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => vec![s.as_str()],
        _ => return None,
    };
    let added: Vec<String> = names
        .into_iter()
        .map(capability)
        .filter(|c| !BASELINE_CAPABILITIES.contains(&c.as_str()))
        .collect();
    (!added.is_empty()).then(|| {
        format!(
            "added capabilities outside the Pod Security baseline set ({})",
            added.join(", ")
        )
    })
}

/// A capability as containerd and CRI-O apply it: the API takes any string, the runtime
/// upper-cases it and adds the `CAP_` prefix when missing (containerd
/// `pkg/cri/.../container_create_linux.go`), so `sys_module` and `CAP_SYS_MODULE` are both
/// SYS_MODULE; `ALL` adds every capability.
fn capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(bare) => bare.to_string(),
        None => upper,
    }
}

fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_written_as_joined() {
        let root = At::Root("spec.values");
        let key = At::Key(&root, "containers");
        let item = At::Index(&key, 2);
        let odd = At::Key(&item, "a.b");
        assert_eq!(odd.to_string(), r#"spec.values.containers[2]["a.b"]"#);
        assert_eq!(At::Key(&At::Root(""), "x").to_string(), "x");
        let risks = scan_value(&json!({"c": [{"Privileged": "On"}]}), "spec.values");
        assert_eq!(risks[0].path, "spec.values.c[0].Privileged");
    }

    fn paths(found: &[Risk]) -> Vec<String> {
        found
            .iter()
            .map(|f| match &f.inner {
                Some(inner) => format!("{} @ {inner}", f.path),
                None => f.path.clone(),
            })
            .collect()
    }

    #[test]
    fn booleans_and_zeros_in_every_spelling() {
        let values = json!({
            "side-car": {"runAsNonRoot": false, "runAsUser": "0"},
            "main_app": {"runAsNonRoot": true, "runAsUser": "1000", "x": {"runAsUser": "0x00"}},
        });
        assert_eq!(
            paths(&scan_value(&values, "v")),
            [
                "v.main_app.x.runAsUser",
                "v.side-car.runAsNonRoot",
                "v.side-car.runAsUser"
            ]
        );
    }

    #[test]
    fn a_json6902_operation_needs_op_and_path() {
        assert!(is_operation(&json!({"op": "add", "path": "/a"})));
        assert!(!is_operation(&json!({"op": "add"})));
        assert!(!is_operation(&json!({"path": "/a"})));
        assert!(!is_operation(&json!({"op": 1, "path": "/a"})));
        // A list that holds no operation is data, judged as written.
        let found = scan_text("- {path: /a, privileged: true}", "p");
        assert_eq!(paths(&found), ["p @ [0].privileged"]);
    }

    #[test]
    fn a_kind_key_spelt_with_escapes_is_still_a_manifest() {
        let text = r#"{"apiVersion": v1, "\x6bind": Pod, "spec": {"hostPID": true}}"#;
        let found = scan_value(&json!({"extraDeploy": text}), "spec.values");
        assert_eq!(paths(&found), ["spec.values.extraDeploy"]);
        assert!(found[0].what.contains("process namespace"), "{found:?}");
    }

    #[test]
    fn manifests_nested_past_the_limit_are_reported_not_skipped() {
        // A Pod in a string, in a Pod in a string, ... `levels` times around the risky Pod.
        let nested = |levels: u8| {
            let mut text = "{kind: Pod, spec: {hostPID: true}}".to_string();
            for _ in 0..levels {
                text = serde_json::to_string(
                    &json!({"kind": "Pod", "metadata": {"annotations": {"x": text}}}),
                )
                .unwrap();
            }
            scan_value(&json!({"extraDeploy": text}), "spec.values")
        };
        // One level more than is unpacked.
        let found = nested(MAX_NESTED_DOCUMENTS);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .what
                .contains("nested in text deeper than 3 levels"),
            "{found:?}"
        );
        // One level less is unpacked and judged.
        let found = nested(MAX_NESTED_DOCUMENTS - 1);
        assert!(found[0].what.contains("process namespace"), "{found:?}");
    }

    #[test]
    fn values_at_any_depth() {
        let values = json!({
            "controller": {"securityContext": {"privileged": true, "runAsUser": 0}},
            "sidecars": [{"securityContext": {"Privileged": "Yes", "capabilities": {"add": ["NET_RAW", "cap_sys_admin"]}}}],
            "hostNetwork": "false",
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            "podSecurityContext": {"runAsNonRoot": "N"},
            "a.b": {"hostPID": "y"}
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
        assert!(
            found[5].what.contains("(NET_RAW, SYS_ADMIN)"),
            "{:?}",
            found[5]
        );
    }

    #[test]
    fn yaml_1_1_booleans_exactly() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", " on ",
        ] {
            assert!(truthy(&json!(t)), "{t}");
        }
        for s in ["tRue", "yES", "1", "enabled", "n", "off", ""] {
            assert!(!truthy(&json!(s)), "{s}");
        }
        assert!(falsy(&json!("Off")) && !falsy(&json!("oFF")));
    }

    #[test]
    fn capabilities_against_the_baseline() {
        let add = |v: Value| judge("capabilities", "add", &v);
        assert_eq!(add(json!(["CHOWN", "net_bind_service", "CAP_KILL"])), None);
        for risky in [
            "SYS_MODULE",
            "sys_module",
            "CAP_SYS_MODULE",
            " Cap_Bpf ",
            "ALL",
            "DAC_READ_SEARCH",
            "SYS_PTRACE",
            "NET_RAW",
        ] {
            assert!(add(json!([risky])).is_some(), "{risky}");
        }
        assert!(add(json!("SYS_ADMIN")).is_some());
        // `add` outside `capabilities` is some chart's own key.
        assert_eq!(judge("users", "add", &json!(["ALL"])), None);
    }

    #[test]
    fn safe_values_pass() {
        let values = json!({"securityContext": {"privileged": false, "runAsNonRoot": true, "runAsUser": 1000,
                            "capabilities": {"add": ["NET_BIND_SERVICE"]}}, "hostNetwork": "no",
                            "description": "kind: a string that mentions kind: but is no manifest"});
        assert!(scan_value(&values, "spec.values").is_empty());
    }

    #[test]
    fn strategic_merge_patches_in_every_yaml_spelling() {
        for patch in [
            "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      hostNetwork: true\n",
            "spec: {template: {spec: {hostNetwork: true}}}",
            "spec:\n  template:\n    spec:\n      hostNetwork: !!bool true # the node's network\n",
            "spec:\n  template:\n    spec:\n      hostNetwork: yes\n",
            "spec:\n  template:\n    spec:\n      \"hostNetwork\": 'on'\n",
            "---\nkind: A\n---\nspec:\n  template:\n    spec:\n      hostNetwork: true\n",
        ] {
            let found = scan_text(patch, "p");
            assert_eq!(
                paths(&found),
                ["p @ spec.template.spec.hostNetwork"],
                "{patch}"
            );
        }
        assert!(scan_text("replicas: 2\nimage: x", "p").is_empty());
    }

    #[test]
    fn json6902_as_yaml_or_json_in_any_key_order() {
        for patch in [
            "- op: add\n  path: /spec/template/spec/containers/0/securityContext/privileged\n  value: true\n",
            "- value: true\n  path: /spec/template/spec/containers/0/securityContext/privileged\n  op: replace\n",
            "- {op: add, path: /spec/template/spec/containers/0/securityContext, value: {privileged: true}}",
            r#"[{"path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true, "op": "add"}]"#,
            "  [ {\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/securityContext/privileged\",\"value\":\"true\"} ]  ",
        ] {
            let found = scan_text(patch, "p");
            assert_eq!(found.len(), 1, "{patch}: {found:?}");
            assert_eq!(found[0].what, "a privileged container");
        }
        let append = "- op: add\n  path: /spec/template/spec/containers/0/securityContext/capabilities/add/-\n  value: SYS_MODULE\n";
        let found = scan_text(append, "p");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("SYS_MODULE"));
        let list = "- op: add\n  path: /spec/template/spec/containers/0/securityContext/capabilities/add\n  value: [BPF]\n";
        assert_eq!(scan_text(list, "p").len(), 1);
        let escaped = "- op: add\n  path: /metadata/annotations/a~1privileged\n  value: true\n";
        assert!(
            scan_text(escaped, "p").is_empty(),
            "an annotation named a/privileged"
        );
        let removal =
            "- op: remove\n  path: /spec/template/spec/containers/0/securityContext/privileged\n";
        assert!(scan_text(removal, "p").is_empty());
    }

    #[test]
    fn unreadable_patches_are_reported() {
        let found = scan_text("spec: [unclosed", "p");
        assert_eq!(found.len(), 1);
        assert!(found[0].what.starts_with("a patch that cannot be read"));
        assert_eq!(scan_text("[not json", "p").len(), 1);
    }

    #[test]
    fn manifests_in_string_values() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: x\n    image: x\n    securityContext:\n      privileged: true\n";
        let values = json!({"extraDeploy": [pod], "extraObjects": format!("- {}", "{apiVersion: v1, kind: Pod, spec: {hostPID: yes}}")});
        let found = scan_value(&values, "spec.values");
        assert_eq!(
            paths(&found),
            ["spec.values.extraDeploy[0]", "spec.values.extraObjects"]
        );
        assert!(
            found[0]
                .what
                .contains("spec.containers[0].securityContext.privileged"),
            "{:?}",
            found[0]
        );
        let benign = json!({"extraDeploy": ["apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n"], "tpl": "{{ .Values.x | toYaml }}"});
        assert!(scan_value(&benign, "spec.values").is_empty());
    }

    #[test]
    fn deep_and_odd_input_never_panics() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(scan_text(&deep, "p").len(), 1);
        let yaml_deep = format!("{}x: 1", "a:\n ".repeat(300));
        let _ = scan_text(&yaml_deep, "p");
        let _ = scan_text("&a [*a, *a]", "p");
        let _ = scan_text("- op: add\n  path: ''\n  value: true\n", "p");
        let _ = scan_text("- op: add\n  path: /0/-\n  value: true\n", "p");
    }
}

//! Host capabilities (the `kubewarden` binding of `__host_call`), answered from fixture
//! cluster state instead of a live API server. Routing, payloads and gates follow
//! policy-evaluator's `callback.rs` (`../shared/kubewarden-contract.md` §3).
//!
//! Pure look-ups with no engine: the native runtime (`fluxgate_runtime::capabilities`
//! re-exports this module) and the browser playground answer `__host_call` with the same
//! [`dispatch`], so a context-aware policy sees the same cluster in both.

use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// What the fixture cluster contains.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ClusterState {
    /// Objects served by `get_resource` and `list_resources_*`.
    pub resources: Vec<Value>,
    /// Answers to `can_i` (SubjectAccessReview); anything unmatched is not allowed.
    pub can_i: Vec<CanIAnswer>,
}

/// One SubjectAccessReview answer: fields left out match anything.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct CanIAnswer {
    pub user: String,
    pub verb: String,
    pub resource: String,
    pub group: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub allowed: bool,
    pub reason: Option<String>,
}

impl ClusterState {
    /// Reads cluster state from YAML or JSON text: either `{resources, canI}` or a bare
    /// list of objects.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_yaml::from_str(text)?;
        if value.is_array() {
            return Ok(ClusterState {
                resources: serde_json::from_value(value)?,
                can_i: Vec::new(),
            });
        }
        Ok(serde_json::from_value(value)?)
    }
}

/// Where policy log lines go.
#[derive(Debug, Default)]
pub enum LogSink {
    /// The host's stderr, like policy-server's log.
    #[default]
    Stderr,
    /// Kept for inspection (tests, the testkit's failure reports).
    Capture(Mutex<Vec<String>>),
    Discard,
}

/// Everything a host call may need about the evaluation in progress.
#[derive(Debug, Default)]
pub struct EvaluationContext {
    pub policy_id: String,
    pub cluster: ClusterState,
    /// `(apiVersion, kind)` pairs the policy may get/list (its `contextAwareResources`,
    /// as granted by the ClusterAdmissionPolicy or `--allow-context-aware`).
    pub allowed_resources: BTreeSet<(String, String)>,
    pub log: LogSink,
    /// `(apiVersion, kind)` of every get/list the policy asked for, granted or not: the
    /// testkit compares them with the policy's declared contextAwareResources.
    pub lookups: std::sync::Mutex<BTreeSet<(String, String)>>,
}

impl EvaluationContext {
    pub fn log(&self, level: &str, line: &str) {
        let line = format!("[{}] {} {line}", self.policy_id, level.to_uppercase());
        match &self.log {
            LogSink::Stderr => eprintln!("{line}"),
            LogSink::Capture(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
            LogSink::Discard => {}
        }
    }

    pub fn captured_logs(&self) -> Vec<String> {
        match &self.log {
            LogSink::Capture(lines) => lines.lock().map(|l| l.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn check_access(&self, api_version: &str, kind: &str) -> Result<(), String> {
        // Compared in place (a set of owned pairs cannot be probed with borrowed ones):
        // both sets hold a handful of types, and a look-up sits on a policy's deny path.
        let is = |(a, k): &(String, String)| a == api_version && k == kind;
        if let Ok(mut seen) = self.lookups.lock()
            && !seen.iter().any(is)
        {
            seen.insert((api_version.to_string(), kind.to_string()));
        }
        if self.allowed_resources.iter().any(is) {
            Ok(())
        } else {
            Err(format!(
                "Policy has not been granted access to Kubernetes {api_version}/{kind} resources. \
                 The violation has been reported."
            ))
        }
    }
}

/// Routes one `__host_call`. `Ok` bytes become the host response, `Err` the host error.
pub fn dispatch(
    ctx: &EvaluationContext,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    if binding != "kubewarden" {
        return Err(format!("unknown binding: {binding}"));
    }
    match (namespace, operation) {
        ("tracing", "log") => log(ctx, payload),
        ("kubernetes", "get_resource") => get_resource(ctx, payload),
        ("kubernetes", "list_resources_by_namespace") => list_resources(ctx, payload, true),
        ("kubernetes", "list_resources_all") => list_resources(ctx, payload, false),
        ("kubernetes", "can_i") => can_i(ctx, payload),
        ("kubernetes", other) => Err(format!("unknown operation: {other}")),
        ("oci" | "net" | "crypto", _) => Err(format!(
            "host capability {namespace}/{operation} is not available in fluxgate's offline host"
        )),
        (other, _) => Err(format!("unknown namespace: {other}")),
    }
}

fn parse<'a, T: Deserialize<'a>>(payload: &'a [u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(payload).map_err(|e| format!("cannot decode {what} request: {e}"))
}

fn log(ctx: &EvaluationContext, payload: &[u8]) -> Result<Vec<u8>, String> {
    let mut event: serde_json::Map<String, Value> = parse(payload, "tracing/log")?;
    let level = event
        .remove("level")
        .and_then(|l| l.as_str().map(str::to_lowercase))
        .unwrap_or_else(|| "info".into());
    let message = event
        .remove("message")
        .and_then(|m| m.as_str().map(str::to_string))
        .unwrap_or_default();
    for key in ["line", "column", "file"] {
        event.remove(key);
    }
    let extra = if event.is_empty() {
        String::new()
    } else {
        format!(" {}", Value::Object(event))
    };
    ctx.log(&level, &format!("{message}{extra}"));
    Ok(Vec::new())
}

#[derive(Deserialize)]
struct GetResource<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    namespace: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ListResources {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    label_selector: Option<String>,
    field_selector: Option<String>,
}

fn get_resource(ctx: &EvaluationContext, payload: &[u8]) -> Result<Vec<u8>, String> {
    let req: GetResource = parse(payload, "kubernetes/get_resource")?;
    ctx.check_access(&req.api_version, &req.kind)?;
    let namespace = req.namespace.as_deref().unwrap_or("");
    ctx.cluster
        .resources
        .iter()
        .find(|o| {
            type_matches(o, &req.api_version, &req.kind)
                && str_at(o, "/metadata/name") == req.name
                && str_at(o, "/metadata/namespace") == namespace
        })
        .map(|o| serde_json::to_vec(o).unwrap_or_default())
        .ok_or_else(|| {
            let (api_version, kind, name) = (&req.api_version, &req.kind, &req.name);
            match namespace {
                "" => format!("{api_version}/{kind} {name} not found"),
                ns => format!("{api_version}/{kind} {ns}/{name} not found"),
            }
        })
}

fn list_resources(
    ctx: &EvaluationContext,
    payload: &[u8],
    namespaced: bool,
) -> Result<Vec<u8>, String> {
    let op = if namespaced {
        "kubernetes/list_resources_by_namespace"
    } else {
        "kubernetes/list_resources_all"
    };
    let req: ListResources = parse(payload, op)?;
    ctx.check_access(&req.api_version, &req.kind)?;
    if namespaced && req.namespace.is_none() {
        return Err(format!(
            "cannot decode {op} request: missing field `namespace`"
        ));
    }
    let labels = LabelSelector::parse(req.label_selector.as_deref().unwrap_or(""))?;
    let fields = FieldSelector::parse(req.field_selector.as_deref().unwrap_or(""))?;
    let items: Vec<&Value> = ctx
        .cluster
        .resources
        .iter()
        .filter(|o| type_matches(o, &req.api_version, &req.kind))
        .filter(|o| {
            req.namespace
                .as_deref()
                .is_none_or(|ns| str_at(o, "/metadata/namespace") == ns)
        })
        .filter(|o| labels.matches(o) && fields.matches(o))
        .collect();
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": items,
    });
    serde_json::to_vec(&list).map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct CanIRequest {
    subject_access_review: SubjectAccessReview,
}

#[derive(Deserialize)]
struct SubjectAccessReview {
    user: String,
    resource_attributes: ResourceAttributes,
}

#[derive(Deserialize)]
struct ResourceAttributes {
    verb: String,
    resource: String,
    group: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn can_i(ctx: &EvaluationContext, payload: &[u8]) -> Result<Vec<u8>, String> {
    let req: CanIRequest = parse(payload, "kubernetes/can_i")?;
    let sar = &req.subject_access_review;
    let attrs = &sar.resource_attributes;
    let same = |rule: &Option<String>, asked: &Option<String>| {
        rule.as_ref().is_none_or(|r| Some(r) == asked.as_ref())
    };
    let answer = ctx.cluster.can_i.iter().find(|a| {
        a.user == sar.user
            && a.verb == attrs.verb
            && a.resource == attrs.resource
            && same(&a.group, &attrs.group)
            && same(&a.namespace, &attrs.namespace)
            && same(&a.name, &attrs.name)
            && same(&a.subresource, &attrs.subresource)
    });
    let status = match answer {
        Some(a) => json!({"allowed": a.allowed, "reason": a.reason}),
        None => {
            json!({"allowed": false, "reason": "no matching canI entry in the fixture cluster state"})
        }
    };
    serde_json::to_vec(&status).map_err(|e| e.to_string())
}

fn str_at<'a>(o: &'a Value, pointer: &str) -> &'a str {
    o.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn type_matches(o: &Value, api_version: &str, kind: &str) -> bool {
    str_at(o, "/apiVersion") == api_version && str_at(o, "/kind") == kind
}

/// Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.
struct LabelSelector(Vec<LabelTerm>);

enum LabelTerm {
    Exists(String, bool),
    In(String, Vec<String>, bool),
}

impl LabelSelector {
    fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for raw in split_top_level(text) {
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            let bad = || format!("unsupported label selector term {t:?}");
            let term = if let Some(key) = t.strip_prefix('!') {
                LabelTerm::Exists(key.trim().to_string(), false)
            } else if let Some((k, v)) = t.split_once("!=") {
                LabelTerm::In(k.trim().into(), vec![v.trim().into()], false)
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                LabelTerm::In(k.trim().into(), vec![v.trim().into()], true)
            } else if let Some((k, rest)) = t.split_once(" notin ").or_else(|| t.split_once(" in "))
            {
                let positive = !t.contains(" notin ");
                let values = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(bad)?;
                LabelTerm::In(
                    k.trim().into(),
                    values.split(',').map(|v| v.trim().to_string()).collect(),
                    positive,
                )
            } else if t.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
                LabelTerm::Exists(t.to_string(), true)
            } else {
                return Err(bad());
            };
            terms.push(term);
        }
        Ok(LabelSelector(terms))
    }

    fn matches(&self, o: &Value) -> bool {
        let labels = o.pointer("/metadata/labels").and_then(Value::as_object);
        let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|term| match term {
            LabelTerm::Exists(k, want) => label(k).is_some() == *want,
            LabelTerm::In(k, values, true) => {
                label(k).is_some_and(|v| values.iter().any(|x| x == v))
            }
            LabelTerm::In(k, values, false) => {
                label(k).is_none_or(|v| !values.iter().any(|x| x == v))
            }
        })
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Field selectors on `metadata.name` and `metadata.namespace` (`=`, `==`, `!=`).
struct FieldSelector(Vec<(String, String, bool)>);

impl FieldSelector {
    fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for t in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, value, equal) = if let Some((f, v)) = t.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                (f, v, true)
            } else {
                return Err(format!("unsupported field selector term {t:?}"));
            };
            let pointer = match field.trim() {
                "metadata.name" => "/metadata/name",
                "metadata.namespace" => "/metadata/namespace",
                other => {
                    return Err(format!(
                        "field selector on {other:?} is not supported by the fixture cluster \
                         (only metadata.name and metadata.namespace)"
                    ));
                }
            };
            terms.push((pointer.to_string(), value.trim().to_string(), equal));
        }
        Ok(FieldSelector(terms))
    }

    fn matches(&self, o: &Value) -> bool {
        self.0.iter().all(|(p, v, eq)| (str_at(o, p) == v) == *eq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EvaluationContext {
        let cluster = ClusterState::parse(
            r#"
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: apps, labels: {tenant: a}}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: flux-system}}
  - {apiVersion: source.toolkit.fluxcd.io/v1, kind: HelmRepository,
     metadata: {name: charts, namespace: apps}, spec: {type: oci}}
canI:
  - {user: "system:serviceaccount:apps:sa", verb: create, resource: clusterrolebindings,
     group: rbac.authorization.k8s.io, allowed: true}
"#,
        )
        .unwrap();
        EvaluationContext {
            policy_id: "t".into(),
            cluster,
            allowed_resources: [("v1".to_string(), "Namespace".to_string())].into(),
            log: LogSink::Capture(Mutex::default()),
            ..Default::default()
        }
    }

    fn call(ctx: &EvaluationContext, op: &str, payload: Value) -> Result<Value, String> {
        dispatch(
            ctx,
            "kubewarden",
            "kubernetes",
            op,
            payload.to_string().as_bytes(),
        )
        .map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn get_and_gate() {
        let c = ctx();
        let ns = call(&c, "get_resource", json!({"api_version": "v1", "kind": "Namespace", "name": "apps", "disable_cache": false})).unwrap();
        assert_eq!(ns["metadata"]["labels"]["tenant"], "a");
        let e = call(&c, "get_resource", json!({"api_version": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository", "name": "charts", "namespace": "apps", "disable_cache": false})).unwrap_err();
        assert!(e.starts_with("Policy has not been granted access to Kubernetes source.toolkit.fluxcd.io/v1/HelmRepository"), "{e}");
        let e = call(&c, "get_resource", json!({"api_version": "v1", "kind": "Namespace", "name": "nope", "disable_cache": false})).unwrap_err();
        assert_eq!(e, "v1/Namespace nope not found");
    }

    #[test]
    fn list_with_selectors() {
        let c = ctx();
        let all = call(
            &c,
            "list_resources_all",
            json!({"api_version": "v1", "kind": "Namespace"}),
        )
        .unwrap();
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let sel = call(
            &c,
            "list_resources_all",
            json!({"api_version": "v1", "kind": "Namespace", "label_selector": "tenant in (a,b)"}),
        )
        .unwrap();
        assert_eq!(sel["items"][0]["metadata"]["name"], "apps");
        let none = call(&c, "list_resources_all", json!({"api_version": "v1", "kind": "Namespace", "label_selector": "!tenant", "field_selector": "metadata.name!=flux-system"})).unwrap();
        assert!(none["items"].as_array().unwrap().is_empty());
    }

    #[test]
    fn can_i_and_routing() {
        let c = ctx();
        let sar = |user: &str| json!({"subject_access_review": {"user": user, "resource_attributes": {"verb": "create", "resource": "clusterrolebindings", "group": "rbac.authorization.k8s.io"}}, "disable_cache": false});
        assert_eq!(
            call(&c, "can_i", sar("system:serviceaccount:apps:sa")).unwrap()["allowed"],
            true
        );
        assert_eq!(call(&c, "can_i", sar("bob")).unwrap()["allowed"], false);
        assert_eq!(
            dispatch(&c, "other", "x", "y", b"{}").unwrap_err(),
            "unknown binding: other"
        );
        assert_eq!(
            dispatch(&c, "kubewarden", "x", "y", b"{}").unwrap_err(),
            "unknown namespace: x"
        );
        assert!(dispatch(&c, "kubewarden", "oci", "v1/verify", b"{}").is_err());
        dispatch(
            &c,
            "kubewarden",
            "tracing",
            "log",
            br#"{"level":"WARNING","message":"hi","line":3,"k":1}"#,
        )
        .unwrap();
        assert_eq!(c.captured_logs(), [r#"[t] WARNING hi {"k":1}"#]);
    }
}

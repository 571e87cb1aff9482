//! fluxgate's browser playground: the released policy modules (`target/annotated/*.wasm`,
//! compiled by the page with `WebAssembly.compileStreaming`), hosted by the browser's
//! WebAssembly API through [`browser`], judged by the same request building, response mapping
//! and findings decoding as the native host ([`fluxgate_protocol`]).
//!
//! The JavaScript side (`playground/web/`) runs this crate in a Web Worker and exchanges JSON
//! text with it: [`Playground::evaluate`] for a paste, [`Playground::validate`],
//! [`Playground::explain`] and [`Playground::validate_settings`] for one request on one
//! policy (the conformance test replays every fixture through them).

pub mod browser;
pub mod paste;

use fluxgate_protocol::admission::AdmissionRequest;
use fluxgate_protocol::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_protocol::metadata::{CUSTOM_SECTION, Metadata};
use fluxgate_protocol::wapc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Who applies objects in a Flux cluster unless the page says otherwise (the fixtures' default).
pub const DEFAULT_USER: &str = "system:serviceaccount:flux-system:kustomize-controller";

/// Kubernetes' user-facing bootstrap ClusterRoles, which `fluxgate scan` adds to the cluster a
/// context-aware policy looks at (`host/scan/data/SOURCES.md`); the playground does the same.
const BUILTIN_CLUSTER_ROLES: &str = include_str!("../../host/scan/data/builtin-cluster-roles.json");

/// A policy module compiled by the page, with the metadata `annotate` embedded in it.
struct Loaded {
    name: String,
    module: js_sys::WebAssembly::Module,
    metadata: Metadata,
}

impl Loaded {
    /// What the policy may get/list: its `contextAwareResources`, granted (the
    /// ClusterAdmissionPolicy in deploy/ grants them all).
    fn context(&self, cluster: ClusterState) -> Arc<EvaluationContext> {
        Arc::new(EvaluationContext {
            policy_id: self.name.clone(),
            cluster,
            allowed_resources: self.metadata.granted_resources(),
            log: LogSink::Capture(Default::default()),
            ..Default::default()
        })
    }
}

/// The host of the page: every policy module, one instance per call.
#[wasm_bindgen]
pub struct Playground {
    host: browser::Host,
    policies: Vec<Loaded>,
    /// `validate_settings` answers by policy and settings text: settings change far less often
    /// than the paste.
    settings_checked: RefCell<HashMap<(String, String), SettingsAnswer>>,
}

#[derive(Serialize, Clone)]
struct SettingsAnswer {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// What the page asks to judge the paste with.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Options {
    username: Option<String>,
    operation: Option<String>,
    /// Settings by policy name (absent: no settings, as a policy deployed without them).
    settings: BTreeMap<String, Value>,
    /// Settings as the page's editors hold them: YAML (or JSON) text by policy name, read
    /// with fluxgate-yaml; they take the place of `settings` for that policy.
    settings_text: BTreeMap<String, String>,
    /// Only these policies (absent or empty: all).
    policies: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Finding {
    rule: String,
    severity: fluxgate_protocol::Severity,
    field: String,
    problem: String,
    fix: String,
    /// The paste's line the field is on, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Judged {
    document: usize,
    policy: String,
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
    allowed: bool,
    message: Option<String>,
    code: Option<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logs: Vec<String>,
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn parse_json<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<T, JsError> {
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| js_error(format!("{what}: {e}")))
}

#[wasm_bindgen]
impl Playground {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Playground {
        Playground {
            host: browser::Host::new(),
            policies: Vec::new(),
            settings_checked: RefCell::default(),
        }
    }

    /// Adds a compiled policy module; its metadata is read from the module's
    /// `io.kubewarden.metadata` section (`just annotate`). Answers the policy's summary.
    pub fn add_policy(
        &mut self,
        name: &str,
        module: js_sys::WebAssembly::Module,
    ) -> Result<String, JsError> {
        let sections = js_sys::WebAssembly::Module::custom_sections(&module, CUSTOM_SECTION);
        let metadata = match sections.iter().next() {
            Some(section) => {
                let bytes = js_sys::Uint8Array::new(&section).to_vec();
                serde_json::from_slice::<Metadata>(&bytes)
                    .map_err(|e| js_error(format!("{name}: unreadable metadata: {e}")))?
            }
            // A module that is not annotated (a test guest): judged for every request.
            None => Metadata {
                rules: vec![json!({"apiGroups": ["*"], "apiVersions": ["*"],
                    "resources": ["*"], "operations": ["*"]})],
                ..Default::default()
            },
        };
        self.host.link(&module);
        self.policies.retain(|p| p.name != name);
        self.policies.push(Loaded {
            name: name.to_string(),
            module,
            metadata,
        });
        self.settings_checked.borrow_mut().clear();
        let loaded = self.policies.last().expect("just pushed");
        Ok(summary(loaded).to_string())
    }

    /// Every policy's summary: name, title, the kinds its rules select, context-aware look-ups.
    pub fn policies(&self) -> String {
        Value::Array(self.policies.iter().map(summary).collect()).to_string()
    }

    /// `validate_settings` of `policy` on the settings (JSON; empty or null: none):
    /// `{valid, message}` as the native host answers.
    pub fn validate_settings(&self, policy: &str, settings: &str) -> Result<String, JsError> {
        let settings: Value = parse_json(settings, "settings")?;
        let answer = self.check_settings(self.policy(policy)?, &settings);
        serde_json::to_string(&answer).map_err(js_error)
    }

    /// `validate` of `policy` on an AdmissionRequest (JSON), with settings and cluster state
    /// (`{resources, canI}`) as JSON: the AdmissionResponse, exactly what `fluxgate run`
    /// prints for the same case.
    pub fn validate(
        &self,
        policy: &str,
        request: &str,
        settings: &str,
        cluster: &str,
    ) -> Result<String, JsError> {
        let (loaded, request, settings, ctx) = self.case(policy, request, settings, cluster)?;
        let response = wapc::validate(
            self.host.instantiate(&loaded.module, ctx),
            &request,
            &settings,
        );
        serde_json::to_string(&response).map_err(js_error)
    }

    /// `fluxgate_explain` of `policy` on one request: `{response, findings}` as
    /// `fluxgate explain` gives them.
    pub fn explain(
        &self,
        policy: &str,
        request: &str,
        settings: &str,
        cluster: &str,
    ) -> Result<String, JsError> {
        let (loaded, request, settings, ctx) = self.case(policy, request, settings, cluster)?;
        let explained = wapc::explain(
            || self.host.instantiate(&loaded.module, ctx.clone()),
            &request,
            &settings,
        );
        serde_json::to_string(&explained).map_err(js_error)
    }

    /// Judges a paste of YAML documents with every policy (or `options.policies`) whose
    /// metadata selects each document's kind and operation, one fresh instance per
    /// document and policy. Options (JSON): `{username, operation, settings: {policy:
    /// {...}}, settingsText: {policy: "yaml"}, policies: [...]}`. Answers `{error}` for a paste it refuses, else
    /// `{documents, settings, results}`.
    pub fn evaluate(&self, yaml: &str, options: &str) -> Result<String, JsError> {
        let options: Options = parse_json(options, "options")?;
        if let Some(error) = paste::refuse(yaml) {
            return Ok(json!({"error": error}).to_string());
        }
        let documents = paste::documents(yaml);
        if documents.is_empty() {
            return Ok(json!({"documents": [], "settings": {}, "results": []}).to_string());
        }
        let username = options
            .username
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or(DEFAULT_USER);
        let operation = options
            .operation
            .as_deref()
            .unwrap_or("CREATE")
            .to_uppercase();
        if !["CREATE", "UPDATE", "DELETE"].contains(&operation.as_str()) {
            return Ok(json!({"error": format!(
                "operation {operation:?}: the playground sends CREATE, UPDATE or DELETE"
            )})
            .to_string());
        }
        let chosen: Vec<&Loaded> = match &options.policies {
            Some(only) if !only.is_empty() => {
                if let Some(unknown) = only.iter().find(|n| self.policy(n).is_err()) {
                    return Err(js_error(format!("no policy named {unknown:?}")));
                }
                self.policies
                    .iter()
                    .filter(|p| only.contains(&p.name))
                    .collect()
            }
            _ => self.policies.iter().collect(),
        };

        // The cluster a context-aware policy sees: the paste itself, plus the ClusterRoles
        // every cluster has (as `fluxgate scan` builds it from a checkout).
        let mut resources: Vec<Value> = documents
            .iter()
            .filter(|d| d.error.is_none())
            .map(|d| d.value.clone())
            .collect();
        let builtin: Vec<Value> = serde_json::from_str(BUILTIN_CLUSTER_ROLES).unwrap_or_default();
        for role in builtin {
            let taken = resources.iter().any(|o| {
                o["kind"] == "ClusterRole" && o["metadata"]["name"] == role["metadata"]["name"]
            });
            if !taken {
                resources.push(role);
            }
        }
        let cluster = ClusterState {
            resources,
            can_i: Vec::new(),
        };

        let mut settings_answers = serde_json::Map::new();
        let mut results = Vec::new();
        for policy in chosen {
            let text = options
                .settings_text
                .get(&policy.name)
                .filter(|t| !t.trim().is_empty());
            let settings = match text.map(|t| fluxgate_yaml::parse(t)) {
                Some(Ok(value)) => value,
                Some(Err(e)) => {
                    let answer = SettingsAnswer {
                        valid: false,
                        message: Some(format!("the settings are not YAML: {e}")),
                    };
                    settings_answers.insert(
                        policy.name.clone(),
                        serde_json::to_value(answer).unwrap_or_default(),
                    );
                    continue;
                }
                None => options
                    .settings
                    .get(&policy.name)
                    .cloned()
                    .unwrap_or(Value::Null),
            };
            let answer = self.check_settings(policy, &settings);
            let valid = answer.valid;
            settings_answers.insert(
                policy.name.clone(),
                serde_json::to_value(answer).unwrap_or_default(),
            );
            if !valid {
                continue; // Kubewarden does not serve a policy whose settings it refused
            }
            let ctx = policy.context(cluster.clone());
            for document in documents.iter().filter(|d| d.error.is_none()) {
                let request = request_for(document, username, &operation);
                if !policy.metadata.selects(&request) {
                    continue;
                }
                let explained = wapc::explain(
                    || self.host.instantiate(&policy.module, ctx.clone()),
                    &request,
                    &settings,
                );
                let mut logs = ctx.captured_logs();
                if let LogSink::Capture(lines) = &ctx.log
                    && let Ok(mut lines) = lines.lock()
                {
                    lines.clear();
                }
                let stdio = self.host.take_stdio();
                if !stdio.is_empty() {
                    logs.push(stdio);
                }
                let response = explained.response;
                results.push(Judged {
                    document: document.index,
                    policy: policy.name.clone(),
                    api_version: document.api_version.clone(),
                    kind: document.kind.clone(),
                    namespace: document.namespace.clone(),
                    name: document.name.clone(),
                    allowed: response.allowed,
                    message: response.message().map(str::to_string),
                    code: response.status.as_ref().and_then(|s| s.code),
                    warnings: response.warnings.clone().unwrap_or_default(),
                    findings: explained
                        .findings
                        .into_iter()
                        .map(|f| Finding {
                            line: paste::locate(document, &f.field),
                            rule: f.rule,
                            severity: f.severity,
                            field: f.field,
                            problem: f.problem,
                            fix: f.fix,
                        })
                        .collect(),
                    logs,
                });
            }
        }
        Ok(json!({
            "documents": documents,
            "settings": settings_answers,
            "results": results,
        })
        .to_string())
    }
}

impl Default for Playground {
    fn default() -> Self {
        Playground::new()
    }
}

impl Playground {
    fn policy(&self, name: &str) -> Result<&Loaded, JsError> {
        self.policies
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| js_error(format!("no policy named {name:?}")))
    }

    fn check_settings(&self, policy: &Loaded, settings: &Value) -> SettingsAnswer {
        let key = (policy.name.clone(), settings.to_string());
        if let Some(answer) = self.settings_checked.borrow().get(&key) {
            return answer.clone();
        }
        let ctx = policy.context(ClusterState::default());
        let answer = wapc::validate_settings(self.host.instantiate(&policy.module, ctx), settings);
        let answer = SettingsAnswer {
            valid: answer.valid,
            message: answer.message,
        };
        self.settings_checked
            .borrow_mut()
            .insert(key, answer.clone());
        answer
    }

    #[allow(clippy::type_complexity)]
    fn case(
        &self,
        policy: &str,
        request: &str,
        settings: &str,
        cluster: &str,
    ) -> Result<(&Loaded, AdmissionRequest, Value, Arc<EvaluationContext>), JsError> {
        let loaded = self.policy(policy)?;
        let request: AdmissionRequest = parse_json(request, "request")?;
        let settings: Value = parse_json(settings, "settings")?;
        let cluster: Option<ClusterState> = parse_json(cluster, "cluster state")?;
        let ctx = loaded.context(cluster.unwrap_or_default());
        Ok((loaded, request, settings, ctx))
    }
}

/// The request the API server sends for `operation` on a pasted object by `username`: built
/// by the native host's [`AdmissionRequest::create`]. An UPDATE carries the object as its own
/// old object (an apply that changes nothing else); a DELETE carries only the old object.
pub fn request_for(
    document: &paste::Document,
    username: &str,
    operation: &str,
) -> AdmissionRequest {
    let uid = format!("playground-{}", document.index + 1);
    let mut request = AdmissionRequest::create(&uid, &document.value, username);
    request.operation = operation.to_string();
    match operation {
        "UPDATE" => request.old_object = request.object.clone(),
        "DELETE" => request.old_object = request.object.take(),
        _ => {}
    }
    request
}

/// A policy as the page lists it.
fn summary(p: &Loaded) -> Value {
    let mut kinds = BTreeSet::new();
    for rule in &p.metadata.rules {
        for resource in rule["resources"].as_array().into_iter().flatten() {
            if let Some(r) = resource.as_str() {
                kinds.insert(r.to_string());
            }
        }
    }
    let annotation = |k: &str| p.metadata.annotations.get(k).cloned().unwrap_or_default();
    json!({
        "name": p.name,
        "title": annotation("io.kubewarden.policy.title"),
        "description": annotation("io.kubewarden.policy.description"),
        "resources": kinds,
        "contextAware": p.metadata.context_aware_resources,
    })
}

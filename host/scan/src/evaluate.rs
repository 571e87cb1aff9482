//! Runs each object through the policy modules whose metadata selects it, through the same
//! `fluxgate_explain` operation the testkit checks against `validate`, in parallel.

use crate::flux::Applied;
use crate::report::{Finding, Level};
use fluxgate_protocol::admission::AdmissionRequest;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_rules::Severity;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::Runtime;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A policy module with the metadata and settings it is deployed with.
pub struct Module {
    pub name: String,
    pub policy: Policy,
    pub metadata: Metadata,
    pub settings: Value,
    /// An `AdmissionPolicy`'s namespace: it sees only objects there.
    pub namespace: Option<String>,
}

/// Every `*.wasm` in `dir` (or the named ones), with the metadata embedded by `annotate` or,
/// for a plain build, `metadata_dir/<name>/metadata.yml`.
pub fn load_modules(
    runtime: &Runtime,
    dir: &Path,
    metadata_dir: Option<&Path>,
    only: &[String],
    cache_dir: Option<&Path>,
) -> anyhow::Result<Vec<Module>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read the policy modules in {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    paths.sort();
    let mut modules = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', "-"))
            .unwrap_or_default();
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let policy = match cache_dir {
            Some(cache) => Policy::load_cached(runtime, &path, cache)?,
            None => Policy::load(runtime, &path)?,
        };
        let metadata = match (&policy.metadata, metadata_dir) {
            (Some(m), _) => m.clone(),
            (None, Some(d)) => {
                let file = d.join(&name).join("metadata.yml");
                Metadata::from_yaml(&std::fs::read_to_string(&file).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: no embedded metadata and {}: {e}",
                        path.display(),
                        file.display()
                    )
                })?)?
            }
            (None, None) => anyhow::bail!(
                "{}: the module carries no metadata (annotate it, or give --metadata-dir)",
                path.display()
            ),
        };
        modules.push(Module {
            name,
            policy,
            metadata,
            settings: Value::Null,
            namespace: None,
        });
    }
    if let Some(missing) = only.iter().find(|n| !modules.iter().any(|m| &m.name == *n)) {
        anyhow::bail!("no module {missing}.wasm in {}", dir.display());
    }
    Ok(modules)
}

/// Kubernetes' user-facing bootstrap ClusterRoles (data/SOURCES.md).
const BUILTIN_CLUSTER_ROLES: &str = include_str!("../data/builtin-cluster-roles.json");

/// What the cluster would answer a context-aware policy's look-ups with, as far as the
/// checkout tells: its own objects, plus the ClusterRoles every Kubernetes cluster has
/// (`cluster-admin`, `admin`, `edit`, `view` and what aggregates into them). Anything else a
/// policy looks up is not found, and the policy says so.
pub fn cluster_state(applied: &[Applied]) -> ClusterState {
    let mut resources: Vec<Value> = applied.iter().map(|a| a.object.clone()).collect();
    let builtin: Vec<Value> = serde_json::from_str(BUILTIN_CLUSTER_ROLES).unwrap_or_default();
    for role in builtin {
        let taken = resources.iter().any(|o| {
            o["kind"] == "ClusterRole" && o["metadata"]["name"] == role["metadata"]["name"]
        });
        if !taken {
            resources.push(role);
        }
    }
    ClusterState {
        resources,
        can_i: Vec::new(),
    }
}

/// Every finding of every module on every object, `threads` evaluations at a time.
pub fn evaluate(
    runtime: &Runtime,
    modules: &[Module],
    applied: &[Applied],
    threads: usize,
    progress: bool,
) -> Vec<Finding> {
    let cluster = cluster_state(applied);
    // One context per module, shared by its evaluations (each still gets a fresh instance).
    let contexts: Vec<Arc<EvaluationContext>> = modules
        .iter()
        .map(|m| {
            Arc::new(EvaluationContext {
                policy_id: m.name.clone(),
                cluster: cluster.clone(),
                allowed_resources: m.metadata.granted_resources(),
                log: LogSink::Discard,
                ..Default::default()
            })
        })
        .collect();
    let contexts = &contexts;
    let jobs: Vec<(usize, usize)> = (0..applied.len())
        .flat_map(|o| (0..modules.len()).map(move |m| (o, m)))
        .collect();
    let threads = threads.max(1).min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let (done, total) = (&done, jobs.len());
    let mut out: Vec<(usize, usize, Vec<Finding>)> = std::thread::scope(|scope| {
        if progress {
            scope.spawn(move || show_progress(done, total));
        }
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&(o, m)| {
                            let found = one(runtime, &modules[m], &applied[o], o, &contexts[m]);
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            (o, m, found)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort_by_key(|(o, m, _)| (*o, *m));
    out.into_iter().flat_map(|(_, _, f)| f).collect()
}

/// A one-line progress bar on stderr until every evaluation is done.
fn show_progress(done: &std::sync::atomic::AtomicUsize, total: usize) {
    use std::io::Write;
    let width = 30;
    loop {
        let n = done.load(std::sync::atomic::Ordering::Relaxed).min(total);
        let filled = (n * width).checked_div(total).unwrap_or(width);
        eprint!(
            "\r[{}{}] {n}/{total} evaluations",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
        if n >= total {
            eprint!("\r{}\r", " ".repeat(width + 40));
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn one(
    runtime: &Runtime,
    module: &Module,
    applied: &Applied,
    index: usize,
    ctx: &Arc<EvaluationContext>,
) -> Vec<Finding> {
    let request =
        AdmissionRequest::create(&format!("scan-{index}"), &applied.object, &applied.user);
    let outside = module
        .namespace
        .as_deref()
        .is_some_and(|ns| request.namespace.as_deref() != Some(ns));
    // The request is a CREATE: the metadata's rules route it as Kubewarden would.
    if outside || !module.metadata.selects(&request) {
        return Vec::new();
    }
    let explained = policy::explain(
        runtime,
        &module.policy,
        ctx.clone(),
        &request,
        &module.settings,
    );
    let mut findings: Vec<Finding> = explained
        .findings
        .into_iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Deny => Level::Deny,
                _ => Level::Warn,
            };
            let message = format!("{}; fix: {}", f.problem, f.fix);
            Finding::about(applied, &module.name, &f.rule, level, f.field, message)
        })
        .collect();
    // A denial the module gives without findings (a trap, a deadline) still counts.
    if findings.is_empty() && !explained.response.allowed {
        let message = explained.response.message().unwrap_or_default().to_string();
        findings.push(Finding::about(
            applied,
            &module.name,
            "admission/no-findings",
            Level::Deny,
            String::new(),
            message,
        ));
    }
    findings
}

/// A policy as a cluster deploys it: a `ClusterAdmissionPolicy` (or namespaced
/// `AdmissionPolicy`) manifest's module, settings, rules and granted context-aware resources.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub name: String,
    /// `spec.module` (`registry://…`, `https://…` or `file://…`).
    pub module: String,
    pub settings: Value,
    /// The manifest's file, for messages.
    pub file: PathBuf,
    spec: Value,
}

/// The Kubewarden policy manifests in `dir` (every YAML document of kind
/// ClusterAdmissionPolicy or AdmissionPolicy in `policies.kubewarden.io`).
pub fn deployed_policies(dir: &Path) -> anyhow::Result<Vec<Deployed>> {
    let mut errors = Vec::new();
    let files = crate::repo::yaml_files(dir, &mut errors);
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.file, e.message);
    }
    let mut out = Vec::new();
    for file in files {
        for doc in crate::repo::documents(dir, &file, &mut errors) {
            let v = &doc.value;
            let is_policy = v["apiVersion"]
                .as_str()
                .is_some_and(|a| a.starts_with("policies.kubewarden.io/"))
                && matches!(
                    v["kind"].as_str(),
                    Some("ClusterAdmissionPolicy" | "AdmissionPolicy")
                );
            if !is_policy {
                continue;
            }
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let module = v["spec"]["module"]
                .as_str()
                .ok_or_else(|| {
                    anyhow::anyhow!("{}: policy {name} has no spec.module", file.display())
                })?
                .to_string();
            let mut spec = v["spec"].clone();
            if v["kind"] == "AdmissionPolicy" {
                spec["namespace"] = v["metadata"]["namespace"].clone();
            }
            out.push(Deployed {
                name,
                module,
                settings: v["spec"]["settings"].clone(),
                file: file.clone(),
                spec,
            });
        }
    }
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.file, e.message);
    }
    Ok(out)
}

impl Deployed {
    /// The module, routed and granted as the manifest says (not as the module's own
    /// metadata suggests), with its settings checked by the module's `validate_settings`.
    pub fn load(&self, runtime: &Runtime, policy: Policy) -> anyhow::Result<Module> {
        let mut metadata = policy.metadata.clone().unwrap_or(Metadata {
            protocol_version: None,
            rules: Vec::new(),
            annotations: Default::default(),
            mutating: false,
            background_audit: true,
            context_aware_resources: Vec::new(),
            execution_mode: None,
            policy_type: None,
            minimum_kubewarden_version: None,
        });
        metadata.rules = self.spec["rules"].as_array().cloned().unwrap_or_default();
        metadata.context_aware_resources =
            serde_json::from_value(self.spec["contextAwareResources"].clone()).unwrap_or_default();
        let ctx = Arc::new(EvaluationContext {
            policy_id: self.name.clone(),
            log: LogSink::Discard,
            ..Default::default()
        });
        let verdict = policy::validate_settings(runtime, &policy, ctx, &self.settings);
        anyhow::ensure!(
            verdict.valid,
            "{}: the settings of policy {} are refused by its module: {}",
            self.file.display(),
            self.name,
            verdict.message.unwrap_or_default()
        );
        Ok(Module {
            name: self.name.clone(),
            policy,
            metadata,
            settings: self.settings.clone(),
            namespace: self.spec["namespace"].as_str().map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_cluster_roles_parse() {
        let roles: Vec<serde_json::Value> =
            serde_json::from_str(super::BUILTIN_CLUSTER_ROLES).unwrap();
        let names: Vec<&str> = roles
            .iter()
            .filter_map(|r| r["metadata"]["name"].as_str())
            .collect();
        for name in [
            "cluster-admin",
            "admin",
            "edit",
            "view",
            "system:aggregate-to-edit",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        let state = super::cluster_state(&[]);
        assert_eq!(state.resources.len(), roles.len());
    }
}

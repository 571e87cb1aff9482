//! What the browser playground is built and checked with, from every fixture of every policy:
//!
//! * the examples menu (`examples.json` in the site): each fixture's object as YAML with its
//!   user, operation and settings;
//! * the conformance cases (`target/playground-cases.json`): each fixture's request, settings
//!   and cluster state with the answers the native host (wasmtime) gave on the same module
//!   bytes the site ships, for the browser test to replay and compare.

use crate::fixture::{DEFAULT_USER, Fixture};
use crate::runner;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// Writes the examples and the conformance cases for the modules in `modules_dir`
/// (`<policy>.wasm`, annotated or not).
pub fn write(
    root: &Path,
    modules_dir: &Path,
    examples_out: &Path,
    cases_out: &Path,
) -> anyhow::Result<usize> {
    let runtime = Runtime::new(Limits::default())?;
    let (mut examples, mut cases) = (Vec::new(), Vec::new());
    for p in runner::discover(root)? {
        let module_path = modules_dir.join(format!("{}.wasm", p.name));
        let module = Policy::load(&runtime, &module_path)?;
        let metadata = match &module.metadata {
            Some(m) => m.clone(),
            None => Metadata::from_yaml(&std::fs::read_to_string(p.dir.join("metadata.yml"))?)?,
        };
        for file in p.fixtures()? {
            let name = file
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let fixture = Fixture::parse(&std::fs::read_to_string(&file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let subject = if fixture.object.is_object() {
                &fixture.object
            } else {
                &fixture.old_object
            };
            let yaml = if subject.is_object() {
                serde_yaml::to_string(subject)?
            } else {
                String::new()
            };
            examples.push(json!({
                "policy": p.name,
                "fixture": name,
                "description": fixture.description,
                "user": fixture.user.as_deref().unwrap_or(DEFAULT_USER),
                "operation": fixture.operation,
                "settings": fixture.settings,
                "yaml": yaml,
                "allowed": fixture.expect.allowed,
                "settingsValid": fixture.expect.settings_valid,
            }));

            let cluster_state = fixture.cluster_state.clone().unwrap_or(json!({}));
            let cluster: ClusterState = serde_json::from_value(cluster_state.clone())?;
            let ctx = Arc::new(EvaluationContext {
                policy_id: name.clone(),
                cluster,
                allowed_resources: metadata.granted_resources(),
                log: LogSink::Discard,
                ..Default::default()
            });
            let settings =
                policy::validate_settings(&runtime, &module, ctx.clone(), &fixture.settings);
            let request = fixture.request(&name);
            let (response, explained) = if settings.valid {
                let response =
                    policy::validate(&runtime, &module, ctx.clone(), &request, &fixture.settings);
                let explained =
                    policy::explain(&runtime, &module, ctx, &request, &fixture.settings);
                (
                    serde_json::to_value(response)?,
                    serde_json::to_value(explained)?,
                )
            } else {
                (Value::Null, Value::Null)
            };
            cases.push(json!({
                "policy": p.name,
                "fixture": name,
                "request": request,
                "settings": fixture.settings,
                "clusterState": cluster_state,
                "settingsAnswer": settings,
                "response": response,
                "explained": explained,
            }));
        }
    }
    for (path, value) in [(examples_out, &examples), (cases_out, &cases)] {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string(value)?)?;
    }
    Ok(cases.len())
}

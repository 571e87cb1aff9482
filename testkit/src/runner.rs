//! Replays every fixture of a policy through its release wasm, with the host library.

use crate::fixture::Fixture;
use crate::schema::CrdSchemas;
use fluxgate_protocol::admission::AdmissionResponse;
use fluxgate_protocol::explain::PolicyFinding;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A policy crate that has fixtures.
pub struct PolicyUnderTest {
    pub name: String,
    pub dir: PathBuf,
}

impl PolicyUnderTest {
    /// The module `just build` produces (post-link optimised: what ships).
    pub fn wasm_path(&self, root: &Path) -> PathBuf {
        root.join("target/policies")
            .join(format!("{}.wasm", self.name))
    }

    /// The module as the linker left it, before `scripts/optimize.sh`.
    pub fn linked_wasm_path(&self, root: &Path) -> PathBuf {
        root.join("target/wasm32-wasip1/release")
            .join(format!("{}.wasm", self.name.replace('-', "_")))
    }

    pub fn fixtures(&self) -> anyhow::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("fixtures"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// Every `policies/<name>/` with a `fixtures/` folder.
pub fn discover(root: &Path) -> anyhow::Result<Vec<PolicyUnderTest>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join("policies"))? {
        let dir = entry?.path();
        if dir.join("fixtures").is_dir() {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            found.push(PolicyUnderTest { name, dir });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The result of one fixture: empty `failures` means it passed.
pub struct CaseResult {
    pub file: PathBuf,
    pub description: String,
    pub failures: Vec<String>,
    pub response: Option<AdmissionResponse>,
    /// What `fluxgate_explain` gave for the case.
    pub findings: Vec<PolicyFinding>,
    /// `(apiVersion, kind)` the policy looked up in the cluster while judging the case.
    pub lookups: BTreeSet<(String, String)>,
}

pub struct Replayer {
    runtime: Runtime,
    schemas: CrdSchemas,
}

/// The CRD schemas fixtures and generated objects are checked against: Flux's served
/// versions, its legacy ones and the Flux Operator's (testkit/crds).
pub fn crd_schemas(root: &Path) -> anyhow::Result<CrdSchemas> {
    let crds = root.join("testkit/crds/flux");
    CrdSchemas::load(&[
        &crds,
        &crds.join("legacy"),
        &root.join("testkit/crds/flux-operator"),
    ])
}

impl Replayer {
    pub fn new(root: &Path) -> anyhow::Result<Self> {
        Ok(Replayer {
            runtime: Runtime::new(Limits::default())?,
            schemas: crd_schemas(root)?,
        })
    }

    pub fn replay(&self, root: &Path, policy: &PolicyUnderTest) -> anyhow::Result<Vec<CaseResult>> {
        let wasm_path = policy.wasm_path(root);
        anyhow::ensure!(
            wasm_path.exists(),
            "{} is missing: build the policies first (`just build`)",
            wasm_path.display()
        );
        let module = Policy::load(&self.runtime, &wasm_path)?;
        self.replay_with(policy, &module)
    }

    /// Replays a policy's fixtures through other module bytes (e.g. its annotated build).
    pub fn replay_module(
        &self,
        policy: &PolicyUnderTest,
        wasm: &[u8],
    ) -> anyhow::Result<Vec<CaseResult>> {
        let module = Policy::from_bytes(&self.runtime, policy.name.clone(), wasm)?;
        self.replay_with(policy, &module)
    }

    fn replay_with(
        &self,
        policy: &PolicyUnderTest,
        module: &Policy,
    ) -> anyhow::Result<Vec<CaseResult>> {
        let metadata =
            Metadata::from_yaml(&std::fs::read_to_string(policy.dir.join("metadata.yml"))?)?;
        policy
            .fixtures()?
            .into_iter()
            .map(|file| Ok(self.case(module, &metadata, &file)))
            .collect()
    }

    fn case(&self, policy: &Policy, metadata: &Metadata, file: &Path) -> CaseResult {
        let uid = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let fixture = match std::fs::read_to_string(file)
            .map_err(anyhow::Error::from)
            .and_then(|t| Fixture::parse(&t))
        {
            Ok(f) => f,
            Err(e) => {
                return CaseResult {
                    file: file.into(),
                    description: String::new(),
                    failures: vec![format!("cannot read fixture: {e}")],
                    response: None,
                    findings: Vec::new(),
                    lookups: BTreeSet::new(),
                };
            }
        };
        let mut failures = self.schema_failures(&fixture);
        let cluster = match &fixture.cluster_state {
            None => Ok(ClusterState::default()),
            Some(v) => serde_json::from_value::<ClusterState>(v.clone()),
        };
        let cluster = cluster.unwrap_or_else(|e| {
            failures.push(format!("clusterState: {e}"));
            ClusterState::default()
        });
        let ctx = Arc::new(EvaluationContext {
            policy_id: uid.clone(),
            cluster,
            allowed_resources: metadata.granted_resources(),
            log: LogSink::Capture(Default::default()),
            ..Default::default()
        });

        let expect = &fixture.expect;
        let settings =
            policy::validate_settings(&self.runtime, policy, ctx.clone(), &fixture.settings);
        let mut response = None;
        let mut findings = Vec::new();
        if settings.valid != expect.settings_valid {
            failures.push(format!(
                "settings valid: expected {}, got {} ({})",
                expect.settings_valid,
                settings.valid,
                settings.message.as_deref().unwrap_or("no message")
            ));
        } else if !settings.valid {
            check_substrings(
                "settings message",
                settings.message.as_deref(),
                expect.message.as_slice(),
                &mut failures,
            );
        } else {
            let r = policy::validate(
                &self.runtime,
                policy,
                ctx.clone(),
                &fixture.request(&uid),
                &fixture.settings,
            );
            check_response(&fixture, &uid, &r, &mut failures);
            // The findings come from the same module, through the operation Kubewarden never
            // calls; its response must be exactly the one `validate` gave.
            let explained = policy::explain(
                &self.runtime,
                policy,
                ctx.clone(),
                &fixture.request(&uid),
                &fixture.settings,
            );
            if explained.response != r {
                failures.push(format!(
                    "fluxgate_explain answered {} where validate answered {}",
                    serde_json::to_string(&explained.response).unwrap_or_default(),
                    serde_json::to_string(&r).unwrap_or_default()
                ));
            }
            check_rules(&fixture, &r, &explained.findings, &mut failures);
            findings = explained.findings;
            response = Some(r);
        }
        if !failures.is_empty() {
            failures.extend(
                ctx.captured_logs()
                    .into_iter()
                    .map(|l| format!("policy log: {l}")),
            );
        }
        CaseResult {
            file: file.into(),
            description: fixture.description.clone(),
            failures,
            response,
            findings,
            lookups: ctx.lookups.lock().map(|l| l.clone()).unwrap_or_default(),
        }
    }

    /// Every Flux object in the fixture must match the CRD schema of its apiVersion,
    /// and a fixture marked `malformed` must really break it.
    fn schema_failures(&self, fixture: &Fixture) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |label: &str, object: &Value, expect_valid: bool| {
            let group = object["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .rsplit_once('/')
                .map(|(g, _)| g);
            let is_flux = group.is_some_and(|g| g.ends_with(".toolkit.fluxcd.io"));
            if !is_flux {
                return; // not a Flux object (or, for a malformed case, not an object at all)
            }
            match self.schemas.validate(object) {
                Err(_) if !expect_valid => {} // no schema serves it: malformed indeed
                Err(e) => failures.push(format!("{label}: {e}")),
                Ok(errors) if expect_valid && !errors.is_empty() => failures.push(format!(
                    "{label} does not match its CRD schema (mark the fixture `malformed:` if that is the point): {}",
                    errors.join("; ")
                )),
                Ok(errors) if !expect_valid && errors.is_empty() => failures.push(format!(
                    "{label} is marked malformed but matches its CRD schema"
                )),
                Ok(_) => {}
            }
        };
        check("object", &fixture.object, fixture.malformed.is_none());
        check("oldObject", &fixture.old_object, true);
        if let Some(resources) = fixture
            .cluster_state
            .as_ref()
            .and_then(|c| c["resources"].as_array())
        {
            for (i, r) in resources.iter().enumerate() {
                check(&format!("clusterState.resources[{i}]"), r, true);
            }
        }
        failures
    }
}

fn check_response(fixture: &Fixture, uid: &str, r: &AdmissionResponse, failures: &mut Vec<String>) {
    let expect = &fixture.expect;
    if let Some(allowed) = expect.allowed
        && r.allowed != allowed
    {
        failures.push(format!("allowed: expected {allowed}, got {}", r.allowed));
    }
    check_substrings("message", r.message(), expect.message.as_slice(), failures);
    if let Some(code) = expect.code {
        let got = r.status.as_ref().and_then(|s| s.code);
        if got != Some(code) {
            failures.push(format!("code: expected {code}, got {got:?}"));
        }
    }
    if let Some(warning) = &expect.warning {
        let warnings = r.warnings.clone().unwrap_or_default();
        if !warnings.iter().any(|w| w.contains(warning.as_str())) {
            failures.push(format!(
                "warnings: expected one containing {warning:?}, got {warnings:?}"
            ));
        }
    }
    if r.uid != uid {
        failures.push(format!(
            "uid: expected {uid:?} copied from the request, got {:?}",
            r.uid
        ));
    }
}

/// `expect.rules` is the set of rule ids the findings carry; a denying case must name it.
fn check_rules(
    fixture: &Fixture,
    r: &AdmissionResponse,
    findings: &[PolicyFinding],
    failures: &mut Vec<String>,
) {
    let got: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    if !r.allowed
        && !findings
            .iter()
            .any(|f| f.severity == fluxgate_protocol::Severity::Deny && !f.field.is_empty())
    {
        failures.push("a denial must come with a denying finding that names its field".into());
    }
    match &fixture.expect.rules {
        Some(want) => {
            let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
            if want != got {
                failures.push(format!("rules: expected {want:?}, got {got:?}"));
            }
        }
        None if !r.allowed => failures.push(format!(
            "rules: a denying fixture must list the rule ids it expects (expect.rules: {:?})",
            got
        )),
        None => {}
    }
}

fn check_substrings(
    label: &str,
    actual: Option<&str>,
    expected: &[String],
    failures: &mut Vec<String>,
) {
    for want in expected {
        if !actual.is_some_and(|a| a.contains(want.as_str())) {
            failures.push(format!(
                "{label}: expected to contain {want:?}, got {actual:?}"
            ));
        }
    }
}

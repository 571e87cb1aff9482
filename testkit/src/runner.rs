//! Replays every fixture of a policy through its release wasm, with the host library
//! (the checks are `fluxgate_fixtures::replay`'s, shared with the native replay), and
//! checks the fixtures' Flux objects against the CRD schemas.

use crate::schema::CrdSchemas;
use fluxgate_fixtures::{Fixture, replay};
use fluxgate_protocol::admission::AdmissionResponse;
use fluxgate_protocol::explain::PolicyFinding;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::policy::Policy;
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

    /// The module as the linker left it, before `scripts/optimize.sh`
    /// (`scripts/build-modules.sh` stages it there from its cargo profile's directory).
    pub fn linked_wasm_path(&self, root: &Path) -> PathBuf {
        root.join("target/linked")
            .join(format!("{}.wasm", self.name))
    }

    pub fn fixtures(&self) -> anyhow::Result<Vec<PathBuf>> {
        fluxgate_fixtures::fixture::files(&self.dir.join("fixtures"))
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
        let (uid, fixture) = match Fixture::read(file) {
            Ok(read) => read,
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
        let outcome = replay::judge(&fixture, &uid, metadata, |ctx| {
            self.runtime.instantiate(&policy.module, ctx)
        });
        failures.extend(outcome.failures);
        CaseResult {
            file: file.into(),
            description: fixture.description.clone(),
            failures,
            response: outcome.response,
            findings: outcome.findings,
            lookups: outcome.lookups,
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

//! Publishing stays true to the policies: annotated modules judge exactly like plain ones,
//! context-aware declarations match what the policies look up, the committed deploy manifests
//! and ArtifactHub files are what the generators produce and validate against the real
//! Kubewarden CRDs, and the release workflow only runs recipes the local checks run.

use fluxgate_cli::annotate::{self, AnnotateInput};
use fluxgate_cli::package::{self, PolicySource};
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_testkit::runner::{self, PolicyUnderTest, Replayer};
use fluxgate_testkit::schema::CrdSchemas;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).to_path_buf()
}

fn policies() -> Vec<PolicyUnderTest> {
    let found = runner::discover(&root()).unwrap();
    assert!(found.len() >= 3, "publishing needs the policies");
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn annotated(runtime: &Runtime, policy: &PolicyUnderTest) -> Vec<u8> {
    let wasm = std::fs::read(policy.wasm_path(&root()))
        .unwrap_or_else(|e| panic!("{}: {e}: run `just build` first", policy.name));
    let metadata = read(&policy.dir.join("metadata.yml"));
    let readme = read(&policy.dir.join("README.md"));
    let version = package::crate_version(&read(&policy.dir.join("Cargo.toml")));
    let input = AnnotateInput {
        metadata_yaml: &metadata,
        usage: Some(&readme),
        crate_version: version.as_deref(),
    };
    annotate::annotate(runtime, &wasm, &input).unwrap_or_else(|e| panic!("{}: {e:#}", policy.name))
}

#[test]
fn annotated_modules_judge_every_fixture_like_the_plain_ones() {
    let root = root();
    let replayer = Replayer::new(&root).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    for policy in policies() {
        let module = annotated(&runtime, &policy);
        let metadata = Metadata::from_module(&module)
            .unwrap()
            .expect("metadata section");
        assert_eq!(metadata.protocol_version.as_deref(), Some("v1"));
        assert_eq!(metadata.execution_mode.as_deref(), Some("kubewarden-wapc"));
        assert_eq!(
            metadata.annotations["io.kubewarden.policy.usage"],
            read(&policy.dir.join("README.md"))
        );
        let plain = replayer.replay(&root, &policy).unwrap();
        let again = replayer.replay_module(&policy, &module).unwrap();
        assert_eq!(plain.len(), again.len());
        for (p, a) in plain.iter().zip(&again) {
            let verdict = |c: &runner::CaseResult| {
                c.response
                    .as_ref()
                    .map(|r| (r.allowed, r.message().map(str::to_string)))
            };
            assert_eq!(verdict(p), verdict(a), "{}", p.file.display());
            assert!(
                a.failures.is_empty(),
                "{}: {:?}",
                a.file.display(),
                a.failures
            );
        }
    }
}

#[test]
fn context_aware_resources_are_exactly_what_the_fixtures_look_up() {
    let root = root();
    let replayer = Replayer::new(&root).unwrap();
    for policy in policies() {
        let metadata = Metadata::from_yaml(&read(&policy.dir.join("metadata.yml"))).unwrap();
        let declared: BTreeSet<(String, String)> = metadata.granted_resources();
        let looked_up: BTreeSet<(String, String)> = replayer
            .replay(&root, &policy)
            .unwrap()
            .into_iter()
            .flat_map(|c| c.lookups)
            .collect();
        assert_eq!(
            declared, looked_up,
            "{}: contextAwareResources (left) must be what the policy looks up over its fixtures (right)",
            policy.name
        );
    }
}

#[test]
fn deploy_manifests_are_generated_valid_and_complete() {
    let root = root();
    let schemas = CrdSchemas::load(&[&root.join("testkit/crds/kubewarden")]).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let dir = root.join("deploy/policies");
    let mut bundle = Vec::new();
    for policy in policies() {
        let source = PolicySource::load(&policy.dir).unwrap();
        let file = dir.join(format!("{}.yaml", policy.name));
        let generated = package::cluster_admission_policy(&source, &Value::Null).unwrap();
        assert_eq!(
            read(&file),
            generated,
            "{} is stale: run `just manifests`",
            file.display()
        );
        let object: Value = serde_yaml::from_str(&generated).unwrap();
        let errors = schemas.validate(&object).unwrap();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        let spec = &object["spec"];
        assert_eq!(spec["mode"], "protect");
        assert_eq!(
            spec["module"],
            format!(
                "registry://ghcr.io/fluxgate-dev/fluxgate/{}:v{}",
                policy.name,
                source.version()
            )
        );
        let metadata = &source.metadata;
        assert_eq!(
            spec["contextAwareResources"].as_array().map_or(0, Vec::len),
            metadata.context_aware_resources.len()
        );
        // On fluxgate's PolicyServer, failing closed, within the API server's and
        // policy-server's limits (Kubewarden refuses timeoutEvalSeconds > timeoutSeconds:
        // kubewarden-controller `policy_validation.go`), with its scope's matchConditions.
        assert_eq!(spec["policyServer"], package::POLICY_SERVER);
        assert_eq!(spec["failurePolicy"], "Fail");
        let timeout = spec["timeoutSeconds"].as_u64().unwrap();
        let eval = spec["timeoutEvalSeconds"].as_u64().unwrap();
        assert!(
            eval <= timeout && timeout < 10,
            "{}: {eval} s, {timeout} s",
            policy.name
        );
        let scope = package::scope_of(&policy.name).unwrap();
        let conditions =
            package::match_conditions(scope, &package::identities(&Value::Null).unwrap());
        // Plus `update-changes-spec` for the policies of Flux kinds alone.
        let spec_condition = usize::from(package::spec_judged(&metadata.rules));
        assert_eq!(
            spec["matchConditions"].as_array().map_or(0, Vec::len),
            conditions.len() + spec_condition,
            "{}",
            policy.name
        );
        assert_eq!(
            conditions.is_empty(),
            scope == package::Scope::Everything,
            "{}: only a policy that judges everything goes without matchConditions",
            policy.name
        );

        // The settings shipped in the manifest are accepted by the policy itself.
        let module = Policy::load(&runtime, &policy.wasm_path(&root)).unwrap();
        let answer =
            policy::validate_settings(&runtime, &module, Default::default(), &spec["settings"]);
        assert!(answer.valid, "{}: {:?}", policy.name, answer.message);
        bundle.push(format!("{}.yaml", policy.name));
    }
    let kustomization: Value =
        serde_yaml::from_str(&read(&dir.join("kustomization.yaml"))).unwrap();
    let listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        listed, bundle,
        "deploy/policies/kustomization.yaml must install every policy"
    );
}

/// `kubectl kustomize deploy`: what `kubectl apply -k deploy` or a Flux Kustomization on
/// `./deploy` applies.
fn kustomize_deploy() -> Vec<Value> {
    let output = std::process::Command::new("kubectl")
        .args(["kustomize", "deploy"])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl kustomize is needed for this test (Kustomize v5): {e}")
        });
    assert!(
        output.status.success(),
        "kubectl kustomize deploy: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    text.split("\n---\n")
        .map(|doc| serde_yaml::from_str(doc).unwrap())
        .collect()
}

#[test]
fn the_deploy_bundle_runs_every_policy_on_a_highly_available_policy_server() {
    let root = root();
    let schemas = CrdSchemas::load(&[&root.join("testkit/crds/kubewarden")]).unwrap();
    let objects = kustomize_deploy();
    for object in &objects {
        let errors = schemas.validate(object).unwrap();
        assert!(
            errors.is_empty(),
            "{} {}: {errors:?}",
            object["kind"],
            object["metadata"]["name"]
        );
    }
    let servers: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "PolicyServer")
        .collect();
    let [server] = servers.as_slice() else {
        panic!(
            "deploy/ must install one PolicyServer, found {}",
            servers.len()
        );
    };
    assert_eq!(server["apiVersion"], "policies.kubewarden.io/v1");
    assert_eq!(server["metadata"]["name"], package::POLICY_SERVER);
    let spec = &server["spec"];
    // Two replicas and a PodDisruptionBudget (the controller makes one from minAvailable):
    // with failurePolicy Fail, one pod lost must not stop admission.
    assert!(spec["replicas"].as_u64().unwrap() >= 2);
    assert_eq!(spec["minAvailable"], 1);
    assert!(
        spec["maxUnavailable"].is_null(),
        "minAvailable or maxUnavailable, not both"
    );
    for key in ["cpu", "memory"] {
        assert!(spec["requests"][key].is_string(), "spec.requests.{key}");
        assert!(spec["limits"][key].is_string(), "spec.limits.{key}");
    }
    let mut policies: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "ClusterAdmissionPolicy")
        .map(|o| {
            assert_eq!(o["spec"]["policyServer"], package::POLICY_SERVER);
            o["metadata"]["name"].as_str().unwrap()
        })
        .collect();
    policies.sort();
    let expected: Vec<String> = policies_names();
    assert_eq!(policies, expected, "deploy/ must install every policy");
}

fn policies_names() -> Vec<String> {
    policies().into_iter().map(|p| p.name).collect()
}

#[test]
fn kubewarden_crd_validation_catches_broken_policies() {
    let root = root();
    let schemas = CrdSchemas::load(&[&root.join("testkit/crds/kubewarden")]).unwrap();
    let broken: Value = serde_yaml::from_str(
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: x}\n\
         spec: {module: 'registry://x/y:v1', mode: enforce, rules: [], mutating: false, timeoutSeconds: 99}\n",
    )
    .unwrap();
    let errors = schemas.validate(&broken).unwrap();
    assert!(errors.iter().any(|e| e.contains("spec.mode")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("spec.timeoutSeconds")),
        "{errors:?}"
    );
    let broken: Value = serde_yaml::from_str(
        "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: x}\n\
         spec: {module: 'registry://x/y:v1', rules: [], mutating: false, matchConditions: [{name: a}]}\n",
    )
    .unwrap();
    let errors = schemas.validate(&broken).unwrap();
    assert!(
        errors.iter().any(|e| e.contains("matchConditions")),
        "{errors:?}"
    );
    let server: Value = serde_yaml::from_str(
        "apiVersion: policies.kubewarden.io/v1\nkind: PolicyServer\nmetadata: {name: x}\n\
         spec: {replicas: two, requests: {cpu: [1]}}\n",
    )
    .unwrap();
    let errors = schemas.validate(&server).unwrap();
    for field in ["spec.image", "spec.replicas", "spec.requests"] {
        assert!(
            errors.iter().any(|e| e.contains(field)),
            "{field}: {errors:?}"
        );
    }
}

#[test]
fn artifacthub_packages_are_generated_from_the_metadata() {
    let root = root();
    for policy in policies() {
        let source = PolicySource::load(&policy.dir).unwrap();
        let dir = root.join("artifacthub").join(&policy.name);
        let file = dir.join("artifacthub-pkg.yml");
        let committed = read(&file);
        let created_at =
            package::previous_created_at(&committed, source.version()).unwrap_or_else(|| {
                panic!(
                    "{} is stale (new version): run `just artifacthub`",
                    file.display()
                )
            });
        let generated = package::artifacthub_package(&source, &created_at).unwrap();
        assert_eq!(
            committed,
            generated,
            "{} is stale: run `just artifacthub`",
            file.display()
        );
        assert_eq!(
            read(&dir.join("README.md")),
            source.readme,
            "artifacthub/{}/README.md is stale: run `just artifacthub`",
            policy.name
        );

        let pkg: Value = serde_yaml::from_str(&generated).unwrap();
        for key in [
            "version",
            "name",
            "displayName",
            "createdAt",
            "description",
            "license",
            "homeURL",
        ] {
            assert!(
                pkg[key].as_str().is_some_and(|v| !v.is_empty()),
                "{}: {key}",
                policy.name
            );
        }
        assert_eq!(
            pkg["containersImages"][0]["image"],
            format!(
                "ghcr.io/fluxgate-dev/fluxgate/{}:v{}",
                policy.name,
                source.version()
            )
        );
        let annotations = &pkg["annotations"];
        assert_eq!(annotations["kubewarden/mutation"], "false");
        let rules: Value =
            serde_yaml::from_str(annotations["kubewarden/rules"].as_str().unwrap()).unwrap();
        assert_eq!(rules.as_array().unwrap(), &source.metadata.rules);
        assert_eq!(
            annotations
                .get("kubewarden/contextAwareResources")
                .is_some(),
            !source.metadata.context_aware_resources.is_empty()
        );
    }
    let repo: Value =
        serde_yaml::from_str(&read(&root.join("artifacthub/artifacthub-repo.yml"))).unwrap();
    assert!(
        repo["repositoryID"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
}

/// `just <recipe>` invocations in a file (workflow `run:` lines, scripts).
fn just_recipes(text: &str) -> BTreeSet<String> {
    text.split(['\n', ';', '&', '|', '('])
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            while let Some(w) = words.next() {
                if w == "just" {
                    // Skip `var=value` overrides and flags before the recipe name.
                    return words
                        .find(|w| !w.contains('=') && !w.starts_with('-'))
                        .map(str::to_string);
                }
            }
            None
        })
        .collect()
}

#[test]
fn the_release_workflow_only_runs_recipes_the_local_checks_run() {
    let root = root();
    let workflow = read(&root.join(".github/workflows/release.yml"));
    let released = just_recipes(&workflow);
    assert!(
        released.contains("push") && released.contains("annotate"),
        "{released:?}"
    );
    // `.ci/run` runs `just test`, which runs the publishing check script.
    let justfile = read(&root.join("justfile"));
    let test_recipe: String = justfile
        .split("\ntest:")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("    ") || l.is_empty() || l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        test_recipe.contains("scripts/publish-check.sh"),
        "`just test` must run the publishing check"
    );
    let mut exercised = just_recipes(&read(&root.join("scripts/publish-check.sh")));
    exercised.insert("test".into());
    exercised.insert("build".into());
    // Recipes `just test` runs, and the recipes those depend on (`test-playground:
    // playground-dist`).
    for recipe in just_recipes(&test_recipe) {
        let header = justfile
            .lines()
            .find(|l| l.split([' ', ':']).next() == Some(recipe.as_str()) && l.contains(':'));
        if let Some(deps) = header.and_then(|l| l.split_once(':')).map(|(_, d)| d) {
            exercised.extend(deps.split_whitespace().map(str::to_string));
        }
        exercised.insert(recipe);
    }
    for recipe in &released {
        assert!(
            exercised.contains(recipe),
            "release.yml runs `just {recipe}`, which no local check runs (exercised: {exercised:?})"
        );
    }
}

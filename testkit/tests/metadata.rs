//! Every policy's metadata.yml is complete: valid Kubewarden metadata, rules for every
//! served version of the Flux kinds it names, the annotations publishing needs, and the
//! same version as its crate.

use flux_kinds::FluxKind;
use fluxgate_cli::annotate::REQUIRED_ANNOTATIONS;
use fluxgate_cli::package;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_testkit::runner;
use std::path::Path;

fn crate_version(dir: &Path) -> String {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    package::crate_version(&manifest).expect("a version line in Cargo.toml")
}

#[test]
fn metadata_is_complete_and_covers_every_served_version() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    for policy in runner::discover(root).unwrap() {
        let text = std::fs::read_to_string(policy.dir.join("metadata.yml")).unwrap();
        let metadata =
            Metadata::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", policy.name));
        let name = &policy.name;
        for key in REQUIRED_ANNOTATIONS {
            assert!(
                metadata.annotations.contains_key(key),
                "{name}: annotation {key} is missing"
            );
        }
        assert_eq!(metadata.annotations["io.kubewarden.policy.title"], *name);
        assert_eq!(
            metadata.annotations["io.kubewarden.policy.version"],
            crate_version(&policy.dir),
            "{name}: metadata and crate versions differ"
        );
        assert!(
            !metadata.mutating,
            "{name}: fluxgate policies validate, they do not mutate"
        );
        assert!(!metadata.rules.is_empty(), "{name}: no rules");
        for rule in &metadata.rules {
            let list = |key: &str| -> Vec<String> {
                serde_json::from_value(rule[key].clone())
                    .unwrap_or_else(|_| panic!("{name}: rule {key}"))
            };
            let (groups, versions, resources, operations) = (
                list("apiGroups"),
                list("apiVersions"),
                list("resources"),
                list("operations"),
            );
            assert!(
                !operations.is_empty() && !operations.contains(&"DELETE".to_string())
                    || operations == ["*"],
                "{name}: rules must not send DELETE to a validating Flux policy: {operations:?}"
            );
            for kind in FluxKind::ALL {
                if groups.contains(&kind.group().name().to_string())
                    && resources.contains(&kind.resource().to_string())
                {
                    let served: Vec<String> = kind
                        .served_versions()
                        .iter()
                        .map(|v| v.to_string())
                        .collect();
                    for version in &served {
                        assert!(
                            versions.contains(version) || versions == ["*"],
                            "{name}: rules for {kind} miss served version {version}"
                        );
                    }
                }
            }
        }
    }
}

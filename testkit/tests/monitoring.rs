//! The monitoring files in deploy/monitoring/ agree with each other and with fluxgate:
//! the PrometheusRule is generated from the plain rule files, every alert is documented
//! and has promtool tests, the notification examples are valid Flux objects, and the
//! kube-state-metrics config covers every Flux kind and served version.
//!
//! promtool itself runs in deploy/monitoring/check.sh; these tests only read files.
//! `FLUXGATE_BLESS=1 cargo test -p fluxgate-testkit --test monitoring` rewrites
//! deploy/monitoring/prometheusrule.yaml from the rule files.

use flux_kinds::{ApiGroup, FluxKind};
use fluxgate_testkit::runner;
use fluxgate_testkit::schema::CrdSchemas;
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const RUNBOOK_URL: &str =
    "https://github.com/fluxgate-dev/fluxgate/blob/main/deploy/monitoring/runbooks.md#";

const PROMETHEUS_RULE_HEADER: &str = "\
# Generated from deploy/monitoring/rules/*.rules.yml by testkit/tests/monitoring.rs.
# Do not edit: change the rule files, then run
#   FLUXGATE_BLESS=1 cargo test -p fluxgate-testkit --test monitoring
";

/// Everything of the PrometheusRule but its groups.
const PROMETHEUS_RULE_SKELETON: &str = "
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: fluxgate-flux-alerts
  namespace: monitoring
  labels:
    app.kubernetes.io/part-of: fluxgate
";

/// Event sources the notification Alert example must forward errors of.
const ALERTED_KINDS: [&str; 7] = [
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "Kustomization",
    "HelmRelease",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn monitoring(path: &str) -> PathBuf {
    repo_root().join("deploy/monitoring").join(path)
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_yaml(path: &Path) -> Value {
    serde_yaml::from_str(&read_text(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files of `dir` whose name ends with `suffix`, sorted by name (the order of the groups).
fn files_ending_with(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *{suffix} file in {}", dir.display());
    files
}

fn sequence(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// The groups of every rule file, in file order.
fn rule_groups() -> Vec<Value> {
    let mut groups = Vec::new();
    for file in files_ending_with(&monitoring("rules"), ".rules.yml") {
        let content = read_yaml(&file);
        assert!(
            !sequence(&content["groups"]).is_empty(),
            "{}: no groups",
            file.display()
        );
        groups.extend_from_slice(sequence(&content["groups"]));
    }
    groups
}

/// Every alerting rule (recording rules have `record` instead of `alert`).
fn alerting_rules() -> Vec<Value> {
    rule_groups()
        .iter()
        .flat_map(|group| sequence(&group["rules"]).to_vec())
        .filter(|rule| rule.get("alert").is_some())
        .collect()
}

fn alert_name(rule: &Value) -> &str {
    rule["alert"].as_str().expect("alert names are strings")
}

fn prometheus_rule(groups: Vec<Value>) -> Value {
    let mut rule: Value = serde_yaml::from_str(PROMETHEUS_RULE_SKELETON).unwrap();
    let mut spec = Mapping::new();
    spec.insert("groups".into(), Value::Sequence(groups));
    rule.as_mapping_mut()
        .unwrap()
        .insert("spec".into(), Value::Mapping(spec));
    rule
}

#[test]
fn prometheusrule_is_generated_from_the_rule_files() {
    let expected = prometheus_rule(rule_groups());
    let path = monitoring("prometheusrule.yaml");
    if std::env::var("FLUXGATE_BLESS").as_deref() == Ok("1") {
        let yaml = serde_yaml::to_string(&expected).unwrap();
        std::fs::write(&path, format!("{PROMETHEUS_RULE_HEADER}{yaml}")).unwrap();
    }
    // Parsed values, not text: formatting may differ, content may not.
    assert!(
        read_yaml(&path) == expected,
        "{} differs from deploy/monitoring/rules/*.rules.yml; regenerate it with \
         FLUXGATE_BLESS=1 cargo test -p fluxgate-testkit --test monitoring",
        path.display()
    );
}

/// The anchor GitHub gives a Markdown heading: lower case, spaces to dashes, punctuation
/// other than `-` and `_` dropped.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Anchors of the `## ` sections of runbooks.md.
fn runbook_sections() -> BTreeSet<String> {
    read_text(&monitoring("runbooks.md"))
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(github_anchor)
        .collect()
}

#[test]
fn every_alert_is_labelled_annotated_and_has_its_runbook_section() {
    let sections = runbook_sections();
    let rules = alerting_rules();
    assert!(!rules.is_empty(), "no alerting rules found");
    for rule in &rules {
        let name = alert_name(rule);
        let severity = rule["labels"]["severity"].as_str();
        assert!(
            matches!(severity, Some("critical" | "warning")),
            "{name}: labels.severity must be critical or warning, not {severity:?}"
        );
        for key in ["summary", "description", "runbook_url"] {
            let text = rule["annotations"][key].as_str().unwrap_or_default();
            assert!(
                !text.trim().is_empty(),
                "{name}: annotation {key} is missing"
            );
        }
        // Whoever is paged must see which object or policy it is about.
        let description = rule["annotations"]["description"].as_str().unwrap();
        assert!(
            description.contains("{{ $labels."),
            "{name}: the description does not name the object from its labels"
        );
        let url = rule["annotations"]["runbook_url"].as_str().unwrap();
        let anchor = url
            .strip_prefix(RUNBOOK_URL)
            .unwrap_or_else(|| panic!("{name}: runbook_url {url} does not point into runbooks.md"));
        assert_eq!(
            anchor,
            github_anchor(name),
            "{name}: runbook_url must point to the alert's own section"
        );
        assert!(
            sections.contains(anchor),
            "{name}: runbooks.md has no `## {name}` section"
        );
    }
}

/// For each alert name of the promtool tests: whether a case expects it to fire, and
/// whether a case expects it to stay silent.
fn promtool_cases() -> BTreeMap<String, (bool, bool)> {
    let mut cases: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for file in files_ending_with(&monitoring("tests"), ".test.yml") {
        let content = read_yaml(&file);
        for test in sequence(&content["tests"]) {
            for case in sequence(&test["alert_rule_test"]) {
                let name = case["alertname"].as_str().unwrap_or_else(|| {
                    panic!("{}: an alert_rule_test without alertname", file.display())
                });
                let fires = !sequence(&case["exp_alerts"]).is_empty();
                let entry = cases.entry(name.to_string()).or_default();
                if fires {
                    entry.0 = true;
                } else {
                    entry.1 = true;
                }
            }
        }
    }
    cases
}

#[test]
fn every_alert_has_promtool_tests_that_fire_and_stay_silent() {
    let cases = promtool_cases();
    let names: BTreeSet<String> = alerting_rules()
        .iter()
        .map(|r| alert_name(r).to_string())
        .collect();
    for name in &names {
        let (fires, silent) = cases.get(name).copied().unwrap_or_default();
        assert!(
            fires,
            "{name}: no promtool case in tests/ expects it to fire"
        );
        assert!(
            silent,
            "{name}: no promtool case in tests/ expects it to stay silent"
        );
    }
    for name in cases.keys() {
        assert!(
            names.contains(name),
            "tests/ test an alert no rule file defines: {name}"
        );
    }
}

fn notification_example(file: &str) -> serde_json::Value {
    let path = monitoring("notification").join(file);
    serde_yaml::from_str(&read_text(&path)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn notification_examples_validate_against_the_flux_crds() {
    let crds = repo_root().join("testkit/crds/flux");
    let schemas = CrdSchemas::load(&[&crds, &crds.join("legacy")]).unwrap();
    for path in files_ending_with(&monitoring("notification"), ".yaml") {
        let object: serde_json::Value = serde_yaml::from_str(&read_text(&path)).unwrap();
        let errors = schemas
            .validate(&object)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn notification_examples_keep_credentials_in_a_secret_and_route_errors() {
    let provider = notification_example("provider.yaml");
    assert!(
        provider["spec"]["secretRef"]["name"].is_string(),
        "provider.yaml: the Provider must take its address and token from spec.secretRef"
    );
    assert!(
        provider["spec"].get("address").is_none(),
        "provider.yaml: an inline spec.address exposes the webhook URL to Provider readers"
    );

    let alert = notification_example("alert.yaml");
    assert_eq!(
        alert["spec"]["providerRef"]["name"],
        provider["metadata"]["name"]
    );
    assert_eq!(alert["spec"]["eventSeverity"], "error");
    let sources = alert["spec"]["eventSources"].as_array().unwrap();
    for kind in ALERTED_KINDS {
        assert!(
            sources
                .iter()
                .any(|s| s["kind"] == kind && s["name"] == "*"),
            "alert.yaml: no eventSources entry for every {kind} (name \"*\")"
        );
    }
}

fn metric<'a>(resource: &'a Value, name: &str) -> Option<&'a Value> {
    sequence(&resource["metrics"])
        .iter()
        .find(|m| m["name"] == name)
}

/// The checks on one kube-state-metrics entry; `entry` names it in messages.
fn check_state_metrics(resource: &Value, kind: FluxKind, entry: &str) {
    assert_eq!(
        resource["metricNamePrefix"], "gotk",
        "{entry}: metricNamePrefix"
    );
    // The rules join kube-state-metrics and Flux metrics on this label name.
    assert_eq!(
        resource["labelsFromPath"]["exported_namespace"],
        serde_yaml::from_str::<Value>("[metadata, namespace]").unwrap(),
        "{entry}: exported_namespace must come from metadata.namespace"
    );

    let info = metric(resource, "resource_info")
        .unwrap_or_else(|| panic!("{entry}: no resource_info metric"));
    assert_eq!(info["each"]["type"], "Info", "{entry}: resource_info type");
    let labels = &info["each"]["info"]["labelsFromPath"];
    let mut wanted = vec!["name", "ready", "suspended"];
    if kind.group() != ApiGroup::Notification {
        wanted.push("revision");
    }
    for label in wanted {
        assert!(
            labels.get(label).is_some(),
            "{entry}: resource_info has no {label} label"
        );
    }

    let verifiable = matches!(
        kind,
        FluxKind::GitRepository | FluxKind::OciRepository | FluxKind::HelmChart
    );
    let verified = metric(resource, "source_verified");
    assert_eq!(
        verified.is_some(),
        verifiable,
        "{entry}: source_verified belongs to GitRepository, OCIRepository and HelmChart only"
    );
    if let Some(verified) = verified {
        assert_eq!(
            verified["each"]["type"], "StateSet",
            "{entry}: source_verified type"
        );
        let path = serde_yaml::to_string(&verified["each"]["stateSet"]["path"]).unwrap();
        assert!(
            path.contains("[type=SourceVerified]"),
            "{entry}: source_verified must read the SourceVerified condition"
        );
    }
}

#[test]
fn kube_state_metrics_config_covers_every_flux_kind_and_served_version() {
    let config = read_yaml(&monitoring(
        "kube-state-metrics/flux-custom-resource-state.yaml",
    ));
    assert_eq!(config["kind"], "CustomResourceStateMetrics");
    let mut covered = BTreeSet::new();
    for resource in sequence(&config["spec"]["resources"]) {
        let gvk = &resource["groupVersionKind"];
        let field = |key: &str| gvk[key].as_str().unwrap_or_default().to_string();
        let (group, version, kind) = (field("group"), field("version"), field("kind"));
        let entry = format!("{kind} {group}/{version}");
        let flux_kind = FluxKind::ALL
            .into_iter()
            .find(|k| k.name() == kind && k.group().name() == group)
            .unwrap_or_else(|| panic!("{entry}: not a Flux kind fluxgate knows"));
        assert!(
            flux_kind.served_versions().contains(&version.as_str()),
            "{entry}: no supported Flux release serves this version"
        );
        assert!(
            covered.insert((kind.clone(), version.clone())),
            "{entry}: listed twice"
        );
        check_state_metrics(resource, flux_kind, &entry);
    }
    // The Flux Operator's kinds are reported by the operator's own metrics, not gotk_*.
    for kind in FluxKind::ALL
        .into_iter()
        .filter(|k| k.group() != ApiGroup::ControlPlane)
    {
        for version in kind.served_versions() {
            assert!(
                covered.contains(&(kind.name().to_string(), version.to_string())),
                "no kube-state-metrics entry for {kind} {}/{version}",
                kind.group().name()
            );
        }
    }
}

#[test]
fn kubewarden_alerts_select_every_fluxgate_policy() {
    let policies = runner::discover(&repo_root()).unwrap();
    assert!(!policies.is_empty(), "no policy found under policies/");
    let rules: Vec<Value> = alerting_rules()
        .into_iter()
        .filter(|r| {
            r["expr"]
                .as_str()
                .is_some_and(|e| e.contains("kubewarden_"))
        })
        .collect();
    assert!(!rules.is_empty(), "no Kubewarden alert found");
    for rule in &rules {
        let expr = rule["expr"].as_str().unwrap();
        for policy in &policies {
            assert!(
                expr.contains(&policy.name),
                "{}: its policy_name matcher misses the fluxgate policy {}",
                alert_name(rule),
                policy.name
            );
        }
    }
}

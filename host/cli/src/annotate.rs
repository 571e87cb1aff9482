//! `fluxgate annotate`: what `kwctl annotate -m metadata.yml -u README.md` does, checked harder.
//!
//! The metadata is validated first (Kubewarden's rule checks, plus fluxgate's own: the
//! publishing annotations, the crate's version, context-aware resources the module really
//! names), the protocol version is asked of the module itself, and the result is appended as
//! the `io.kubewarden.metadata` custom section in the JSON form kwctl writes. policy-server
//! refuses waPC modules without that section.

use anyhow::{Context, bail, ensure};
use fluxgate_protocol::metadata::{CUSTOM_SECTION, Metadata};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::Runtime;
use serde_json::Value;
use std::collections::BTreeSet;

/// Annotations every fluxgate module must carry: publishing and ArtifactHub read them.
pub const REQUIRED_ANNOTATIONS: [&str; 9] = [
    "io.kubewarden.policy.title",
    "io.kubewarden.policy.version",
    "io.kubewarden.policy.description",
    "io.kubewarden.policy.author",
    "io.kubewarden.policy.url",
    "io.kubewarden.policy.source",
    "io.kubewarden.policy.license",
    "io.kubewarden.policy.ociUrl",
    "io.artifacthub.displayName",
];

pub const USAGE_ANNOTATION: &str = "io.kubewarden.policy.usage";

/// What annotate needs besides the module.
pub struct AnnotateInput<'a> {
    pub metadata_yaml: &'a str,
    /// The README, embedded as `io.kubewarden.policy.usage`.
    pub usage: Option<&'a str>,
    /// The policy crate's version, which `io.kubewarden.policy.version` must equal.
    pub crate_version: Option<&'a str>,
}

/// Returns the annotated module: `wasm` with the metadata section appended.
pub fn annotate(runtime: &Runtime, wasm: &[u8], input: &AnnotateInput) -> anyhow::Result<Vec<u8>> {
    ensure!(
        wasm.starts_with(b"\0asm\x01\0\0\0"),
        "not a WebAssembly module (binary format version 1)"
    );
    ensure!(
        Metadata::from_module(wasm)?.is_none(),
        "the module already has an {CUSTOM_SECTION} section: annotate the unannotated module \
         (Kubewarden reads only the first section)"
    );
    let mut metadata = Metadata::from_yaml(input.metadata_yaml).context("metadata.yml")?;
    validate(&metadata, input.crate_version)?;
    check_context_aware_resources_are_named(wasm, &metadata)?;

    let policy = Policy::from_bytes(runtime, "annotate".into(), wasm)?;
    // kwctl instantiates with an empty context: the module must start without host calls.
    let protocol = policy::protocol_version(runtime, &policy, Default::default())
        .context("calling the module's protocol_version")?;
    ensure!(
        protocol == "v1",
        "the module reports protocol version {protocol:?}; Kubewarden's waPC policies speak v1"
    );
    metadata.protocol_version = Some(protocol);
    metadata
        .execution_mode
        .get_or_insert_with(|| "kubewarden-wapc".into());
    metadata
        .policy_type
        .get_or_insert_with(|| "kubernetes".into());
    if let Some(usage) = input.usage {
        metadata
            .annotations
            .insert(USAGE_ANNOTATION.into(), usage.to_string());
    }

    let json = serde_json::to_vec(&metadata)?;
    let mut out = Vec::with_capacity(wasm.len() + json.len() + 64);
    out.extend_from_slice(wasm);
    out.extend(custom_section(CUSTOM_SECTION, &json));
    Ok(out)
}

/// Kubewarden's metadata rules (policy-evaluator `Metadata::validate`) and fluxgate's.
pub fn validate(metadata: &Metadata, crate_version: Option<&str>) -> anyhow::Result<()> {
    ensure!(
        !metadata.rules.is_empty(),
        "rules: at least one rule is needed"
    );
    for (i, rule) in metadata.rules.iter().enumerate() {
        for field in ["apiGroups", "apiVersions", "resources", "operations"] {
            let values = string_list(rule, field).with_context(|| format!("rules[{i}].{field}"))?;
            ensure!(!values.is_empty(), "rules[{i}].{field}: must not be empty");
            ensure!(
                !values.contains(&"*") || values.len() == 1,
                "rules[{i}].{field}: \"*\" must appear alone"
            );
            if field == "operations" {
                for op in &values {
                    ensure!(
                        ["CREATE", "UPDATE", "DELETE", "CONNECT", "*"].contains(op),
                        "rules[{i}].operations: {op:?} is not CREATE, UPDATE, DELETE, CONNECT or *"
                    );
                }
            }
            if field == "resources" {
                ensure!(
                    values.iter().all(|r| !r.is_empty()),
                    "rules[{i}].resources: empty resource"
                );
            }
        }
    }
    if let Some(mode) = &metadata.execution_mode {
        ensure!(
            mode == "kubewarden-wapc",
            "executionMode: fluxgate policies are waPC modules, not {mode:?}"
        );
    }
    let mut seen = BTreeSet::new();
    for r in &metadata.context_aware_resources {
        ensure!(
            !r.api_version.is_empty() && !r.kind.is_empty(),
            "contextAwareResources: apiVersion and kind are both required"
        );
        ensure!(
            seen.insert((&r.api_version, &r.kind)),
            "contextAwareResources: {}/{} is listed twice",
            r.api_version,
            r.kind
        );
    }
    for key in REQUIRED_ANNOTATIONS {
        let value = metadata.annotations.get(key).map(|v| v.trim());
        ensure!(
            value.is_some_and(|v| !v.is_empty()),
            "annotations.{key}: required for publishing"
        );
    }
    if let Some(expected) = crate_version {
        let declared = &metadata.annotations["io.kubewarden.policy.version"];
        ensure!(
            declared == expected,
            "annotations.io.kubewarden.policy.version is {declared} but the crate is {expected}: \
             bump both together"
        );
    }
    Ok(())
}

fn string_list<'a>(rule: &'a Value, field: &str) -> anyhow::Result<Vec<&'a str>> {
    let Some(list) = rule.get(field).and_then(Value::as_array) else {
        bail!("missing or not a list");
    };
    list.iter()
        .map(|v| v.as_str().context("entries must be strings"))
        .collect()
}

/// A declared context-aware resource the module never names is a stale declaration: it
/// grants access nothing uses. (The fixture replay checks the other direction: every lookup
/// the policy makes is declared, because the host refuses undeclared ones.)
fn check_context_aware_resources_are_named(wasm: &[u8], metadata: &Metadata) -> anyhow::Result<()> {
    let contains = |needle: &str| wasm.windows(needle.len()).any(|w| w == needle.as_bytes());
    for r in &metadata.context_aware_resources {
        ensure!(
            contains(&r.api_version) && contains(&r.kind),
            "contextAwareResources: the module never names {}/{}; drop it from metadata.yml",
            r.api_version,
            r.kind
        );
    }
    Ok(())
}

/// A WebAssembly custom section: id 0, size, name, payload.
fn custom_section(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = leb128(name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut section = vec![0u8];
    section.extend(leb128(body.len()));
    section.extend(body);
    section
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_matches_the_spec_examples() {
        assert_eq!(leb128(0), [0]);
        assert_eq!(leb128(127), [0x7f]);
        assert_eq!(leb128(128), [0x80, 0x01]);
        assert_eq!(leb128(624_485), [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn an_appended_section_is_read_back() {
        let module = wasmparser::Parser::new(0);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend(custom_section(CUSTOM_SECTION, br#"{"mutating":false}"#));
        let names: Vec<String> = module
            .parse_all(&wasm)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::CustomSection(s) => Some(s.name().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, [CUSTOM_SECTION]);
        assert!(!Metadata::from_module(&wasm).unwrap().unwrap().mutating);
    }

    fn metadata(extra: &str) -> Metadata {
        let mut yaml = String::from(
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\nannotations:\n",
        );
        for key in REQUIRED_ANNOTATIONS {
            yaml.push_str(&format!("  {key}: '0.1.0'\n"));
        }
        yaml.push_str(extra);
        Metadata::from_yaml(&yaml).unwrap()
    }

    #[test]
    fn validation_names_what_is_wrong() {
        assert!(validate(&metadata(""), Some("0.1.0")).is_ok());
        let e = validate(&metadata(""), Some("0.2.0")).unwrap_err();
        assert!(e.to_string().contains("bump both together"), "{e}");

        let mut m = metadata("");
        m.rules[0]["operations"] = serde_json::json!(["CREATE", "*"]);
        assert!(
            validate(&m, None)
                .unwrap_err()
                .to_string()
                .contains("must appear alone")
        );
        m.rules[0]["operations"] = serde_json::json!(["PATCH"]);
        assert!(
            validate(&m, None)
                .unwrap_err()
                .to_string()
                .contains("\"PATCH\"")
        );
        m.rules.clear();
        assert!(
            validate(&m, None)
                .unwrap_err()
                .to_string()
                .starts_with("rules:")
        );

        let mut m = metadata("");
        m.annotations.remove("io.kubewarden.policy.ociUrl");
        let e = validate(&m, None).unwrap_err().to_string();
        assert!(e.contains("annotations.io.kubewarden.policy.ociUrl"), "{e}");

        let m = metadata(
            "contextAwareResources: [{apiVersion: v1, kind: Namespace}, {apiVersion: v1, kind: Namespace}]\n",
        );
        assert!(
            validate(&m, None)
                .unwrap_err()
                .to_string()
                .contains("listed twice")
        );
    }
}

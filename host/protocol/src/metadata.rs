//! Kubewarden policy metadata (`metadata.yml`, or the `io.kubewarden.metadata` custom
//! section of an annotated module). Only what the host needs is typed; the rest is kept.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const CUSTOM_SECTION: &str = "io.kubewarden.metadata";

#[derive(Deserialize, Serialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    #[serde(default)]
    pub rules: Vec<serde_json::Value>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub mutating: bool,
    #[serde(default = "yes")]
    pub background_audit: bool,
    #[serde(default)]
    pub context_aware_resources: Vec<ContextAwareResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct ContextAwareResource {
    pub api_version: String,
    pub kind: String,
}

impl Metadata {
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        Ok(serde_yaml::from_str(text)?)
    }

    /// Its `contextAwareResources` as a host grants them: `(apiVersion, kind)` pairs.
    pub fn granted_resources(&self) -> BTreeSet<(String, String)> {
        self.context_aware_resources
            .iter()
            .map(|r| (r.api_version.clone(), r.kind.clone()))
            .collect()
    }

    /// Whether one of the `rules` selects this request (group, version, resource and
    /// operation, `*` matching any), as the webhook configuration Kubewarden writes from
    /// them would send it to the policy.
    pub fn selects(&self, request: &crate::admission::AdmissionRequest) -> bool {
        let r = &request.resource;
        let has = |rule: &serde_json::Value, key: &str, want: &str| {
            rule[key]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x == want || x == "*"))
        };
        self.rules.iter().any(|rule| {
            has(rule, "apiGroups", &r.group)
                && has(rule, "apiVersions", &r.version)
                && has(rule, "resources", &r.resource)
                && has(rule, "operations", &request.operation)
        })
    }

    /// The metadata embedded by `kwctl annotate` (the first such section, as Kubewarden
    /// reads it), or `None` for an unannotated module.
    /// WebAssembly text (accepted by the runtime for tests) carries no metadata.
    pub fn from_module(wasm: &[u8]) -> anyhow::Result<Option<Self>> {
        if !wasm.starts_with(b"\0asm") {
            return Ok(None);
        }
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::CustomSection(section) = payload?
                && section.name() == CUSTOM_SECTION
            {
                return Ok(Some(serde_json::from_slice(section.data())?));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granted_resources_are_the_declared_pairs() {
        let m = Metadata::from_yaml(
            "rules: []\nmutating: false\ncontextAwareResources:\n- {apiVersion: v1, kind: Namespace}\n- {apiVersion: v1, kind: ServiceAccount}\n- {apiVersion: v1, kind: Namespace}\n",
        )
        .unwrap();
        let want: BTreeSet<_> = [("v1", "Namespace"), ("v1", "ServiceAccount")]
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .into();
        assert_eq!(m.granted_resources(), want);
        assert!(Metadata::default().granted_resources().is_empty());
    }
}

//! Validates objects against the real CRD `openAPIV3Schema`s, strictly: a field the schema
//! does not declare is an error (as server-side apply, which Flux uses, reports it),
//! except under `x-kubernetes-preserve-unknown-fields` and in the root `metadata`.
//! CEL rules (`x-kubernetes-validations`) and `format` are not evaluated.

use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Schemas by `(group, version, kind)`.
#[derive(Default, Debug, Clone)]
pub struct CrdSchemas {
    schemas: HashMap<(String, String, String), Value>,
}

impl CrdSchemas {
    /// Loads every CRD in `dirs`, in order: the first file to define a version wins, so the
    /// current CRDs go first and older multi-version ones (for retired versions) after.
    pub fn load(dirs: &[&Path]) -> anyhow::Result<Self> {
        let mut schemas = CrdSchemas::default();
        for dir in dirs {
            let mut files: Vec<_> = std::fs::read_dir(dir)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            files.sort();
            for file in files {
                let crd: Value = serde_yaml::from_str(&std::fs::read_to_string(&file)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                schemas.add(&crd);
            }
        }
        Ok(schemas)
    }

    fn add(&mut self, crd: &Value) {
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
        for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
            let name = version["name"].as_str().unwrap_or_default();
            let key = (group.to_string(), name.to_string(), kind.to_string());
            self.schemas
                .entry(key)
                .or_insert_with(|| version["schema"]["openAPIV3Schema"].clone());
        }
    }

    pub fn knows(&self, group: &str, version: &str, kind: &str) -> bool {
        self.schemas
            .contains_key(&(group.to_string(), version.to_string(), kind.to_string()))
    }

    /// Every `(group, version, kind)` with a schema, and its `openAPIV3Schema`.
    pub fn iter(&self) -> impl Iterator<Item = (&(String, String, String), &Value)> {
        self.schemas.iter()
    }

    /// Errors of `object` against the schema of its apiVersion and kind, each with a path.
    pub fn validate(&self, object: &Value) -> Result<Vec<String>, String> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let schema = self
            .schemas
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .ok_or_else(|| {
                format!("no CRD schema for {kind} {api_version} (add its CRD under testkit/crds)")
            })?;
        let mut errors = Vec::new();
        check(schema, object, "", true, &mut errors);
        Ok(errors)
    }
}

fn check(schema: &Value, value: &Value, path: &str, root: bool, errors: &mut Vec<String>) {
    let at = if path.is_empty() { "<root>" } else { path };
    if value.is_null() {
        if !schema["nullable"].as_bool().unwrap_or(false) {
            errors.push(format!("{at}: null is not allowed"));
        }
        return;
    }
    if schema["x-kubernetes-int-or-string"]
        .as_bool()
        .unwrap_or(false)
    {
        if !(value.is_i64() || value.is_u64() || value.is_string()) {
            errors.push(format!("{at}: must be an integer or a string"));
        }
        return;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema[key].as_array() {
            let passing = branches.iter().filter(|b| has_type(b, value)).count();
            if passing == 0 || (key == "oneOf" && passing > 1) {
                errors.push(format!("{at}: does not match {key}"));
            }
        }
    }
    if !has_type(schema, value) {
        errors.push(format!(
            "{at}: invalid type: {} where the schema wants {}",
            short(value),
            schema["type"].as_str().unwrap_or_default()
        ));
        return;
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!(
            "{at}: {value} is not one of {}",
            Value::Array(options.clone())
        ));
    }
    match value {
        Value::String(s) => check_string(schema, s, at, errors),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            if schema["minimum"].as_f64().is_some_and(|m| x < m) {
                errors.push(format!(
                    "{at}: {x} is below the minimum {}",
                    schema["minimum"]
                ));
            }
            if schema["maximum"].as_f64().is_some_and(|m| x > m) {
                errors.push(format!(
                    "{at}: {x} is above the maximum {}",
                    schema["maximum"]
                ));
            }
        }
        Value::Array(items) => {
            if schema["maxItems"]
                .as_u64()
                .is_some_and(|m| items.len() as u64 > m)
            {
                errors.push(format!("{at}: more than {} items", schema["maxItems"]));
            }
            if schema["minItems"]
                .as_u64()
                .is_some_and(|m| (items.len() as u64) < m)
            {
                errors.push(format!("{at}: fewer than {} items", schema["minItems"]));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{path}[{i}]"), false, errors);
                }
            }
        }
        Value::Object(map) => check_object(schema, map, path, root, errors),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether the value has the schema's `type` (or the schema declares none).
fn has_type(schema: &Value, value: &Value) -> bool {
    match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(_) => true,
    }
}

fn check_string(schema: &Value, s: &str, at: &str, errors: &mut Vec<String>) {
    let len = s.chars().count() as u64;
    if schema["maxLength"].as_u64().is_some_and(|m| len > m) {
        errors.push(format!(
            "{at}: longer than {} characters",
            schema["maxLength"]
        ));
    }
    if schema["minLength"].as_u64().is_some_and(|m| len < m) {
        errors.push(format!(
            "{at}: shorter than {} characters",
            schema["minLength"]
        ));
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        match Regex::new(pattern) {
            Ok(re) if !re.is_match(s) => {
                errors.push(format!("{at}: {s:?} does not match {pattern:?}"))
            }
            Ok(_) => {}
            Err(e) => errors.push(format!(
                "{at}: schema pattern {pattern:?} does not compile: {e}"
            )),
        }
    }
}

fn check_object(
    schema: &Value,
    map: &serde_json::Map<String, Value>,
    path: &str,
    root: bool,
    errors: &mut Vec<String>,
) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    for required in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !map.contains_key(required) {
            errors.push(format!("{}: required field is missing", at(required)));
        }
    }
    let preserve = schema["x-kubernetes-preserve-unknown-fields"]
        .as_bool()
        .unwrap_or(false);
    let properties = schema["properties"].as_object();
    let additional = schema.get("additionalProperties");
    for (key, value) in map {
        let field = at(key);
        match (properties.and_then(|p| p.get(key)), additional) {
            // ObjectMeta is validated by the API server itself, not by the CRD schema.
            _ if root && key == "metadata" => {}
            (Some(sub), _) => check(sub, value, &field, false, errors),
            (None, Some(sub)) if sub.is_object() => check(sub, value, &field, false, errors),
            (None, Some(Value::Bool(true))) => {}
            _ if preserve => {}
            _ => errors.push(format!("{field}: field not declared in schema")),
        }
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}…", &text[..text.floor_char_boundary(40)])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> CrdSchemas {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testkit/crds/flux");
        CrdSchemas::load(&[&root, &root.join("legacy")]).unwrap()
    }

    #[test]
    fn accepts_a_valid_object_and_reports_strictly() {
        let s = schemas();
        let ok = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "a", "anything": 1},
            "spec": {"url": "https://x", "interval": "5m", "verify": {"mode": "Tag", "secretRef": {"name": "k"}}}});
        assert_eq!(s.validate(&ok).unwrap(), Vec::<String>::new());

        let bad = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "a"},
            "spec": {"url": "https://x", "interval": 5, "verify": {"mode": "Commit"}, "allowed": true}});
        let errors = s.validate(&bad).unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e == "spec.allowed: field not declared in schema"),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("spec.verify.mode: \"Commit\" is not one of")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e == "spec.verify.secretRef: required field is missing"),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("spec.interval: invalid type: 5")),
            "{errors:?}"
        );
    }

    #[test]
    fn retired_versions_use_the_legacy_crd() {
        let s = schemas();
        let beta = json!({"apiVersion": "source.toolkit.fluxcd.io/v1beta2", "kind": "GitRepository",
            "metadata": {"name": "a"},
            "spec": {"url": "https://x", "interval": "5m", "verify": {"mode": "Tag", "secretRef": {"name": "k"}}}});
        let errors = s.validate(&beta).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("spec.verify.mode: \"Tag\" is not one of [\"head\"]"));
        let unknown = json!({"apiVersion": "source.toolkit.fluxcd.io/v9", "kind": "GitRepository"});
        assert!(s.validate(&unknown).is_err());
    }

    #[test]
    fn every_served_flux_version_has_a_schema() {
        // The Flux Operator's kinds have the project's own test schemas (SOURCES.md there).
        let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testkit/crds");
        let flux = crds.join("flux");
        let s =
            CrdSchemas::load(&[&flux, &flux.join("legacy"), &crds.join("flux-operator")]).unwrap();
        for kind in flux_kinds::FluxKind::ALL {
            for version in kind.served_versions() {
                assert!(
                    s.knows(kind.group().name(), version, kind.name()),
                    "no CRD schema for {kind} {}/{version}",
                    kind.group().name()
                );
            }
        }
    }

    #[test]
    fn preserve_unknown_fields_is_honoured() {
        let s = schemas();
        let hr = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "a"},
            "spec": {"interval": "5m", "chartRef": {"kind": "OCIRepository", "name": "c"},
                     "values": {"anything": {"goes": [1, 2]}}}});
        assert_eq!(s.validate(&hr).unwrap(), Vec::<String>::new());
    }
}

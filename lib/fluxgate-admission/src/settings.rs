//! Policy settings: strict parsing (unknown keys are errors) plus semantic validation.
//!
//! Every policy's settings are one map: the shared identity keys ([`Identities::KEYS`]) and
//! the policy's own. [`parse`] splits them, so both halves keep `deny_unknown_fields` and
//! every error names its setting.

use crate::identity::Identities;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

/// A policy's own settings type. Implementors derive `Deserialize` with
/// `#[serde(deny_unknown_fields, rename_all = "camelCase", default)]` so a typo is refused
/// instead of silently ignored.
pub trait PolicySettings: DeserializeOwned + Default + 'static {
    /// Checks what the types cannot express (non-empty lists, known values, ...).
    /// The message must name the setting.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// Checks what this policy needs of the shared identity settings (a policy that judges
    /// the Flux namespaces' grants needs at least one `fluxNamespaces` entry, say).
    fn validate_identities(&self, _identities: &Identities) -> Result<(), String> {
        Ok(())
    }
}

/// The settings a policy runs with: the shared identity model and its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings<P> {
    pub identities: Identities,
    pub policy: P,
}

/// Parses and validates settings. `null` (no settings given) means the defaults.
/// Errors name the setting: `settings.allowedModes[1]: unknown variant ...`.
pub fn parse<P: PolicySettings>(raw: &Value) -> Result<Settings<P>, String> {
    let (mut identity_keys, mut own) = (Map::new(), Map::new());
    match raw {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                let half = if Identities::KEYS.contains(&key.as_str()) {
                    &mut identity_keys
                } else {
                    &mut own
                };
                half.insert(key.clone(), value.clone());
            }
        }
        // serde would also read a struct from a JSON array; settings are always a map.
        other => return Err(format!("settings: expected a map of settings, got {other}")),
    }
    let identities: Identities = typed(&Value::Object(identity_keys))?;
    identities.validate()?;
    let policy: P = typed(&Value::Object(own)).map_err(|e| {
        if e.contains(": unknown field") {
            format!(
                "{e}, or one of the identity settings every policy takes: {}",
                Identities::KEY_LIST
            )
        } else {
            e
        }
    })?;
    policy.validate()?;
    policy.validate_identities(&identities)?;
    Ok(Settings { identities, policy })
}

/// Reads from a borrowed `Value`, as the flow reads objects, so the module carries one
/// deserializer per type rather than two.
fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path.is_empty() || path == "." {
            format!("settings: {}", e.inner())
        } else {
            format!("settings.{path}: {}", e.inner())
        }
    })
}

/// [`parse`], remembering the last settings read: an instance that policy-server reuses is
/// sent the same settings with every request, so they are parsed and validated once.
/// (A module holds one policy, so one slot; errors are not kept.)
pub fn parse_cached<P: PolicySettings + 'static>(raw: Value) -> Result<Rc<Settings<P>>, String> {
    thread_local! {
        static LAST: RefCell<Option<(Value, Rc<dyn Any>)>> = const { RefCell::new(None) };
    }
    let hit = LAST.with_borrow(|last| match last {
        Some((seen, parsed)) if *seen == raw => parsed.clone().downcast::<Settings<P>>().ok(),
        _ => None,
    });
    if let Some(parsed) = hit {
        return Ok(parsed);
    }
    let parsed = Rc::new(parse::<P>(&raw)?);
    LAST.set(Some((raw, parsed.clone())));
    Ok(parsed)
}

/// Same as [`parse`] from raw bytes (the `validate_settings` payload).
pub fn parse_bytes<P: PolicySettings>(raw: &[u8]) -> Result<Settings<P>, String> {
    let value: Value =
        serde_json::from_slice(raw).map_err(|e| format!("settings are not valid JSON: {e}"))?;
    parse(&value)
}

/// Refuses blank entries in list settings, naming the first one: a blank name matches
/// nothing and is always a mistake.
pub fn no_blank_entries(lists: &[(&str, &[String])]) -> Result<(), String> {
    for (setting, list) in lists {
        if let Some(i) = list.iter().position(|s| s.trim().is_empty()) {
            return Err(format!(
                "settings.{setting}[{i}]: an empty entry matches nothing"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase", default)]
    struct Own {
        allow_x: bool,
    }
    impl PolicySettings for Own {}

    #[test]
    fn cached_settings_are_parsed_once() {
        let a = parse_cached::<Own>(json!({"allowY": true})).unwrap_err();
        assert!(a.contains("unknown field"), "{a}");
        let first = parse_cached::<Own>(json!({"platformNamespaces": ["infra"]})).unwrap();
        let again = parse_cached::<Own>(json!({"platformNamespaces": ["infra"]})).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        let other = parse_cached::<Own>(json!(null)).unwrap();
        assert_eq!(*other, Settings::default());
        assert!(parse_cached::<Own>(json!({"tenantLabel": 1})).is_err());
    }

    #[test]
    fn identity_and_own_keys_split() {
        let s: Settings<Own> =
            parse(&json!({"allowX": true, "platformNamespaces": ["infra"]})).unwrap();
        assert!(s.policy.allow_x);
        assert_eq!(s.identities.platform_namespaces, ["infra"]);
        assert_eq!(s.identities.flux_namespaces, ["flux-system"]);
        assert_eq!(parse::<Own>(&json!(null)).unwrap(), Settings::default());
    }

    #[test]
    fn errors_name_the_setting() {
        let e = parse::<Own>(&json!({"allowY": true})).unwrap_err();
        assert!(e.starts_with("settings.allowY: unknown field"), "{e}");
        assert!(e.ends_with("identity settings every policy takes: fluxNamespaces, platformNamespaces, platformIdentities, tenantIdentities, tenantLabel, controllerLockdown, trustAnchors"), "{e}");
        let e = parse::<Own>(&json!({"tenantIdentities": "x"})).unwrap_err();
        assert!(
            e.starts_with("settings.tenantIdentities: invalid type"),
            "{e}"
        );
        let e = parse::<Own>(&json!({"tenantIdentities": [" "]})).unwrap_err();
        assert_eq!(
            e,
            "settings.tenantIdentities[0]: an empty entry matches nothing"
        );
        assert!(
            parse::<Own>(&json!([1]))
                .unwrap_err()
                .contains("expected a map")
        );
    }

    #[test]
    fn every_identity_key_is_a_field() {
        let all: Map<String, Value> = Identities::KEYS
            .iter()
            .map(|k| {
                let v = match *k {
                    "tenantLabel" => json!(""),
                    "controllerLockdown" => json!({"globalDecryptionKeys": false}),
                    "trustAnchors" => json!({"secretNames": ["keys"]}),
                    _ => json!([]),
                };
                (k.to_string(), v)
            })
            .collect();
        let ids: Identities = serde_json::from_value(Value::Object(all)).unwrap();
        assert!(ids.platform_namespaces.is_empty() && ids.tenant_label.is_empty());
        assert!(!ids.controller_lockdown.global_decryption_keys);
        assert!(ids.trust_anchors.is_anchor("keys"));
    }
}

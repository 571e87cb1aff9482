//! Policy settings: strict parsing (unknown keys are errors) plus semantic validation.
//!
//! Every policy's settings are one map: the shared identity keys ([`Identities::KEYS`]) and
//! the policy's own. [`parse`] splits them, so both halves keep `deny_unknown_fields` and
//! every error names its setting.

use crate::identity::Identities;
use serde::de::{self, DeserializeOwned};
use serde_json::Value;
use serde_json::value::RawValue;
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
    let text = serde_json::value::to_raw_value(raw).map_err(|e| format!("settings: {e}"))?;
    parse_text(&text)
}

/// [`parse`] from the settings' JSON text, as the payload carries them: decoded from text as
/// objects are ([`crate::request::decode`]), so no `serde_json::Value` tree is built for them.
pub fn parse_text<P: PolicySettings>(raw: &RawValue) -> Result<Settings<P>, String> {
    let (mut identity_keys, mut own) = (Vec::new(), Vec::new());
    match raw.get().as_bytes().first() {
        Some(b'n') => {}
        Some(b'{') => {
            for (key, value) in entries(raw)? {
                let half = if Identities::KEYS.contains(&key.as_str()) {
                    &mut identity_keys
                } else {
                    &mut own
                };
                half.push((key, value));
            }
        }
        // serde would also read a struct from a JSON array; settings are always a map.
        _ => {
            return Err(format!(
                "settings: expected a map of settings, got {}",
                raw.get()
            ));
        }
    }
    let identities: Identities = typed(&identity_keys)?;
    identities.validate()?;
    let policy: P = typed(&own).map_err(|e| {
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

/// A map's entries, as `serde_json::Value` keeps them: a repeated key's last value, in the
/// place of its first.
fn entries(raw: &RawValue) -> Result<Vec<(String, &RawValue)>, String> {
    struct Entries;
    impl<'de> de::Visitor<'de> for Entries {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of settings")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries: Self::Value = Vec::new();
            while let Some((key, value)) = map.next_entry::<String, &RawValue>()? {
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = value,
                    None => entries.push((key, value)),
                }
            }
            Ok(entries)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(raw.get().as_bytes());
    de::Deserializer::deserialize_map(&mut de, Entries).map_err(|e| format!("settings: {e}"))
}

/// Decodes one half of the settings from its entries, naming the setting on error.
fn typed<T: DeserializeOwned>(entries: &[(String, &RawValue)]) -> Result<T, String> {
    let mut text = String::from("{");
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(key).map_err(|e| e.to_string())?);
        text.push(':');
        text.push_str(value.get());
    }
    text.push('}');
    let text = RawValue::from_string(text).map_err(|e| format!("settings: {e}"))?;
    crate::request::decode(&text).map_err(|e| {
        if e.path.is_empty() || e.path == "." {
            format!("settings: {}", e.message)
        } else {
            format!("settings.{}: {}", e.path, e.message)
        }
    })
}

/// [`parse`], remembering the last settings read: an instance that policy-server reuses is
/// sent the same settings with every request, so they are parsed and validated once, and
/// recognised by their text. (A module holds one policy, so one slot; errors are not kept.)
pub fn parse_cached<P: PolicySettings + 'static>(
    raw: Option<&RawValue>,
) -> Result<Rc<Settings<P>>, String> {
    thread_local! {
        static LAST: RefCell<Option<(String, Rc<dyn Any>)>> = const { RefCell::new(None) };
    }
    let text = raw.map_or("null", RawValue::get);
    let hit = LAST.with_borrow(|last| match last {
        Some((seen, parsed)) if seen == text => parsed.clone().downcast::<Settings<P>>().ok(),
        _ => None,
    });
    if let Some(parsed) = hit {
        return Ok(parsed);
    }
    let parsed = Rc::new(parse_text::<P>(raw.unwrap_or(RawValue::NULL))?);
    LAST.set(Some((text.to_string(), parsed.clone())));
    Ok(parsed)
}

/// Same as [`parse`] from raw bytes (the `validate_settings` payload).
pub fn parse_bytes<P: PolicySettings>(raw: &[u8]) -> Result<Settings<P>, String> {
    let text: Box<RawValue> =
        serde_json::from_slice(raw).map_err(|e| format!("settings are not valid JSON: {e}"))?;
    parse_text(&text)
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
    use serde_json::{Map, json};

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase", default)]
    struct Own {
        allow_x: bool,
    }
    impl PolicySettings for Own {}

    #[test]
    fn cached_settings_are_parsed_once() {
        let raw = |text: &str| RawValue::from_string(text.to_string()).unwrap();
        let a = parse_cached::<Own>(Some(&raw(r#"{"allowY": true}"#))).unwrap_err();
        assert!(a.contains("unknown field"), "{a}");
        let first = parse_cached::<Own>(Some(&raw(r#"{"platformNamespaces":["infra"]}"#)));
        let again = parse_cached::<Own>(Some(&raw(r#"{"platformNamespaces":["infra"]}"#)));
        assert!(Rc::ptr_eq(&first.unwrap(), &again.unwrap()));
        let other = parse_cached::<Own>(None).unwrap();
        assert_eq!(*other, Settings::default());
        assert_eq!(parse_cached::<Own>(Some(&raw("null"))).unwrap(), other);
        assert!(parse_cached::<Own>(Some(&raw(r#"{"tenantLabel": 1}"#))).is_err());
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

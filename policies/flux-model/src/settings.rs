//! Policy settings: strict parsing (unknown keys are errors) plus semantic validation.

use serde::de::DeserializeOwned;

/// A policy's settings type. Implementors derive `Deserialize` with
/// `#[serde(deny_unknown_fields, rename_all = "camelCase", default)]` so a typo is refused
/// instead of silently ignored.
pub trait PolicySettings: DeserializeOwned + Default {
    /// Checks what the types cannot express (non-empty lists, known values, ...).
    /// The message must name the setting.
    fn validate(&self) -> Result<(), String>;
}

/// Parses and validates settings. `null` (no settings given) means the defaults.
/// Errors name the setting: `settings.allowedModes[1]: unknown variant ...`.
pub fn parse<S: PolicySettings>(raw: &serde_json::Value) -> Result<S, String> {
    if raw.is_null() {
        let defaults = S::default();
        defaults.validate()?;
        return Ok(defaults);
    }
    // serde would also read a struct from a JSON array; settings are always a map.
    if !raw.is_object() {
        return Err(format!("settings: expected a map of settings, got {raw}"));
    }
    let settings: S = serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = e.path().to_string();
        if path.is_empty() || path == "." {
            format!("settings: {}", e.inner())
        } else {
            format!("settings.{path}: {}", e.inner())
        }
    })?;
    settings.validate()?;
    Ok(settings)
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

/// Same as [`parse`] from raw bytes (the `validate_settings` payload).
pub fn parse_bytes<S: PolicySettings>(raw: &[u8]) -> Result<S, String> {
    let value: serde_json::Value =
        serde_json::from_slice(raw).map_err(|e| format!("settings are not valid JSON: {e}"))?;
    parse(&value)
}

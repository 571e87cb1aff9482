use fluxgate_admission::PolicySettings;
use serde::Deserialize;
use std::fmt;

/// GitRepository `spec.verify.mode` values. `head` (the only value of v1beta1/v1beta2,
/// still accepted by v1) means the same as `HEAD`.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    #[serde(rename = "HEAD", alias = "head")]
    Head,
    Tag,
    #[serde(rename = "TagAndHEAD")]
    TagAndHead,
}

impl VerifyMode {
    /// Reads a mode as source-controller does; `None` for values Flux does not know.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "HEAD" | "head" => Some(VerifyMode::Head),
            "Tag" => Some(VerifyMode::Tag),
            "TagAndHEAD" => Some(VerifyMode::TagAndHead),
            _ => None,
        }
    }

    /// Whether the mode verifies a tag object, which needs a tag reference.
    pub fn needs_tag(self) -> bool {
        matches!(self, VerifyMode::Tag | VerifyMode::TagAndHead)
    }
}

impl fmt::Display for VerifyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerifyMode::Head => "HEAD",
            VerifyMode::Tag => "Tag",
            VerifyMode::TagAndHead => "TagAndHEAD",
        })
    }
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Verification modes a GitRepository may use.
    pub allowed_modes: Vec<VerifyMode>,
    /// When non-empty, `spec.verify.secretRef.name` must be one of these Secret names.
    pub allowed_key_secrets: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_modes: vec![VerifyMode::Head, VerifyMode::Tag, VerifyMode::TagAndHead],
            allowed_key_secrets: Vec::new(),
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.allowed_modes.is_empty() {
            return Err(
                "settings.allowedModes: list at least one of HEAD, Tag, TagAndHEAD \
                        (an empty list would reject every GitRepository)"
                    .into(),
            );
        }
        fluxgate_admission::settings::no_blank_entries(&[(
            "allowedKeySecrets",
            &self.allowed_key_secrets,
        )])
    }
}

impl Settings {
    pub fn allowed_modes_list(&self) -> String {
        let names: Vec<String> = self.allowed_modes.iter().map(|m| m.to_string()).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxgate_admission::settings::parse;
    use serde_json::json;

    #[test]
    fn defaults_allow_every_mode() {
        let s = parse::<Settings>(&json!(null)).unwrap().policy;
        assert_eq!(s, Settings::default());
        assert_eq!(s.allowed_modes_list(), "HEAD, Tag, TagAndHEAD");
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_setting() {
        let e = parse::<Settings>(&json!({"allowedMode": ["Tag"]})).unwrap_err();
        assert!(e.contains("unknown field `allowedMode`"), "{e}");
        let e = parse::<Settings>(&json!({"allowedModes": "Tag"})).unwrap_err();
        assert!(e.starts_with("settings.allowedModes: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedModes": ["Tag", "Commit"]})).unwrap_err();
        assert!(
            e.starts_with("settings.allowedModes[1]: unknown variant `Commit`"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"allowedModes": []})).unwrap_err();
        assert!(e.starts_with("settings.allowedModes:"), "{e}");
    }

    #[test]
    fn lower_case_head_is_head() {
        let s = parse::<Settings>(&json!({"allowedModes": ["head"]}))
            .unwrap()
            .policy;
        assert_eq!(s.allowed_modes, vec![VerifyMode::Head]);
    }
}

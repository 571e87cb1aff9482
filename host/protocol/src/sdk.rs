//! The two answers a policy module writes, as kubewarden-policy-sdk 0.17.3 declares them
//! (`src/response.rs` `ValidationResponse`, `src/settings.rs` `SettingsValidationResponse`).
//!
//! Natively these are the SDK's own types. In the browser (`wasm32-unknown-unknown`) the copy
//! below stands in: the SDK links `wapc-guest`, whose `#[no_mangle] __guest_call` and `wapc`
//! imports would become the playground module's own. The test reads and writes the same JSON
//! through both.

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use kubewarden_policy_sdk::{
    response::ValidationResponse, settings::SettingsValidationResponse,
};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use copy::{SettingsValidationResponse, ValidationResponse};

#[cfg(any(test, all(target_arch = "wasm32", target_os = "unknown")))]
mod copy {
    use serde::{Deserialize, Serialize};
    use std::collections::HashMap;

    /// The outcome of `validate` (the SDK's `ValidationResponse`, field for field).
    #[derive(Deserialize, Serialize, Debug)]
    pub struct ValidationResponse {
        pub accepted: bool,
        pub message: Option<String>,
        pub code: Option<u16>,
        pub mutated_object: Option<serde_json::Value>,
        pub audit_annotations: Option<HashMap<String, String>>,
        pub warnings: Option<Vec<String>>,
    }

    /// The outcome of `validate_settings` (the SDK's `SettingsValidationResponse`).
    #[derive(Deserialize, Serialize, Debug, Clone)]
    pub struct SettingsValidationResponse {
        pub valid: bool,
        pub message: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::copy;
    use kubewarden_policy_sdk::{response, settings};
    use serde_json::Value;

    fn both<A, B>(text: &str) -> (Result<Value, String>, Result<Value, String>)
    where
        A: serde::Serialize + for<'de> serde::Deserialize<'de>,
        B: serde::Serialize + for<'de> serde::Deserialize<'de>,
    {
        let read = |r: Result<Value, serde_json::Error>| r.map_err(|e| e.to_string());
        (
            read(serde_json::from_str::<A>(text).and_then(|a| serde_json::to_value(a))),
            read(serde_json::from_str::<B>(text).and_then(|b| serde_json::to_value(b))),
        )
    }

    #[test]
    fn the_copy_reads_and_writes_as_the_sdk() {
        for text in [
            r#"{"accepted":true}"#,
            r#"{"accepted":false,"message":"no","code":400,"warnings":["w"]}"#,
            r#"{"accepted":true,"mutated_object":{"a":1},"audit_annotations":{"k":"v"}}"#,
            r#"{"accepted":"yes"}"#,
            r#"{"message":"no accepted"}"#,
            r#"{"accepted":false,"code":70000}"#,
        ] {
            let (sdk, ours) = both::<response::ValidationResponse, copy::ValidationResponse>(text);
            assert_eq!(sdk, ours, "{text}");
        }
        for text in [
            r#"{"valid":true}"#,
            r#"{"valid":false,"message":"bad"}"#,
            r#"{"valid":null}"#,
            "[]",
        ] {
            let (sdk, ours) = both::<
                settings::SettingsValidationResponse,
                copy::SettingsValidationResponse,
            >(text);
            assert_eq!(sdk, ours, "{text}");
        }
    }
}

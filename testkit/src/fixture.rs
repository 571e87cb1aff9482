//! The fixture format: one admission case per YAML file, readable on one screen.
//!
//! ```yaml
//! description: Tag verification on a branch cannot work
//! operation: CREATE                 # default CREATE; DELETE uses oldObject
//! user: system:serviceaccount:apps:deployer   # request.userInfo.username (default below)
//! settings: {allowedModes: [Tag]}   # default: no settings
//! clusterState: {resources: [...], canI: [...]}   # served to host capabilities
//! object: {apiVersion: ..., kind: ..., metadata: ..., spec: ...}
//! oldObject: {...}                  # UPDATE and DELETE
//! malformed: why the object deliberately breaks its CRD schema
//! expect:
//!   allowed: false
//!   message: spec.ref               # substring (or a list of substrings) of status.message
//!   code: 400                       # optional
//!   rules: [gcv/tag-mode-needs-tag]  # the findings' rule ids (required when denied)
//! ```
//! A settings case says `expect: {settingsValid: false, message: ...}` instead.

use fluxgate_protocol::admission::AdmissionRequest;
use serde::Deserialize;
use serde_json::Value;

/// Who applies objects in a Flux cluster unless a fixture says otherwise.
pub const DEFAULT_USER: &str = "system:serviceaccount:flux-system:kustomize-controller";

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixture {
    pub description: String,
    #[serde(default = "create")]
    pub operation: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
    #[serde(default)]
    pub settings: Value,
    #[serde(default)]
    pub cluster_state: Option<Value>,
    #[serde(default)]
    pub object: Value,
    #[serde(default)]
    pub old_object: Value,
    #[serde(default)]
    pub malformed: Option<String>,
    pub expect: Expect,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    #[serde(default)]
    pub allowed: Option<bool>,
    #[serde(default)]
    pub message: Substrings,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub warning: Option<String>,
    /// The rule ids of every finding (deny and warn), as a set; required when denied.
    #[serde(default)]
    pub rules: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub settings_valid: bool,
}

/// One substring or several.
#[derive(Deserialize, Debug, Default)]
#[serde(untagged)]
pub enum Substrings {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Substrings {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Substrings::None => &[],
            Substrings::One(s) => std::slice::from_ref(s),
            Substrings::Many(v) => v,
        }
    }
}

fn create() -> String {
    "CREATE".into()
}

fn yes() -> bool {
    true
}

impl Fixture {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let fixture: Fixture = serde_yaml::from_str(text)?;
        if fixture.expect.settings_valid {
            anyhow::ensure!(
                fixture.expect.allowed.is_some(),
                "expect.allowed is required (or expect.settingsValid: false for a settings case)"
            );
        } else {
            anyhow::ensure!(
                fixture.expect.allowed.is_none(),
                "a settings case (settingsValid: false) never reaches validate: drop expect.allowed"
            );
        }
        Ok(fixture)
    }

    /// The object the request is about: `object`, or `oldObject` for DELETE.
    fn subject(&self) -> &Value {
        if self.object.is_object() {
            &self.object
        } else {
            &self.old_object
        }
    }

    /// The AdmissionRequest the API server would send for this case.
    pub fn request(&self, uid: &str) -> AdmissionRequest {
        let username = self.user.as_deref().unwrap_or(DEFAULT_USER);
        let mut request = AdmissionRequest::create(uid, self.subject(), username);
        if let Some(groups) = &self.groups {
            request.user_info.groups = Some(groups.clone());
        }
        request.operation = self.operation.clone();
        request.object = (!self.object.is_null()).then(|| self.object.clone());
        request.old_object = (!self.old_object.is_null()).then(|| self.old_object.clone());
        request.dry_run = self.dry_run;
        request
    }
    /// Writes what `fluxgate run` and `fluxgate bench` read for this case: DIR/request.json,
    /// DIR/settings.json and DIR/cluster.json (the state context-aware policies look up).
    pub fn export(&self, uid: &str, dir: &std::path::Path) -> anyhow::Result<()> {
        fn write(path: std::path::PathBuf, value: &impl serde::Serialize) -> anyhow::Result<()> {
            Ok(std::fs::write(path, serde_json::to_string_pretty(value)?)?)
        }
        std::fs::create_dir_all(dir)?;
        write(dir.join("request.json"), &self.request(uid))?;
        let settings = if self.settings.is_null() {
            serde_json::json!({})
        } else {
            self.settings.clone()
        };
        write(dir.join("settings.json"), &settings)?;
        let none = serde_json::json!({});
        write(
            dir.join("cluster.json"),
            self.cluster_state.as_ref().unwrap_or(&none),
        )
    }
}

use flux_model::PolicySettings;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Namespaces whose HelmReleases belong to the platform and are not checked.
    pub platform_namespaces: Vec<String>,
    /// Service account names tenants may not use, besides Flux's controllers.
    pub denied_service_accounts: Vec<String>,
    /// Extra namespaces a tenant namespace may install into: `{team-a: [team-a-preview]}`.
    pub allowed_target_namespaces: BTreeMap<String, Vec<String>>,
    /// Namespaces whose chart sources every tenant may reference.
    pub shared_source_namespaces: Vec<String>,
    /// Releases (`namespace/name` globs) whose values may ask for privileges (CNI, CSI, ...).
    pub exempt_releases: Vec<String>,
    /// Value paths (globs, e.g. `spec.values.cilium.*`) that may ask for privileges.
    pub exempt_value_paths: Vec<String>,
    /// Require `spec.install.remediation.retries` (non-zero).
    pub require_install_remediation: bool,
    /// Require `spec.upgrade.remediation` with retries and the rollback strategy, or
    /// `spec.upgrade.cleanupOnFail`.
    pub require_upgrade_remediation: bool,
    /// Require `spec.test.enable: true`.
    pub require_tests: bool,
    /// Allow `spec.kubeConfig`.
    pub allow_kube_config: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            platform_namespaces: vec!["flux-system".into()],
            denied_service_accounts: vec!["default".into()],
            allowed_target_namespaces: BTreeMap::new(),
            shared_source_namespaces: Vec::new(),
            exempt_releases: Vec::new(),
            exempt_value_paths: Vec::new(),
            require_install_remediation: false,
            require_upgrade_remediation: false,
            require_tests: false,
            allow_kube_config: false,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        flux_model::settings::no_blank_entries(&[
            ("platformNamespaces", &self.platform_namespaces),
            ("deniedServiceAccounts", &self.denied_service_accounts),
            ("sharedSourceNamespaces", &self.shared_source_namespaces),
            ("exemptReleases", &self.exempt_releases),
            ("exemptValuePaths", &self.exempt_value_paths),
        ])
    }
}

impl Settings {
    /// The namespaces a HelmRelease in `namespace` may install into.
    pub fn target_namespaces<'a>(&'a self, namespace: &'a str) -> Vec<&'a str> {
        flux_model::tenancy::allowed_namespaces(namespace, &self.allowed_target_namespaces)
    }
}

use fluxgate_admission::PolicySettings;
use fluxgate_rules::ObjectRef;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Service account names tenants may not use, besides Flux's controllers.
    pub denied_service_accounts: Vec<String>,
    /// Extra namespaces a tenant namespace may install into: `{team-a: [team-a-preview]}`.
    pub allowed_target_namespaces: BTreeMap<String, Vec<String>>,
    /// Namespaces whose chart sources every tenant may reference.
    pub shared_source_namespaces: Vec<String>,
    /// Releases (`namespace/name` globs) the policy does not check: the platform's own
    /// releases in tenant namespaces, whose values must ask for privileges (CNI, CSI, ...).
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
        fluxgate_admission::settings::no_blank_entries(&[
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
        fluxgate_admission::tenancy::allowed_namespaces(namespace, &self.allowed_target_namespaces)
    }

    /// Whether `exemptReleases` names the release (`namespace/name`): the flow then admits
    /// it without a check.
    pub fn exempts(release: &ObjectRef, settings: &Settings) -> bool {
        if release.kind != "HelmRelease" {
            return false;
        }
        let name = format!("{}/{}", release.namespace, release.name);
        fluxgate_matchers::glob::any_matches(&settings.exempt_releases, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxgate_admission::settings::parse;
    use serde_json::json;

    #[test]
    fn strict_settings() {
        assert_eq!(
            parse::<Settings>(&json!(null)).unwrap().policy,
            Settings::default()
        );
        let e = parse::<Settings>(&json!({"exemptRelease": ["a/b"]})).unwrap_err();
        assert!(
            e.starts_with("settings.exemptRelease: unknown field"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"exemptReleases": [""]})).unwrap_err();
        assert!(e.starts_with("settings.exemptReleases[0]"), "{e}");
        let e = parse::<Settings>(&json!({"requireTests": "yes"})).unwrap_err();
        assert!(e.starts_with("settings.requireTests: invalid type"), "{e}");
    }

    #[test]
    fn platform_namespaces_are_the_shared_setting() {
        let s = parse::<Settings>(&json!(null)).unwrap();
        assert_eq!(
            s.identities.platform_namespaces,
            ["flux-system", "kube-system", "kubewarden"]
        );
        let s = parse::<Settings>(&json!({"platformNamespaces": ["infra"]})).unwrap();
        assert_eq!(s.identities.platform_namespaces, ["infra"]);
    }

    #[test]
    fn exempt_releases_match_namespace_slash_name() {
        let s = parse::<Settings>(&json!({"exemptReleases": ["team-net/cilium*"]}))
            .unwrap()
            .policy;
        let release = |ns: &str, name: &str| ObjectRef {
            kind: "HelmRelease".into(),
            namespace: ns.into(),
            name: name.into(),
        };
        assert!(Settings::exempts(&release("team-net", "cilium"), &s));
        assert!(Settings::exempts(&release("team-net", "cilium-agent"), &s));
        assert!(!Settings::exempts(&release("team-a", "cilium"), &s));
        assert!(!Settings::exempts(
            &release("team-net", "podinfo"),
            &Settings::default()
        ));
    }
}

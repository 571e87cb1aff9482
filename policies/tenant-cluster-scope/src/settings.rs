use flux_model::PolicySettings;
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Namespaces whose service accounts belong to the platform (Flux's controllers among
    /// them) and are never tenants.
    pub platform_namespaces: Vec<String>,
    /// Further platform identities, as username globs (`system:serviceaccount:infra:*`).
    pub platform_identities: Vec<String>,
    /// Tenant identities, as username or group globs. Empty: every service account outside
    /// the platform namespaces.
    pub tenant_identities: Vec<String>,
    /// Cluster-scoped kinds tenants may still write: `Kind` (any group) or `group/Kind`
    /// (`/Kind` for the core group).
    pub allowed_cluster_scoped_kinds: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            platform_namespaces: ["flux-system", "kube-system", "kubewarden"]
                .map(String::from)
                .to_vec(),
            platform_identities: Vec::new(),
            tenant_identities: Vec::new(),
            allowed_cluster_scoped_kinds: Vec::new(),
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        flux_model::settings::no_blank_entries(&[
            ("platformNamespaces", &self.platform_namespaces),
            ("platformIdentities", &self.platform_identities),
            ("tenantIdentities", &self.tenant_identities),
            (
                "allowedClusterScopedKinds",
                &self.allowed_cluster_scoped_kinds,
            ),
        ])
    }
}

impl Settings {
    /// Whether tenants may write `kind` of API `group` at cluster scope.
    pub fn allows_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        self.allowed_cluster_scoped_kinds
            .iter()
            .any(|entry| match entry.split_once('/') {
                Some((g, k)) => g == group && k == kind,
                None => entry == kind,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_model::settings::parse;
    use serde_json::json;

    #[test]
    fn strict_settings() {
        assert_eq!(
            parse::<Settings>(&json!(null)).unwrap(),
            Settings::default()
        );
        let e = parse::<Settings>(&json!({"platformNamespace": ["x"]})).unwrap_err();
        assert!(
            e.starts_with("settings.platformNamespace: unknown field"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"tenantIdentities": [""]})).unwrap_err();
        assert_eq!(
            e,
            "settings.tenantIdentities[0]: an empty entry matches nothing"
        );
    }

    #[test]
    fn kind_allowlist() {
        let s = Settings {
            allowed_cluster_scoped_kinds: vec!["/Namespace".into(), "PriorityClass".into()],
            ..Settings::default()
        };
        assert!(s.allows_cluster_scoped("", "Namespace"));
        assert!(!s.allows_cluster_scoped("example.com", "Namespace"));
        assert!(s.allows_cluster_scoped("scheduling.k8s.io", "PriorityClass"));
        assert!(!s.allows_cluster_scoped("rbac.authorization.k8s.io", "ClusterRole"));
    }
}

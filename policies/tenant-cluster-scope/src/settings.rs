use fluxgate_admission::PolicySettings;
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Cluster-scoped kinds tenants may still write: `Kind` (any group) or `group/Kind`
    /// (`/Kind` for the core group).
    pub allowed_cluster_scoped_kinds: Vec<String>,
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[(
            "allowedClusterScopedKinds",
            &self.allowed_cluster_scoped_kinds,
        )])
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
    use fluxgate_admission::settings::parse;
    use serde_json::json;

    #[test]
    fn strict_settings() {
        assert_eq!(
            parse::<Settings>(&json!(null)).unwrap().policy,
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
        };
        assert!(s.allows_cluster_scoped("", "Namespace"));
        assert!(!s.allows_cluster_scoped("example.com", "Namespace"));
        assert!(s.allows_cluster_scoped("scheduling.k8s.io", "PriorityClass"));
        assert!(!s.allows_cluster_scoped("rbac.authorization.k8s.io", "ClusterRole"));
    }
}

use fluxgate_admission::identity::FLUX_CONTROLLER_ACCOUNTS;
use fluxgate_admission::{Identities, PolicySettings};
pub use fluxgate_rbac::MissingRole;
use fluxgate_rbac::check_account_glob;
use serde::Deserialize;

/// The policy's own settings. The namespaces whose secrets are Flux's credentials are the
/// shared identity setting `fluxNamespaces`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Service accounts (`namespace:name` globs) that may read them.
    pub allowed_service_accounts: Vec<String>,
    /// Users (globs) that may read them.
    pub allowed_users: Vec<String>,
    /// Groups (globs) that may read them.
    pub allowed_groups: Vec<String>,
    /// A binding whose role does not exist (yet): `deny` or `allow`.
    pub missing_role: MissingRole,
}

impl Default for Settings {
    fn default() -> Self {
        let mut accounts: Vec<String> = FLUX_CONTROLLER_ACCOUNTS
            .iter()
            .map(|n| format!("flux-system:{n}"))
            .collect();
        // Kubernetes' own controllers (garbage collector, namespace controller, ...) are bound
        // to roles that read every secret; their bootstrap bindings are reconciled on upgrade.
        accounts.push("kube-system:*".into());
        Settings {
            allowed_service_accounts: accounts,
            allowed_users: vec!["system:kube-controller-manager".into()],
            allowed_groups: vec!["system:masters".into()],
            missing_role: MissingRole::Deny,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            ("allowedServiceAccounts", &self.allowed_service_accounts),
            ("allowedUsers", &self.allowed_users),
            ("allowedGroups", &self.allowed_groups),
        ])?;
        for (i, entry) in self.allowed_service_accounts.iter().enumerate() {
            check_account_glob("allowedServiceAccounts", i, entry)?;
        }
        Ok(())
    }

    /// Without a Flux namespace there are no Flux secrets to guard.
    fn validate_identities(&self, identities: &Identities) -> Result<(), String> {
        if identities.flux_namespaces.is_empty() {
            return Err("settings.fluxNamespaces: name at least one namespace".into());
        }
        Ok(())
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
        let e = parse::<Settings>(&json!({"allowedUsers": "alice"})).unwrap_err();
        assert!(e.starts_with("settings.allowedUsers: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedServiceAccounts": ["x"]})).unwrap_err();
        assert!(e.contains("is not namespace:name"), "{e}");
        let e = parse::<Settings>(&json!({"allowedGroup": []})).unwrap_err();
        assert!(e.contains("unknown field `allowedGroup`"), "{e}");
    }

    #[test]
    fn flux_namespaces_are_shared() {
        let s = parse::<Settings>(&json!({"fluxNamespaces": ["gitops"]})).unwrap();
        assert_eq!(s.identities.flux_namespaces, ["gitops"]);
        let e = parse::<Settings>(&json!({"fluxNamespaces": [""]})).unwrap_err();
        assert!(e.starts_with("settings.fluxNamespaces[0]"), "{e}");
    }
}

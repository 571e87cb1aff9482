use flux_model::PolicySettings;
pub use flux_model::rbac::MissingRole;
use flux_model::rbac::check_account_glob;
use flux_model::tenancy::FLUX_CONTROLLER_ACCOUNTS;
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Namespaces whose secrets are Flux's credentials.
    pub flux_namespaces: Vec<String>,
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
            flux_namespaces: vec!["flux-system".into()],
            allowed_service_accounts: accounts,
            allowed_users: vec!["system:kube-controller-manager".into()],
            allowed_groups: vec!["system:masters".into()],
            missing_role: MissingRole::Deny,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        flux_model::settings::no_blank_entries(&[
            ("fluxNamespaces", &self.flux_namespaces),
            ("allowedServiceAccounts", &self.allowed_service_accounts),
            ("allowedUsers", &self.allowed_users),
            ("allowedGroups", &self.allowed_groups),
        ])?;
        if self.flux_namespaces.is_empty() {
            return Err("settings.fluxNamespaces: name at least one namespace".into());
        }
        for (i, entry) in self.allowed_service_accounts.iter().enumerate() {
            check_account_glob("allowedServiceAccounts", i, entry)?;
        }
        Ok(())
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
        let e = parse::<Settings>(&json!({"allowedUsers": "alice"})).unwrap_err();
        assert!(e.starts_with("settings.allowedUsers: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedServiceAccounts": ["x"]})).unwrap_err();
        assert!(e.contains("is not namespace:name"), "{e}");
        let e = parse::<Settings>(&json!({"fluxNamespaces": []})).unwrap_err();
        assert!(e.starts_with("settings.fluxNamespaces"), "{e}");
        let e = parse::<Settings>(&json!({"allowedGroup": []})).unwrap_err();
        assert!(e.contains("unknown field `allowedGroup`"), "{e}");
    }
}

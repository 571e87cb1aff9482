use fluxgate_admission::PolicySettings;
use fluxgate_admission::identity::FLUX_CONTROLLER_ACCOUNTS;
pub use fluxgate_rbac::MissingRole;
use fluxgate_rbac::check_account_glob;
use serde::Deserialize;

/// Flux's API groups: its controllers hold `*` on them (ClusterRole crd-controller).
pub const FLUX_API_GROUPS: [&str; 6] = [
    "source.toolkit.fluxcd.io",
    "source.extensions.fluxcd.io",
    "kustomize.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "image.toolkit.fluxcd.io",
];

/// The policy's own settings. Who is a Flux identity also depends on the shared identity
/// settings: `fluxNamespaces` (every service account there) and `tenantIdentities`
/// (the tenant identities Flux impersonates, as username globs).
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Service accounts (`namespace:name` globs) that may hold anything, cluster-admin included.
    pub platform_accounts: Vec<String>,
    /// Flux controller service accounts: may also hold `*` on `controllerApiGroups` and
    /// `serviceaccounts/token` create, as Flux's crd-controller ClusterRole grants them.
    pub controller_accounts: Vec<String>,
    /// API groups where controller accounts may hold wildcards.
    pub controller_api_groups: Vec<String>,
    /// More resources no Flux identity may write, as `resource` (core) or `resource.group`.
    pub extra_forbidden_writes: Vec<String>,
    /// A binding whose role does not exist (yet): `deny` or `allow`.
    pub missing_role: MissingRole,
}

impl Default for Settings {
    fn default() -> Self {
        let in_flux = |names: &[&str]| names.iter().map(|n| format!("flux-system:{n}")).collect();
        Settings {
            platform_accounts: in_flux(&["kustomize-controller", "helm-controller"]),
            controller_accounts: in_flux(&FLUX_CONTROLLER_ACCOUNTS),
            controller_api_groups: FLUX_API_GROUPS.iter().map(|g| g.to_string()).collect(),
            extra_forbidden_writes: Vec::new(),
            missing_role: MissingRole::Deny,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            ("platformAccounts", &self.platform_accounts),
            ("controllerAccounts", &self.controller_accounts),
            ("controllerApiGroups", &self.controller_api_groups),
            ("extraForbiddenWrites", &self.extra_forbidden_writes),
        ])?;
        for (setting, list) in [
            ("platformAccounts", &self.platform_accounts),
            ("controllerAccounts", &self.controller_accounts),
        ] {
            for (i, entry) in list.iter().enumerate() {
                check_account_glob(setting, i, entry)?;
            }
        }
        if let Some(i) = self
            .controller_api_groups
            .iter()
            .position(|g| g.contains('*'))
        {
            return Err(format!(
                "settings.controllerApiGroups[{i}]: a wildcard group would let controllers hold `*` everywhere; name the groups"
            ));
        }
        if let Some(i) = self
            .extra_forbidden_writes
            .iter()
            .position(|r| r.trim() != r || r.starts_with('.') || r.contains(' '))
        {
            return Err(format!(
                "settings.extraForbiddenWrites[{i}]: {:?} is not resource or resource.group (e.g. secrets, deployments.apps)",
                self.extra_forbidden_writes[i]
            ));
        }
        Ok(())
    }
}

impl Settings {
    /// `extraForbiddenWrites` as (group, resource).
    pub fn extra_writes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra_forbidden_writes
            .iter()
            .map(|r| match r.split_once('.') {
                Some((resource, group)) => (group, resource),
                None => ("", r.as_str()),
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
        assert_eq!(
            parse::<Settings>(&json!({})).unwrap().policy,
            Settings::default()
        );
        let e = parse::<Settings>(&json!({"missingRole": "maybe"})).unwrap_err();
        assert!(
            e.starts_with("settings.missingRole: unknown variant"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"controllerAccounts": ["flux"]})).unwrap_err();
        assert!(e.contains("is not namespace:name"), "{e}");
        let e = parse::<Settings>(&json!({"fluxNamespaces": [""]})).unwrap_err();
        assert!(e.starts_with("settings.fluxNamespaces[0]"), "{e}");
        let e = parse::<Settings>(&json!({"controllerApiGroups": ["*"]})).unwrap_err();
        assert!(e.starts_with("settings.controllerApiGroups[0]"), "{e}");
        let s =
            parse::<Settings>(&json!({"extraForbiddenWrites": ["secrets", "deployments.apps"]}))
                .unwrap()
                .policy;
        assert_eq!(
            s.extra_writes().collect::<Vec<_>>(),
            [("", "secrets"), ("apps", "deployments")]
        );
    }

    #[test]
    fn identity_settings_are_shared() {
        let s = parse::<Settings>(&json!({
            "fluxNamespaces": ["gitops"],
            "tenantIdentities": ["system:serviceaccount:team-*:flux"]
        }))
        .unwrap();
        assert_eq!(s.identities.flux_namespaces, ["gitops"]);
        assert_eq!(s.policy, Settings::default());
        let e = parse::<Settings>(&json!({"tenantServiceAccounts": ["team-*:flux"]})).unwrap_err();
        assert!(e.contains("unknown field `tenantServiceAccounts`"), "{e}");
        assert!(e.contains("tenantIdentities"), "{e}");
    }
}

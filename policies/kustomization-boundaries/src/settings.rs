use fluxgate_admission::PolicySettings;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Service account names tenants may not use, besides Flux's controllers (e.g. `default`).
    pub denied_service_accounts: Vec<String>,
    /// Extra namespaces a tenant namespace may target: `{team-a: [team-a-preview]}`.
    pub allowed_target_namespaces: BTreeMap<String, Vec<String>>,
    /// Namespaces whose sources every tenant may reference (a shared HelmRepository, say).
    pub shared_source_namespaces: Vec<String>,
    /// Path prefixes a tenant's `spec.path` must stay in; `{namespace}` stands for the
    /// Kustomization's namespace (`./tenants/{namespace}/`). Empty: any path.
    pub allowed_path_prefixes: Vec<String>,
    /// Require `spec.prune: true`, so objects removed from Git are removed from the cluster.
    pub require_prune: bool,
    /// Require `spec.targetNamespace` on every tenant Kustomization, not only on those that
    /// name no service account (the hardening guide's stricter layout).
    pub require_target_namespace: bool,
    /// Allow `spec.force: true`.
    pub allow_force: bool,
    /// Allow `spec.kubeConfig` (applying to a remote cluster, out of this cluster's admission).
    pub allow_kube_config: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_service_accounts: vec!["default".into()],
            allowed_target_namespaces: BTreeMap::new(),
            shared_source_namespaces: Vec::new(),
            allowed_path_prefixes: Vec::new(),
            require_prune: false,
            require_target_namespace: false,
            allow_force: false,
            allow_kube_config: false,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            ("deniedServiceAccounts", &self.denied_service_accounts),
            ("sharedSourceNamespaces", &self.shared_source_namespaces),
            ("allowedPathPrefixes", &self.allowed_path_prefixes),
        ])?;
        for (i, prefix) in self.allowed_path_prefixes.iter().enumerate() {
            if crate::path::normalize(prefix).is_none() {
                return Err(format!(
                    "settings.allowedPathPrefixes[{i}]: {prefix:?} climbs above the source root"
                ));
            }
        }
        Ok(())
    }
}

impl Settings {
    /// The namespaces a Kustomization in `namespace` may target.
    pub fn target_namespaces<'a>(&'a self, namespace: &'a str) -> Vec<&'a str> {
        fluxgate_admission::tenancy::allowed_namespaces(namespace, &self.allowed_target_namespaces)
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
        let e = parse::<Settings>(&json!({"allowForce": "yes"})).unwrap_err();
        assert!(e.starts_with("settings.allowForce: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedPathPrefixes": ["../x"]})).unwrap_err();
        assert!(e.contains("climbs above the source root"), "{e}");
        let s =
            parse::<Settings>(&json!({"allowedTargetNamespaces": {"team-a": ["team-a-preview"]}}))
                .unwrap()
                .policy;
        assert_eq!(s.target_namespaces("team-a"), ["team-a", "team-a-preview"]);
        let e = parse::<Settings>(&json!({"deniedServiceAccounts": [""]})).unwrap_err();
        assert!(e.starts_with("settings.deniedServiceAccounts[0]"), "{e}");
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
        let e = parse::<Settings>(&json!({"platformNamespaces": [" "]})).unwrap_err();
        assert!(e.starts_with("settings.platformNamespaces[0]"), "{e}");
    }
}

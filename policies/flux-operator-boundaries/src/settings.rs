use fluxgate_admission::PolicySettings;
use fluxgate_matchers::origin::{self, OriginPrefix};
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// The Flux Operator runs with `--default-service-account` (or the
    /// `DEFAULT_SERVICE_ACCOUNT` variable): a ResourceSet without `serviceAccountName` is
    /// applied as that account of its own namespace, not as the operator.
    pub operator_default_service_account: bool,
    /// The cluster is multi-tenant: every FluxInstance must keep `cluster.multitenant: true`
    /// and its patches must leave the lockdown in place.
    pub multi_tenant: bool,
    /// Allow ResourceSetInputProviders of the cloud types (ACR, ECR, GAR, AWS CodeCommit,
    /// Azure DevOps without a secret) to authenticate with the operator's own cloud identity.
    pub allow_operator_cloud_identity: bool,
    /// `host[:port]` (port 80 when omitted) a ResourceSetInputProvider may reach over plain
    /// HTTP (`http://` or `insecure: true`).
    pub plain_http_hosts: Vec<String>,
    /// Origin prefixes a ResourceSetInputProvider's `spec.url` must lie under
    /// (`https://github.com/acme/`, `oci://ghcr.io/acme/`); empty: any origin.
    pub allowed_provider_origins: Vec<String>,
    /// Namespaces whose ExternalArtifacts every tenant's input providers may select.
    pub shared_artifact_namespaces: Vec<String>,
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            ("plainHttpHosts", &self.plain_http_hosts),
            ("allowedProviderOrigins", &self.allowed_provider_origins),
            ("sharedArtifactNamespaces", &self.shared_artifact_namespaces),
        ])?;
        let setting = "allowedProviderOrigins";
        for (i, p) in origin::parse_prefixes(setting, &self.allowed_provider_origins)?
            .iter()
            .enumerate()
        {
            let scheme = p.as_str().split("://").next().unwrap_or("").to_lowercase();
            if !matches!(scheme.as_str(), "https" | "http" | "oci") {
                return Err(format!(
                    "settings.{setting}[{i}]: {:?} has scheme {scheme:?}, which no input provider uses; use https, http or oci",
                    p.as_str()
                ));
            }
        }
        for (i, h) in self.plain_http_hosts.iter().enumerate() {
            origin::parse_host_port(h).map_err(|e| {
                format!("settings.plainHttpHosts[{i}]: {h:?} {e}; write host or host:port")
            })?;
        }
        if let Some((i, ns)) = self
            .shared_artifact_namespaces
            .iter()
            .enumerate()
            .find(|(_, ns)| ns.as_str() == "*")
        {
            return Err(format!(
                "settings.sharedArtifactNamespaces[{i}]: {ns:?} would share every namespace; name the namespaces"
            ));
        }
        Ok(())
    }
}

impl Settings {
    /// The parsed allowlist (validated already; a bad entry would be dropped, which only
    /// narrows what is allowed).
    pub fn provider_origins(&self) -> Vec<OriginPrefix> {
        self.allowed_provider_origins
            .iter()
            .filter_map(|t| OriginPrefix::parse(t).ok())
            .collect()
    }

    /// Whether plain HTTP is allowed to `host` on `port` (80 if none).
    pub fn plain_http_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.plain_http_hosts.iter().any(|entry| {
            origin::parse_host_port(entry)
                .is_ok_and(|(h, p)| h == host && p.unwrap_or(80) == port.unwrap_or(80))
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
        let e = parse::<Settings>(&json!({"multitenant": true})).unwrap_err();
        assert!(e.starts_with("settings.multitenant: unknown field"), "{e}");
        let e = parse::<Settings>(&json!({"multiTenant": "yes"})).unwrap_err();
        assert!(e.starts_with("settings.multiTenant: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedProviderOrigins": ["ssh://git@github.com/"]}))
            .unwrap_err();
        assert!(e.starts_with("settings.allowedProviderOrigins[0]"), "{e}");
        let e =
            parse::<Settings>(&json!({"allowedProviderOrigins": ["github.com/acme"]})).unwrap_err();
        assert!(e.contains("no scheme"), "{e}");
        let e = parse::<Settings>(&json!({"plainHttpHosts": ["http://x"]})).unwrap_err();
        assert!(e.starts_with("settings.plainHttpHosts[0]"), "{e}");
        let e = parse::<Settings>(&json!({"sharedArtifactNamespaces": ["*"]})).unwrap_err();
        assert!(e.starts_with("settings.sharedArtifactNamespaces[0]"), "{e}");
        let s = parse::<Settings>(&json!({"plainHttpHosts": ["Gitea.local:3000"]}))
            .unwrap()
            .policy;
        assert!(s.plain_http_allowed("gitea.local", Some(3000)));
        assert!(!s.plain_http_allowed("gitea.local", None));
    }
}

use fluxgate_admission::PolicySettings;
use fluxgate_matchers::origin::{self, OriginPrefix};
use fluxgate_matchers::semver_range::Constraint;
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Origin prefixes per kind; an empty list leaves that kind's origin unrestricted.
    pub allowed_origins: AllowedOrigins,
    /// GitRepository URLs must use `ssh://` (no `https://`).
    pub git_ssh_only: bool,
    /// `host[:port]` (port 80 when omitted) where plain HTTP and `insecure: true` are allowed.
    pub plain_http_hosts: Vec<String>,
    /// Allow HelmRepository `passCredentials: true` (credentials sent to chart hosts).
    pub allow_pass_credentials: bool,
    /// Git origin prefixes that are private: a GitRepository there needs its own
    /// credentials (`secretRef`, or a workload-identity provider with `serviceAccountName`)
    /// instead of whatever the shared source-controller can reach.
    pub private_git_origins: Vec<String>,
    /// Branch globs a GitRepository may track (`main`, `release-*`). Empty: any branch.
    /// Tags, semver ranges and commit pins are always allowed.
    pub allowed_git_branches: Vec<String>,
    /// GitRepository refs must be a tag, a bounded semver range or a full commit SHA.
    pub require_pinned_git_refs: bool,
    /// OCIRepository refs must be a digest or a bounded semver range, not a tag.
    pub require_pinned_oci_refs: bool,
    /// Namespaces whose sources every tenant may read: an ArtifactGenerator's
    /// `spec.sources[].namespace` and an ExternalArtifact's `spec.sourceRef.namespace` may
    /// name them (the same key kustomization-boundaries and helmrelease-boundaries read).
    pub shared_source_namespaces: Vec<String>,
    /// Tenants may write ExternalArtifacts themselves (they run their own artifact producer).
    /// Off: only Flux's controllers and the platform's identities write them.
    pub allow_tenant_external_artifacts: bool,
}

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct AllowedOrigins {
    /// `ssh://git@github.com/acme/`, `https://github.com/acme/`.
    pub git_repository: Vec<String>,
    /// `https://charts.acme.io/`, `oci://ghcr.io/acme/charts/`.
    pub helm_repository: Vec<String>,
    /// `oci://ghcr.io/acme/`.
    pub oci_repository: Vec<String>,
    /// `https://<endpoint>/<bucketName>`: `https://s3.amazonaws.com/acme-config`,
    /// `https://minio.acme.io/` (every bucket there).
    pub bucket: Vec<String>,
}

impl AllowedOrigins {
    /// `(setting name, entries)` for each kind.
    pub fn lists(&self) -> [(&'static str, &[String]); 4] {
        [
            ("allowedOrigins.gitRepository", &self.git_repository),
            ("allowedOrigins.helmRepository", &self.helm_repository),
            ("allowedOrigins.ociRepository", &self.oci_repository),
            ("allowedOrigins.bucket", &self.bucket),
        ]
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        let o = &self.allowed_origins;
        fluxgate_admission::settings::no_blank_entries(&[
            ("plainHttpHosts", &self.plain_http_hosts),
            ("privateGitOrigins", &self.private_git_origins),
            ("allowedGitBranches", &self.allowed_git_branches),
            ("sharedSourceNamespaces", &self.shared_source_namespaces),
            ("allowedOrigins.gitRepository", &o.git_repository),
            ("allowedOrigins.helmRepository", &o.helm_repository),
            ("allowedOrigins.ociRepository", &o.oci_repository),
            ("allowedOrigins.bucket", &o.bucket),
        ])?;
        let schemes: [&[&str]; 4] = [
            &["ssh", "https", "http"],
            &["https", "oci", "http"],
            &["oci"],
            &["https", "http"],
        ];
        for ((setting, list), schemes) in o.lists().into_iter().zip(schemes) {
            for (i, p) in origin::parse_prefixes(setting, list)?.iter().enumerate() {
                let scheme = p.as_str().split("://").next().unwrap_or("").to_lowercase();
                if !schemes.contains(&scheme.as_str()) {
                    return Err(format!(
                        "settings.{setting}[{i}]: {:?} has scheme {scheme:?}, which this kind never uses; use one of {}",
                        p.as_str(),
                        schemes.join(", ")
                    ));
                }
            }
        }
        origin::parse_prefixes("privateGitOrigins", &self.private_git_origins)?;
        for (i, h) in self.plain_http_hosts.iter().enumerate() {
            origin::parse_host_port(h).map_err(|e| {
                format!("settings.plainHttpHosts[{i}]: {h:?} {e}; write host or host:port")
            })?;
        }
        Ok(())
    }
}

impl Settings {
    /// The parsed allowlist for one kind (validated already; a bad entry would be dropped,
    /// which only narrows what is allowed).
    pub fn prefixes(list: &[String]) -> Vec<OriginPrefix> {
        list.iter()
            .filter_map(|t| OriginPrefix::parse(t).ok())
            .collect()
    }

    /// Whether plain HTTP (or `insecure: true`) is allowed to `host` on `port` (80 if none).
    pub fn plain_http_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.plain_http_hosts.iter().any(|entry| {
            origin::parse_host_port(entry)
                .is_ok_and(|(h, p)| h == host && p.unwrap_or(80) == port.unwrap_or(80))
        })
    }
}

/// Whether a semver constraint pins releases: it parses and every alternative has an upper
/// bound (`>=1.0.0` follows any future major version, like a branch would).
pub fn bounded_semver(range: &str) -> bool {
    Constraint::parse(range).is_ok_and(|c| c.is_bounded_above())
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
        // platformNamespaces is the shared identity setting now, no longer this policy's own.
        let s = parse::<Settings>(&json!({"platformNamespaces": ["infra"]})).unwrap();
        assert_eq!(s.identities.platform_namespaces, ["infra"]);
        let e = parse::<Settings>(&json!({"gitSshOnly": "yes"})).unwrap_err();
        assert!(e.starts_with("settings.gitSshOnly: invalid type"), "{e}");
        let e = parse::<Settings>(&json!({"allowedOrigins": {"git": []}})).unwrap_err();
        assert!(
            e.starts_with("settings.allowedOrigins.git: unknown field"),
            "{e}"
        );
        let e = parse::<Settings>(
            &json!({"allowedOrigins": {"gitRepository": ["git@github.com:acme/"]}}),
        )
        .unwrap_err();
        assert!(e.contains("scp-like"), "{e}");
        let e = parse::<Settings>(
            &json!({"allowedOrigins": {"ociRepository": ["https://ghcr.io/acme/"]}}),
        )
        .unwrap_err();
        assert!(
            e.starts_with("settings.allowedOrigins.ociRepository[0]"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"sharedSourceNamespaces": [""]})).unwrap_err();
        assert!(e.starts_with("settings.sharedSourceNamespaces[0]"), "{e}");
        let e = parse::<Settings>(&json!({"plainHttpHosts": ["http://x"]})).unwrap_err();
        assert!(e.starts_with("settings.plainHttpHosts[0]"), "{e}");
        let s = parse::<Settings>(&json!({"plainHttpHosts": ["Minio.local", "gitea:3000"]}))
            .unwrap()
            .policy;
        assert!(s.plain_http_allowed("minio.local", None));
        assert!(s.plain_http_allowed("minio.local", Some(80)));
        assert!(!s.plain_http_allowed("minio.local", Some(9000)));
        assert!(s.plain_http_allowed("gitea", Some(3000)));
        assert!(!s.plain_http_allowed("gitea", None));
    }
}

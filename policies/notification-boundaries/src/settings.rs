use fluxgate_admission::PolicySettings;
use fluxgate_matchers::origin::{self, Origin};
use serde::Deserialize;

/// Receiver types that authenticate nothing but the webhook path: notification-controller's
/// `validate` (internal/server/receiver_handlers.go) returns at once for `generic`, only
/// decodes the JSON body for `dockerhub`, `quay` and `acr`, and only checks the CloudEvents
/// schema for `cdevents`. Every other type checks an HMAC signature, a shared token header
/// or a signed token.
pub const UNVERIFIED_RECEIVER_TYPES: [&str; 5] =
    ["generic", "dockerhub", "quay", "acr", "cdevents"];

/// JWT claims that describe the token rather than who holds it (RFC 7519 section 4.1,
/// OpenID Connect Core section 2): checking only these (`aud`, `exp`) admits any caller the
/// issuer serves. notification-controller already verifies `iss`, `aud` and `exp`.
pub const TOKEN_CLAIMS: [&str; 12] = [
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "acr",
    "amr",
];

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Unverified Receiver types tenants may still use (`generic`, `dockerhub`, `quay`,
    /// `acr`, `cdevents`): DockerHub, Quay and ACR cannot sign their webhooks.
    pub allowed_unverified_receiver_types: Vec<String>,
    /// `host[:port]` (port 80 when omitted) where Provider addresses and OIDC issuers may
    /// use plain `http://` (an in-cluster Alertmanager, say).
    pub plain_http_hosts: Vec<String>,
    /// Host globs (`hooks.slack.com`, `*.acme.io`, optionally `:port`) a Provider's
    /// `spec.address` may name. Empty: any host.
    pub allowed_provider_hosts: Vec<String>,
    /// Namespaces every tenant's Alerts and Receivers may reference besides their own.
    pub shared_namespaces: Vec<String>,
    /// Issuer URLs a `generic-oidc` Receiver may trust, compared exactly as
    /// notification-controller compares them with the token's `iss`. Empty: any issuer.
    pub allowed_oidc_issuers: Vec<String>,
    /// Claims one of which every `generic-oidc` issuer's validations must read
    /// (`repository_owner`, `sub`). Empty: any claim other than the token's own
    /// (`iss`, `aud`, `exp`, ...).
    pub oidc_identity_claims: Vec<String>,
    /// Accept a cloud-backed Provider without `serviceAccountName` when it names a
    /// `secretRef` (a SAS connection string, a static JWT or a JSON key). Admission cannot
    /// read the Secret: one without credentials falls back to the controller's identity.
    pub allow_static_cloud_credentials: bool,
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            (
                "allowedUnverifiedReceiverTypes",
                &self.allowed_unverified_receiver_types,
            ),
            ("plainHttpHosts", &self.plain_http_hosts),
            ("allowedProviderHosts", &self.allowed_provider_hosts),
            ("sharedNamespaces", &self.shared_namespaces),
            ("allowedOidcIssuers", &self.allowed_oidc_issuers),
            ("oidcIdentityClaims", &self.oidc_identity_claims),
        ])?;
        for (i, t) in self.allowed_unverified_receiver_types.iter().enumerate() {
            if !UNVERIFIED_RECEIVER_TYPES.contains(&t.as_str()) {
                return Err(format!(
                    "settings.allowedUnverifiedReceiverTypes[{i}]: {t:?} is not an unverified Receiver type; list only {}",
                    UNVERIFIED_RECEIVER_TYPES.join(", ")
                ));
            }
        }
        for (i, h) in self.plain_http_hosts.iter().enumerate() {
            origin::parse_host_port(h).map_err(|e| {
                format!("settings.plainHttpHosts[{i}]: {h:?} {e}; write host or host:port")
            })?;
        }
        for (i, h) in self.allowed_provider_hosts.iter().enumerate() {
            if !host_glob_is_valid(h) {
                return Err(format!(
                    "settings.allowedProviderHosts[{i}]: {h:?} is not a host glob; write host, *.domain or host:port, without scheme, user or path"
                ));
            }
        }
        for (i, url) in self.allowed_oidc_issuers.iter().enumerate() {
            let o = Origin::parse(url)
                .map_err(|e| format!("settings.allowedOidcIssuers[{i}]: {url:?} {e}"))?;
            if !matches!(o.scheme.as_str(), "https" | "http") || o.has_credentials() {
                return Err(format!(
                    "settings.allowedOidcIssuers[{i}]: {url:?} is not an issuer URL; write it as the tokens' iss claim says (https://host/path)"
                ));
            }
        }
        for (i, c) in self.oidc_identity_claims.iter().enumerate() {
            if TOKEN_CLAIMS.contains(&c.as_str()) {
                return Err(format!(
                    "settings.oidcIdentityClaims[{i}]: {c:?} describes the token, not the caller; name a claim of the caller's identity (sub, repository_owner, ...)"
                ));
            }
        }
        Ok(())
    }
}

/// Splits a host glob into its host pattern and optional port: `host`, `host:port`,
/// `*.domain`, `[v6]:port`. `None` when it is not a host pattern (a scheme, user, path,
/// whitespace, or a bad port).
fn split_host_glob(glob: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if glob.starts_with('[') {
        let end = glob.find(']')? + 1;
        match &glob[end..] {
            "" => (&glob[..end], None),
            rest => (&glob[..end], Some(rest.strip_prefix(':')?)),
        }
    } else {
        match glob.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (glob, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    let ok = !host.is_empty()
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '-' | '_' | '*' | '?')
                || (glob.starts_with('[') && matches!(c, '[' | ']' | ':'))
        });
    ok.then_some((host, port))
}

fn host_glob_is_valid(glob: &str) -> bool {
    split_host_glob(glob).is_some()
}

impl Settings {
    /// Whether plain HTTP is allowed to `host` on `port` (80 if none).
    pub fn plain_http_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.plain_http_hosts.iter().any(|entry| {
            origin::parse_host_port(entry)
                .is_ok_and(|(h, p)| h == host && p.unwrap_or(80) == port.unwrap_or(80))
        })
    }

    /// Whether `allowedProviderHosts` admits `host` (lower-case, as [`Origin`] gives it) on
    /// `port` (the effective one). An entry without a port admits every port.
    pub fn provider_host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.allowed_provider_hosts.is_empty()
            || self.allowed_provider_hosts.iter().any(|entry| {
                let entry = entry.to_ascii_lowercase();
                split_host_glob(&entry).is_some_and(|(pattern, want_port)| {
                    fluxgate_matchers::glob::matches(pattern.trim_end_matches('.'), host)
                        && want_port.is_none_or(|p| Some(p) == port)
                })
            })
    }

    /// Whether a Receiver may use the unverified `receiver_type`.
    pub fn unverified_allowed(&self, receiver_type: &str) -> bool {
        self.allowed_unverified_receiver_types
            .iter()
            .any(|t| t == receiver_type)
    }

    /// Whether `claim` counts as the caller's identity.
    pub fn is_identity_claim(&self, claim: &str) -> bool {
        if self.oidc_identity_claims.is_empty() {
            !TOKEN_CLAIMS.contains(&claim)
        } else {
            self.oidc_identity_claims.iter().any(|c| c == claim)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxgate_admission::settings::parse;
    use serde_json::json;

    fn err(v: serde_json::Value) -> String {
        parse::<Settings>(&v).unwrap_err()
    }

    #[test]
    fn host_globs_and_their_ports() {
        assert_eq!(
            split_host_glob("nats.acme.io:4222"),
            Some(("nats.acme.io", Some(4222)))
        );
        assert_eq!(split_host_glob("*.acme.io"), Some(("*.acme.io", None)));
        assert_eq!(split_host_glob("[::1]:8080"), Some(("[::1]", Some(8080))));
        // Ports as a URL writes them: 1-5 digits, nothing else (Rust would read `+80`,
        // `000080`), and within u16.
        for bad in ["h:", "h:+80", "h:000080", "h:65536", "h:8o"] {
            assert_eq!(split_host_glob(bad), None, "{bad}");
        }
        // Brackets and colons belong to IPv6 literals only; nothing else but names.
        for bad in ["a]b", "a[b", "[a b]", "", "a b", "user@host"] {
            assert_eq!(split_host_glob(bad), None, "{bad}");
        }
    }

    #[test]
    fn strict_settings() {
        assert_eq!(
            parse::<Settings>(&json!(null)).unwrap().policy,
            Settings::default()
        );
        let e = err(json!({"allowGenericReceivers": true}));
        assert!(
            e.starts_with("settings.allowGenericReceivers: unknown field"),
            "{e}"
        );
        let e = err(json!({"allowStaticCloudCredentials": "yes"}));
        assert!(
            e.starts_with("settings.allowStaticCloudCredentials: invalid type"),
            "{e}"
        );
        let e = err(json!({"allowedUnverifiedReceiverTypes": ["github"]}));
        assert!(
            e.starts_with("settings.allowedUnverifiedReceiverTypes[0]"),
            "{e}"
        );
        let e = err(json!({"plainHttpHosts": ["http://am"]}));
        assert!(e.starts_with("settings.plainHttpHosts[0]"), "{e}");
        for bad in [
            "https://hooks.slack.com",
            "user@hooks.slack.com",
            "hooks.slack.com/services",
            "a b",
            "h:x",
        ] {
            let e = err(json!({"allowedProviderHosts": [bad]}));
            assert!(
                e.starts_with("settings.allowedProviderHosts[0]"),
                "{bad}: {e}"
            );
        }
        let e = err(json!({"allowedOidcIssuers": ["token.actions.githubusercontent.com"]}));
        assert!(e.starts_with("settings.allowedOidcIssuers[0]"), "{e}");
        let e = err(json!({"allowedOidcIssuers": ["oci://x/y"]}));
        assert!(e.starts_with("settings.allowedOidcIssuers[0]"), "{e}");
        let e = err(json!({"oidcIdentityClaims": ["aud"]}));
        assert!(e.starts_with("settings.oidcIdentityClaims[0]"), "{e}");
        let e = err(json!({"sharedNamespaces": [" "]}));
        assert!(e.starts_with("settings.sharedNamespaces[0]"), "{e}");
    }

    #[test]
    fn hosts() {
        let s = parse::<Settings>(&json!({
            "allowedProviderHosts": ["hooks.slack.com", "*.ACME.io", "am.local:9093"],
            "plainHttpHosts": ["am.local:9093"]
        }))
        .unwrap()
        .policy;
        assert!(s.provider_host_allowed("hooks.slack.com", Some(443)));
        assert!(s.provider_host_allowed("grafana.acme.io", Some(443)));
        assert!(!s.provider_host_allowed("acme.io", Some(443)));
        assert!(!s.provider_host_allowed("evilacme.io", Some(443)));
        assert!(!s.provider_host_allowed("hooks.slack.com.evil.io", Some(443)));
        assert!(s.provider_host_allowed("am.local", Some(9093)));
        assert!(!s.provider_host_allowed("am.local", Some(80)));
        assert!(s.plain_http_allowed("am.local", Some(9093)));
        assert!(!s.plain_http_allowed("am.local", None));
        assert!(Settings::default().provider_host_allowed("anything", None));
    }
}

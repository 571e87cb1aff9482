use flux_kinds::FluxKind;
use fluxgate_admission::PolicySettings;
use serde::Deserialize;
use std::fmt;

/// The kinds whose signature verification the policy enforces.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnforcedKind {
    #[serde(rename = "OCIRepository")]
    OciRepository,
    HelmChart,
    HelmRelease,
}

impl EnforcedKind {
    pub const fn kind(self) -> FluxKind {
        match self {
            EnforcedKind::OciRepository => FluxKind::OciRepository,
            EnforcedKind::HelmChart => FluxKind::HelmChart,
            EnforcedKind::HelmRelease => FluxKind::HelmRelease,
        }
    }
}

/// `spec.verify.provider` values (case-sensitive, as in the CRD enum).
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Cosign,
    Notation,
}

impl Provider {
    /// Reads a provider exactly as the CRD enum does: `Cosign` is not `cosign`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "cosign" => Some(Provider::Cosign),
            "notation" => Some(Provider::Notation),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::Cosign => "cosign",
            Provider::Notation => "notation",
        })
    }
}

/// What to do when a chart's HelmRepository is not in the cluster (yet).
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MissingSource {
    /// Refuse: without the HelmRepository nobody knows whether the chart is an OCI artifact.
    Deny,
    /// Admit with a warning (for GitOps trees that apply the chart before its repository).
    Accept,
}

/// How far the literal start of a keyless subject regex must reach into its URL.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SubjectPinDepth {
    /// Scheme, host and two path segments: `https://github.com/<owner>/<repo>/`.
    Repository,
    /// Scheme, host and one path segment: `https://github.com/<owner>/` (every repository
    /// of that owner may sign).
    Owner,
}

impl SubjectPinDepth {
    /// The path segments after the host the literal start must close with `/`.
    pub const fn segments(self) -> usize {
        match self {
            SubjectPinDepth::Repository => 2,
            SubjectPinDepth::Owner => 1,
        }
    }
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Kinds the policy judges; others pass.
    pub enforce_kinds: Vec<EnforcedKind>,
    /// Signature providers objects may use.
    pub allowed_providers: Vec<Provider>,
    /// Literal OIDC issuer URLs keyless identities may pin. When non-empty, each
    /// `matchOIDCIdentity[].issuer` must be `^<escaped issuer>$` for one of them.
    pub allowed_issuers: Vec<String>,
    /// Literal subject prefixes. When non-empty, each `matchOIDCIdentity[].subject` must
    /// start with `^` followed by the (escaped) text of one of them.
    pub allowed_subject_prefixes: Vec<String>,
    /// How far the literal start of each URL subject must reach (exact identities such as
    /// `^alice@example\.com$` always pass).
    pub subject_pin_depth: SubjectPinDepth,
    /// Objects (`namespace/name` globs) that are not checked.
    pub exempt_objects: Vec<String>,
    /// A HelmChart or HelmRelease whose HelmRepository does not exist.
    pub missing_helm_repository: MissingSource,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enforce_kinds: vec![
                EnforcedKind::OciRepository,
                EnforcedKind::HelmChart,
                EnforcedKind::HelmRelease,
            ],
            allowed_providers: vec![Provider::Cosign, Provider::Notation],
            allowed_issuers: Vec::new(),
            allowed_subject_prefixes: Vec::new(),
            subject_pin_depth: SubjectPinDepth::Repository,
            exempt_objects: Vec::new(),
            missing_helm_repository: MissingSource::Deny,
        }
    }
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        if self.enforce_kinds.is_empty() {
            return Err(
                "settings.enforceKinds: list at least one of OCIRepository, HelmChart, \
                        HelmRelease (to check nothing, remove the policy)"
                    .into(),
            );
        }
        if self.allowed_providers.is_empty() {
            return Err(
                "settings.allowedProviders: list at least one of cosign, notation \
                        (an empty list would reject every verified artifact)"
                    .into(),
            );
        }
        fluxgate_admission::settings::no_blank_entries(&[
            ("allowedIssuers", &self.allowed_issuers),
            ("allowedSubjectPrefixes", &self.allowed_subject_prefixes),
            ("exemptObjects", &self.exempt_objects),
        ])?;
        for (setting, list) in [
            ("allowedIssuers", &self.allowed_issuers),
            ("allowedSubjectPrefixes", &self.allowed_subject_prefixes),
        ] {
            if let Some(i) = list
                .iter()
                .position(|s| s.starts_with('^') || s.ends_with('$') || s.contains('\\'))
            {
                return Err(format!(
                    "settings.{setting}[{i}]: {:?} looks like a regex; list literal text \
                     (e.g. https://token.actions.githubusercontent.com): the policy derives \
                     the anchored, escaped pattern itself",
                    list[i]
                ));
            }
        }
        Ok(())
    }
}

impl Settings {
    /// Whether `enforceKinds` lists the kind named `kind` (`OCIRepository`).
    pub fn enforces_kind(&self, kind: &str) -> bool {
        self.enforce_kinds.iter().any(|k| k.kind().name() == kind)
    }

    /// Whether `exemptObjects` names the object `namespace/name`.
    pub fn is_exempt(&self, namespace: &str, name: &str) -> bool {
        fluxgate_matchers::glob::any_matches(&self.exempt_objects, &format!("{namespace}/{name}"))
    }

    /// `cosign, notation`, for messages.
    pub fn providers_text(&self) -> String {
        let names: Vec<String> = self
            .allowed_providers
            .iter()
            .map(Provider::to_string)
            .collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxgate_admission::settings::parse;
    use serde_json::json;

    #[test]
    fn defaults_are_valid() {
        let s = parse::<Settings>(&serde_json::Value::Null).unwrap().policy;
        assert_eq!(s, Settings::default());
        assert!(s.enforces_kind("HelmRelease") && s.enforces_kind("OCIRepository"));
        assert!(!s.enforces_kind("GitRepository"));
    }

    #[test]
    fn errors_name_the_setting() {
        let e = parse::<Settings>(&json!({"allowedProviders": ["Cosign"]})).unwrap_err();
        assert!(
            e.starts_with("settings.allowedProviders[0]: unknown variant"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"enforceKinds": []})).unwrap_err();
        assert!(e.starts_with("settings.enforceKinds"), "{e}");
        let e = parse::<Settings>(&json!({"allowedIssuers": ["^https://x$"]})).unwrap_err();
        assert!(e.starts_with("settings.allowedIssuers[0]"), "{e}");
        let e = parse::<Settings>(&json!({"exemptObjects": [" "]})).unwrap_err();
        assert!(e.starts_with("settings.exemptObjects[0]"), "{e}");
        let e = parse::<Settings>(&json!({"missingHelmRepository": "maybe"})).unwrap_err();
        assert!(e.starts_with("settings.missingHelmRepository"), "{e}");
        let e = parse::<Settings>(&json!({"subjectPinDepth": "host"})).unwrap_err();
        assert!(e.starts_with("settings.subjectPinDepth"), "{e}");
        let owner = parse::<Settings>(&json!({"subjectPinDepth": "owner"})).unwrap();
        assert_eq!(owner.policy.subject_pin_depth, SubjectPinDepth::Owner);
        let e = parse::<Settings>(&json!({"typo": 1})).unwrap_err();
        assert!(e.contains("unknown field `typo`"), "{e}");
        let e = parse::<Settings>(&json!({"exemptNamespaces": ["x"]})).unwrap_err();
        assert!(e.contains("platformNamespaces"), "{e}");
    }

    #[test]
    fn exemptions() {
        let all = parse::<Settings>(&json!({"platformNamespaces": ["flux-system"],
                                            "exemptObjects": ["team-a/legacy-*"]}))
        .unwrap();
        // exemptNamespaces is the shared platformNamespaces now.
        assert_eq!(all.identities.platform_namespaces, ["flux-system"]);
        let s = all.policy;
        assert!(!s.is_exempt("flux-system", "x"));
        assert!(s.is_exempt("team-a", "legacy-charts"));
        assert!(!s.is_exempt("team-a", "charts"));
    }
}

use fluxgate_admission::PolicySettings;
use fluxgate_matchers::image_ref::{self, ImagePrefix};
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Registry or repository prefixes an ImageRepository may scan (`ghcr.io/acme/`,
    /// `nginx`, `registry.acme.io:5000`). Empty: any image.
    pub allowed_images: Vec<String>,
    /// Registries (`host[:port]`) an ImageRepository may reach with `insecure: true`.
    pub insecure_registries: Vec<String>,
    /// Allow ImagePolicy semver ranges without an upper bound (`>=1.0.0`, `*`).
    pub allow_unbounded_semver: bool,
    /// ImageUpdateAutomation must push to a branch other than the one it checks out, so
    /// changes reach the protected branch only through review.
    pub require_separate_push_branch: bool,
    /// Branch globs ImageUpdateAutomation may never push to (`main`, `release-*`).
    pub protected_branches: Vec<String>,
    /// Namespaces whose ImageRepositories every tenant's ImagePolicy may read (the key the
    /// other policies use for shared sources). Never relaxes ImageUpdateAutomation's
    /// `sourceRef`, which pushes.
    pub shared_source_namespaces: Vec<String>,
}

impl PolicySettings for Settings {
    fn validate(&self) -> Result<(), String> {
        fluxgate_admission::settings::no_blank_entries(&[
            ("allowedImages", &self.allowed_images),
            ("insecureRegistries", &self.insecure_registries),
            ("protectedBranches", &self.protected_branches),
            ("sharedSourceNamespaces", &self.shared_source_namespaces),
        ])?;
        image_ref::parse_prefixes("allowedImages", &self.allowed_images)?;
        for (i, r) in self.insecure_registries.iter().enumerate() {
            if r.contains('/') {
                return Err(format!(
                    "settings.insecureRegistries[{i}]: {r:?} is not a registry host; write host or host:port"
                ));
            }
            image_ref::normalise_registry(r)
                .map_err(|e| format!("settings.insecureRegistries[{i}]: {e}"))?;
        }
        Ok(())
    }
}

impl Settings {
    /// The parsed image allowlist (validated already; a bad entry would only narrow it).
    pub fn image_prefixes(&self) -> Vec<ImagePrefix> {
        self.allowed_images
            .iter()
            .filter_map(|t| ImagePrefix::parse(t).ok())
            .collect()
    }

    /// Whether `registry` (normalised) may be reached with `insecure: true`.
    pub fn insecure_allowed(&self, registry: &str) -> bool {
        self.insecure_registries
            .iter()
            .any(|r| image_ref::normalise_registry(r).is_ok_and(|r| r == registry))
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
        let e = parse::<Settings>(&json!({"protectedBranch": ["main"]})).unwrap_err();
        assert!(
            e.starts_with("settings.protectedBranch: unknown field"),
            "{e}"
        );
        let e = parse::<Settings>(&json!({"allowedImages": ["ghcr.io/acme", "ghcr.io/Acme"]}))
            .unwrap_err();
        assert!(e.starts_with("settings.allowedImages[1]"), "{e}");
        let e = parse::<Settings>(&json!({"sharedSourceNamespaces": [" "]})).unwrap_err();
        assert!(e.starts_with("settings.sharedSourceNamespaces[0]"), "{e}");
        let e = parse::<Settings>(&json!({"insecureRegistries": ["reg.local/x"]})).unwrap_err();
        assert!(e.starts_with("settings.insecureRegistries[0]"), "{e}");
        let s = parse::<Settings>(&json!({"insecureRegistries": ["Reg.Local:443"]}))
            .unwrap()
            .policy;
        assert!(s.insecure_allowed("reg.local"));
    }

    #[test]
    fn platform_namespaces_are_the_shared_setting() {
        let s = parse::<Settings>(&json!(null)).unwrap();
        assert_eq!(
            s.identities.platform_namespaces,
            ["flux-system", "kube-system", "kubewarden"]
        );
        let s = parse::<Settings>(&json!({"platformNamespaces": []})).unwrap();
        assert!(s.identities.platform_namespaces.is_empty());
    }
}

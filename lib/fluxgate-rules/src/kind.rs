use std::fmt;

/// A kind a policy judges: API group, kind and the versions it is served in. Rules and the
/// admission flow share it, so the catalogue says exactly what the flow accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// `""` for the core group.
    pub group: &'static str,
    /// `"*"`: any kind (a policy that judges every write).
    pub kind: &'static str,
    /// Served versions, oldest first; empty for any kind.
    pub versions: &'static [&'static str],
    /// Whether objects of the kind live in a namespace.
    pub namespaced: bool,
    /// Top-level fields whose change an UPDATE must carry to be judged again (`spec` for
    /// Flux kinds, `rules` for roles); empty: every UPDATE is judged.
    pub judged_fields: &'static [&'static str],
}

impl KindSpec {
    /// Every kind, every version.
    pub const ANY: KindSpec = KindSpec {
        group: "*",
        kind: "*",
        versions: &[],
        namespaced: true,
        judged_fields: &[],
    };

    pub fn is_any(&self) -> bool {
        self.kind == "*"
    }

    /// Whether `api_version` (`group/version`, or `version` for the core group) is served.
    pub fn serves(&self, api_version: &str) -> bool {
        if self.is_any() {
            return true;
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        group == self.group && self.versions.contains(&version)
    }

    /// `group/v1beta1, group/v1`: the served versions, for messages.
    pub fn api_versions(&self) -> String {
        let mut text = String::new();
        for v in self.versions {
            if !text.is_empty() {
                text.push_str(", ");
            }
            if !self.group.is_empty() {
                text.push_str(self.group);
                text.push('/');
            }
            text.push_str(v);
        }
        text
    }
}

impl fmt::Display for KindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_any() { "any kind" } else { self.kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: KindSpec = KindSpec {
        group: "rbac.authorization.k8s.io",
        kind: "Role",
        versions: &["v1"],
        namespaced: true,
        judged_fields: &["rules"],
    };

    #[test]
    fn served_versions() {
        assert!(ROLE.serves("rbac.authorization.k8s.io/v1"));
        assert!(!ROLE.serves("rbac.authorization.k8s.io/v1beta1"));
        assert!(!ROLE.serves("v1"));
        assert!(KindSpec::ANY.serves("whatever/v9"));
        assert_eq!(ROLE.api_versions(), "rbac.authorization.k8s.io/v1");
    }
}

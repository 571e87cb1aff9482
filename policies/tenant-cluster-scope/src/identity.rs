//! Who is writing: a tenant Flux identity, or not.

use crate::settings::Settings;
use flux_model::glob;
use flux_model::request::UserInfo;

/// A tenant identity and the namespace it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The username, or the group that made it a tenant.
    pub name: String,
    pub namespace: String,
}

const SA_USER_PREFIX: &str = "system:serviceaccount:";
const SA_GROUP_PREFIX: &str = "system:serviceaccounts:";

/// The tenant behind a request, if any.
///
/// * A service-account username (`system:serviceaccount:<ns>:<sa>`) outside the platform
///   namespaces is a tenant (or, with `tenantIdentities`, one matching those globs).
/// * The prefix is compared without regard to case: Kubernetes never issues
///   `System:ServiceAccount:...`, so such a name is an impersonation trick, and it is judged
///   as a tenant even when it names a platform namespace.
/// * A user in a `system:serviceaccounts:<ns>` group is judged by that group the same way.
pub fn tenant_of(user: &UserInfo, settings: &Settings) -> Option<Identity> {
    let username = user.username.as_str();
    if glob::any_matches(&settings.platform_identities, username) {
        return None;
    }
    if let Some(namespace) = namespace_after(username, SA_USER_PREFIX) {
        let canonical = username.starts_with(SA_USER_PREFIX);
        let platform = canonical && settings.platform_namespaces.iter().any(|p| p == namespace);
        return (!platform && selected(settings, username)).then(|| Identity {
            name: username.to_string(),
            namespace: namespace.to_string(),
        });
    }
    let mut groups: Vec<&String> = user.groups.iter().collect();
    groups.sort(); // HashSet order is random; messages must not be
    groups.into_iter().find_map(|group| {
        let namespace = namespace_after(group, SA_GROUP_PREFIX)?;
        let canonical = group.starts_with(SA_GROUP_PREFIX);
        let platform = canonical && settings.platform_namespaces.iter().any(|p| p == namespace);
        (!platform && selected(settings, group)).then(|| Identity {
            name: format!("{username} (group {group})"),
            namespace: namespace.to_string(),
        })
    })
}

/// With `tenantIdentities` set, only matching names are tenants.
fn selected(settings: &Settings, name: &str) -> bool {
    settings.tenant_identities.is_empty() || glob::any_matches(&settings.tenant_identities, name)
}

/// The namespace in `<prefix><ns>[:<name>]`, matching the prefix case-insensitively.
fn namespace_after<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &name[prefix.len()..];
    let namespace = rest.split(':').next().unwrap_or_default();
    (!namespace.is_empty()).then_some(namespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            username: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn service_accounts() {
        let s = Settings::default();
        let t = tenant_of(&user("system:serviceaccount:team-a:deployer", &[]), &s).unwrap();
        assert_eq!(t.namespace, "team-a");
        assert_eq!(
            tenant_of(
                &user(
                    "system:serviceaccount:flux-system:kustomize-controller",
                    &[]
                ),
                &s
            ),
            None
        );
        assert_eq!(
            tenant_of(&user("alice", &["system:authenticated"]), &s),
            None
        );
    }

    #[test]
    fn case_games_are_tenants() {
        let s = Settings::default();
        let t = tenant_of(
            &user(
                "System:ServiceAccount:flux-system:kustomize-controller",
                &[],
            ),
            &s,
        )
        .unwrap();
        assert_eq!(t.namespace, "flux-system");
    }

    #[test]
    fn groups_count() {
        let s = Settings::default();
        let t = tenant_of(
            &user("gotk:team-a:reconciler", &["system:serviceaccounts:team-a"]),
            &s,
        )
        .unwrap();
        assert_eq!(t.namespace, "team-a");
        assert!(t.name.contains("group system:serviceaccounts:team-a"));
    }

    #[test]
    fn globs_select_and_exempt() {
        let s = Settings {
            tenant_identities: vec!["system:serviceaccount:team-*:*".into()],
            platform_identities: vec!["system:serviceaccount:team-infra:*".into()],
            ..Settings::default()
        };
        assert!(tenant_of(&user("system:serviceaccount:team-a:x", &[]), &s).is_some());
        assert!(tenant_of(&user("system:serviceaccount:cert-manager:x", &[]), &s).is_none());
        assert!(tenant_of(&user("system:serviceaccount:team-infra:x", &[]), &s).is_none());
    }
}

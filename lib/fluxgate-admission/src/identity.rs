//! One identity model for every policy: which namespaces and identities are the platform's,
//! which identities are Flux tenants, and which writers are neither (operators, humans).
//!
//! The same seven settings, with the same defaults, are accepted by every fluxgate policy
//! (see [`crate::settings::parse`]), so one block of YAML configures them all:
//!
//! ```yaml
//! fluxNamespaces: [flux-system]            # where Flux's controllers run
//! platformNamespaces: [flux-system, kube-system, kubewarden]
//! platformIdentities: []                   # username globs: platform anywhere
//! tenantIdentities: []                     # username/group globs: tenants anywhere
//! tenantLabel: toolkit.fluxcd.io/tenant    # `flux create tenant`'s label; "" = no look-ups
//! controllerLockdown: {}                   # the Flux controllers' lockdown flags (crate::lockdown)
//! trustAnchors: {secretNames: []}          # the platform's signature-key Secrets (crate::trust)
//! ```
//!
//! A writer is a tenant when the settings name it, or when it is a service account outside
//! the platform namespaces whose Namespace or ServiceAccount carries the tenant label that
//! `flux create tenant` sets (looked up through the host; a look-up that fails counts as a
//! tenant, so the model fails closed). A service account that is found unlabelled, such as
//! cert-manager's, is an operator and not judged as a tenant. Nothing the client chooses
//! (the field manager, the user agent) is ever a reason to exempt a request.

use crate::cluster::{Cluster, LookupError, ObjectKey};
use crate::request::UserInfo;
use fluxgate_matchers::glob;
use serde::Deserialize;

/// The label `flux create tenant` puts on the tenant's Namespace, ServiceAccount and
/// RoleBinding (flux2 `cmd/flux/create_tenant.go`).
pub const FLUX_TENANT_LABEL: &str = "toolkit.fluxcd.io/tenant";

/// Service accounts of the Flux controllers (flux2 `manifests/bases/*`; source-watcher,
/// which reconciles ArtifactGenerators, from Flux 2.7).
pub const FLUX_CONTROLLER_ACCOUNTS: [&str; 7] = [
    "kustomize-controller",
    "helm-controller",
    "source-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

const SA_USER_PREFIX: &str = "system:serviceaccount:";
const SA_GROUP_PREFIX: &str = "system:serviceaccounts:";

/// The identity settings every policy accepts at the top level of its settings.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Identities {
    /// Namespaces where Flux's controllers run: their service accounts are Flux identities.
    pub flux_namespaces: Vec<String>,
    /// Namespaces the platform owns: objects there are not tenant objects, and service
    /// accounts there are platform identities (unless `tenantIdentities` names them).
    pub platform_namespaces: Vec<String>,
    /// Username globs that are platform identities wherever they live.
    pub platform_identities: Vec<String>,
    /// Username or group globs that are tenants wherever they live, platform namespaces
    /// included (`system:serviceaccount:flux-system:*-flux-sa`). When set, only these are
    /// tenants and no look-ups are made.
    pub tenant_identities: Vec<String>,
    /// The label that marks a tenant's Namespace or ServiceAccount; `""`: every service
    /// account outside the platform namespaces is a tenant.
    pub tenant_label: String,
    /// The lockdown flags the Flux controllers run with.
    pub controller_lockdown: crate::lockdown::ControllerLockdown,
    /// The platform's signature-key Secrets.
    pub trust_anchors: crate::trust::TrustAnchors,
}

impl Identities {
    /// The settings keys, as written in a policy's settings.
    pub const KEYS: [&'static str; 7] = [
        "fluxNamespaces",
        "platformNamespaces",
        "platformIdentities",
        "tenantIdentities",
        "tenantLabel",
        "controllerLockdown",
        "trustAnchors",
    ];
    /// [`Self::KEYS`] as a list for messages (a test keeps the two in step).
    pub const KEY_LIST: &'static str = "fluxNamespaces, platformNamespaces, platformIdentities, tenantIdentities, tenantLabel, \
         controllerLockdown, trustAnchors";

    pub fn validate(&self) -> Result<(), String> {
        crate::settings::no_blank_entries(&[
            ("fluxNamespaces", &self.flux_namespaces),
            ("platformNamespaces", &self.platform_namespaces),
            ("platformIdentities", &self.platform_identities),
            ("tenantIdentities", &self.tenant_identities),
            ("trustAnchors.secretNames", &self.trust_anchors.secret_names),
        ])
    }

    pub fn is_platform_namespace(&self, namespace: &str) -> bool {
        self.platform_namespaces.iter().any(|p| p == namespace)
    }

    pub fn is_flux_namespace(&self, namespace: &str) -> bool {
        self.flux_namespaces.iter().any(|p| p == namespace)
    }

    /// Whether `username` is one of Flux's controllers.
    pub fn is_flux_controller(&self, username: &str) -> bool {
        service_account_parts(username).is_some_and(|(ns, name)| {
            self.is_flux_namespace(ns) && FLUX_CONTROLLER_ACCOUNTS.contains(&name)
        })
    }

    /// The tenant behind a request, or `None` for the platform, operators and humans.
    pub fn tenant_of(&self, user: &UserInfo, cluster: &dyn Cluster) -> Option<Tenant> {
        self.confirm(self.candidate(user)?, cluster)
    }

    /// The tenant the writer is, as far as its name and the settings tell: `None` when
    /// that already rules it out. A candidate that only the tenant label can confirm goes
    /// through [`Self::confirm`] once a rule would deny its write, so a write that no rule
    /// refuses costs no look-up.
    pub fn candidate(&self, user: &UserInfo) -> Option<Tenant> {
        let username = user.username.as_str();
        if glob::any_matches(&self.platform_identities, username) {
            return None;
        }
        let mut groups: Vec<&String> = user.groups.iter().collect();
        groups.sort(); // HashSet order is random; messages must not be
        if !self.tenant_identities.is_empty() {
            let named = std::iter::once(username)
                .chain(groups.iter().map(|g| g.as_str()))
                .find(|name| glob::any_matches(&self.tenant_identities, name))?;
            return Some(self.tenant(username, named, "is named in settings.tenantIdentities"));
        }
        if let Some(namespace) = namespace_after(username, SA_USER_PREFIX) {
            return self.judge_account(username, username, namespace);
        }
        groups.into_iter().find_map(|group| {
            let namespace = namespace_after(group, SA_GROUP_PREFIX)?;
            self.judge_account(username, group, namespace)
        })
    }

    /// Looks the tenant label up for a candidate that needs it: `None` when the writer's
    /// Namespace and ServiceAccount are found unlabelled (an operator), the tenant otherwise
    /// (a look-up that fails counts as a tenant).
    pub fn confirm(&self, mut candidate: Tenant, cluster: &dyn Cluster) -> Option<Tenant> {
        let Some(pending) = candidate.pending.take() else {
            return Some(candidate);
        };
        let account = service_account_parts(&pending.via).map(|(_, name)| name);
        let reason = match self.labelled(&pending.namespace, account, cluster) {
            Ok(None) => return None,
            Ok(Some(what)) => what,
            Err(why) => format!("could not be told apart from a tenant ({why})"),
        };
        // Name and namespace were the candidate's already: only the reason is new.
        candidate.reason = format!("{} {reason}", pending.via);
        Some(candidate)
    }

    /// A service account (or its namespace's group) named `via`, in `namespace`.
    fn judge_account(&self, username: &str, via: &str, namespace: &str) -> Option<Tenant> {
        // Kubernetes never issues `System:ServiceAccount:...`: such a name is an
        // impersonation trick, judged as a tenant even when it names a platform namespace.
        let canonical = via.starts_with(SA_USER_PREFIX) || via.starts_with(SA_GROUP_PREFIX);
        if !canonical {
            return Some(self.tenant(username, via, "spells the service-account prefix oddly"));
        }
        if self.is_platform_namespace(namespace) {
            return None;
        }
        if self.tenant_label.is_empty() {
            return Some(self.tenant(username, via, "is outside the platform namespaces"));
        }
        // The reason is written once the label is read ([`Self::confirm`]).
        let mut candidate = self.tenant(username, via, "");
        candidate.pending = Some(Pending {
            via: via.to_string(),
            namespace: namespace.to_string(),
        });
        Some(candidate)
    }

    /// Which of the namespace and the account carries the tenant label, if one does.
    fn labelled(
        &self,
        namespace: &str,
        account: Option<&str>,
        cluster: &dyn Cluster,
    ) -> Result<Option<String>, String> {
        let ns_key = ObjectKey {
            api_version: "v1",
            kind: "Namespace",
            namespace: None,
            name: namespace,
        };
        if let Some(value) = self.label_of(cluster, &ns_key)? {
            return Ok(Some(format!(
                "is in Namespace {namespace} labelled {}={value}",
                self.tenant_label
            )));
        }
        let Some(account) = account else {
            return Ok(None);
        };
        let sa_key = ObjectKey {
            api_version: "v1",
            kind: "ServiceAccount",
            namespace: Some(namespace),
            name: account,
        };
        Ok(self
            .label_of(cluster, &sa_key)?
            .map(|value| format!("is a ServiceAccount labelled {}={value}", self.tenant_label)))
    }

    /// The tenant label's value on an object that must exist (the writer's own namespace and
    /// account): a missing object means the look-up cannot be trusted.
    fn label_of(&self, cluster: &dyn Cluster, key: &ObjectKey) -> Result<Option<String>, String> {
        let object = cluster.get(key).map_err(|e| match e {
            LookupError::NotFound => format!("{key} was not found"),
            LookupError::Failed(why) => format!("looking up {key} failed: {why}"),
        })?;
        // A label that is not a string labels nothing.
        let keys = ["metadata", "labels", self.tenant_label.as_str()];
        Ok(crate::request::at(&object, keys).and_then(|v| crate::request::decode(v).ok()))
    }

    fn tenant(&self, username: &str, via: &str, reason: &str) -> Tenant {
        let namespace = namespace_after(via, SA_USER_PREFIX)
            .or_else(|| namespace_after(via, SA_GROUP_PREFIX))
            .or_else(|| namespace_after(username, SA_USER_PREFIX))
            .filter(|ns| !self.is_platform_namespace(ns))
            .map(str::to_string);
        let name = if via == username {
            username.to_string()
        } else {
            format!("{username} (group {via})")
        };
        Tenant {
            name,
            namespace,
            reason: format!("{via} {reason}"),
            pending: None,
        }
    }
}

impl Default for Identities {
    fn default() -> Self {
        Identities {
            flux_namespaces: vec!["flux-system".into()],
            platform_namespaces: ["flux-system", "kube-system", "kubewarden"]
                .map(String::from)
                .to_vec(),
            platform_identities: Vec::new(),
            tenant_identities: Vec::new(),
            tenant_label: FLUX_TENANT_LABEL.into(),
            controller_lockdown: Default::default(),
            trust_anchors: Default::default(),
        }
    }
}

/// A tenant identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The username, or `user (group g)` when a group made it a tenant.
    pub name: String,
    /// Its home namespace; `None` for a tenant that lives in a platform namespace (a per-team
    /// Flux account in flux-system), which may write to any namespace but the platform's.
    pub namespace: Option<String>,
    /// Why it is a tenant: the flow adds it to each denial of a `Scope::TenantWriters` policy.
    pub reason: String,
    /// The look-up that still has to confirm it.
    pending: Option<Pending>,
}

/// A candidate's look-up: the account (or namespace group) `via` in `namespace`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    via: String,
    namespace: String,
}

/// The two steps of [`Identities::tenant_of`], for the flow's `Scope::TenantWriters`.
#[derive(Debug, Clone, Copy)]
pub struct TenantWriters {
    pub candidate: fn(&Identities, &UserInfo) -> Option<Tenant>,
    pub confirm: fn(&Identities, Tenant, &dyn Cluster) -> Option<Tenant>,
}

/// Tenants as the identity model finds them.
pub const TENANT_WRITERS: TenantWriters = TenantWriters {
    candidate: Identities::candidate,
    confirm: Identities::confirm,
};

impl Tenant {
    /// Whether the tenant may write objects in `namespace`.
    pub fn owns(&self, namespace: &str, identities: &Identities) -> bool {
        match &self.namespace {
            Some(home) => home == namespace,
            None => !identities.is_platform_namespace(namespace),
        }
    }
}

/// `system:serviceaccount:<namespace>:<name>` split into its parts.
pub fn service_account_parts(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix(SA_USER_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

/// The namespace in `<prefix><ns>[:<name>]`, matching the prefix case-insensitively.
fn namespace_after<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let namespace = name[prefix.len()..].split(':').next().unwrap_or_default();
    (!namespace.is_empty()).then_some(namespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::MemoryCluster;
    use serde_json::json;

    fn user(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            username: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    fn cluster(tenant_ns: &str, operator_ns: &str) -> MemoryCluster {
        MemoryCluster::new(vec![
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": tenant_ns, "labels": {FLUX_TENANT_LABEL: tenant_ns}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": operator_ns}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "cert-manager", "namespace": operator_ns}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "deployer", "namespace": operator_ns,
                                "labels": {FLUX_TENANT_LABEL: "shared"}}}),
        ])
    }

    #[test]
    fn labels_tell_tenants_from_operators() {
        let ids = Identities::default();
        let c = cluster("team-a", "cert-manager");
        let t = ids
            .tenant_of(&user("system:serviceaccount:team-a:team-a", &[]), &c)
            .unwrap();
        assert_eq!(t.namespace.as_deref(), Some("team-a"));
        assert!(
            t.reason
                .contains("labelled toolkit.fluxcd.io/tenant=team-a"),
            "{t:?}"
        );
        let operator = user("system:serviceaccount:cert-manager:cert-manager", &[]);
        assert_eq!(ids.tenant_of(&operator, &c), None);
        let labelled_sa = user("system:serviceaccount:cert-manager:deployer", &[]);
        assert!(ids.tenant_of(&labelled_sa, &c).is_some());
    }

    #[test]
    fn failed_lookups_fail_closed() {
        let ids = Identities::default();
        let empty = MemoryCluster::default();
        let t = ids
            .tenant_of(&user("system:serviceaccount:cert-manager:x", &[]), &empty)
            .unwrap();
        assert!(t.reason.contains("could not be told apart"), "{t:?}");
        let no_lookups = Identities {
            tenant_label: String::new(),
            ..Identities::default()
        };
        assert!(
            no_lookups
                .tenant_of(&user("system:serviceaccount:cert-manager:x", &[]), &empty)
                .is_some()
        );
    }

    #[test]
    fn platform_and_humans_are_not_tenants() {
        let ids = Identities::default();
        let c = MemoryCluster::default();
        let controller = user(
            "system:serviceaccount:flux-system:kustomize-controller",
            &[],
        );
        assert_eq!(ids.tenant_of(&controller, &c), None);
        assert!(ids.is_flux_controller(&controller.username));
        assert_eq!(
            ids.tenant_of(&user("alice", &["system:authenticated"]), &c),
            None
        );
    }

    #[test]
    fn case_games_are_tenants() {
        let ids = Identities::default();
        let odd = user(
            "System:ServiceAccount:flux-system:kustomize-controller",
            &[],
        );
        let t = ids.tenant_of(&odd, &MemoryCluster::default()).unwrap();
        assert_eq!(t.namespace, None, "flux-system is a platform namespace");
    }

    #[test]
    fn groups_count() {
        let ids = Identities {
            tenant_label: String::new(),
            ..Identities::default()
        };
        let u = user("gotk:team-a:reconciler", &["system:serviceaccounts:team-a"]);
        let t = ids.tenant_of(&u, &MemoryCluster::default()).unwrap();
        assert_eq!(t.namespace.as_deref(), Some("team-a"));
        assert!(t.name.contains("group system:serviceaccounts:team-a"));
    }

    #[test]
    fn per_team_accounts_in_flux_system() {
        let ids = Identities {
            tenant_identities: vec!["system:serviceaccount:flux-system:*-flux-sa".into()],
            ..Identities::default()
        };
        let c = MemoryCluster::default();
        let team = ids
            .tenant_of(
                &user("system:serviceaccount:flux-system:payments-flux-sa", &[]),
                &c,
            )
            .unwrap();
        assert_eq!(team.namespace, None);
        assert!(team.owns("payments", &ids));
        assert!(!team.owns("flux-system", &ids));
        let platform = user("system:serviceaccount:flux-system:platform-sa", &[]);
        assert_eq!(ids.tenant_of(&platform, &c), None);
    }

    #[test]
    fn key_list_names_every_key() {
        assert_eq!(Identities::KEY_LIST, Identities::KEYS.join(", "));
    }

    #[test]
    fn service_accounts() {
        assert_eq!(
            service_account_parts("system:serviceaccount:flux-system:kustomize-controller"),
            Some(("flux-system", "kustomize-controller"))
        );
        assert_eq!(service_account_parts("system:serviceaccount:ns"), None);
        assert_eq!(service_account_parts("alice"), None);
    }
}

//! Kubernetes RBAC (`rbac.authorization.k8s.io/v1`) for the RBAC policies: unknown-field
//! tolerant views of Role, ClusterRole and their bindings; "does this rule grant verb V on
//! group/resource R" with the API server's matching semantics; who a subject really is
//! (`system:serviceaccount:ns:x` as a User is that service account); roleRef resolution
//! and ClusterRole aggregation through a [`Cluster`]; the four kinds as the admission
//! flow judges them ([`RBAC_KINDS`]); and the escalation paths into the Flux namespaces a
//! role's rules open ([`escalation_paths`]).

use fluxgate_admission::identity::service_account_parts as service_account_of;
use fluxgate_admission::{Cluster, LookupError, ObjectKey};
use fluxgate_rules::{Finding, KindSpec, Rule};
use serde::{Deserialize, Deserializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The only served RBAC version (v1beta1 and v1alpha1 went away in Kubernetes 1.22).
pub const RBAC_API_VERSION: &str = "rbac.authorization.k8s.io/v1";
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Verbs that change objects (`*` is handled by [`PolicyRule::grants`]).
pub const WRITE_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

/// `null` reads as the default: the API server drops empty lists, clients send `null`.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The RBAC types the rules read are `k8s-openapi`'s (`rbac.authorization.k8s.io/v1`,
/// `meta/v1 LabelSelector`), decoded with their own serde impls. Only the envelopes are
/// this crate's: `k8s-openapi`'s full `ObjectMeta` (managed fields, timestamps) would cost a
/// module 184 KB of wasm (measured: a ClusterRole + ClusterRoleBinding decoder is 97.5 KB
/// with narrow metadata, 282 KB with `k8s_openapi::api::rbac::v1::ClusterRole`), so the
/// metadata is the narrow [`ObjectMeta`] below.
pub use k8s_openapi::api::rbac::v1::{AggregationRule, PolicyRule, RoleRef, Subject};
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

mod escalation;
pub use escalation::{
    EPHEMERAL_CONTAINERS, ESCALATION_PATHS, Escalation, EscalationPath, FLUX_OBJECT_WRITE,
    NODES_PROXY, POD_ATTACH, POD_CREATE, POD_EXEC, POD_UPDATE, Reach, TOKEN_REQUEST, TOKEN_SECRET,
    WORKLOAD_WRITE, controller_or_platform, could_name_account_in, escalation_paths,
};

/// What a `rules[]` entry grants, with the API server's matching semantics.
pub trait Grants {
    /// Whether the rule grants `verb` on `resource` (`pods` or `pods/exec`) of API `group`
    /// (`""` for core), as the RBAC authorizer matches: `*` matches any verb, group or
    /// resource (subresources included), `*/exec` any resource's `exec` subresource, and
    /// `pods` does not cover `pods/exec`. `resourceNames` narrows the grant but still grants.
    fn grants(&self, verb: &str, group: &str, resource: &str) -> bool {
        self.grants_verb(verb) && self.covers_group(group) && self.covers_resource(resource)
    }
    fn grants_verb(&self, verb: &str) -> bool;
    fn covers_group(&self, group: &str) -> bool;
    fn covers_resource(&self, resource: &str) -> bool;
    /// Whether the rule grants any of the write verbs on `group`/`resource`.
    fn grants_write(&self, group: &str, resource: &str) -> bool {
        WRITE_VERBS.iter().any(|v| self.grants(v, group, resource))
    }
    /// `verbs [get] on secrets (group "")`, for messages.
    fn describe(&self) -> String;
    /// The optional lists as slices (absent and empty mean the same to the authorizer).
    fn api_groups(&self) -> &[String];
    fn resources(&self) -> &[String];
    fn resource_names(&self) -> &[String];
    fn non_resource_urls(&self) -> &[String];
}

impl Grants for PolicyRule {
    fn grants_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    fn covers_group(&self, group: &str) -> bool {
        Grants::api_groups(self)
            .iter()
            .any(|g| g == "*" || g == group)
    }

    fn covers_resource(&self, resource: &str) -> bool {
        let sub = resource.split_once('/').map(|(_, s)| s);
        Grants::resources(self).iter().any(|r| {
            r == "*" || r == resource || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
        })
    }

    fn describe(&self) -> String {
        let mut text = format!("verbs {:?}", self.verbs);
        if !Grants::resources(self).is_empty() {
            text.push_str(&format!(" on resources {:?}", Grants::resources(self)));
            text.push_str(&format!(" in apiGroups {:?}", Grants::api_groups(self)));
        }
        if !Grants::resource_names(self).is_empty() {
            text.push_str(&format!(" named {:?}", Grants::resource_names(self)));
        }
        if !Grants::non_resource_urls(self).is_empty() {
            text.push_str(&format!(
                " on nonResourceURLs {:?}",
                Grants::non_resource_urls(self)
            ));
        }
        text
    }

    fn api_groups(&self) -> &[String] {
        self.api_groups.as_deref().unwrap_or_default()
    }

    fn resources(&self) -> &[String] {
        self.resources.as_deref().unwrap_or_default()
    }

    fn resource_names(&self) -> &[String] {
        self.resource_names.as_deref().unwrap_or_default()
    }

    fn non_resource_urls(&self) -> &[String] {
        self.non_resource_urls.as_deref().unwrap_or_default()
    }
}

/// Label selectors as ClusterRole aggregation evaluates them.
pub trait Selects {
    /// Whether `labels` satisfy every term; an empty selector matches everything, as for
    /// aggregation. An operator Kubernetes does not know is an error, never a guess.
    fn matches(&self, labels: &BTreeMap<String, String>) -> Result<bool, String>;
}

impl Selects for LabelSelector {
    fn matches(&self, labels: &BTreeMap<String, String>) -> Result<bool, String> {
        if self
            .match_labels
            .iter()
            .flatten()
            .any(|(k, v)| labels.get(k) != Some(v))
        {
            return Ok(false);
        }
        for req in self.match_expressions.iter().flatten() {
            let value = labels.get(&req.key);
            let values = req.values.as_deref().unwrap_or_default();
            let ok = match req.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => {
                    return Err(format!(
                        "matchExpressions operator {other:?} on key {:?} is not one of In, NotIn, Exists, DoesNotExist",
                        req.key
                    ));
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The metadata of roles and bindings: names, and the labels ClusterRole aggregation selects.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A Role or ClusterRole (only ClusterRoles have an `aggregationRule`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Role {
    #[serde(deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub rules: Vec<PolicyRule>,
    pub aggregation_rule: Option<AggregationRule>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Binding {
    #[serde(deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub subjects: Vec<Subject>,
    #[serde(deserialize_with = "nullable")]
    pub role_ref: RoleRef,
}

/// Who a subject stands for. Groups that contain every service account are kept apart,
/// since they also contain the Flux identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    ServiceAccount {
        namespace: &'a str,
        name: &'a str,
    },
    /// Group `system:serviceaccounts:<ns>`: every service account of a namespace.
    ServiceAccountsIn(&'a str),
    /// Group `system:serviceaccounts`: every service account.
    AllServiceAccounts,
    /// Group `system:authenticated`: everyone with credentials, service accounts included.
    Authenticated,
    User(&'a str),
    Group(&'a str),
    /// A kind RBAC does not know; it grants nothing.
    Unknown,
}

/// Who a binding's subject really is.
pub trait Principals {
    /// The principal, reading a ServiceAccount subject without a namespace as one in the
    /// binding's namespace (what the authorizer does for RoleBindings) and the User
    /// `system:serviceaccount:<ns>:<name>` as that service account.
    fn principal<'a>(&'a self, binding_namespace: &'a str) -> Principal<'a>;
    /// `ServiceAccount team-a/flux`, `User alice`, `Group devs`, for messages.
    fn describe(&self, binding_namespace: &str) -> String;
}

impl Principals for Subject {
    /// The principal, reading a ServiceAccount subject without a namespace as one in the
    /// binding's namespace (what the authorizer does for RoleBindings) and the User
    /// `system:serviceaccount:<ns>:<name>` as that service account.
    fn principal<'a>(&'a self, binding_namespace: &'a str) -> Principal<'a> {
        match self.kind.as_str() {
            "ServiceAccount" => Principal::ServiceAccount {
                namespace: self
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(binding_namespace),
                name: &self.name,
            },
            "User" => match service_account_of(&self.name) {
                Some((namespace, name)) => Principal::ServiceAccount { namespace, name },
                None => Principal::User(&self.name),
            },
            "Group" => match self.name.as_str() {
                "system:serviceaccounts" => Principal::AllServiceAccounts,
                "system:authenticated" => Principal::Authenticated,
                g => match g.strip_prefix("system:serviceaccounts:") {
                    Some(ns) if !ns.is_empty() && !ns.contains(':') => {
                        Principal::ServiceAccountsIn(ns)
                    }
                    _ => Principal::Group(g),
                },
            },
            _ => Principal::Unknown,
        }
    }

    fn describe(&self, binding_namespace: &str) -> String {
        match self.principal(binding_namespace) {
            Principal::ServiceAccount { namespace, name } if self.kind == "User" => {
                format!("User {} (service account {namespace}/{name})", self.name)
            }
            Principal::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
            _ => format!("{} {}", self.kind, self.name),
        }
    }
}

/// `subjects[3] ServiceAccount team-a/flux`: a binding's subject as messages name it, written
/// only when a message shows it (see `fluxgate_rules::abbreviated`).
#[derive(Debug, Clone, Copy)]
pub struct SubjectAt<'a> {
    pub index: usize,
    pub subject: &'a Subject,
    pub binding_namespace: &'a str,
}

impl Binding {
    /// The subjects, each with its index and the namespace it is read in.
    pub fn subjects_at<'a>(
        &'a self,
        binding_namespace: &'a str,
    ) -> impl Iterator<Item = SubjectAt<'a>> + Clone {
        self.subjects
            .iter()
            .enumerate()
            .map(move |(index, subject)| SubjectAt {
                index,
                subject,
                binding_namespace,
            })
    }
}

impl SubjectAt<'_> {
    pub fn principal(&self) -> Principal<'_> {
        self.subject.principal(self.binding_namespace)
    }
}

impl std::fmt::Display for SubjectAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let described = self.subject.describe(self.binding_namespace);
        write!(f, "subjects[{}] {described}", self.index)
    }
}

/// Where a binding grants: in one namespace (RoleBinding) or everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Namespace(&'a str),
    Cluster,
}

/// The four RBAC kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RbacKind {
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
}

impl RbacKind {
    pub fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "Role" => RbacKind::Role,
            "ClusterRole" => RbacKind::ClusterRole,
            "RoleBinding" => RbacKind::RoleBinding,
            "ClusterRoleBinding" => RbacKind::ClusterRoleBinding,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RbacKind::Role => "Role",
            RbacKind::ClusterRole => "ClusterRole",
            RbacKind::RoleBinding => "RoleBinding",
            RbacKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }

    pub fn namespaced(self) -> bool {
        matches!(self, RbacKind::Role | RbacKind::RoleBinding)
    }
}

impl fmt::Display for RbacKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const fn rbac_kind(
    kind: &'static str,
    namespaced: bool,
    judged: &'static [&'static str],
) -> KindSpec {
    KindSpec {
        group: RBAC_GROUP,
        kind,
        versions: &["v1"],
        namespaced,
        judged_fields: judged,
    }
}

/// What a role grants: its rules, its aggregation, and the labels that aggregate it into
/// other ClusterRoles. An UPDATE that leaves these alone (finalizers, annotations) is not
/// judged again, so a role admitted before the policy can still be deleted.
const ROLE_GRANTS: &[&str] = &["rules", "aggregationRule", "metadata.labels"];
const BINDING_GRANTS: &[&str] = &["subjects", "roleRef"];

pub const ROLE: KindSpec = rbac_kind("Role", true, ROLE_GRANTS);
pub const CLUSTER_ROLE: KindSpec = rbac_kind("ClusterRole", false, ROLE_GRANTS);
pub const ROLE_BINDING: KindSpec = rbac_kind("RoleBinding", true, BINDING_GRANTS);
pub const CLUSTER_ROLE_BINDING: KindSpec = rbac_kind("ClusterRoleBinding", false, BINDING_GRANTS);
/// The binding kinds and the role kinds, for rules that judge one pair.
pub const BINDING_KINDS: &[KindSpec] = &[ROLE_BINDING, CLUSTER_ROLE_BINDING];
pub const ROLE_KINDS: &[KindSpec] = &[ROLE, CLUSTER_ROLE];
/// The four RBAC kinds, for rules that judge them all.
pub const RBAC_KINDS: &[KindSpec] = &[ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING];

/// A rule and where it came from (`ClusterRole edit rules[3]`), for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedRule {
    pub origin: String,
    pub rule: PolicyRule,
}

/// What a roleRef resolved to: the role's own rules plus, for an aggregated ClusterRole,
/// the rules of every ClusterRole its selectors match (transitively).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRole {
    pub kind: RbacKind,
    pub name: String,
    pub rules: Vec<SourcedRule>,
    /// Names of the ClusterRoles aggregated into it.
    pub aggregated: Vec<String>,
}

/// Why a roleRef could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The role does not exist (yet).
    Missing(String),
    /// The roleRef itself is not valid (kind, apiGroup, Role in a ClusterRoleBinding).
    Invalid(String),
    /// A lookup failed, or aggregation cannot be worked out; says why.
    Unknown(String),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::Missing(m) | ResolveError::Invalid(m) | ResolveError::Unknown(m) => {
                f.write_str(m)
            }
        }
    }
}

/// A bound on aggregation chains and fan-out: RBAC never needs more, malicious state
/// could make more.
const MAX_AGGREGATED: usize = 256;

/// Fetches the role a binding refers to. `binding_namespace` is `None` for a
/// ClusterRoleBinding (which may only refer to ClusterRoles).
pub fn resolve_role_ref(
    cluster: &dyn Cluster,
    role_ref: &RoleRef,
    binding_namespace: Option<&str>,
) -> Result<ResolvedRole, ResolveError> {
    if role_ref.api_group != RBAC_GROUP {
        return Err(ResolveError::Invalid(format!(
            "roleRef.apiGroup {:?} is not {RBAC_GROUP}",
            role_ref.api_group
        )));
    }
    let kind = match (role_ref.kind.as_str(), binding_namespace) {
        ("ClusterRole", _) => RbacKind::ClusterRole,
        ("Role", Some(_)) => RbacKind::Role,
        ("Role", None) => {
            return Err(ResolveError::Invalid(
                "roleRef.kind Role is not allowed in a ClusterRoleBinding".into(),
            ));
        }
        (other, _) => {
            return Err(ResolveError::Invalid(format!(
                "roleRef.kind {other:?} is not Role or ClusterRole"
            )));
        }
    };
    let namespace = if kind == RbacKind::Role {
        binding_namespace
    } else {
        None
    };
    let key = ObjectKey {
        api_version: RBAC_API_VERSION,
        kind: kind.name(),
        namespace,
        name: &role_ref.name,
    };
    match fluxgate_admission::cluster::get_as::<Role>(cluster, &key) {
        Ok(role) => expand(cluster, kind, &role_ref.name, &role),
        Err(LookupError::NotFound) => Err(ResolveError::Missing(format!(
            "{key} does not exist in the cluster"
        ))),
        Err(LookupError::Failed(why)) => Err(ResolveError::Unknown(format!(
            "cannot look up {key}: {why}"
        ))),
    }
}

/// A role's effective rules: its own plus, for an aggregated ClusterRole, those of every
/// ClusterRole its `aggregationRule` selects (transitively). The API server also copies the
/// aggregated rules into `rules`; reading both is harmless and covers a stale copy.
pub fn expand(
    cluster: &dyn Cluster,
    kind: RbacKind,
    name: &str,
    role: &Role,
) -> Result<ResolvedRole, ResolveError> {
    let mut resolved = ResolvedRole {
        kind,
        name: name.to_string(),
        // The role's own rules read as `rules[i]`; aggregated ones name their ClusterRole.
        rules: role
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| SourcedRule {
                origin: format!("rules[{i}]"),
                rule: rule.clone(),
            })
            .collect(),
        aggregated: Vec::new(),
    };
    let Some(aggregation) = role
        .aggregation_rule
        .as_ref()
        .filter(|_| kind == RbacKind::ClusterRole)
    else {
        return Ok(resolved);
    };
    let all = list_cluster_roles(cluster).map_err(|why| {
        ResolveError::Unknown(format!(
            "ClusterRole {name} is aggregated (aggregationRule) and the ClusterRoles it selects cannot be listed: {why}"
        ))
    })?;
    let mut seen: BTreeSet<String> = BTreeSet::from([name.to_string()]);
    let mut pending: Vec<AggregationRule> = vec![aggregation.clone()];
    while let Some(rule) = pending.pop() {
        for (child_name, child) in &all {
            if seen.contains(child_name) {
                continue;
            }
            let mut selected = false;
            for selector in rule.cluster_role_selectors.iter().flatten() {
                if selector.matches(&child.metadata.labels).map_err(|why| {
                    ResolveError::Unknown(format!(
                        "ClusterRole {name} aggregates by a selector the policy cannot evaluate: {why}"
                    ))
                })? {
                    selected = true;
                    break;
                }
            }
            if !selected {
                continue;
            }
            if seen.len() > MAX_AGGREGATED {
                return Err(ResolveError::Unknown(format!(
                    "ClusterRole {name} aggregates more than {MAX_AGGREGATED} ClusterRoles"
                )));
            }
            seen.insert(child_name.clone());
            resolved.aggregated.push(child_name.clone());
            resolved
                .rules
                .extend(sourced(RbacKind::ClusterRole, child_name, &child.rules));
            if let Some(inner) = &child.aggregation_rule {
                pending.push(inner.clone());
            }
        }
    }
    Ok(resolved)
}

fn sourced(kind: RbacKind, name: &str, rules: &[PolicyRule]) -> Vec<SourcedRule> {
    rules
        .iter()
        .enumerate()
        .map(|(i, rule)| SourcedRule {
            origin: format!("{kind} {name} rules[{i}]"),
            rule: rule.clone(),
        })
        .collect()
}

/// Every ClusterRole, by name.
pub fn list_cluster_roles(cluster: &dyn Cluster) -> Result<Vec<(String, Role)>, String> {
    list_typed::<Role>(cluster, "ClusterRole", None).map(|roles| {
        roles
            .into_iter()
            .map(|r| (r.metadata.name.clone().unwrap_or_default(), r))
            .collect()
    })
}

fn list_typed<T: serde::de::DeserializeOwned>(
    cluster: &dyn Cluster,
    kind: &str,
    namespace: Option<&str>,
) -> Result<Vec<T>, String> {
    let items = cluster
        .list(RBAC_API_VERSION, kind, namespace)
        .map_err(|e| e.to_string())?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            fluxgate_admission::request::decode(item)
                .map_err(|e| format!("{kind} list item {i}: {}: {}", e.path, e.message))
        })
        .collect()
}

/// A binding that grants a role, found from the role's side.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingOf {
    pub kind: RbacKind,
    pub binding: Binding,
    /// The aggregated ClusterRole through which the role is granted, if not directly.
    pub via: Option<String>,
}

impl BindingOf {
    pub fn namespace(&self) -> &str {
        self.binding.metadata.namespace.as_deref().unwrap_or("")
    }

    pub fn scope(&self) -> Scope<'_> {
        match self.kind {
            RbacKind::RoleBinding => Scope::Namespace(self.namespace()),
            _ => Scope::Cluster,
        }
    }

    /// `RoleBinding team-a/deployers` or `ClusterRoleBinding ops (through ClusterRole edit)`.
    pub fn describe(&self) -> String {
        let name = self.binding.metadata.name.as_deref().unwrap_or("<unnamed>");
        let mut text = match self.kind {
            RbacKind::RoleBinding => format!("RoleBinding {}/{name}", self.namespace()),
            _ => format!("{} {name}", self.kind),
        };
        if let Some(via) = &self.via {
            text.push_str(&format!(" (through the aggregated ClusterRole {via})"));
        }
        text
    }
}

/// Every binding that grants the role `name` (a Role in `namespace`, or a ClusterRole),
/// including, for a ClusterRole whose `labels` make it part of an aggregated ClusterRole,
/// the bindings of that aggregated role. `in_namespaces` limits the RoleBindings looked at
/// (`None`: all namespaces).
pub fn bindings_of(
    cluster: &dyn Cluster,
    kind: RbacKind,
    namespace: &str,
    name: &str,
    labels: &BTreeMap<String, String>,
    in_namespaces: Option<&[String]>,
) -> Result<Vec<BindingOf>, String> {
    let mut found = Vec::new();
    if kind == RbacKind::Role {
        for b in list_typed::<Binding>(cluster, "RoleBinding", Some(namespace))? {
            if b.role_ref.kind == "Role" && b.role_ref.name == name {
                found.push(BindingOf {
                    kind: RbacKind::RoleBinding,
                    binding: b,
                    via: None,
                });
            }
        }
        return Ok(found);
    }
    // The role itself, then every aggregated ClusterRole that selects it.
    let mut targets: Vec<(String, Option<String>)> = vec![(name.to_string(), None)];
    for (parent, role) in list_cluster_roles(cluster)? {
        if parent == name {
            continue;
        }
        let Some(aggregation) = &role.aggregation_rule else {
            continue;
        };
        let mut selected = false;
        for selector in aggregation.cluster_role_selectors.iter().flatten() {
            if selector
                .matches(labels)
                .map_err(|why| format!("ClusterRole {parent} aggregationRule: {why}"))?
            {
                selected = true;
                break;
            }
        }
        if selected {
            targets.push((parent.clone(), Some(parent)));
        }
    }
    let cluster_bindings = list_typed::<Binding>(cluster, "ClusterRoleBinding", None)?;
    let mut role_bindings = Vec::new();
    match in_namespaces {
        None => role_bindings = list_typed::<Binding>(cluster, "RoleBinding", None)?,
        Some(namespaces) => {
            for ns in namespaces {
                role_bindings.extend(list_typed::<Binding>(cluster, "RoleBinding", Some(ns))?);
            }
        }
    }
    for (target, via) in &targets {
        let refers = |b: &Binding| b.role_ref.kind == "ClusterRole" && &b.role_ref.name == target;
        for b in cluster_bindings.iter().filter(|b| refers(b)) {
            found.push(BindingOf {
                kind: RbacKind::ClusterRoleBinding,
                binding: b.clone(),
                via: via.clone(),
            });
        }
        for b in role_bindings.iter().filter(|b| refers(b)) {
            found.push(BindingOf {
                kind: RbacKind::RoleBinding,
                binding: b.clone(),
                via: via.clone(),
            });
        }
    }
    Ok(found)
}

/// Reads a `namespace:name` service-account glob list entry; used by settings validation.
pub fn check_account_glob(setting: &str, i: usize, entry: &str) -> Result<(), String> {
    match entry.split_once(':') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains(':') => Ok(()),
        _ => Err(format!(
            "settings.{setting}[{i}]: {entry:?} is not namespace:name (globs allowed, e.g. team-*:flux)"
        )),
    }
}

/// Whether a `namespace:name` glob list names the service account.
pub fn account_matches(patterns: &[String], namespace: &str, name: &str) -> bool {
    if patterns.is_empty() {
        return false; // and no `namespace:name` built: this runs once per subject
    }
    let full = format!("{namespace}:{name}");
    fluxgate_matchers::glob::any_matches(patterns, &full)
}

/// Whether some service account of `namespace` could match a `namespace:name` glob list.
pub fn namespace_has_match(patterns: &[String], namespace: &str) -> bool {
    patterns.iter().any(|p| {
        p.split_once(':')
            .is_some_and(|(ns, _)| fluxgate_matchers::glob::matches(ns, namespace))
    })
}

/// What a binding to a role that does not exist (yet) gets: the role's grants are unknown.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MissingRole {
    #[default]
    Deny,
    Allow,
}

/// A finding of `rule` naming a roleRef that cannot be judged.
pub fn unresolved(rule: &Rule, error: &ResolveError, role_ref: &RoleRef, fix: &str) -> Finding {
    rule.at(
        "roleRef",
        format!(
            "{} {:?} cannot be judged: {error}",
            role_ref.kind, role_ref.name
        ),
        fix,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use fluxgate_admission::MemoryCluster;
    use serde_json::json;

    /// A rule of `groups` x `resources` x `verbs` (shared by this crate's tests).
    pub(crate) fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        PolicyRule {
            api_groups: Some(s(groups)),
            resources: Some(s(resources)),
            verbs: s(verbs),
            ..Default::default()
        }
    }

    #[test]
    fn rule_matching_follows_the_authorizer() {
        let r = rule(&[""], &["pods"], &["get"]);
        assert!(r.grants("get", "", "pods"));
        assert!(!r.grants("get", "", "pods/exec"));
        assert!(!r.grants("list", "", "pods"));
        assert!(!r.grants("get", "apps", "pods"));
        let r = rule(&["*"], &["*"], &["*"]);
        assert!(r.grants("create", "", "pods/exec"));
        let r = rule(&[""], &["*/exec"], &["create"]);
        assert!(r.grants("create", "", "pods/exec"));
        assert!(!r.grants("create", "", "pods"));
        let r = rule(&[RBAC_GROUP], &["clusterrolebindings"], &["patch"]);
        assert!(r.grants_write(RBAC_GROUP, "clusterrolebindings"));
        assert!(!r.grants_write(RBAC_GROUP, "roles"));
    }

    #[test]
    fn selectors() {
        let labels: BTreeMap<String, String> =
            [("a".to_string(), "1".to_string())].into_iter().collect();
        let sel: LabelSelector =
            serde_json::from_value(json!({"matchLabels": {"a": "1"}})).unwrap();
        assert_eq!(sel.matches(&labels), Ok(true));
        let sel: LabelSelector = serde_json::from_value(
            json!({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}),
        )
        .unwrap();
        assert_eq!(sel.matches(&labels), Ok(false));
        let sel: LabelSelector = serde_json::from_value(
            json!({"matchExpressions": [{"key": "b", "operator": "DoesNotExist"}]}),
        )
        .unwrap();
        assert_eq!(sel.matches(&labels), Ok(true));
        let sel: LabelSelector =
            serde_json::from_value(json!({"matchExpressions": [{"key": "b", "operator": "Near"}]}))
                .unwrap();
        assert!(sel.matches(&labels).is_err());
        assert_eq!(LabelSelector::default().matches(&labels), Ok(true));
    }

    #[test]
    fn subjects_are_shown_with_their_index_and_namespace() {
        let binding: Binding = serde_json::from_value(json!({"subjects": [
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "flux"},
        ]}))
        .unwrap();
        let shown: Vec<String> = binding
            .subjects_at("team-a")
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "subjects[0] Group devs",
                "subjects[1] ServiceAccount team-a/flux"
            ]
        );
        let second = binding.subjects_at("team-a").nth(1).unwrap();
        assert_eq!(
            second.principal(),
            Principal::ServiceAccount {
                namespace: "team-a",
                name: "flux"
            }
        );
    }

    #[test]
    fn principals() {
        let s = |kind: &str, name: &str, ns: Option<&str>| Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: ns.map(str::to_string),
            api_group: None,
        };
        let sa = s("User", "system:serviceaccount:flux-system:x", None);
        assert_eq!(
            sa.principal("apps"),
            Principal::ServiceAccount {
                namespace: "flux-system",
                name: "x"
            }
        );
        let sa = s("ServiceAccount", "x", None);
        assert_eq!(
            sa.principal("apps"),
            Principal::ServiceAccount {
                namespace: "apps",
                name: "x"
            }
        );
        let g = s("Group", "system:serviceaccounts:flux-system", None);
        assert_eq!(g.principal(""), Principal::ServiceAccountsIn("flux-system"));
        let g = s("Group", "system:serviceaccounts", None);
        assert_eq!(g.principal(""), Principal::AllServiceAccounts);
        assert_eq!(s("Robot", "r", None).principal(""), Principal::Unknown);
    }

    fn cr(name: &str, labels: serde_json::Value, rules: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": RBAC_API_VERSION, "kind": "ClusterRole",
               "metadata": {"name": name, "labels": labels}, "rules": rules})
    }

    #[test]
    fn aggregation_is_followed_transitively() {
        let mut top = cr("top", json!({}), json!(null));
        top["aggregationRule"] =
            json!({"clusterRoleSelectors": [{"matchLabels": {"agg-top": "true"}}]});
        let mut mid = cr("mid", json!({"agg-top": "true"}), json!([]));
        mid["aggregationRule"] =
            json!({"clusterRoleSelectors": [{"matchLabels": {"agg-mid": "true"}}]});
        let leaf = cr(
            "leaf",
            json!({"agg-mid": "true"}),
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        );
        let c = MemoryCluster::new(vec![top, mid, leaf]);
        let role_ref = RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "ClusterRole".into(),
            name: "top".into(),
        };
        let r = resolve_role_ref(&c, &role_ref, None).unwrap();
        assert_eq!(r.aggregated, ["mid", "leaf"]);
        assert!(r.rules.iter().any(|s| s.rule.grants("delete", "", "nodes")));
        let missing = RoleRef {
            name: "nope".into(),
            ..role_ref.clone()
        };
        assert!(matches!(
            resolve_role_ref(&c, &missing, None),
            Err(ResolveError::Missing(_))
        ));
        // The leaf is reached from its own bindings and through both aggregators.
        let b = json!({"apiVersion": RBAC_API_VERSION, "kind": "ClusterRoleBinding",
                       "metadata": {"name": "b"}, "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "mid"},
                       "subjects": [{"kind": "User", "name": "u"}]});
        let c = MemoryCluster::new(vec![b, cr("mid", json!({}), json!([])), {
            let mut m = cr("mid2", json!({}), json!([]));
            m["aggregationRule"] =
                json!({"clusterRoleSelectors": [{"matchLabels": {"agg-mid": "true"}}]});
            m
        }]);
        let labels: BTreeMap<String, String> = [("agg-mid".to_string(), "true".to_string())]
            .into_iter()
            .collect();
        let found = bindings_of(&c, RbacKind::ClusterRole, "", "mid", &labels, None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].describe(), "ClusterRoleBinding b");
    }

    #[test]
    fn account_globs() {
        let p = vec!["team-*:flux".to_string()];
        assert!(account_matches(&p, "team-a", "flux"));
        assert!(!account_matches(&p, "team-a", "other"));
        assert!(namespace_has_match(&p, "team-b"));
        assert!(!namespace_has_match(&p, "apps"));
        assert!(check_account_glob("x", 0, "flux").is_err());
        assert!(check_account_glob("x", 0, "a:b").is_ok());
    }
}

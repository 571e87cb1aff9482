//! Escalation paths into the Flux namespaces: grants that, held in a namespace where the Flux
//! controllers run (through a RoleBinding there, or a ClusterRoleBinding, which reaches every
//! namespace), are the controllers' privileges in effect. kustomize-controller and
//! helm-controller are cluster-admin in Flux's install (flux2 `manifests/rbac/reconciler.yaml`),
//! so each path is cluster-admin for whoever holds it.
//!
//! Matching is the RBAC authorizer's, through [`Grants`] (kubernetes
//! `pkg/apis/rbac/v1/evaluation_helpers.go`: `VerbMatches`, `APIGroupMatches`, `ResourceMatches`):
//! `*` matches any verb, group or resource, `*/sub` any resource's subresource, and the rest
//! is compared exactly, case included (`Create` grants nothing). `resourceNames` is not read:
//! it narrows a grant to named objects but still grants it (a server-side apply creates the
//! named object and is authorised as `create` with that name, apiserver
//! `endpoints/handlers/patch.go` `createAuthorizerAttributes`), and a pod of a chosen name
//! runs as the controller just the same.

use crate::{Grants, Principal, SourcedRule};
use fluxgate_admission::Identities;
use fluxgate_admission::identity::FLUX_CONTROLLER_ACCOUNTS;
use fluxgate_matchers::glob;

/// Where a path opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Through any binding that reaches a Flux namespace: a RoleBinding there, or a
    /// ClusterRoleBinding.
    FluxNamespace,
    /// Only through a ClusterRoleBinding: the resource is cluster-scoped, and a RoleBinding
    /// grants nothing on it.
    Cluster,
}

/// `verbs` on any of `resources` in API `group` (`""`: core).
#[derive(Debug)]
struct Grant {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
}

/// One way from a grant to the Flux controllers' privileges.
#[derive(Debug)]
pub struct EscalationPath {
    /// Stable name, for messages and for a policy to leave out what another rule reports.
    pub name: &'static str,
    /// Why Kubernetes makes it an escalation.
    pub reason: &'static str,
    pub reach: Reach,
    /// Any one of these grants opens the path.
    grants: &'static [Grant],
    /// All of these must be granted too (by any rule of the role).
    with: &'static [Grant],
}

pub const POD_CREATE: &str = "pod-create";
pub const POD_UPDATE: &str = "pod-update";
pub const WORKLOAD_WRITE: &str = "workload-write";
pub const EPHEMERAL_CONTAINERS: &str = "ephemeral-containers";
pub const POD_EXEC: &str = "pod-exec";
pub const POD_ATTACH: &str = "pod-attach";
pub const FLUX_OBJECT_WRITE: &str = "flux-object-write";
pub const TOKEN_REQUEST: &str = "token-request";
pub const TOKEN_SECRET: &str = "token-secret";
pub const NODES_PROXY: &str = "nodes-proxy";

const WRITES: &[&str] = &["create", "update", "patch"];
/// Exec and attach are opened with `create` (POST) and, over WebSockets, `get`.
const OPENS: &[&str] = &["create", "get"];

/// Flux's kinds and the Flux Operator's, by API group (the CRDs' `spec.names.plural`). Each is
/// reconciled by a controller: a Kustomization or HelmRelease without `spec.serviceAccountName`
/// (and no `--default-service-account`) is applied with the controller's own client, as
/// kustomize-controller or helm-controller (fluxcd/pkg `runtime/client/impersonator.go`),
/// a ResourceSet or FluxInstance as the operator; a source, provider or image object may
/// reference any Secret of its namespace (`spec.secretRef`) and send it to a URL it names.
const FLUX_OBJECTS: &[Grant] = &[
    Grant {
        verbs: WRITES,
        group: "kustomize.toolkit.fluxcd.io",
        resources: &["kustomizations"],
    },
    Grant {
        verbs: WRITES,
        group: "helm.toolkit.fluxcd.io",
        resources: &["helmreleases"],
    },
    Grant {
        verbs: WRITES,
        group: "source.toolkit.fluxcd.io",
        resources: &[
            "gitrepositories",
            "ocirepositories",
            "helmrepositories",
            "helmcharts",
            "buckets",
            "externalartifacts",
        ],
    },
    Grant {
        verbs: WRITES,
        group: "source.extensions.fluxcd.io",
        resources: &["artifactgenerators"],
    },
    Grant {
        verbs: WRITES,
        group: "notification.toolkit.fluxcd.io",
        resources: &["alerts", "providers", "receivers"],
    },
    Grant {
        verbs: WRITES,
        group: "image.toolkit.fluxcd.io",
        resources: &[
            "imagerepositories",
            "imagepolicies",
            "imageupdateautomations",
        ],
    },
    Grant {
        verbs: WRITES,
        group: "fluxcd.controlplane.io",
        resources: &["fluxinstances", "resourcesets", "resourcesetinputproviders"],
    },
];

/// Every path, in the order messages list them.
pub const ESCALATION_PATHS: &[EscalationPath] = &[
    // Kubernetes "RBAC good practices", Workload creation: a pod can run as any service
    // account of its namespace and mount any of its Secrets.
    EscalationPath {
        name: POD_CREATE,
        reason: "a pod there may run as kustomize-controller (spec.serviceAccountName) and mount any Secret of the namespace",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: &["create"],
            group: "",
            resources: &["pods"],
        }],
        with: &[],
    },
    // A pod's spec.containers[*].image is one of the fields a pod update may change
    // (Kubernetes "Pod update and replacement").
    EscalationPath {
        name: POD_UPDATE,
        reason: "a controller pod's spec.containers[*].image is mutable, so other code runs with its token",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: &["update", "patch"],
            group: "",
            resources: &["pods"],
        }],
        with: &[],
    },
    EscalationPath {
        name: WORKLOAD_WRITE,
        reason: "a pod template may name kustomize-controller, and the controllers' own Deployments may be given another image",
        reach: Reach::FluxNamespace,
        grants: &[
            Grant {
                verbs: WRITES,
                group: "apps",
                resources: &["deployments", "replicasets", "statefulsets", "daemonsets"],
            },
            Grant {
                verbs: WRITES,
                group: "batch",
                resources: &["jobs", "cronjobs"],
            },
            Grant {
                verbs: WRITES,
                group: "",
                resources: &["replicationcontrollers"],
            },
        ],
        with: &[],
    },
    // `kubectl debug` patches (older clients update) pods/ephemeralcontainers.
    EscalationPath {
        name: EPHEMERAL_CONTAINERS,
        reason: "kubectl debug adds a container of one's choosing to a controller pod, with its token",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: &["update", "patch"],
            group: "",
            resources: &["pods/ephemeralcontainers"],
        }],
        with: &[],
    },
    EscalationPath {
        name: POD_EXEC,
        reason: "a shell in a controller pod, with its token",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: OPENS,
            group: "",
            resources: &["pods/exec"],
        }],
        with: &[],
    },
    EscalationPath {
        name: POD_ATTACH,
        reason: "a shell in a controller pod, with its token",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: OPENS,
            group: "",
            resources: &["pods/attach"],
        }],
        with: &[],
    },
    EscalationPath {
        name: FLUX_OBJECT_WRITE,
        reason: "reconciled as the controller: a Kustomization or HelmRelease without spec.serviceAccountName applies as kustomize-controller or helm-controller, a source sends a Secret of the namespace (spec.secretRef) to its URL",
        reach: Reach::FluxNamespace,
        grants: FLUX_OBJECTS,
        with: &[],
    },
    // Kubernetes "RBAC good practices", Token request.
    EscalationPath {
        name: TOKEN_REQUEST,
        reason: "a TokenRequest mints a token of kustomize-controller",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: &["create"],
            group: "",
            resources: &["serviceaccounts/token"],
        }],
        with: &[],
    },
    // Kubernetes "Configure Service Accounts for Pods", manually create a long-lived API token:
    // the token controller fills such a Secret with a token of the annotated account.
    EscalationPath {
        name: TOKEN_SECRET,
        reason: "a Secret of type kubernetes.io/service-account-token naming kustomize-controller is filled with its token, which the role reads",
        reach: Reach::FluxNamespace,
        grants: &[Grant {
            verbs: &["create"],
            group: "",
            resources: &["secrets"],
        }],
        with: &[Grant {
            verbs: &["get", "list", "watch"],
            group: "",
            resources: &["secrets"],
        }],
    },
    // Kubernetes "RBAC good practices", Access to proxy subresource of Nodes, and "Kubelet
    // authentication/authorization": the kubelet maps GET to get and POST to create, and its
    // exec, run and attach endpoints answer both.
    EscalationPath {
        name: NODES_PROXY,
        reason: "the kubelet API execs into every pod of the node, the controllers' included, past admission and audit (get suffices, over WebSockets)",
        reach: Reach::Cluster,
        grants: &[Grant {
            verbs: OPENS,
            group: "",
            resources: &["nodes/proxy"],
        }],
        with: &[],
    },
];

/// A path a role grants: the first rule that opens it.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub path: &'static EscalationPath,
    /// Where the grant is: `rules[0]`, `ClusterRole edit rules[3]`.
    pub origin: String,
    /// `create on pods`, `patch on deployments.apps`.
    pub grant: String,
}

impl PartialEq for EscalationPath {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Escalation {
    /// `pod-create (rules[0]: create on pods): a pod created there may ...`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}: {}): {}",
            self.path.name, self.origin, self.grant, self.path.reason
        )
    }
}

/// The first (verb, group, resource) of `grants` that `rule` grants, as `verb on resource.group`.
fn first_grant(rule: &crate::PolicyRule, grants: &[Grant]) -> Option<String> {
    grants.iter().find_map(|g| {
        g.resources.iter().find_map(|resource| {
            g.verbs
                .iter()
                .find(|verb| rule.grants(verb, g.group, resource))
                .map(|verb| {
                    if g.group.is_empty() {
                        format!("{verb} on {resource}")
                    } else {
                        format!("{verb} on {resource}.{}", g.group)
                    }
                })
        })
    })
}

/// The escalation paths `rules` (a role's effective rules) open, one per path, in
/// [`ESCALATION_PATHS`] order. `cluster_wide`: bound by a ClusterRoleBinding, which also opens
/// the paths on cluster-scoped resources; otherwise bound by a RoleBinding in a Flux namespace.
pub fn escalation_paths(rules: &[SourcedRule], cluster_wide: bool) -> Vec<Escalation> {
    ESCALATION_PATHS
        .iter()
        .filter(|path| cluster_wide || path.reach == Reach::FluxNamespace)
        .filter(|path| {
            path.with.iter().all(|g| {
                rules
                    .iter()
                    .any(|s| first_grant(&s.rule, std::slice::from_ref(g)).is_some())
            })
        })
        .filter_map(|path| {
            rules.iter().find_map(|s| {
                first_grant(&s.rule, path.grants).map(|grant| Escalation {
                    path,
                    origin: s.origin.clone(),
                    grant,
                })
            })
        })
        .collect()
}

/// Whether a glob of `patterns` could name a service account of `namespace`: some prefix of
/// the glob matches `system:serviceaccount:<namespace>:`.
pub fn could_name_account_in(patterns: &[String], namespace: &str) -> bool {
    let prefix = format!("system:serviceaccount:{namespace}:");
    patterns.iter().any(|p| {
        p.char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(p.len()))
            .any(|end| glob::matches(&p[..end], &prefix))
    })
}

/// Whether a subject may hold the escalation paths by the identity model alone: a Flux
/// controller account in a Flux namespace, a `platformIdentities` username, or a service
/// account (or every service account) of a platform namespace that is not a Flux namespace
/// and that `tenantIdentities` does not name. Any other service account of a Flux namespace
/// is judged: it is not the controllers.
pub fn controller_or_platform(principal: Principal, identities: &Identities) -> bool {
    let platform_namespace =
        |ns: &str| identities.is_platform_namespace(ns) && !identities.is_flux_namespace(ns);
    match principal {
        Principal::ServiceAccount { namespace, name } => {
            let user = format!("system:serviceaccount:{namespace}:{name}");
            (identities.is_flux_namespace(namespace) && FLUX_CONTROLLER_ACCOUNTS.contains(&name))
                || glob::any_matches(&identities.platform_identities, &user)
                || (platform_namespace(namespace)
                    && !glob::any_matches(&identities.tenant_identities, &user))
        }
        Principal::ServiceAccountsIn(namespace) => {
            platform_namespace(namespace)
                && !could_name_account_in(&identities.tenant_identities, namespace)
                && !glob::any_matches(
                    &identities.tenant_identities,
                    &format!("system:serviceaccounts:{namespace}"),
                )
        }
        Principal::User(name) => glob::any_matches(&identities.platform_identities, name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyRule;
    use crate::tests::rule;

    fn names(rules: Vec<PolicyRule>, cluster_wide: bool) -> Vec<&'static str> {
        let sourced: Vec<SourcedRule> = rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| SourcedRule {
                origin: format!("rules[{i}]"),
                rule,
            })
            .collect();
        escalation_paths(&sourced, cluster_wide)
            .iter()
            .map(|e| e.path.name)
            .collect()
    }

    #[test]
    fn every_spelling_the_authorizer_accepts() {
        assert_eq!(
            names(vec![rule(&[""], &["pods"], &["*"])], false),
            [POD_CREATE, POD_UPDATE]
        );
        assert_eq!(
            names(vec![rule(&["*"], &["pods"], &["create"])], false),
            [POD_CREATE]
        );
        assert_eq!(
            names(vec![rule(&["apps"], &["deployments"], &["patch"])], false),
            [WORKLOAD_WRITE]
        );
        assert_eq!(
            names(vec![rule(&["batch"], &["cronjobs"], &["update"])], false),
            [WORKLOAD_WRITE]
        );
        assert_eq!(
            names(
                vec![rule(&[""], &["pods/ephemeralcontainers"], &["patch"])],
                false
            ),
            [EPHEMERAL_CONTAINERS]
        );
        assert_eq!(
            names(
                vec![rule(&[""], &["*/ephemeralcontainers"], &["update"])],
                false
            ),
            [EPHEMERAL_CONTAINERS]
        );
        assert_eq!(
            names(
                vec![rule(&[""], &["pods/exec", "pods/attach"], &["get"])],
                false
            ),
            [POD_EXEC, POD_ATTACH]
        );
        assert_eq!(
            names(
                vec![rule(
                    &["kustomize.toolkit.fluxcd.io"],
                    &["kustomizations"],
                    &["create"]
                )],
                false
            ),
            [FLUX_OBJECT_WRITE]
        );
        assert_eq!(
            names(
                vec![rule(&["source.toolkit.fluxcd.io"], &["*"], &["patch"])],
                false
            ),
            [FLUX_OBJECT_WRITE]
        );
        assert_eq!(
            names(
                vec![rule(
                    &["fluxcd.controlplane.io"],
                    &["resourcesets"],
                    &["create"]
                )],
                false
            ),
            [FLUX_OBJECT_WRITE]
        );
        assert_eq!(
            names(
                vec![rule(&[""], &["serviceaccounts/token"], &["create"])],
                false
            ),
            [TOKEN_REQUEST]
        );
        // Everything: every path, nodes/proxy only cluster-wide.
        let all = vec![rule(&["*"], &["*"], &["*"])];
        assert_eq!(names(all.clone(), false).len(), ESCALATION_PATHS.len() - 1);
        assert_eq!(names(all, true).len(), ESCALATION_PATHS.len());
        // resourceNames narrows but still grants.
        let mut named = rule(&[""], &["pods"], &["create"]);
        named.resource_names = Some(vec!["kustomize-controller-x".into()]);
        assert_eq!(names(vec![named], false), [POD_CREATE]);
    }

    #[test]
    fn nodes_proxy_is_cluster_wide_only() {
        let r = vec![rule(&[""], &["nodes/proxy"], &["get"])];
        assert!(names(r.clone(), false).is_empty());
        assert_eq!(names(r, true), [NODES_PROXY]);
        assert_eq!(
            names(vec![rule(&[""], &["*/proxy"], &["create"])], true),
            [NODES_PROXY]
        );
        assert!(names(vec![rule(&[""], &["nodes/proxy"], &["list"])], true).is_empty());
    }

    #[test]
    fn near_misses_grant_nothing() {
        // Verbs and resources match exactly, case included (VerbMatches compares with ==).
        assert!(names(vec![rule(&[""], &["pods"], &["Create"])], true).is_empty());
        assert!(names(vec![rule(&[""], &["Pods"], &["create"])], true).is_empty());
        // Deployments are not in the core group; `pods` does not cover its subresources.
        assert!(names(vec![rule(&[""], &["deployments"], &["patch"])], true).is_empty());
        assert!(
            names(
                vec![rule(&[""], &["pods"], &["get", "list", "watch", "delete"])],
                true
            )
            .is_empty()
        );
        assert!(names(vec![rule(&[""], &["pods/*"], &["create"])], true).is_empty());
        assert!(
            names(
                vec![rule(&["apps"], &["deployments/status"], &["patch"])],
                true
            )
            .is_empty()
        );
        assert!(
            names(
                vec![rule(
                    &["kustomize.toolkit.fluxcd.io"],
                    &["*"],
                    &["get", "list"]
                )],
                true
            )
            .is_empty()
        );
        assert!(
            names(
                vec![rule(
                    &["kustomize.toolkit.fluxcd.io"],
                    &["kustomizations/status"],
                    &["patch"]
                )],
                true
            )
            .is_empty()
        );
        let urls = PolicyRule {
            non_resource_urls: Some(vec!["*".into()]),
            verbs: vec!["*".into()],
            ..Default::default()
        };
        assert!(names(vec![urls], true).is_empty());
    }

    #[test]
    fn token_secret_needs_a_read_too() {
        let create = rule(&[""], &["secrets"], &["create"]);
        assert!(names(vec![create.clone()], false).is_empty());
        let read = rule(&[""], &["secrets"], &["get"]);
        assert_eq!(names(vec![create, read], false), [TOKEN_SECRET]);
    }

    #[test]
    fn describes_the_first_rule_per_path() {
        let sourced = vec![
            SourcedRule {
                origin: "ClusterRole a rules[0]".into(),
                rule: rule(&["apps"], &["deployments"], &["get", "patch"]),
            },
            SourcedRule {
                origin: "ClusterRole b rules[1]".into(),
                rule: rule(&["apps"], &["*"], &["*"]),
            },
        ];
        let found = escalation_paths(&sourced, false);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].describe().starts_with(
                "workload-write (ClusterRole a rules[0]: patch on deployments.apps): "
            ),
            "{}",
            found[0].describe()
        );
    }

    #[test]
    fn who_may_hold_them() {
        let ids = Identities::default();
        let sa = |namespace, name| Principal::ServiceAccount { namespace, name };
        assert!(controller_or_platform(
            sa("flux-system", "kustomize-controller"),
            &ids
        ));
        assert!(!controller_or_platform(
            sa("flux-system", "tf-runner"),
            &ids
        ));
        assert!(!controller_or_platform(
            sa("team-a", "kustomize-controller"),
            &ids
        ));
        assert!(controller_or_platform(
            sa("kube-system", "replicaset-controller"),
            &ids
        ));
        assert!(controller_or_platform(
            Principal::ServiceAccountsIn("kubewarden"),
            &ids
        ));
        assert!(!controller_or_platform(
            Principal::ServiceAccountsIn("flux-system"),
            &ids
        ));
        assert!(!controller_or_platform(Principal::User("alice"), &ids));
        assert!(!controller_or_platform(Principal::Authenticated, &ids));
        let ids = Identities {
            flux_namespaces: vec!["gitops".into()],
            platform_identities: vec!["ops-*".into()],
            tenant_identities: vec!["system:serviceaccount:kube-system:tenant-*".into()],
            ..Identities::default()
        };
        assert!(controller_or_platform(
            sa("gitops", "helm-controller"),
            &ids
        ));
        assert!(!controller_or_platform(sa("gitops", "tf-runner"), &ids));
        assert!(controller_or_platform(Principal::User("ops-alice"), &ids));
        assert!(!controller_or_platform(sa("kube-system", "tenant-x"), &ids));
        assert!(!controller_or_platform(
            Principal::ServiceAccountsIn("kube-system"),
            &ids
        ));
        assert!(could_name_account_in(&ids.tenant_identities, "kube-system"));
        assert!(!could_name_account_in(&ids.tenant_identities, "apps"));
    }
}

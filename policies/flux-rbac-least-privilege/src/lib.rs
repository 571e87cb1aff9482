//! flux-rbac-least-privilege: a Flux identity (a service account of the Flux namespaces, a
//! tenant identity, or a group containing them) must not be bound to `cluster-admin`, to
//! `admin` cluster-wide, or to any role whose rules grant wildcards, `escalate`, `bind`,
//! `impersonate` or writes on RBAC, admission webhooks or CRDs. The bound role is looked up
//! in the cluster (aggregation included), so an innocently named role granting `*` is caught,
//! and a Role or ClusterRole change that would widen what a Flux identity already holds is
//! refused naming the binding. Nor may a Flux identity other than the controllers get, in a
//! Flux namespace or cluster-wide, a path to the controllers' privileges (pods, workloads,
//! ephemeral containers, exec, Flux objects, tokens there; `nodes/proxy` cluster-wide).

mod rules;
mod settings;

use fluxgate_admission::{Policy, Scope, Typed};
use fluxgate_rbac::{CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE, ROLE_BINDING};
pub use rules::{RULES, forbidden_grants};
pub use settings::{MissingRole, Settings};

pub const POLICY: Policy<Settings> = Policy {
    name: "flux-rbac-least-privilege",
    scope: Scope::Everything,
    judges: &[
        &Typed {
            kind: ROLE,
            check: rules::check_role,
        },
        &Typed {
            kind: CLUSTER_ROLE,
            check: rules::check_role,
        },
        &Typed {
            kind: ROLE_BINDING,
            check: rules::check_binding,
        },
        &Typed {
            kind: CLUSTER_ROLE_BINDING,
            check: rules::check_binding,
        },
    ],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY, cluster = host);

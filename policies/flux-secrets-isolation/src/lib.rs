//! flux-secrets-isolation: read access to the secrets of the Flux namespaces (Git deploy
//! keys, registry and cloud tokens) stays with the Flux controllers. A Role or RoleBinding in
//! a Flux namespace, or a ClusterRoleBinding (cluster-wide includes the Flux namespaces), must
//! not grant `get`/`list`/`watch` on secrets, nor `pods/exec`, `pods/attach` or
//! `serviceaccounts/token` (ways to the mounted credentials), to anyone outside the allowlist.
//! Nor may they get the other paths to the controllers' privileges there: creating or patching
//! pods and workloads, ephemeral containers, writing Flux objects, or `nodes/proxy` cluster-wide.
//! The bound role is looked up in the cluster, aggregation included.

mod rules;
mod settings;

use fluxgate_admission::{Policy, Scope, Typed};
use fluxgate_rbac::{CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE, ROLE_BINDING};
pub use rules::{RULES, secret_access};
pub use settings::{MissingRole, Settings};

pub const POLICY: Policy<Settings> = Policy {
    name: "flux-secrets-isolation",
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

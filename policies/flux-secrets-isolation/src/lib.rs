//! flux-secrets-isolation: read access to the secrets of the Flux namespaces (Git deploy
//! keys, registry and cloud tokens) stays with the Flux controllers. A Role or RoleBinding in
//! a Flux namespace, or a ClusterRoleBinding (cluster-wide includes the Flux namespaces), must
//! not grant `get`/`list`/`watch` on secrets, nor `pods/exec`, `pods/attach` or
//! `serviceaccounts/token` (ways to the mounted credentials), to anyone outside the allowlist.
//! The bound role is looked up in the cluster, aggregation included.
//!
//! [`check_binding`] and [`check_role`] are the rules; [`evaluate`] adapts them to admission.

mod rules;
mod settings;

pub use rules::{check_binding, check_role, evaluate, secret_access};
pub use settings::{MissingRole, Settings};

flux_model::export_policy!(settings = Settings, rule = evaluate, cluster = host);

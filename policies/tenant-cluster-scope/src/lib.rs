//! tenant-cluster-scope: a Flux tenant applies with its own service account
//! (`spec.serviceAccountName`), so admission sees the tenant's identity. That identity may
//! not write cluster-scoped objects (ClusterRoleBindings, CRDs, Namespaces, webhooks, ...)
//! nor objects in another namespace.
//!
//! [`check`] is the rule over a plain [`Write`]; [`evaluate`] adapts it to an admission request.

mod identity;
mod rules;
mod settings;

pub use identity::{Identity, tenant_of};
pub use rules::{Write, check, evaluate};
pub use settings::Settings;

flux_model::export_policy!(settings = Settings, rule = evaluate);

//! flux-rbac-least-privilege: a Flux identity (a service account of the Flux namespaces, a
//! tenant service account, or a group containing them) must not be bound to `cluster-admin`,
//! to `admin` cluster-wide, or to any role whose rules grant wildcards, `escalate`, `bind`,
//! `impersonate` or writes on RBAC, admission webhooks or CRDs. The bound role is looked up
//! in the cluster (aggregation included), so an innocently named role granting `*` is caught,
//! and a Role or ClusterRole change that would widen what a Flux identity already holds is
//! refused naming the binding.
//!
//! [`check_binding`] and [`check_role`] are the rules; [`evaluate`] adapts them to admission.

mod rules;
mod settings;

pub use rules::{check_binding, check_role, evaluate, forbidden_grants};
pub use settings::{MissingRole, Settings};

flux_model::export_policy!(settings = Settings, rule = evaluate, cluster = host);

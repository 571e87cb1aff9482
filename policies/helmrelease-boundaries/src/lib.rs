//! helmrelease-boundaries: a tenant's Flux HelmRelease must install with the tenant's own
//! service account, into and from its own namespace, a bounded chart version, and chart
//! values (or post-renderer patches) that do not ask for privileged pods.
//!
//! [`check`] is the rule over a typed HelmRelease; [`evaluate`] adapts it to admission.

mod rules;
mod settings;
mod values;

pub use rules::{check, evaluate};
pub use settings::Settings;
pub use values::{Finding, scan_text, scan_value};

flux_model::export_policy!(settings = Settings, rule = evaluate);

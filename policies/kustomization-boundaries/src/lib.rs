//! kustomization-boundaries: a tenant's Flux Kustomization must apply with the tenant's
//! own service account, into its own namespace, from its own sources and paths, without
//! `force` or a remote kubeconfig. Flux's lockdown flags check some of this only at
//! reconcile time; this refuses the object at admission, with the field and the fix.
//!
//! [`check`] is the rule over a typed Kustomization; [`evaluate`] adapts it to admission.

mod path;
mod rules;
mod settings;

pub use path::normalize;
pub use rules::{check, evaluate};
pub use settings::Settings;

flux_model::export_policy!(settings = Settings, rule = evaluate);

//! source-origin: Flux sources (GitRepository, HelmRepository, OCIRepository, Bucket) fetch
//! only from allowlisted origins, over SSH or TLS, with no credentials in the URL, no
//! `insecure` plain-HTTP fetches and no `passCredentials` leaks, at refs the cluster may
//! follow. In a shared source-controller every tenant's source is fetched with the same
//! network reach, so where a source points is the boundary this policy draws.
//!
//! The `check_*` functions are the rules over typed objects; [`evaluate`] picks the kind
//! and adapts them to admission.

mod rules;
mod settings;
pub mod views;

pub use rules::{
    GitRef, check_bucket, check_git, check_helm, check_oci, effective_git_ref, evaluate,
    origin_allowed,
};
pub use settings::{AllowedOrigins, Settings};

flux_model::export_policy!(settings = Settings, rule = evaluate);

//! image-automation-guard: Flux image automation reads tags only from allowlisted
//! registries over TLS, keeps hiding cosign signature tags, selects tags with bounded
//! semver ranges and anchored patterns whose `extract` groups exist (otherwise Flux
//! silently deploys a wrong tag), and pushes its commits to a branch that goes through
//! review instead of a protected one.
//!
//! The `check_*` functions are the rules over typed objects; [`evaluate`] picks the kind
//! and adapts them to admission.

mod extract;
mod rules;
mod settings;

pub use extract::{Reference, references};
pub use rules::{
    PushTarget, SIGNATURE_EXCLUSION, check_image_policy, check_image_repository,
    check_update_automation, evaluate, refspec_destination,
};
pub use settings::Settings;

flux_model::export_policy!(settings = Settings, rule = evaluate);

//! image-automation-guard: Flux image automation reads tags only from allowlisted
//! registries over TLS, keeps hiding cosign signature tags, selects tags with bounded
//! semver ranges and anchored patterns whose `extract` groups exist (otherwise Flux
//! silently deploys a wrong tag), and pushes its commits to a branch that goes through
//! review instead of a protected one.

mod extract;
mod rules;
mod settings;
mod tag_regex;

pub use extract::{Reference, references};
use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use rules::{
    Automation, PushTarget, RULES, SIGNATURE_EXCLUSION, check_image_policy, check_image_repository,
    check_update_automation, refspec_destination,
};
pub use settings::Settings;
pub use tag_regex::TagRegex;

pub const POLICY: Policy<Settings> = Policy {
    name: "image-automation-guard",
    scope: Scope::TenantObjects,
    judges: &[
        &Typed {
            kind: FluxKind::ImageRepository.spec(),
            check: rules::check_image_repository,
        },
        &Typed {
            kind: FluxKind::ImagePolicy.spec(),
            check: rules::check_image_policy,
        },
        &Typed {
            kind: FluxKind::ImageUpdateAutomation.spec(),
            check: rules::check_update_automation,
        },
    ],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY);

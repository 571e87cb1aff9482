//! git-commit-verification: a Flux GitRepository must verify the signature of the commit
//! (and/or tag) it fetches, with keys from a Secret, in a mode the cluster allows.

mod rules;
mod settings;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use rules::RULES;
pub use settings::{Settings, VerifyMode};

pub const POLICY: Policy<Settings> = Policy {
    name: "git-commit-verification",
    scope: Scope::TenantObjects,
    judges: &[&Typed {
        kind: FluxKind::GitRepository.spec(),
        check: rules::check,
    }],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY);

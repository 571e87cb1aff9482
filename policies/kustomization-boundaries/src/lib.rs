//! kustomization-boundaries: a tenant's Flux Kustomization must apply with the tenant's
//! own service account, into its own namespace, from its own sources and paths, without
//! `force` or a remote kubeconfig. Flux's lockdown flags check some of this only at
//! reconcile time; this refuses the object at admission, with the field and the fix.

mod path;
mod rules;
mod settings;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use path::normalize;
pub use rules::RULES;
pub use settings::Settings;

pub const POLICY: Policy<Settings> = Policy {
    name: "kustomization-boundaries",
    scope: Scope::TenantObjects,
    judges: &[&Typed {
        kind: FluxKind::Kustomization.spec(),
        check: rules::check,
    }],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY);

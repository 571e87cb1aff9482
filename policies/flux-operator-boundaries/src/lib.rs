//! flux-operator-boundaries: the Flux Operator's kinds keep the tenancy model. A tenant
//! ResourceSet names the identity it is applied with, a tenant ResourceSetInputProvider
//! calls its service over TLS, without credentials in its URL, with its own cloud identity
//! and within its namespace, and a FluxInstance on a multi-tenant cluster keeps the
//! multi-tenancy lockdown on and its patches leave it in place.

mod patches;
mod rules;
mod settings;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use patches::{Problem, judge as judge_patch};
pub use rules::RULES;
pub use settings::Settings;

/// `Everything`: the FluxInstance lives in the platform namespace and must be judged there;
/// the ResourceSet and input provider checks skip the platform namespaces themselves.
pub const POLICY: Policy<Settings> = Policy {
    name: "flux-operator-boundaries",
    scope: Scope::Everything,
    judges: &[
        &Typed {
            kind: FluxKind::FluxInstance.spec(),
            check: rules::check_instance,
        },
        &Typed {
            kind: FluxKind::ResourceSet.spec(),
            check: rules::check_resource_set,
        },
        &Typed {
            kind: FluxKind::ResourceSetInputProvider.spec(),
            check: rules::check_provider,
        },
    ],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY);

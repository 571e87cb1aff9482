//! helmrelease-boundaries: a tenant's Flux HelmRelease must install with the tenant's own
//! service account, into and from its own namespace, a bounded chart version, and chart
//! values (or post-renderer patches) that do not ask for privileged pods.

mod rules;
mod settings;
mod values;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use rules::RULES;
pub use settings::Settings;
pub use values::{Risk, scan_operations, scan_text, scan_value};

pub const POLICY: Policy<Settings> = Policy {
    name: "helmrelease-boundaries",
    scope: Scope::TenantObjects,
    judges: &[
        &Typed {
            kind: FluxKind::HelmRelease.spec(),
            check: rules::check,
        },
        &Typed {
            kind: FluxKind::HelmChart.spec(),
            check: rules::check_helm_chart,
        },
    ],
    exempt: Some(Settings::exempts),
};

fluxgate_admission::export_policy!(POLICY);

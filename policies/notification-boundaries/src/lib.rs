//! notification-boundaries: a tenant's Flux notification objects stay inside the tenant.
//! Receivers authenticate who triggers them (no unsigned `generic` webhooks, `generic-oidc`
//! bound to the caller's identity claims) and reconcile only the tenant's own objects;
//! Alerts subscribe only to the tenant's own events; Providers send over HTTPS, to allowed
//! hosts, with credentials only in Secrets, and never with notification-controller's own
//! cloud identity. One notification-controller serves every tenant, so these objects are
//! where a tenant could reach across.

mod rules;
mod settings;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use rules::{RULES, cel_references};
pub use settings::Settings;

pub const POLICY: Policy<Settings> = Policy {
    name: "notification-boundaries",
    scope: Scope::TenantObjects,
    judges: &[
        &Typed {
            kind: FluxKind::Alert.spec(),
            check: rules::check_alert,
        },
        &Typed {
            kind: FluxKind::Provider.spec(),
            check: rules::check_provider,
        },
        &Typed {
            kind: FluxKind::Receiver.spec(),
            check: rules::check_receiver,
        },
    ],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY);

//! tenant-cluster-scope: a Flux tenant applies with its own service account
//! (`spec.serviceAccountName`), so admission sees the tenant's identity. That identity may
//! not write cluster-scoped objects (ClusterRoleBindings, CRDs, Namespaces, webhooks, ...)
//! nor objects in another namespace. Who is a tenant is the shared identity model's call
//! ([`fluxgate_admission::identity`]), with look-ups of the writer's Namespace and
//! ServiceAccount.

mod rules;
mod settings;

use fluxgate_admission::identity::TENANT_WRITERS;
use fluxgate_admission::{Policy, Scope, Typed};
use fluxgate_rules::KindSpec;
pub use rules::RULES;
pub use settings::Settings;

pub const POLICY: Policy<Settings> = Policy {
    name: "tenant-cluster-scope",
    scope: Scope::TenantWriters(&TENANT_WRITERS),
    judges: &[&Typed {
        kind: KindSpec::ANY,
        check: rules::check,
    }],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY, cluster = host);

//! artifact-signature-verification: Flux may only pull OCI artifacts and OCI Helm charts
//! whose signatures it verifies — OCIRepository and HelmChart `spec.verify`, HelmRelease
//! `spec.chart.spec.verify` — with a key or trust policy, or a keyless identity pinned by
//! anchored issuer and subject regexes.
//!
//! Whether a chart comes from an OCI registry is a property of its HelmRepository, which the
//! policy reads from the cluster (`ctx.cluster`, Kubewarden's `get_resource`).

mod identity;
mod rules;
mod settings;
mod view;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use identity::check_identities;
pub use rules::{ChartSource, RULES, chart_source};
pub use settings::{EnforcedKind, MissingSource, Provider, Settings};
pub use view::{ChartRepository, ChartRepositorySpec, Release, ReleaseSpec, Signed, SignedSpec};

pub const POLICY: Policy<Settings> = Policy {
    name: "artifact-signature-verification",
    scope: Scope::TenantObjects,
    judges: &[
        &Typed {
            kind: FluxKind::OciRepository.spec(),
            check: rules::check_oci_repository,
        },
        &Typed {
            kind: FluxKind::HelmChart.spec(),
            check: rules::check_helm_chart,
        },
        &Typed {
            kind: FluxKind::HelmRelease.spec(),
            check: rules::check_helm_release,
        },
    ],
    exempt: Some(rules::exempt),
};

fluxgate_admission::export_policy!(POLICY, cluster = host);

//! artifact-signature-verification: Flux may only pull OCI artifacts and OCI Helm charts
//! whose signatures it verifies — OCIRepository and HelmChart `spec.verify`, HelmRelease
//! `spec.chart.spec.verify` — with a key or trust policy, or a keyless identity pinned by
//! anchored issuer and subject regexes.
//!
//! Whether a chart comes from an OCI registry is a property of its HelmRepository, which the
//! policy reads from the cluster ([`flux_model::Cluster`], Kubewarden's `get_resource`).
//! [`evaluate`] dispatches on the kind; the per-kind checks are plain functions.

mod identity;
mod rules;
mod settings;
mod view;

pub use identity::check_identities;
pub use rules::{
    ChartSource, chart_source, check_helm_chart, check_helm_release, check_oci_repository, evaluate,
};
pub use settings::{EnforcedKind, MissingSource, Provider, Settings};
pub use view::{ChartRepository, ChartRepositorySpec, Release, ReleaseSpec, Signed, SignedSpec};

flux_model::export_policy!(settings = Settings, rule = evaluate, cluster = host);

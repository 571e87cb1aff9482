//! source-origin: Flux sources (GitRepository, HelmRepository, OCIRepository, Bucket) fetch
//! only from allowlisted origins, over SSH or TLS, with no credentials in the URL, no
//! `insecure` plain-HTTP fetches and no `passCredentials` leaks, at refs the cluster may
//! follow, and with a cloud identity of their own. In a shared source-controller every
//! tenant's source is fetched with the same network reach, so where a source points is the
//! boundary this policy draws. ArtifactGenerators and ExternalArtifacts (Flux 2.7+) are
//! judged like sources: they read only the tenant's own (or shared) sources, and only
//! controllers write ExternalArtifacts.

mod rules;
mod settings;
pub mod views;

use flux_kinds::FluxKind;
use fluxgate_admission::{Policy, Scope, Typed};
pub use rules::{GitRef, RULES, effective_git_ref};
pub use settings::{AllowedOrigins, Settings};

pub const POLICY: Policy<Settings> = Policy {
    name: "source-origin",
    scope: Scope::TenantObjects,
    judges: &[
        &Typed {
            kind: FluxKind::GitRepository.spec(),
            check: rules::check_git,
        },
        &Typed {
            kind: FluxKind::HelmRepository.spec(),
            check: rules::check_helm,
        },
        &Typed {
            kind: FluxKind::OciRepository.spec(),
            check: rules::check_oci,
        },
        &Typed {
            kind: FluxKind::Bucket.spec(),
            check: rules::check_bucket,
        },
        &Typed {
            kind: FluxKind::ArtifactGenerator.spec(),
            check: rules::check_artifact_generator,
        },
        &Typed {
            kind: FluxKind::ExternalArtifact.spec(),
            check: rules::check_external_artifact,
        },
    ],
    exempt: None,
};

fluxgate_admission::export_policy!(POLICY, cluster = host);

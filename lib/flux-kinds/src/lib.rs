//! Typed views of the Flux kinds and the table of API versions each one serves.
//!
//! * [`object`]: the Kubernetes envelope (`metadata`, typed `spec`) and Flux's reference types.
//! * [`source`], [`kustomize`], [`helm`], [`image`], [`notification`]: one module per API group;
//!   [`extensions`] (`source.extensions.fluxcd.io`, Flux 2.7+) and [`operator`]
//!   (`fluxcd.controlplane.io`, the Flux Operator).
//!
//! One struct per kind covers every served version: fields that only some versions have
//! are `Option`s, and unknown fields are ignored, so a rule reads the same struct for
//! `v1beta1`, `v1beta2` and `v1`. Rules that care about a version difference (for example
//! GitRepository `verify.mode`, whose enum changed) look at [`object::Resource::version`].

pub mod extensions;
pub mod helm;
pub mod image;
pub mod kustomize;
pub mod notification;
pub mod object;
pub mod operator;
pub mod source;

pub use object::{ObjectMeta, Resource};

use fluxgate_rules::KindSpec;
use std::fmt;

/// The Flux API groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiGroup {
    Source,
    Kustomize,
    Helm,
    Image,
    Notification,
    /// `source.extensions.fluxcd.io` (ArtifactGenerator, Flux 2.7+).
    SourceExtensions,
    /// `fluxcd.controlplane.io` (the Flux Operator's kinds).
    ControlPlane,
}

impl ApiGroup {
    pub const fn name(self) -> &'static str {
        match self {
            ApiGroup::Source => "source.toolkit.fluxcd.io",
            ApiGroup::Kustomize => "kustomize.toolkit.fluxcd.io",
            ApiGroup::Helm => "helm.toolkit.fluxcd.io",
            ApiGroup::Image => "image.toolkit.fluxcd.io",
            ApiGroup::Notification => "notification.toolkit.fluxcd.io",
            ApiGroup::SourceExtensions => "source.extensions.fluxcd.io",
            ApiGroup::ControlPlane => "fluxcd.controlplane.io",
        }
    }

    /// Every version of the group served by a supported Flux release (2.2 up to 2.9),
    /// oldest first. Flux 2.7 stopped serving the `v1beta1`/`v2beta1` versions and 2.8 the
    /// `v1beta2`/`v2beta2` ones, but clusters still run those releases.
    pub const fn served_versions(self) -> &'static [&'static str] {
        match self {
            ApiGroup::Source | ApiGroup::Kustomize | ApiGroup::Image => {
                &["v1beta1", "v1beta2", "v1"]
            }
            ApiGroup::Helm => &["v2beta1", "v2beta2", "v2"],
            ApiGroup::Notification => &["v1beta1", "v1beta2", "v1beta3", "v1"],
            ApiGroup::SourceExtensions => &["v1beta1"],
            ApiGroup::ControlPlane => &["v1"],
        }
    }
}

/// A Flux kind, with its group, plural resource name and the versions that serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FluxKind {
    GitRepository,
    OciRepository,
    HelmRepository,
    HelmChart,
    Bucket,
    Kustomization,
    HelmRelease,
    ImageRepository,
    ImagePolicy,
    ImageUpdateAutomation,
    Alert,
    Provider,
    Receiver,
    /// Flux 2.7+: an artifact produced outside source-controller (source.toolkit.fluxcd.io/v1).
    ExternalArtifact,
    ArtifactGenerator,
    FluxInstance,
    ResourceSet,
    ResourceSetInputProvider,
}

impl FluxKind {
    pub const ALL: [FluxKind; 18] = [
        FluxKind::GitRepository,
        FluxKind::OciRepository,
        FluxKind::HelmRepository,
        FluxKind::HelmChart,
        FluxKind::Bucket,
        FluxKind::Kustomization,
        FluxKind::HelmRelease,
        FluxKind::ImageRepository,
        FluxKind::ImagePolicy,
        FluxKind::ImageUpdateAutomation,
        FluxKind::Alert,
        FluxKind::Provider,
        FluxKind::Receiver,
        FluxKind::ExternalArtifact,
        FluxKind::ArtifactGenerator,
        FluxKind::FluxInstance,
        FluxKind::ResourceSet,
        FluxKind::ResourceSetInputProvider,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            FluxKind::GitRepository => "GitRepository",
            FluxKind::OciRepository => "OCIRepository",
            FluxKind::HelmRepository => "HelmRepository",
            FluxKind::HelmChart => "HelmChart",
            FluxKind::Bucket => "Bucket",
            FluxKind::Kustomization => "Kustomization",
            FluxKind::HelmRelease => "HelmRelease",
            FluxKind::ImageRepository => "ImageRepository",
            FluxKind::ImagePolicy => "ImagePolicy",
            FluxKind::ImageUpdateAutomation => "ImageUpdateAutomation",
            FluxKind::Alert => "Alert",
            FluxKind::Provider => "Provider",
            FluxKind::Receiver => "Receiver",
            FluxKind::ExternalArtifact => "ExternalArtifact",
            FluxKind::ArtifactGenerator => "ArtifactGenerator",
            FluxKind::FluxInstance => "FluxInstance",
            FluxKind::ResourceSet => "ResourceSet",
            FluxKind::ResourceSetInputProvider => "ResourceSetInputProvider",
        }
    }

    /// The lower-case plural used in webhook rules (`resources:`).
    pub const fn resource(self) -> &'static str {
        match self {
            FluxKind::GitRepository => "gitrepositories",
            FluxKind::OciRepository => "ocirepositories",
            FluxKind::HelmRepository => "helmrepositories",
            FluxKind::HelmChart => "helmcharts",
            FluxKind::Bucket => "buckets",
            FluxKind::Kustomization => "kustomizations",
            FluxKind::HelmRelease => "helmreleases",
            FluxKind::ImageRepository => "imagerepositories",
            FluxKind::ImagePolicy => "imagepolicies",
            FluxKind::ImageUpdateAutomation => "imageupdateautomations",
            FluxKind::Alert => "alerts",
            FluxKind::Provider => "providers",
            FluxKind::Receiver => "receivers",
            FluxKind::ExternalArtifact => "externalartifacts",
            FluxKind::ArtifactGenerator => "artifactgenerators",
            FluxKind::FluxInstance => "fluxinstances",
            FluxKind::ResourceSet => "resourcesets",
            FluxKind::ResourceSetInputProvider => "resourcesetinputproviders",
        }
    }

    pub const fn group(self) -> ApiGroup {
        match self {
            FluxKind::GitRepository
            | FluxKind::OciRepository
            | FluxKind::HelmRepository
            | FluxKind::HelmChart
            | FluxKind::Bucket
            | FluxKind::ExternalArtifact => ApiGroup::Source,
            FluxKind::Kustomization => ApiGroup::Kustomize,
            FluxKind::HelmRelease => ApiGroup::Helm,
            FluxKind::ImageRepository | FluxKind::ImagePolicy | FluxKind::ImageUpdateAutomation => {
                ApiGroup::Image
            }
            FluxKind::Alert | FluxKind::Provider | FluxKind::Receiver => ApiGroup::Notification,
            FluxKind::ArtifactGenerator => ApiGroup::SourceExtensions,
            FluxKind::FluxInstance | FluxKind::ResourceSet | FluxKind::ResourceSetInputProvider => {
                ApiGroup::ControlPlane
            }
        }
    }

    /// Versions in which this kind is served (a subset of the group's versions:
    /// OCIRepository has no `v1beta1`, Alert and Provider have no `v1`, Receiver no `v1beta3`).
    pub const fn served_versions(self) -> &'static [&'static str] {
        match self {
            FluxKind::OciRepository => &["v1beta2", "v1"],
            FluxKind::Alert | FluxKind::Provider => &["v1beta1", "v1beta2", "v1beta3"],
            FluxKind::Receiver => &["v1beta1", "v1beta2", "v1"],
            FluxKind::ExternalArtifact => &["v1"],
            k => k.group().served_versions(),
        }
    }

    /// The kind as the admission flow and the rule catalogue see it: namespaced, judged
    /// again on UPDATE only when `spec` changed.
    pub const fn spec(self) -> KindSpec {
        KindSpec {
            group: self.group().name(),
            kind: self.name(),
            versions: self.served_versions(),
            namespaced: true,
            judged_fields: &["spec"],
        }
    }

    /// Whether `api_version` (`group/version`) is a served version of this kind.
    pub fn serves(self, api_version: &str) -> bool {
        let (group, version) = crate::object::split_api_version(api_version);
        group == self.group().name() && self.served_versions().contains(&version)
    }

    /// `group/version` strings of every served version, for messages.
    pub fn served_api_versions(self) -> Vec<String> {
        self.served_versions()
            .iter()
            .map(|v| format!("{}/{}", self.group().name(), v))
            .collect()
    }
}

impl fmt::Display for FluxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_versions_per_kind() {
        assert!(FluxKind::GitRepository.serves("source.toolkit.fluxcd.io/v1beta1"));
        assert!(FluxKind::GitRepository.serves("source.toolkit.fluxcd.io/v1"));
        assert!(!FluxKind::GitRepository.serves("source.toolkit.fluxcd.io/v2"));
        assert!(!FluxKind::GitRepository.serves("kustomize.toolkit.fluxcd.io/v1"));
        assert!(!FluxKind::OciRepository.serves("source.toolkit.fluxcd.io/v1beta1"));
        assert!(FluxKind::HelmRelease.serves("helm.toolkit.fluxcd.io/v2beta1"));
        assert!(FluxKind::Alert.serves("notification.toolkit.fluxcd.io/v1beta3"));
        assert!(!FluxKind::Alert.serves("notification.toolkit.fluxcd.io/v1"));
        assert!(FluxKind::Receiver.serves("notification.toolkit.fluxcd.io/v1"));
    }
}

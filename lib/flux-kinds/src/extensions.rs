//! `source.extensions.fluxcd.io` (Flux 2.7+): ArtifactGenerator, which composes artifacts
//! from other sources into ExternalArtifacts (source.toolkit.fluxcd.io/v1).

use crate::object::{CrossNamespaceObjectReference, Resource};
use serde::Deserialize;

pub type ArtifactGenerator = Resource<ArtifactGeneratorSpec>;
pub type ExternalArtifact = Resource<ExternalArtifactSpec>;

#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ArtifactGeneratorSpec {
    pub sources: Vec<ArtifactGeneratorSource>,
}

/// `spec.sources[]`: a source-controller object read by alias; `namespace` defaults to the
/// generator's own.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ArtifactGeneratorSource {
    pub alias: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// ExternalArtifact `spec`: `sourceRef` names the object the artifact was generated for.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ExternalArtifactSpec {
    pub source_ref: Option<CrossNamespaceObjectReference>,
}

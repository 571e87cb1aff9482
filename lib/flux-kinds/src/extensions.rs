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

/// `spec.sources[]`: a source read by alias (`kind`: `GitRepository`, `OCIRepository`,
/// `Bucket`, and in later source-watcher releases `HelmChart` and `ExternalArtifact`);
/// `namespace` defaults to the generator's own. source-watcher reads another namespace's
/// source unless it runs with `--no-cross-namespace-refs` (internal/controller
/// artifactgenerator_validation.go `validateSpec`).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ArtifactGeneratorSource {
    pub alias: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// ExternalArtifact `spec`: `sourceRef` names the object the artifact was generated for
/// (optional; its `namespace` defaults to the ExternalArtifact's). The artifact itself, with
/// the URL kustomize- and helm-controller download, is in `status.artifact`, written by the
/// producing controller (source-controller docs/spec/v1/externalartifacts.md, RFC-0012).
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ExternalArtifactSpec {
    pub source_ref: Option<CrossNamespaceObjectReference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_and_external_artifacts_read_their_references() {
        let generator: ArtifactGenerator = serde_json::from_str(
            r#"{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"ArtifactGenerator",
                "metadata":{"name":"g","namespace":"apps"},
                "spec":{"sources":[{"alias":"chart","kind":"HelmChart","name":"podinfo"},
                                   {"alias":"cfg","kind":"ExternalArtifact","name":"c","namespace":"shared"}],
                        "artifacts":[{"name":"a","copy":[{"from":"@chart/**","to":"@artifact/"}]}]}}"#,
        )
        .unwrap();
        let namespaces: Vec<Option<&str>> = generator
            .spec
            .sources
            .iter()
            .map(|s| s.namespace.as_deref())
            .collect();
        assert_eq!(namespaces, [None, Some("shared")]);
        let artifact: ExternalArtifact = serde_json::from_str(
            r#"{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"ExternalArtifact",
                "metadata":{"name":"a"},"spec":{},"status":{"artifact":{"url":"http://x"}}}"#,
        )
        .unwrap();
        assert!(artifact.spec.source_ref.is_none());
    }
}

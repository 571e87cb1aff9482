//! The `fluxgate` command's parts beyond running a policy (that is `fluxgate-runtime`):
//!
//! * [`bench`]: the per-request cost measurement behind `fluxgate bench`.
//! * [`annotate`]: embeds validated metadata into a module, as `kwctl annotate` does.
//! * [`oci`]: push and pull policies as Kubewarden OCI artifacts.
//! * [`package`]: ClusterAdmissionPolicy and ArtifactHub files generated from the metadata.

pub mod annotate;
pub mod bench;
pub mod oci;
pub mod package;

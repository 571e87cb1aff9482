//! fluxgate's policy host: runs Kubewarden waPC policies with wasmtime the way
//! policy-server (fresh instance per request, epoch deadline) and `kwctl run` do.
//!
//! * [`runtime`]: engine, linking, instances and the waPC call protocol.
//! * [`capabilities`]: the `kubewarden` host capabilities served from fixture cluster state.
//! * [`admission`]: AdmissionRequest/Response and the policy-evaluator mapping.
//! * [`metadata`]: Kubewarden policy metadata.
//! * [`bench`]: the per-request cost measurement behind `fluxgate bench`.
//! * [`annotate`]: embeds validated metadata into a module, as `kwctl annotate` does.
//! * [`oci`]: push and pull policies as Kubewarden OCI artifacts.
//! * [`package`]: ClusterAdmissionPolicy and ArtifactHub files generated from the metadata.

pub mod admission;
pub mod annotate;
pub mod bench;
pub mod capabilities;
pub mod metadata;
pub mod oci;
pub mod package;
pub mod runtime;

pub use admission::{AdmissionRequest, AdmissionResponse, Policy, validate, validate_settings};
pub use capabilities::{ClusterState, EvaluationContext, LogSink};
pub use runtime::{Limits, Runtime};

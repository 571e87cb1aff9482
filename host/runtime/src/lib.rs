//! fluxgate's policy runtime: runs Kubewarden waPC policies with wasmtime the way
//! policy-server (fresh instance per request, epoch deadline) and `kwctl run` do.
//!
//! * [`runtime`]: engine, linking, instances and the waPC call protocol.
//! * [`capabilities`]: the `kubewarden` host capabilities served from cluster state.
//! * [`policy`]: a compiled policy and the calls made on it (`validate`, `validate_settings`,
//!   `protocol_version`, `fluxgate_explain`).
//!
//! What is said to a module and how its answers are read is [`fluxgate_protocol`], shared
//! with the browser playground. Release tooling (annotate, OCI, packages) is `fluxgate-cli`'s.

pub mod capabilities;
pub mod policy;
pub mod runtime;

pub use capabilities::{ClusterState, EvaluationContext, LogSink};
pub use fluxgate_protocol as protocol;
pub use policy::{Policy, explain, validate, validate_settings};
pub use runtime::{Limits, Runtime};

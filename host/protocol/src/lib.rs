//! What a Kubewarden host says to a fluxgate policy module and how it reads the answers, with
//! no WebAssembly engine: the native runtime, the scanner and the browser playground share it.
//!
//! * [`admission`]: AdmissionRequest/Response, the `validate` payload and the
//!   policy-evaluator mapping of a `ValidationResponse` (`kubewarden-contract.md` §2).
//! * [`explain`]: the `fluxgate_explain` answer: the same response plus the findings.
//! * [`metadata`]: Kubewarden policy metadata (`metadata.yml`, or the module's custom section).
//! * [`capabilities`]: the `kubewarden` host capabilities (`__host_call`) served from cluster state.
//! * [`wapc`]: the calls made on a policy instance and how their failures are worded, over any
//!   engine that implements [`wapc::Guest`] (wasmtime natively, the browser's WebAssembly API).
//!
//! It builds for `wasm32-unknown-unknown` (the playground) as well as natively.

pub mod admission;
pub mod capabilities;
pub mod explain;
pub mod metadata;
pub mod sdk;
pub mod wapc;

pub use admission::{AdmissionRequest, AdmissionResponse};
pub use explain::{Explained, PolicyFinding};
pub use fluxgate_rules::{Finding, Severity};

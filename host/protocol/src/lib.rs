//! What a Kubewarden host says to a fluxgate policy module and how it reads the answers, with
//! no WebAssembly engine: the native runtime, the scanner and the browser playground share it.
//!
//! * [`admission`]: AdmissionRequest/Response, the `validate` payload and the
//!   policy-evaluator mapping of a `ValidationResponse` (`kubewarden-contract.md` §2).
//! * [`explain`]: the `fluxgate_explain` answer: the same response plus the findings.
//! * [`metadata`]: Kubewarden policy metadata (`metadata.yml`, or the module's custom section).

pub mod admission;
pub mod explain;
pub mod metadata;

pub use admission::{AdmissionRequest, AdmissionResponse};
pub use explain::{Explained, PolicyFinding};
pub use fluxgate_rules::{Finding, Severity};

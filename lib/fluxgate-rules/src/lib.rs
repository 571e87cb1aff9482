//! What a fluxgate rule is, and what it answers.
//!
//! * [`Rule`]: a rule declared once: stable id, severity, the kinds it judges and the
//!   catalogue text (what it stops, its default, the setting that relaxes it).
//! * [`Finding`]: one thing a rule found in one object: rule id, severity, field path,
//!   problem and fix. Checks return findings, never strings.
//! * [`Verdict`]: the object reference and its findings; the admission message and
//!   warnings are rendered from it at the edge ([`Verdict::message`]).
//! * [`catalogue`]: `docs/rules.md`, generated from the policies' rule lists.
//!
//! The same types cross every boundary: the wasm policy serialises its findings
//! (`fluxgate_explain` operation), the host, the scanner and the playground read them back.

pub mod catalogue;
mod finding;
mod kind;
mod rule;
mod text;
mod verdict;

pub use finding::{Finding, Severity};
pub use kind::KindSpec;
pub use rule::Rule;
pub use text::abbreviated;
pub use verdict::{ObjectRef, Verdict};

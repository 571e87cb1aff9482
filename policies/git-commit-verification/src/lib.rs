//! git-commit-verification: a Flux GitRepository must verify the signature of the commit
//! (and/or tag) it fetches, with keys from a Secret, in a mode the cluster allows.
//!
//! The rule itself is [`check`], a plain function over a typed GitRepository;
//! [`evaluate`] adapts it to an admission request.

mod rules;
mod settings;

pub use rules::{check, evaluate};
pub use settings::{Settings, VerifyMode};

flux_model::export_policy!(settings = Settings, rule = evaluate);

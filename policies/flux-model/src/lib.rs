//! Shared plumbing for every fluxgate policy.
//!
//! * [`kinds`]: typed, unknown-field tolerant serde views of the Flux kinds, one struct per
//!   kind covering every served API version (version-specific fields are `Option`s).
//! * [`request`]: the admission request a policy receives, with helpers for the operation,
//!   the user and the (old) object.
//! * [`verdict`]: one way to say no — a [`Violation`](verdict::Violation) names the field and the
//!   fix, a [`Verdict`](verdict::Verdict) names the object.
//! * [`review`]: the common admission flow for a policy that checks one Flux object.
//! * [`tenancy`]: service-account, namespace and reference checks of the tenancy policies.
//! * [`semver_range`]: Masterminds semver constraints (chart versions, image policies) and
//!   whether they are bounded above.
//! * [`regex_check`]: static checks of Flux's Go regexes (compiles under Go's rules, anchored
//!   `^…$`, literal prefix, exact literal, named groups) by a small parser, no regex crate.
//! * [`cluster`]: the read-only cluster view of context-aware policies ([`Cluster`]), served
//!   by Kubewarden's host capabilities in wasm and by memory in tests and offline tools.
//! * [`origin`]: source URLs parsed into scheme, user, host, port and path, and origin
//!   allowlists matched at host and path-segment boundaries.
//! * [`image_ref`]: container image references normalised (`nginx` is
//!   `docker.io/library/nginx`) and registry/repository allowlists.
//! * [`rbac`]: RBAC roles and bindings (typed views, rule matching, subject identities,
//!   roleRef and aggregation resolution through a [`Cluster`]) and their admission flow.
//! * [`entry`]: the waPC glue behind [`export_policy!`], so each policy's `lib.rs` stays short.
//!
//! Everything except the macro is plain functions over plain data: the same rule code runs
//! in the wasm policy, in native unit tests, and in offline tools.

pub mod cluster;
pub mod entry;
pub mod glob;
pub mod image_ref;
pub mod kinds;
pub mod object;
pub mod origin;
pub mod rbac;
pub mod regex_check;
pub mod request;
pub mod review;
pub mod semver_range;
pub mod settings;
pub mod tenancy;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verdict;

pub use cluster::{Cluster, LookupError, MemoryCluster, ObjectKey};
pub use kinds::{ApiGroup, FluxKind};
pub use object::{ObjectMeta, ObjectRef, Resource};
pub use request::{AdmissionRequest, Operation, UserInfo};
pub use settings::PolicySettings;
pub use verdict::{Verdict, Violation};

#[doc(hidden)]
pub use kubewarden_policy_sdk as sdk;

/// Exports the waPC entry points (`wapc_init` registering `validate`, `validate_settings`
/// and `protocol_version`) for a policy made of a settings type and a rule function
/// `fn(&AdmissionRequest, &Settings) -> Verdict`.
///
/// A context-aware policy adds `cluster = host`; its rule is
/// `fn(&AdmissionRequest, &Settings, &dyn Cluster) -> Verdict` and gets [`cluster::HostCluster`].
///
/// ```text
/// flux_model::export_policy!(settings = Settings, rule = rules::evaluate);
/// flux_model::export_policy!(settings = Settings, rule = rules::evaluate, cluster = host);
/// ```
#[macro_export]
macro_rules! export_policy {
    (settings = $settings:ty, rule = $rule:path $(,)?) => {
        fn __fluxgate_validate(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            Ok($crate::entry::validate::<$settings>(payload, $rule))
        }
        $crate::export_policy!(@common $settings);
    };
    (settings = $settings:ty, rule = $rule:path, cluster = host $(,)?) => {
        fn __fluxgate_validate(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            Ok($crate::entry::validate_in_cluster::<$settings>(payload, $rule))
        }
        $crate::export_policy!(@common $settings);
    };
    (@common $settings:ty) => {
        fn __fluxgate_validate_settings(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            Ok($crate::entry::validate_settings::<$settings>(payload))
        }

        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            use $crate::sdk::wapc_guest::register_function;
            register_function("validate", __fluxgate_validate);
            register_function("validate_settings", __fluxgate_validate_settings);
            register_function("protocol_version", $crate::sdk::protocol_version_guest);
        }
    };
}

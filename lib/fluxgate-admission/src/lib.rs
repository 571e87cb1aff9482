//! The one admission flow of every fluxgate policy.
//!
//! * [`flow`]: [`Policy`] (a policy declared once: rules, judged kinds, scope) and
//!   [`flow::review`], the flow every request takes.
//! * [`identity`]: the identity model shared by every policy (platform, tenants, operators).
//! * [`lockdown`]: the Flux controllers' multi-tenancy lockdown flags, as the platform
//!   declares them, and the cloud-identity rule they relax.
//! * [`request`]: the admission request a policy receives.
//! * [`settings`]: strict settings parsing, the identity keys split from the policy's own.
//! * [`cluster`]: the read-only cluster view of context-aware policies ([`Cluster`]), served
//!   by Kubewarden's host capabilities in wasm and by memory in tests and offline tools.
//! * [`tenancy`]: the boundary rules the tenancy policies share (service account, namespaces,
//!   cross-namespace references).
//! * [`trust`]: the platform's trust-anchor Secrets (signature keys and roots) and the rules
//!   that keep tenants from choosing or rewriting them.
//! * [`entry`]: the waPC operations behind [`export_policy!`], so each policy's `lib.rs`
//!   stays a few lines; [`wire`] writes their answer's JSON.
//!
//! Everything except the macro is plain functions over plain data: the same rule code runs
//! in the wasm policy, in native unit tests, and in offline tools.

pub mod cluster;
pub mod entry;
pub mod flow;
pub mod identity;
pub mod lockdown;
pub mod request;
pub mod settings;
pub mod tenancy;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trust;
pub mod wire;

pub use cluster::{Cluster, LookupError, MemoryCluster, NoCluster, ObjectKey};
pub use flow::{Ctx, Policy, Scope, Typed};
pub use identity::{Identities, Tenant};
pub use request::{AdmissionRequest, Operation, UserInfo};
pub use settings::PolicySettings;

#[doc(hidden)]
pub use kubewarden_policy_sdk as sdk;

/// Exports the waPC entry points of a policy declared as a [`Policy`] constant:
/// `wapc_init` registers `validate`, `validate_settings`, `protocol_version` and
/// `fluxgate_explain`. A context-aware policy (`contextAwareResources` in its metadata) adds
/// `cluster = host`, and its look-ups go to Kubewarden's host capabilities
/// ([`cluster::HostCluster`]); any other policy gets [`cluster::NoCluster`].
///
/// ```text
/// fluxgate_admission::export_policy!(crate::POLICY);
/// fluxgate_admission::export_policy!(crate::POLICY, cluster = host);
/// ```
#[macro_export]
macro_rules! export_policy {
    ($policy:path) => {
        $crate::export_policy!(@with $policy, $crate::cluster::NoCluster, false);
    };
    ($policy:path, cluster = host) => {
        $crate::export_policy!(@with $policy, $crate::cluster::HostCluster, true);
    };
    (@with $policy:path, $cluster:expr, $context_aware:literal) => {
        fn __fluxgate_validate(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            Ok($crate::entry::validate(&$policy, payload, &$cluster))
        }

        fn __fluxgate_explain(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            Ok($crate::entry::explain(&$policy, payload, &$cluster))
        }

        fn __fluxgate_validate_settings(payload: &[u8]) -> $crate::sdk::wapc_guest::CallResult {
            fn settings_of<P: $crate::PolicySettings>(_: &$crate::Policy<P>, payload: &[u8]) -> Vec<u8> {
                $crate::entry::validate_settings::<P>(payload)
            }
            Ok(settings_of(&$policy, payload))
        }

        /// The operations `wapc_init` registers, called natively (fixture replays in
        /// `cargo test`, mutation testing): the same code as in the module, with `host`
        /// answering the look-ups of a context-aware policy. `None`: no such operation.
        #[cfg(not(target_arch = "wasm32"))]
        pub fn guest_call(
            operation: &str,
            payload: &[u8],
            host: $crate::cluster::HostCall,
        ) -> Option<Vec<u8>> {
            let calling = $crate::cluster::CallingCluster(host);
            let cluster: &dyn $crate::Cluster = if $context_aware {
                &calling
            } else {
                &$crate::cluster::NoCluster
            };
            match operation {
                "validate" => Some($crate::entry::validate(&$policy, payload, cluster)),
                "validate_settings" => Some(__fluxgate_validate_settings(payload).ok()?),
                $crate::entry::EXPLAIN_OPERATION => {
                    Some($crate::entry::explain(&$policy, payload, cluster))
                }
                _ => None,
            }
        }

        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            use $crate::sdk::wapc_guest::register_function;
            register_function("validate", __fluxgate_validate);
            register_function("validate_settings", __fluxgate_validate_settings);
            register_function("protocol_version", $crate::sdk::protocol_version_guest);
            register_function($crate::entry::EXPLAIN_OPERATION, __fluxgate_explain);
        }
    };
}

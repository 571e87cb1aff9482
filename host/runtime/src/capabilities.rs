//! Host capabilities (the `kubewarden` binding of `__host_call`), answered from cluster state.
//! The look-ups are engine-independent and live in [`fluxgate_protocol::capabilities`], which
//! the browser playground serves with too; this module keeps the runtime's paths.

pub use fluxgate_protocol::capabilities::*;

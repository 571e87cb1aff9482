//! The largest requests a policy can be sent still get an answer, in time and within the
//! memory cap, with the production limits (2 s deadline, 256 MiB): a 3 MiB object (the API
//! server's request-body limit) in an UPDATE that carries it twice (object and oldObject, a
//! 6 MiB payload), a HelmRelease whose values have 100,000 keys, a ClusterRole with 10,000
//! rules and a ClusterRoleBinding with 10,000 subjects; every policy, fresh instances, the
//! median of three runs (`fluxgate_testkit::fuzz::worst`). Needs the release modules
//! (`just build`).
//!
//! Timing in a debug-profile test is timing the policy: the time goes to the module's own
//! code, which cranelift compiles the same way in every profile, and to wasmtime, which is
//! built at opt-level 2 here too (the figures match `fluxgate bench` from the host profile
//! within a few per cent). What is asserted is [`worst::LIMIT`], half of policy-server's
//! deadline; the 100 ms budget ([`worst::BUDGET`]) is printed per row and asserted
//! with `FLUXGATE_WORST_BUDGET_MS=100`.

use fluxgate_runtime::runtime::{Limits, Runtime};
use fluxgate_testkit::fuzz::worst;
use fluxgate_testkit::runner;
use std::path::Path;
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn every_policy_answers_the_largest_requests_in_time() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let policies = runner::discover(root()).unwrap();
    for policy in &policies {
        let wasm = policy.wasm_path(root());
        assert!(
            wasm.exists(),
            "{} is missing: run `just build` first",
            wasm.display()
        );
    }
    let bound = std::env::var("FLUXGATE_WORST_BUDGET_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(worst::LIMIT, Duration::from_millis);
    let rows = worst::run_all(&runtime, root(), &policies, 3, 2).unwrap();
    eprint!("{}", worst::table(&rows));
    eprintln!("{}", worst::summary(&rows));
    assert_eq!(
        rows.len(),
        policies.len() * (1 + worst::shared_cases().len())
    );
    let cap = Limits::default().max_memory_bytes;
    for r in &rows {
        assert!(
            r.failure.is_none(),
            "{} on {}: {:?}",
            r.policy,
            r.case,
            r.failure
        );
        assert!(
            r.median <= bound,
            "{} on {}: {:?}, over {bound:?}",
            r.policy,
            r.case,
            r.median
        );
        assert!(
            r.memory <= cap,
            "{} on {}: {} bytes",
            r.policy,
            r.case,
            r.memory
        );
    }
    // The UPDATE really is the largest body: twice the API server's limit, less a little.
    let update = rows.iter().find(|r| r.case.starts_with("3 MiB")).unwrap();
    assert!(
        update.payload_bytes > 2 * worst::REQUEST_BODY_LIMIT - (64 << 10),
        "{} bytes",
        update.payload_bytes
    );
}

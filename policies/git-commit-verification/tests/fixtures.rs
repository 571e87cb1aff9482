//! This policy's fixtures, replayed through its own code natively, with the same
//! expectations the testkit checks on the built wasm module (`just test`): seconds
//! instead of a release build, so `just mutants` can judge a mutant by them.

#[test]
fn every_fixture_passes_natively() {
    fluxgate_fixtures::native::assert_fixtures_pass(
        env!("CARGO_MANIFEST_DIR"),
        git_commit_verification::guest_call,
    );
}

#[test]
fn every_rule_is_catalogued_as_declared() {
    fluxgate_fixtures::catalogue::assert_catalogued(
        env!("CARGO_MANIFEST_DIR"),
        git_commit_verification::POLICY.name,
        git_commit_verification::RULES,
    );
}

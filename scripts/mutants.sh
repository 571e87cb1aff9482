#!/usr/bin/env bash
# `just mutants [CRATE...]`: mutation testing (cargo-mutants) of the rule code; by default
# every policy, then the shared crates the rules are made of. A policy's mutants are judged
# by its own tests: unit tests, never_panics, and every fixture replayed natively
# (tests/fixtures.rs, the expectations the testkit checks on the wasm). A shared crate's
# mutants are judged by its own tests and every policy's. Results in
# target/mutants/<crate>/mutants.out (missed.txt lists the survivors), then the summary
# table (scripts/mutants-summary.py). Not CI: everything takes hours on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $version"; then
  cargo install --locked "cargo-mutants@$version"
fi
policies=$(for d in policies/*/; do basename "$d"; done)
shared="fluxgate-rules flux-kinds fluxgate-matchers fluxgate-admission fluxgate-rbac"
# shellcheck disable=SC2086
crates=${*:-$(echo $policies $shared)}
for crate in $crates; do
  args=(-p "$crate" --output "target/mutants/$crate" --no-shuffle)
  if [ ! -d "policies/$crate" ]; then
    args+=(--test-package "$crate")
    for p in $policies; do args+=(--test-package "$p"); done
  fi
  status=0
  # One target dir for every run: each copies the tree afresh, and the dependencies would
  # otherwise be compiled again for every crate.
  CARGO_TARGET_DIR=$PWD/target/mutants-build CARGO_INCREMENTAL=1 cargo mutants "${args[@]}" || status=$?
  # 0: all caught; 2: some missed; 3: some timed out. Anything else (1: usage, 4: the
  # unmutated tree fails its tests) is a broken run.
  case $status in 0 | 2 | 3) ;; *) echo "mutants: $crate: cargo mutants exited $status" >&2; exit "$status" ;; esac
done
python3 scripts/mutants-summary.py target/mutants

#!/usr/bin/env bash
# `just mutants [CRATE...]`: mutation testing (cargo-mutants) of the rule code; by default
# every policy, then the shared crates the rules are made of. A policy's mutants are judged
# by its own tests: unit tests, never_panics, and every fixture replayed natively
# (tests/fixtures.rs, the expectations the testkit checks on the wasm). A shared crate's
# mutants are judged by its own tests and every policy's. Results in
# target/mutants/<crate>/mutants.out (missed.txt lists the survivors), then the summary
# table (scripts/mutants-summary.py). Not CI: everything takes hours on two cores.
#
# `just mutants-iterate [CRATE...]` (MUTANTS_ITERATE=1) runs only the mutants the last run did
# not catch (cargo-mutants' --iterate), after tests were added for them; each crate's
# record.json (scripts/mutants-record.py) keeps every mutant's latest outcome for the table.
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
  record=()
  if [ -n "${MUTANTS_ITERATE:-}" ]; then
    # A record from a run made before records were kept starts from that run's outcomes.
    if [ ! -f "target/mutants/$crate/record.json" ] && [ -f "target/mutants/$crate/mutants.out/outcomes.json" ]; then
      cargo mutants -p "$crate" --list >"target/mutants/$crate/names.txt"
      python3 scripts/mutants-record.py "target/mutants/$crate" --names "target/mutants/$crate/names.txt"
    fi
    args+=(--iterate)
    record=(--iterate)
  fi
  status=0
  # One target dir for every run: each copies the tree afresh, and the dependencies would
  # otherwise be compiled again for every crate.
  CARGO_TARGET_DIR=$PWD/target/mutants-build CARGO_INCREMENTAL=1 cargo mutants "${args[@]}" || status=$?
  # 0: all caught; 2: some missed; 3: some timed out. Anything else (1: usage, 4: the
  # unmutated tree fails its tests) is a broken run.
  case $status in 0 | 2 | 3) ;; *) echo "mutants: $crate: cargo mutants exited $status" >&2; exit "$status" ;; esac
  cargo mutants -p "$crate" --list >"target/mutants/$crate/names.txt"
  python3 scripts/mutants-record.py "target/mutants/$crate" --names "target/mutants/$crate/names.txt" "${record[@]}"
done
python3 scripts/mutants-summary.py target/mutants

#!/usr/bin/env bash
# `just fuzz-million [POLICY...]`: the documented fuzz run, 1,000,000 cases per policy (default:
# every policy), one policy at a time on one job, each run's output kept in
# target/fuzz/million/<policy>.log with the module's sha256 and the commit, then the README's
# table regenerated from those logs (scripts/fuzz-readme.py). About 10-25 min per policy.
set -euo pipefail
cd "$(dirname "$0")/.."
just build >/dev/null
just tools
mkdir -p target/fuzz/million
policies=${*:-$(for d in policies/*/; do basename "$d"; done)}
for p in $policies; do
  log=target/fuzz/million/$p.log
  {
    echo "module: $(sha256sum "target/policies/$p.wasm" | cut -d' ' -f1) target/policies/$p.wasm"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib policies || echo ' (with local changes)')"
    echo "command: fluxgate-testkit fuzz 1000000 --policy $p --jobs 1"
  } >"$log"
  start=$(date +%s)
  status=0
  ./target/debug/fluxgate-testkit fuzz 1000000 --policy "$p" --jobs 1 >>"$log" 2>&1 || status=$?
  echo "rc=$status secs=$(($(date +%s) - start))" >>"$log"
done
python3 scripts/fuzz-readme.py target/fuzz/million --readme README.md

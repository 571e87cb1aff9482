#!/usr/bin/env bash
# `just build` (and `just floor`): each named crate to wasm32-wasip1 with its cargo profile,
# staged as the linker left it in target/linked/<name>.wasm, then post-link optimised
# (scripts/optimize.sh) into target/policies/ (or $OUT_DIR).
#
# Every module is built for size (profile `release`, opt-level "z") except those listed in
# `speed`, built with profile `release-speed` (opt-level "s"): tenant-cluster-scope is the
# any-kind policy, the one every tenant write that Flux applies reaches, and the smallest
# module; "s" costs it about 6% in size and saves about a fifth of its time per request
# (`just bench-compare`, figures in the README's performance section).
set -euo pipefail
cd "$(dirname "$0")/.."
speed=" tenant-cluster-scope "
profile_of() { if [[ $speed == *" $1 "* ]]; then echo release-speed; else echo release; fi; }
quiet=${BUILD_QUIET:+-q}
for profile in release release-speed; do
  crates=()
  for p in "$@"; do if [ "$(profile_of "$p")" = $profile ]; then crates+=(-p "$p"); fi; done
  [ ${#crates[@]} -eq 0 ] || cargo build --locked $quiet --profile $profile --target wasm32-wasip1 "${crates[@]}"
done
mkdir -p target/linked
for p in "$@"; do
  # Staged only when its bytes changed, so optimize.sh (which compares times) skips a module
  # that did not change and redoes one whose profile did.
  linked="target/wasm32-wasip1/$(profile_of "$p")/${p//-/_}.wasm"
  cmp -s "$linked" "target/linked/$p.wasm" || cp "$linked" "target/linked/$p.wasm"
done
./scripts/optimize.sh "$@"

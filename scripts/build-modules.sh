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
size_crates=() speed_crates=()
for p in "$@"; do
  if [[ $speed == *" $p "* ]]; then speed_crates+=(-p "$p"); else size_crates+=(-p "$p"); fi
done
quiet=${BUILD_QUIET:+-q}
[ ${#size_crates[@]} -eq 0 ] || cargo build --locked $quiet --release --target wasm32-wasip1 "${size_crates[@]}"
[ ${#speed_crates[@]} -eq 0 ] || cargo build --locked $quiet --profile release-speed --target wasm32-wasip1 "${speed_crates[@]}"
mkdir -p target/linked
for p in "$@"; do
  profile=release
  [[ $speed == *" $p "* ]] && profile=release-speed
  # -p keeps the linker's time, so optimize.sh skips a module that did not change.
  cp -p "target/wasm32-wasip1/$profile/${p//-/_}.wasm" "target/linked/$p.wasm"
done
./scripts/optimize.sh "$@"

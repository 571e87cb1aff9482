#!/usr/bin/env bash
# Post-link step of `just build` (scripts/build-modules.sh): target/linked/<policy>.wasm → target/policies/<policy>.wasm
# (or $OUT_DIR/<policy>.wasm: the bench's floor goes to target/bench, never among the policies).
# With binaryen's wasm-opt (tools/, installed by scripts/setup.sh) the module is optimised for
# size (-Oz); without it, it is copied as the linker left it. Every later recipe, test and
# release step uses target/policies/, so what is tested is what ships.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm_opt=tools/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || wasm_opt=$(command -v wasm-opt || true)
# The features rustc enables for wasm32-wasip1, all supported by the wasmtime policy-server runs.
features=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types)
out_dir=${OUT_DIR:-target/policies}
mkdir -p "$out_dir"
for p in "$@"; do
  in="target/linked/$p.wasm" out="$out_dir/$p.wasm"
  if [ -n "$wasm_opt" ]; then
    [ "$out" -nt "$in" ] && continue # already optimised from this build
    "$wasm_opt" -Oz "${features[@]}" "$in" -o "$out.tmp" && mv "$out.tmp" "$out" &
  else
    cp "$in" "$out"
  fi
done
wait
[ -n "$wasm_opt" ] || echo "optimize: wasm-opt not found (run scripts/setup.sh); modules copied unoptimised" >&2

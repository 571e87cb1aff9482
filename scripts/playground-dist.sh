#!/usr/bin/env bash
# `just playground-dist POLICY...`: the browser playground as a static site in target/playground/:
#   index.html, app.js, worker.js, style.css     playground/web/
#   pkg/                                          the Rust host (fluxgate-playground) via wasm-bindgen
#   policies/<policy>.wasm                        the annotated modules, as `just annotate` makes them
#   manifest.json, examples.json, rules.json      the policy list, the fixtures menu, the catalogue
# and target/playground-cases.json: every fixture answered by the native host on the same
# modules, which the browser test replays (playground/tests/playground.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 POLICY..." >&2; exit 2; }
out=target/playground
for p in "$@"; do
  [ -f "target/annotated/$p.wasm" ] || { echo "playground-dist: target/annotated/$p.wasm is missing (just annotate)" >&2; exit 1; }
done
command -v wasm-bindgen >/dev/null || { echo "playground-dist: wasm-bindgen is missing (scripts/setup.sh installs it)" >&2; exit 1; }

# strip=false: wasm-bindgen reads the target_features section; wasm-opt strips names afterwards.
cargo build --locked -q --release --target wasm32-unknown-unknown -p fluxgate-playground \
  --config 'profile.release.strip=false'
cargo build --locked -q --workspace --all-targets # as `just tools`

rm -rf "$out"
mkdir -p "$out/pkg" "$out/policies"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
  target/wasm32-unknown-unknown/release/fluxgate_playground.wasm
wasm_opt=tools/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || wasm_opt=$(command -v wasm-opt || true)
if [ -n "$wasm_opt" ]; then
  # The features rustc enables for wasm32-unknown-unknown, all in every current browser.
  "$wasm_opt" -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
    "$out/pkg/fluxgate_playground_bg.wasm" -o "$out/pkg/fluxgate_playground_bg.wasm"
fi
cp playground/web/*.html playground/web/*.js playground/web/*.css "$out/"
for p in "$@"; do cp "target/annotated/$p.wasm" "$out/policies/$p.wasm"; done
cp docs/rules.json "$out/rules.json"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' host/cli/Cargo.toml | head -1)
repository=$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -1)
python3 - "$out/manifest.json" "$version" "$repository" "$@" <<'PY'
import json, sys
out, version, repository, *policies = sys.argv[1:]
json.dump({"version": version, "policies": policies,
           "catalogue": f"{repository}/blob/main/docs/rules.md"}, open(out, "w"), indent=1)
PY
./target/debug/fluxgate-testkit playground-cases target/annotated "$out/examples.json" target/playground-cases.json

wasm=$(stat -c %s "$out/pkg/fluxgate_playground_bg.wasm")
total=$(du -sb "$out" | cut -f1)
echo "playground: $out/ ($total bytes; the host pkg/fluxgate_playground_bg.wasm $wasm bytes, $# policy modules)" >&2

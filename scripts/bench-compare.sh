#!/usr/bin/env bash
# `just bench-compare REV`: per-request medians of REV's policy modules against this tree's, in
# one run, on the same requests (REV's first accepted and first rejected CREATE/UPDATE fixture
# of each policy), with this tree's host (`fluxgate bench`). Each side gets the fixture as its
# own testkit exports it (so settings renamed since REV are spelt for each side); a fixture whose
# file changed since REV is marked `*`. Old and new are measured alternately, request by request,
# so machine noise hits both alike, in ROUNDS rounds (default 3); each cell is the median of
# the rounds' medians, so one burst of load on this shared machine cannot make a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/bench-compare.sh REV [ITERATIONS]}
iterations=${2:-2000}
rounds=${ROUNDS:-3}
old=target/bench-compare/$(git rev-parse --short "$rev")
if [ ! -d "$old/src" ]; then
  rm -rf "$old/src"
  mkdir -p "$old"
  git worktree add --detach "$old/src" "$rev" >/dev/null
fi
policies() { for d in "$1"/policies/*/fixtures; do basename "$(dirname "$d")"; done; }
(
  cd "$old/src"
  export CARGO_TARGET_DIR=$PWD/../target
  # shellcheck disable=SC2046
  cargo build --locked -q --release --target wasm32-wasip1 $(policies . | sed 's/^/-p /')
  cargo build --locked -q -p fluxgate-testkit
  mkdir -p ../modules
  wasm_opt=$OLDPWD/tools/node_modules/.bin/wasm-opt
  for p in $(policies .); do
    in="$CARGO_TARGET_DIR/wasm32-wasip1/release/${p//-/_}.wasm"
    if [ -x "$wasm_opt" ]; then
      "$wasm_opt" -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
        "$in" -o "../modules/$p.wasm"
    else
      cp "$in" "../modules/$p.wasm"
    fi
  done
)
just build >/dev/null 2>&1
cargo build --locked -q --profile host -p fluxgate-cli --bin fluxgate
cargo build --locked -q --workspace --all-targets # as `just tools`
out=$old/results
rm -rf "$out" && mkdir -p "$out"
for p in $(policies "$old/src"); do
  [ -f "target/policies/$p.wasm" ] || continue
  for kind in accept reject; do
    for fixture in "$old/src"/policies/$p/fixtures/$kind-*.yaml; do
      grep -q '^operation: DELETE' "$fixture" || break
    done
    case=$out/$p-$kind
    name=$(basename "$fixture" .yaml)
    "$old/target/debug/fluxgate-testkit" export "$fixture" "$case/old" >/dev/null
    here=policies/$p/fixtures/$name.yaml
    if [ -f "$here" ]; then
      ./target/debug/fluxgate-testkit export "$here" "$case/new" >/dev/null
      cmp -s "$fixture" "$here" || name="$name*"
    else
      cp -r "$case/old" "$case/new"
    fi
    for round in $(seq "$rounds"); do
      for side in old new; do
        if [ $side = old ]; then
          module=$old/modules/$p.wasm metadata=$old/src/policies/$p/metadata.yml
        else
          module=target/policies/$p.wasm metadata=policies/$p/metadata.yml
        fi
        ./target/host/fluxgate bench "$module" -r "$case/$side/request.json" \
          --settings-path "$case/$side/settings.json" --cluster-state "$case/$side/cluster.json" \
          --allow-context-aware --metadata-path "$metadata" --iterations "$iterations" --json \
          >"$case/$side-$round.json"
      done
    done
    echo "$p $name" >"$case/name"
  done
done
python3 - "$out" "$rev" <<'EOF'
import json, pathlib, statistics, sys
out, rev = pathlib.Path(sys.argv[1]), sys.argv[2]
print(f"| policy, request ({rev}'s fixture) | reused {rev} | reused now | ratio | fresh {rev} | fresh now | ratio |")
print("|---|---|---|---|---|---|---|")
worst = 0.0
for case in sorted(p for p in out.iterdir() if p.is_dir()):
    runs = {s: [json.loads(f.read_text()) for f in sorted(case.glob(f"{s}-*.json"))] for s in ("old", "new")}
    policy, fixture = (case / "name").read_text().split()
    cells = []
    for phase in ("validate_reused_instance", "request_fresh_instance"):
        a, b = (statistics.median(r[phase]["median_us"] for r in runs[s]) for s in ("old", "new"))
        worst = max(worst, b / a)
        cells += [f"{a:.1f} µs", f"{b:.1f} µs", f"{b / a:.2f}"]
    print(f"| {policy}, `{fixture}` | " + " | ".join(cells) + " |")
rounds = len(runs["old"])
print(f"\nworst ratio (now / {rev}): {worst:.2f} (median of {rounds} alternating rounds per cell)")
EOF

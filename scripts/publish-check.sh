#!/usr/bin/env bash
# The release pipeline's own recipes, run against a real OCI registry on 127.0.0.1:
# `just push` (which annotates) to Debian's docker-registry, then every pushed reference is
# read back with skopeo (an independent client) and `fluxgate pull`, and compared byte for
# byte; `just artifacthub` and `just manifests` must leave the committed files unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
  { echo "docker-registry and skopeo are missing: run ./scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/data}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

registry="127.0.0.1:$port/fluxgate"
just annotate
just push_flags=--insecure push "$registry" | grep "^$registry/.*@sha256:" | tee "$work/pushed"
count=0
while read -r ref; do
  policy=${ref#"$registry/"}; policy=${policy%@*}
  manifest=$(skopeo inspect --raw --tls-verify=false "docker://$ref")
  grep -q '"mediaType":"application/vnd.wasm.content.layer.v1+wasm"' <<<"$manifest"
  grep -q '"mediaType":"application/vnd.wasm.config.v1+json"' <<<"$manifest"
  [ "sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)" = "${ref#*@}" ]
  ./target/debug/fluxgate pull "registry://$ref" --insecure -o "$work/$policy.wasm" > /dev/null
  cmp "$work/$policy.wasm" "target/annotated/$policy.wasm"
  echo "ok: $ref (skopeo manifest digest and pulled bytes match)"
  count=$((count + 1))
done < "$work/pushed"
[ "$count" -eq "$(ls -d policies/*/fixtures | wc -l)" ]

# `fluxgate run` answers the same on the annotated module as on the plain one (the testkit
# replays every fixture both ways; this checks the CLI path on one rejected case per policy).
cargo build --locked -q --workspace --all-targets # as `just tools`
for dir in policies/*/fixtures; do
  policy=$(basename "$(dirname "$dir")")
  # A glob, not `ls | head`: under pipefail, head closing the pipe early fails the script.
  rejects=("$dir"/reject-*.yaml)
  fixture=${rejects[0]}
  ./target/debug/fluxgate-testkit export "$fixture" "$work/run-$policy" > /dev/null
  args=(-r "$work/run-$policy/request.json" --settings-path "$work/run-$policy/settings.json"
        --cluster-state "$work/run-$policy/cluster.json" --allow-context-aware
        --metadata-path "policies/$policy/metadata.yml")
  plain=$(./target/debug/fluxgate run "target/policies/$policy.wasm" "${args[@]}" 2>/dev/null)
  annotated=$(./target/debug/fluxgate run "target/annotated/$policy.wasm" "${args[@]}" 2>/dev/null)
  [ "$plain" = "$annotated" ] || { echo "$policy: fluxgate run differs on the annotated module" >&2; exit 1; }
  grep -q '"allowed":false' <<<"$annotated"
done
echo "ok: fluxgate run gives the same response on annotated and plain modules"

# `fluxgate scan --policies-dir` pulls what the manifests name: deploy/policies/ pointed at the
# pushed digests judges the example fleet exactly as the local annotated modules do.
mkdir -p "$work/caps"
while read -r ref; do
  policy=${ref#"$registry/"}; policy=${policy%@*}
  sed "s|^  module: .*|  module: registry://$ref|" "deploy/policies/$policy.yaml" > "$work/caps/$policy.yaml"
done < "$work/pushed"
FLUXGATE_CACHE_DIR="$work/cache" ./target/debug/fluxgate scan examples/fleet --policies-dir "$work/caps" \
  --insecure-registry --format json --fail-on never > "$work/scan-pulled.json"
./target/debug/fluxgate scan examples/fleet --policies-dir "$work/caps" --modules target/annotated \
  --no-cache --format json --fail-on never > "$work/scan-local.json"
cmp "$work/scan-pulled.json" "$work/scan-local.json"
grep -q '"rule": "tenant/cluster-scoped-write"' "$work/scan-pulled.json"
echo "ok: fluxgate scan --policies-dir pulled $count modules and judged the example fleet as the local ones"

just artifacthub
just manifests
if [ -n "$(git status --porcelain -- artifacthub deploy/policies)" ]; then
  git status --short -- artifacthub deploy/policies
  echo "artifacthub/ or deploy/policies/ is stale: commit what just artifacthub / just manifests wrote" >&2
  exit 1
fi
echo "publish-check: $count policies pushed, inspected, pulled and compared"

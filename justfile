# fluxgate recipes. `just` lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Policy crates: every policies/<name>/ that has fixtures (the shared libraries live in lib/).
policies := `for d in policies/*/fixtures; do basename "$(dirname "$d")"; done | tr '\n' ' '`
# What `just build` leaves: target/policies/<policy>.wasm, post-link optimised (scripts/optimize.sh).
wasm_dir := "target/policies"
# Kubewarden's pod-privileged policy is 1.7 MB; ours must stay under 400 KB.
size_budget := "409600"

default:
    @just --list

# Install the toolchain pieces the other recipes need (idempotent).
setup:
    ./scripts/setup.sh

# Build every policy to wasm32-wasip1 (release, size-tuned), optimise it with wasm-opt when
# installed, and print the sizes: target/policies/<policy>.wasm.
build:
    cargo build --locked --release --target wasm32-wasip1 {{ prepend("-p ", policies) }}
    ./scripts/optimize.sh {{ policies }}
    @just sizes >&2

# Print each policy module's size and fail when one is over the budget.
sizes:
    #!/usr/bin/env bash
    set -euo pipefail
    status=0
    for p in {{ policies }}; do
      f="{{ wasm_dir }}/$p.wasm"
      s=$(stat -c %s "$f")
      linked=$(stat -c %s "target/wasm32-wasip1/release/${p//-/_}.wasm")
      printf '%-40s %8d bytes (%d KiB; %d as linked)\n' "$p.wasm" "$s" $(( s / 1024 )) "$linked"
      if [ "$s" -gt {{ size_budget }} ]; then echo "  over the {{ size_budget }}-byte budget"; status=1; fi
    done
    exit $status

# Replay the fixtures of all policies (or the named ones) through the built wasm.
replay *POLICY: build
    cargo run --locked -q -p fluxgate-testkit -- {{ POLICY }}

# Everything CI checks: formatting, clippy, unit and integration tests, fixture replay, alert tests.
test: build
    cargo fmt --all -- --check
    cargo clippy --locked --workspace --all-targets -- -D warnings
    cargo clippy --locked --target wasm32-wasip1 {{ prepend("-p ", policies) }} -- -D warnings
    cargo test --locked --workspace
    cargo run --locked -q -p fluxgate-testkit
    bash deploy/monitoring/check.sh
    bash scripts/publish-check.sh

# The main job on the bundled example: build, replay every fixture, then run a policy on examples/.
demo: build
    cargo run --locked -q -p fluxgate-testkit
    @echo '--- fluxgate run git-commit-verification examples/gitrepository-unsigned.yaml'
    cargo run --locked -q -p fluxgate-cli --bin fluxgate -- run {{ wasm_dir }}/git-commit-verification.wasm -r examples/gitrepository-unsigned.yaml
    @echo '--- fluxgate run git-commit-verification examples/gitrepository-signed-tag.yaml'
    cargo run --locked -q -p fluxgate-cli --bin fluxgate -- run {{ wasm_dir }}/git-commit-verification.wasm -r examples/gitrepository-signed-tag.yaml

# Run one policy on a request: an AdmissionReview/AdmissionRequest file, or a fixture.
run POLICY REQUEST *ARGS: build
    #!/usr/bin/env bash
    set -euo pipefail
    request="{{ REQUEST }}"; extra=()
    if grep -q '^expect:' "$request"; then
      tmp=$(mktemp -d); cargo run --locked -q -p fluxgate-testkit -- export "$request" "$tmp"
      request="$tmp/request.json"
      extra=(--settings-path "$tmp/settings.json" --cluster-state "$tmp/cluster.json" --allow-context-aware \
        --metadata-path "policies/{{ POLICY }}/metadata.yml")
    fi
    cargo run --locked -q -p fluxgate-cli --bin fluxgate -- run "{{ wasm_dir }}/{{ POLICY }}.wasm" \
      -r "$request" "${extra[@]}" {{ ARGS }}

# Per-request cost of every policy (fresh instance like policy-server, and reused), on the
# first accepted and the first rejected CREATE/UPDATE fixture of each.
bench *ARGS: build
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --locked -q --profile host -p fluxgate-cli --bin fluxgate
    cargo build --locked -q -p fluxgate-testkit
    tmp=$(mktemp -d)
    for p in {{ policies }}; do
      for kind in accept reject; do
        # the first CREATE/UPDATE case: a DELETE is answered before any rule runs
        for fixture in policies/$p/fixtures/$kind-*.yaml; do
          grep -q '^operation: DELETE' "$fixture" || break
        done
        ./target/debug/fluxgate-testkit export "$fixture" "$tmp/$p-$kind"
        echo "== $p: $fixture"
        ./target/host/fluxgate bench "{{ wasm_dir }}/$p.wasm" -r "$tmp/$p-$kind/request.json" \
          --settings-path "$tmp/$p-$kind/settings.json" --cluster-state "$tmp/$p-$kind/cluster.json" \
          --allow-context-aware --metadata-path "policies/$p/metadata.yml" {{ ARGS }}
      done
    done

# Rewrite the README's per-request table from one run of the same benchmark (`--json`).
bench-readme: build
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --locked -q --profile host -p fluxgate-cli --bin fluxgate
    cargo build --locked -q -p fluxgate-testkit
    tmp=$(mktemp -d); mkdir -p "$tmp/json"
    for p in {{ policies }}; do
      for kind in accept reject; do
        for fixture in policies/$p/fixtures/$kind-*.yaml; do
          grep -q '^operation: DELETE' "$fixture" || break
        done
        name=$(basename "$fixture" .yaml)
        ./target/debug/fluxgate-testkit export "$fixture" "$tmp/$p-$kind"
        ./target/host/fluxgate bench "{{ wasm_dir }}/$p.wasm" -r "$tmp/$p-$kind/request.json" \
          --settings-path "$tmp/$p-$kind/settings.json" --cluster-state "$tmp/$p-$kind/cluster.json" \
          --allow-context-aware --metadata-path "policies/$p/metadata.yml" --json > "$tmp/json/$p--$name.json"
        echo "bench: $p $name" >&2
      done
    done
    ./target/debug/fluxgate-testkit bench-table "$tmp/json" README.md

# promtool checks and unit tests of the Prometheus alerts (deploy/monitoring).
monitoring:
    bash deploy/monitoring/check.sh

# Regenerate deploy/monitoring/prometheusrule.yaml from the rule files.
monitoring-bless:
    FLUXGATE_BLESS=1 cargo test --locked -q -p fluxgate-testkit --test monitoring

# Embed each policy's metadata.yml and README into its module: target/annotated/<policy>.wasm.
annotate *POLICY: build
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --locked -q -p fluxgate-cli --bin fluxgate
    mkdir -p target/annotated
    for p in {{ if POLICY == "" { policies } else { POLICY } }}; do
      ./target/debug/fluxgate annotate "{{ wasm_dir }}/$p.wasm" -m "policies/$p/metadata.yml" \
        -u "policies/$p/README.md" -o "target/annotated/$p.wasm"
      echo "annotated: target/annotated/$p.wasm" >&2
    done

# Push annotated policies as REGISTRY/<policy>:v<version> and print their immutable references.
# Credentials: docker config or FLUXGATE_REGISTRY_USERNAME/_PASSWORD. `push_flags=--insecure` is
# for a registry on this machine only.
push_flags := ""
push REGISTRY *POLICY: (annotate POLICY)
    #!/usr/bin/env bash
    set -euo pipefail
    for p in {{ if POLICY == "" { policies } else { POLICY } }}; do
      version=$(sed -n 's/^version = "\(.*\)"/\1/p' "policies/$p/Cargo.toml" | head -1)
      ./target/debug/fluxgate push "target/annotated/$p.wasm" "registry://{{ REGISTRY }}/$p:v$version" {{ push_flags }}
    done

# Regenerate artifacthub/<policy>/ (artifacthub-pkg.yml and README.md) from each policy.
artifacthub:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --locked -q -p fluxgate-cli --bin fluxgate
    for p in {{ policies }}; do
      mkdir -p "artifacthub/$p"
      ./target/debug/fluxgate artifacthub "policies/$p" --previous "artifacthub/$p/artifacthub-pkg.yml" > "artifacthub/$p/artifacthub-pkg.yml.new"
      mv "artifacthub/$p/artifacthub-pkg.yml.new" "artifacthub/$p/artifacthub-pkg.yml"
      cp "policies/$p/README.md" "artifacthub/$p/README.md"
    done

# Regenerate deploy/policies/: one ClusterAdmissionPolicy per policy and the kustomization that installs them all.
manifests:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --locked -q -p fluxgate-cli --bin fluxgate
    mkdir -p deploy/policies
    {
      echo "# Generated by \`just manifests\`: every fluxgate policy as a ClusterAdmissionPolicy."
      echo "apiVersion: kustomize.config.k8s.io/v1beta1"
      echo "kind: Kustomization"
      echo "resources:"
      for p in {{ policies }}; do
        ./target/debug/fluxgate manifest "policies/$p" > "deploy/policies/$p.yaml"
        echo "  - $p.yaml"
      done
    } > deploy/policies/kustomization.yaml

# The release pipeline's recipes against a real registry on 127.0.0.1 (docker-registry, skopeo).
publish-check:
    bash scripts/publish-check.sh

fmt:
    cargo fmt --all

lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate docs/rules.md (the rule catalogue) from the rules declared in the code.
rules:
    FLUXGATE_BLESS=1 cargo test --locked -q -p fluxgate-testkit --test catalogue

# Regenerate the READMEs' generated parts: rule-id tables, example deny messages, module sizes.
readmes: build
    FLUXGATE_BLESS=1 cargo test --locked -q -p fluxgate-testkit --test readmes

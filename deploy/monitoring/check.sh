#!/usr/bin/env bash
# Checks the Prometheus rules of deploy/monitoring: syntax and lint of every rule file, then
# the promtool unit tests. The PrometheusRule is generated from the same files and compared
# by `cargo test -p fluxgate-testkit --test monitoring`, so it is not checked here.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "deploy/monitoring/check.sh: promtool not found on PATH." >&2
  echo "Install it with the Debian package 'prometheus':" >&2
  echo "  apt-get install -y --no-install-recommends prometheus" >&2
  echo "or download a Prometheus release and put its promtool on PATH." >&2
  exit 127
fi

shopt -s nullglob
rule_files=(deploy/monitoring/rules/*.rules.yml)
test_files=(deploy/monitoring/tests/*.test.yml)
if [ ${#rule_files[@]} -eq 0 ] || [ ${#test_files[@]} -eq 0 ]; then
  echo "deploy/monitoring/check.sh: no rule files or no test files found" >&2
  exit 1
fi

promtool --version | head -n 1
promtool check rules "${rule_files[@]}"
promtool test rules "${test_files[@]}"

#!/usr/bin/env bash
# Installs what fluxgate's recipes need on a machine that has only rustup:
# the wasm32-wasip1 target, rustfmt and clippy, `just`, and from Debian: promtool
# (`prometheus`, alert tests), `docker-registry` and `skopeo` (publishing tests against a real
# OCI registry) and `htpasswd` (`apache2-utils`, the registry's test credentials).
# Safe to run again.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
rustup target add wasm32-wasip1
rustup component add rustfmt clippy
if ! command -v just >/dev/null 2>&1; then
  cargo install --locked just@1.59.0
fi
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]} and no apt-get: install them for 'just test'" >&2
  fi
fi

#!/usr/bin/env bash
# Installs what fluxgate's recipes need on a machine that has only rustup:
# the wasm32-wasip1 target, rustfmt and clippy, `just`, and from Debian: promtool
# (`prometheus`, alert tests), `docker-registry` and `skopeo` (publishing tests against a real
# OCI registry) and `htpasswd` (`apache2-utils`, the registry's test credentials); from the
# npm registry (tools/package-lock.json): binaryen's wasm-opt, the modules' post-link optimiser.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
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
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]} and no apt-get: install them for 'just test'" >&2
  fi
fi

# binaryen's wasm-opt, pinned by tools/package-lock.json (a wasm build run by Node.js: nothing is
# downloaded at run time). `just build` works without it, with larger modules.
if [ ! -x tools/node_modules/.bin/wasm-opt ] && command -v npm >/dev/null 2>&1; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

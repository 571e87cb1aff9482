#!/usr/bin/env bash
# Installs what fluxgate's recipes need on a machine that has only rustup:
# the wasm32-wasip1 target, rustfmt and clippy, `just`, and from Debian: promtool
# (`prometheus`, alert tests), `docker-registry` and `skopeo` (publishing tests against a real
# OCI registry) and `htpasswd` (`apache2-utils`, the registry's test credentials); from the
# npm registry (tools/package-lock.json): binaryen's wasm-opt, the modules' post-link optimiser.
# For the browser playground: the wasm32-unknown-unknown target, the wasm-bindgen CLI of exactly
# the wasm-bindgen version in Cargo.lock, Debian's chromium and chromium-driver, and
# playwright-core (playground/tests/package-lock.json) to drive that chromium (no browser
# download: playwright-core only talks to the installed one).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
rustup target add wasm32-wasip1 wasm32-unknown-unknown
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
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
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

# The wasm-bindgen CLI must be the version of the wasm-bindgen crate the playground links
# (Cargo.lock), or its output does not match the crate.
bindgen=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -n "$bindgen" ] && [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen" ]; then
  # --locked pins the CLI's own dependencies; a registry mirror that lacks one of those exact
  # versions gets the newest compatible ones instead.
  cargo install --locked wasm-bindgen-cli --version "$bindgen" \
    || cargo install wasm-bindgen-cli --version "$bindgen"
fi

# playwright-core for the playground's browser test, pinned by its package-lock.json.
pinned() { node -p "require('./playground/tests/package-lock.json').packages['node_modules/playwright-core'].version" 2>/dev/null; }
installed() { node -p "require('./playground/tests/node_modules/playwright-core/package.json').version" 2>/dev/null; }
if command -v npm >/dev/null 2>&1 && [ "$(installed)" != "$(pinned)" ]; then
  (cd playground/tests && npm ci --no-audit --no-fund --loglevel=error)
fi

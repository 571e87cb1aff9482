#!/usr/bin/env bash
# Installs what fluxgate's recipes need on a machine that has only rustup:
# the wasm32-wasip1 target, rustfmt and clippy, `just`, and promtool (Debian package
# `prometheus`, for the alert tests). Safe to run again.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
rustup target add wasm32-wasip1
rustup component add rustfmt clippy
if ! command -v just >/dev/null 2>&1; then
  cargo install --locked just@1.59.0
fi
if ! command -v promtool >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "setup: promtool not found and no apt-get: install Prometheus' promtool for 'just test'" >&2
  fi
fi

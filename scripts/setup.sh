#!/usr/bin/env bash
# Installs what fluxgate's recipes need on a machine that has only rustup:
# the wasm32-wasip1 target, rustfmt and clippy, and `just`. Safe to run again.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
rustup target add wasm32-wasip1
rustup component add rustfmt clippy
if ! command -v just >/dev/null 2>&1; then
  cargo install --locked just@1.59.0
fi

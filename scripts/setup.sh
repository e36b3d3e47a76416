#!/usr/bin/env bash
# Installs what building Tollgate needs and is missing; safe to run again (it skips what is there).
#   scripts/setup.sh        build tools: wasm32 target, wasm-bindgen-cli, npm packages (scripts/build-site.sh)
#   scripts/setup.sh test   also Chromium (Debian) and a running PostgreSQL, for the test suite
#   scripts/setup.sh watch  also cargo-leptos, for `cargo leptos watch` (about 20 minutes, once)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs a newer rustc than 1.95
WASM_BINDGEN_VERSION=0.2.130  # must equal the wasm-bindgen crate pinned in Cargo.toml

step() { printf '\n==> %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "${1:-}" = "watch" ] && ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores, once per machine)"
  cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Without --locked: a locked dependency of this release was yanked.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] \
   || [ ! -f node_modules/echarts/package.json ] || [ ! -d node_modules/playwright-core ] \
   || [ ! -f node_modules/axe-core/axe.min.js ]; then
  step "Installing npm packages (ECharts and esbuild, binaryen's wasm-opt, playwright-core, axe-core)"
  npm ci --no-audit --no-fund
fi


if [ "${1:-}" = "test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    step "Installing Chromium from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    step "Starting PostgreSQL"
    if ! command -v pg_ctlcluster >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

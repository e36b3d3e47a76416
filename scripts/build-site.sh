#!/usr/bin/env bash
# Builds Tollgate's site as cargo-leptos would, with cargo, wasm-bindgen and binaryen's wasm-opt only,
# so a first run needs no cargo-leptos (its install alone took 20 minutes on 2 cores):
#   scripts/build-site.sh release   target/release/tollgate and target/site, optimised (make run)
#   scripts/build-site.sh debug     target/debug/tollgate and target/site, quickly (the browser tests)
# The server finds target/site beside its binary. cargo-leptos stays useful for `cargo leptos watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

mode=${1:-release}
case "$mode" in
  release) wasm_profile=wasm-release wasm_dir=wasm-release server_profile=release ;;
  debug) wasm_profile=dev wasm_dir=debug server_profile=dev ;;
  *) echo "usage: $0 release|debug" >&2; exit 2 ;;
esac
name=tollgate          # [workspace.metadata.leptos] name; LEPTOS_OUTPUT_NAME in .cargo/config.toml
site=target/site
pkg=$site/pkg
step() { printf '\n==> %s\n' "$*"; }

step "Building the hydration bundle (app, wasm32, profile $wasm_profile)"
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$wasm_profile"

step "Generating its JavaScript glue with wasm-bindgen"
rm -rf "$pkg.new" && mkdir -p "$pkg.new"
wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$pkg.new" \
  "target/wasm32-unknown-unknown/$wasm_dir/app.wasm"
# Leptos's hydration script asks for <name>.wasm, as cargo-leptos names it.
mv "$pkg.new/${name}_bg.wasm" "$pkg.new/$name.wasm"
if [ "$mode" = release ]; then
  step "Shrinking the bundle with wasm-opt"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$pkg.new/$name.wasm" -o "$pkg.new/$name.wasm"
fi
cp style/main.css "$pkg.new/$name.css"

step "Bundling the charts (the part of ECharts Tollgate uses, loaded only by pages with charts)"
esbuild scripts/echarts-charts.mjs --bundle --minify --format=iife --legal-comments=eof \
  --log-level=warning --outfile="$pkg.new/echarts.js"
cp public/charts.js "$pkg.new/charts.js"

step "Placing the site in $site, with brotli and gzip forms of each file"
mkdir -p "$site"
rm -rf "$site.new" && mkdir -p "$site.new"
cp -R public/. "$site.new/"
rm "$site.new/charts.js"        # versioned with the bundle, in pkg/
mv "$pkg.new" "$site.new/pkg"
node scripts/compress-site.mjs "$site.new" "$([ "$mode" = debug ] && echo fast || echo best)"
rm -rf "$site" && mv "$site.new" "$site"

step "Building the server (profile $server_profile)"
cargo build -p server --bin tollgate --profile "$server_profile"

printf '\nBuilt: target/%s/tollgate serving %s (wasm %s bytes, %s as brotli)\n' \
  "$([ "$server_profile" = dev ] && echo debug || echo release)" "$site" "$(wc -c < "$pkg/$name.wasm")" \
  "$(wc -c < "$pkg/$name.wasm.br")"

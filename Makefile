# Tollgate: `make run` serves it on http://127.0.0.1:3000 (SQLite in ./data); `make test` runs every test.
# binaryen's wasm-opt from npm comes first on PATH (Debian's breaks the bundle).
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run build watch test setup lint unit e2e contract bench

run: setup build
	./target/release/tollgate serve

build:
	scripts/build-site.sh release

# Rebuilds and restarts on every change; installs cargo-leptos first (about 20 minutes, once).
watch:
	scripts/setup.sh watch
	cargo leptos watch

setup:
	scripts/setup.sh

test:
	scripts/setup.sh test
	$(MAKE) lint
	scripts/build-site.sh debug
	$(MAKE) unit
	$(MAKE) contract
	$(MAKE) e2e

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

unit:
	cargo test --workspace

e2e:
	npm run e2e

# The API's answers against its OpenAPI document (schemathesis from PyPI, on the debug build).
contract:
	scripts/api-contract.sh target/debug/tollgate

bench:
	cargo bench -p tollgate-domain

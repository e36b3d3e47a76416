# Tollgate: `make run` serves it on http://127.0.0.1:3000 (SQLite in ./data); `make test` runs every test.
# binaryen's wasm-opt from npm comes first on PATH, so cargo-leptos never downloads its own.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run build test setup lint unit e2e contract bench

run: setup build
	./target/release/tollgate serve

build:
	cargo leptos build --release

setup:
	scripts/setup.sh

test:
	scripts/setup.sh test
	$(MAKE) lint
	cargo leptos build
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

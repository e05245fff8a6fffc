# miniredis: `make run` starts the server, `make test` runs every test.
CARGO ?= cargo
PORT ?= 6379

.PHONY: all build release run test test-deps smoke bench lint fmt clean

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

## Start the server on $(PORT) (default 6379) with the release build.
run: release
	./target/release/miniredis --port $(PORT)

## The reference redis-server and redis-cli the differential tests need.
test-deps:
	@scripts/ensure-redis.sh
	@scripts/ensure-pyclient.sh

## Every test: unit, property, integration, differential (against redis-server).
test: test-deps
	CI=$${CI:-} MINIREDIS_REQUIRE_REDIS=1 $(CARGO) test --all-targets

## The product sheet's session through real redis-cli.
smoke: test-deps release
	scripts/smoke.sh ./target/release/miniredis

## redis-benchmark against miniredis and redis-server side by side.
bench: test-deps release
	scripts/bench.sh ./target/release/miniredis

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean

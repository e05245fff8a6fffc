# miniredis: `make run` starts the server, `make test` runs every test.
CARGO ?= cargo
PORT ?= 6379

.PHONY: all build release run check-port test test-deps test-replication smoke bench bench-latency eviction-compare client-limits fuzz lint fmt clean

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

## Start the server on $(PORT) (default 6379) with the release build.
run: check-port release
	./target/release/miniredis --port $(PORT)

## Before building, stop if something already listens on 127.0.0.1:$(PORT),
## saying what (ss when it can name the process, else the server's own INFO).
check-port: export PORT_CHECK = $(port_check)
check-port:
	@bash -c "$$PORT_CHECK"

define port_check
p='$(PORT)'; case $$p in ''|0|*[!0-9]*) exit 0;; esac
(exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null || exit 0
who=$$(ss -Hltnp "sport = :$$p" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1)
if [ -z "$$who" ] && exec 3<>/dev/tcp/127.0.0.1/$$p; then
  printf '*2\r\n$$4\r\nINFO\r\n$$6\r\nserver\r\n' >&3
  while IFS= read -r -t 1 line <&3; do
    case $$line in
      miniredis_version:*) who=miniredis; break;;
      redis_version:*) who=redis-server; break;;
      -*) who="a Redis-protocol server"; break;;
    esac
  done
  exec 3<&-
fi
sudo=; [ "$$(id -u)" = 0 ] || sudo='sudo '
if [ -d /run/systemd/system ]; then stop="$${sudo}systemctl disable --now redis-server"; else stop="$${sudo}service redis-server stop"; fi
case $$who in
  redis-server*) [ "$$p" = 6379 ] && svc=", likely the system service Debian's redis-server package starts: stop it with '$$stop'" || svc=": stop it"
    echo "make run: port $$p is taken by $$who$$svc, or use another port: make run PORT=$$((p+1))";;
  miniredis*) echo "make run: port $$p is taken by $$who (an earlier make run still running?): stop it, or use another port: make run PORT=$$((p+1))";;
  *) echo "make run: port $$p is taken by $${who:-another process}: free it, or use another port: make run PORT=$$((p+1))";;
esac >&2
exit 1
endef

## The reference redis-server and redis-cli the differential tests need,
## and a venv with redis-py (target/pyclient) for the client-library tests.
test-deps:
	@scripts/ensure-redis.sh
	@scripts/ensure-pyclient.sh
	@scripts/ensure-nodeclient.sh

## Every test: unit, property, integration, differential (against
## redis-server), then replication with real redis-server and Sentinel.
test: test-deps
	CI=$${CI:-} $(CARGO) test --all-targets
	$(MAKE) test-replication

## Replication both ways with real redis-server 7.0.15 (1,000,000 keys,
## 60 s of writes, partial resyncs, PSYNC2, FAILOVER, WAIT, the master's
## pause and memory beside Redis's), then a Sentinel failover with real
## redis-sentinel. REPL_ARGS=--quick for a short run. The master's longest
## PING round trip during the sync must be at most 0.1 of redis-server's
## (the script's default; 0.2 where SCHED_FIFO is not permitted, which
## the report says); a failed comparison is measured once more.
REPL_ARGS ?=
test-replication: test-deps release
	$(CARGO) build --release --example ping_probe
	target/pyclient/bin/python scripts/replication-check.py --miniredis ./target/release/miniredis --probe ./target/release/examples/ping_probe $(REPL_ARGS)
	target/pyclient/bin/python scripts/sentinel-check.py --server ./target/release/miniredis

## The product sheet's session through real redis-cli.
smoke: test-deps release
	scripts/smoke.sh ./target/release/miniredis

## redis-benchmark against miniredis and redis-server side by side.
bench: test-deps release
	scripts/bench.sh ./target/release/miniredis

## Loop stalls (UNLINK, expiry storm, big inserts, BGSAVE) beside redis-server.
bench-latency: test-deps release
	scripts/bench-latency.sh ./target/release/miniredis

## Every maxmemory policy at 50mb under a 200 MB load, beside redis-server.
eviction-compare: test-deps release
	target/pyclient/bin/python scripts/eviction-compare.py ./target/release/miniredis

## Clients at their limits (slow subscriber, pipelining without reading, a
## 2 GB bulk header, 10,000 idle connections), beside redis-server.
client-limits: test-deps release
	target/pyclient/bin/python scripts/client-limits.py ./target/release/miniredis

## libFuzzer on each fuzz target (fuzz/) for FUZZ_SECONDS each; needs the
## nightly toolchain and cargo-fuzz. The seeds are fuzz/corpus/<target>;
## what a run adds goes to fuzz/corpus-run/<target>, crashes to
## fuzz/artifacts/<target>. `make test` runs the same bodies on stable.
## (Leak detection is off: the command table is leaked on purpose, once.)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= resp inline rdb aof acl_rules
# `address` adds AddressSanitizer (slower; for the C parts: Lua).
FUZZ_SANITIZER ?= none
fuzz:
	@rustup toolchain list 2>/dev/null | grep -q '^nightly' || { echo "make fuzz: needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
	@command -v cargo-fuzz >/dev/null || { echo "make fuzz: needs cargo-fuzz: cargo +nightly install cargo-fuzz --locked" >&2; exit 1; }
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus-run/$$t && \
	  ASAN_OPTIONS=detect_leaks=0 cargo +nightly fuzz run --release --sanitizer $(FUZZ_SANITIZER) $$t corpus-run/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 || exit 1; \
	done

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean

# Engram: `make demo` to see it work, `make test` to check it.
ENGRAM := .build/release/engram

.PHONY: setup build demo test bench fuzz clean pg pg-test

setup:
	@bash scripts/setup.sh

build:
	swift build -c release --product engram
	swift build -c release --product engram-server

demo: setup
	@bash scripts/demo.sh

# Tests run on the release build: the encoder's golden checks embed real text.
test: setup
	swift build -c release --build-tests
	swift test -c release --skip-build

# libFuzzer targets (Fuzz/), built apart from the main build with coverage and AddressSanitizer and run
# FUZZ_SECONDS each; a crash stops the run and leaves its input in .build-fuzz/crashes/ (kept as a
# regression test under fixtures/fuzz/ once fixed). Swift's backtracer is off: under ASan it reports itself.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzTokenizer FuzzExtractor FuzzChunker FuzzLexical
fuzz: setup
	cd Fuzz && swift build -c release --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer --scratch-path ../.build-fuzz
	@mkdir -p .build-fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  SWIFT_BACKTRACE=enable=no .build-fuzz/release/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/crashes/$$t- .build-fuzz/corpus/$$t fixtures/docs 2>.build-fuzz/$$t.log \
	    || { tail -40 .build-fuzz/$$t.log; exit 1; }; \
	  grep -E "^stat::number_of_executed_units|^Done" .build-fuzz/$$t.log; \
	done

# The PostgreSQL store (engram-pg, Postgres/), built apart: postgres-nio's first build takes minutes
# (docs/postgres.md). `engram … --store postgresql://…` hands over to it.
pg:
	cd Postgres && swift build -c release --product engram-pg

# Its contract suite against both stores, on a local server that scripts/postgres.sh starts.
pg-test: setup
	@bash scripts/pg-test.sh

bench: setup
	@bash Benchmarks/run.sh

clean:
	rm -rf .build Indexes/*.sqlite* Indexes/*.html

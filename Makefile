# Engram: `make demo` to see it work, `make test` to check it.
ENGRAM := .build/release/engram

.PHONY: setup build demo test bench clean

setup:
	@bash scripts/setup.sh

build:
	swift build -c release --product engram

demo: setup
	@bash scripts/demo.sh

# Tests run on the release build: the encoder's golden checks embed real text.
test: setup
	swift build -c release --build-tests
	swift test -c release --skip-build

bench: setup
	@bash Benchmarks/run.sh

clean:
	rm -rf .build Indexes/*.sqlite* Indexes/*.html

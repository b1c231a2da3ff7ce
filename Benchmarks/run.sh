#!/usr/bin/env bash
# `make bench`: Engram's figures, printed. Each benchmark quotes medians over repeats.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGRAM=.build/release/engram
SHARED=${ENGRAM_SHARED:-../shared}
MODEL=$($ENGRAM model info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')

echo "== embedding throughput (first 512 SciFact documents)"
$ENGRAM bench embed --corpus "$SHARED/datasets/scifact/corpus.jsonl" --limit 512 --rounds 3

echo "== indexing: SciFact written out as files, indexed, then re-indexed unchanged"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$ENGRAM bench index --corpus "$SHARED/datasets/scifact/corpus.jsonl" --work "$WORK"
echo "== search latency on that index"
$ENGRAM bench search --index "$WORK/bench.sqlite" --queries "$SHARED/datasets/scifact/queries.jsonl" --count 300 --cold 30

# Side by side with sentence-transformers, in a venv of its own (benchmark-only dependency).
VENV=${ENGRAM_BENCH_VENV:-$HOME/.cache/engram-bench-venv}
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import sentence_transformers' 2>/dev/null; then
  echo "== installing sentence-transformers into $VENV (once)"
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q sentence-transformers
fi
echo "== engram vs sentence-transformers (alternating rounds, torch threads = 2, batch 32)"
"$VENV/bin/python" Benchmarks/compare_sentence_transformers.py --engram "$ENGRAM" --model "$MODEL" \
  --corpus "$SHARED/datasets/scifact/corpus.jsonl" --limit 512 --rounds 5

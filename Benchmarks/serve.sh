#!/usr/bin/env bash
# `engram serve` under load from wrk on loopback: requests/s and latency percentiles for GET /search
# (memory off: each request is one pipeline run) at 1, 4 and 16 connections, and GET /status.
# Index: $ENGRAM_SERVE_INDEX if set, else the demo corpus indexed into a temporary file.
# Usage: Benchmarks/serve.sh [SECONDS per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
ENGRAM=.build/release/engram
SECONDS_PER_RUN=${1:-10}
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }

WORK=$(mktemp -d)
SERVER=""
cleanup() { [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

INDEX=${ENGRAM_SERVE_INDEX:-}
if [[ -z $INDEX ]]; then
  INDEX=$WORK/bench.sqlite
  cp -r fixtures/docs "$WORK/docs"
  $ENGRAM index "$WORK/docs" --index "$INDEX" --quiet >/dev/null
fi
$ENGRAM status --index "$INDEX" | sed -n '2,3p'

$ENGRAM serve --port 0 --index "$INDEX" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
for _ in $(seq 600); do grep -q "listening on" "$WORK/serve.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$WORK/serve.out")
[[ -n $PORT ]] || { echo "server did not start"; cat "$WORK/serve.err"; exit 1; }
BASE=http://127.0.0.1:$PORT

# A few queries in turn, so that no two consecutive requests are the same.
cat >"$WORK/queries.lua" <<'LUA'
local queries = {"how+do+tides+work", "retry+with+backoff", "sourdough+starter", "sleep+and+memory", "git+rebase+conflicts"}
local i = 0
request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/search?q=" .. queries[i] .. "&n=10&memory=false")
end
LUA

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-28s %6s %10s %9s %9s %9s\n" endpoint conns "req/s" p50 p90 p99
run() {  # label connections url [script]
  local out
  out=$(wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "${SECONDS_PER_RUN}s" --latency ${4:+-s "$4"} "$3")
  printf "%-28s %6s %10s %9s %9s %9s\n" "$1" "$2" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="90%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
  grep -E "Non-2xx|Socket errors" <<<"$out" || true
}
for c in 1 4 16; do run "GET /search (hybrid, n=10)" "$c" "$BASE/" "$WORK/queries.lua"; done
for c in 1 16; do run "GET /status" "$c" "$BASE/status"; done
kill -TERM "$SERVER"; wait "$SERVER"; echo "server stopped on SIGTERM with status $?"; SERVER=""

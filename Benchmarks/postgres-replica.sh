#!/usr/bin/env bash
# Beyond one node: a streaming read replica (scripts/postgres.sh replica, pg_basebackup -R on a second port)
# answers searches while the primary indexes. Writes a BEIR collection's documents as files (default:
# cranfield, 1,400 abstracts), indexes them into the primary with engram-pg, and meanwhile searches the
# replica once a second, printing what each side holds and how long the replica's search took.
#
#   Benchmarks/postgres-replica.sh [COLLECTION_DIR]     (needs `make pg`)
set -euo pipefail
cd "$(dirname "$0")/.."
PG=Postgres/.build/release/engram-pg
[ -x "$PG" ] || { echo "build engram-pg first: make pg" >&2; exit 1; }
COLLECTION=${1:-../shared/datasets/cranfield}
WORK=$(mktemp -d /tmp/engram-replica-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$COLLECTION/corpus.jsonl" "$WORK/docs" <<'PY'
import json, os, sys
os.makedirs(sys.argv[2], exist_ok=True)
for line in open(sys.argv[1]):
    d = json.loads(line)
    with open(os.path.join(sys.argv[2], f"{d['_id']}.txt"), "w") as f:
        f.write((d.get("title") or "") + "\n\n" + d["text"] + "\n")
PY
echo "files: $(ls "$WORK/docs" | wc -l)"

scripts/postgres.sh start >/dev/null
DB=replica_demo_$$
scripts/postgres.sh psql -q -c "CREATE DATABASE $DB"
trap 'scripts/postgres.sh psql -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
PRIMARY=$(scripts/postgres.sh url | sed "s#/engram\$#/$DB#")
REPLICA=$(scripts/postgres.sh replica | sed "s#/engram\$#/$DB#")
echo "primary $PRIMARY"
echo "replica $REPLICA"

# A first file, so the replica holds an index (schema and model) before the big run starts.
mkdir -p "$WORK/first" && cp "$(ls -d "$WORK"/docs/* | head -1)" "$WORK/first/"
$PG index "$WORK/first" --store "$PRIMARY" -q >/dev/null
sleep 1

start=$(date +%s%N)
$PG index "$WORK/docs" --store "$PRIMARY" -q --json >"$WORK/summary.json" 2>"$WORK/index.err" &
indexer=$!
ok=0; failed=0
count() { $PG status --store "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])' 2>/dev/null || echo "?"; }
printf '%6s %14s %14s %18s\n' "t (s)" "primary docs" "replica docs" "replica search ms"
while kill -0 $indexer 2>/dev/null; do
    t0=$(date +%s%N)
    if $PG search "boundary layer flow over a flat plate" -n 5 -l --store "$PRIMARY" --read-store "$REPLICA" >/dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    t=$(( ($(date +%s%N) - start) / 100000000 ))
    printf '%4d.%d %14s %14s %18s\n' $((t / 10)) $((t % 10)) "$(count "$PRIMARY")" "$(count "$REPLICA")" "$ms"
    sleep 1
done
wait $indexer
echo "index: $(cat "$WORK/summary.json")"
for _ in $(seq 1 30); do [ "$(count "$REPLICA")" = "$(count "$PRIMARY")" ] && break; sleep 1; done
echo "searches on the replica during indexing: $ok answered, $failed failed"
echo "after: primary $(count "$PRIMARY") documents, replica $(count "$REPLICA")"
echo "top hits on the replica:"
$PG search "boundary layer flow over a flat plate" -n 3 -l --store "$PRIMARY" --read-store "$REPLICA"

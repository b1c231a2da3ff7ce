#!/usr/bin/env bash
# Both stores on the six BEIR collections with the same vectors (docs/postgres.md, "Measured"): each
# collection's SQLite index (engram eval beir's cache, $ENGRAM_HOME/cache/beir-NAME.sqlite; copied, never
# written) is imported into a PostgreSQL database of its own, then scored on SQLite, on PostgreSQL with the
# exact scan and with HNSW, and with full-text search as the lexical side. JSON lines on stdout.
#
#   Benchmarks/postgres-quality.sh [DATASETS_DIR]      (needs `make pg` and the cached indexes)
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS=${1:-../shared/datasets}
PG=Postgres/.build/release/engram-pg
CACHE=${ENGRAM_HOME:-$HOME/.local/share/engram}/cache
[ -x "$PG" ] || { echo "build engram-pg first: make pg" >&2; exit 1; }
WORK=$(mktemp -d /tmp/engram-quality-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
BASE=$(scripts/postgres.sh start | sed 's#/engram$##')
for c in scifact cacm cranfield lisa medline npl; do
    [ -f "$CACHE/beir-$c.sqlite" ] || { echo "no $CACHE/beir-$c.sqlite (engram eval beir $DATASETS/$c makes it)" >&2; continue; }
    cp "$CACHE/beir-$c.sqlite" "$WORK/"
    scripts/postgres.sh psql -q -c "CREATE DATABASE beir_$c" 2>/dev/null || true
    echo "$c: import" >&2
    $PG import "$WORK/beir-$c.sqlite" --store "$BASE/beir_$c" >&2
    $PG eval beir "$DATASETS/$c" --store "$WORK/beir-$c.sqlite" --json
    $PG eval beir "$DATASETS/$c" --store "$BASE/beir_$c" --scan exact --json
    $PG eval beir "$DATASETS/$c" --store "$BASE/beir_$c" --scan hnsw --json
    $PG eval beir "$DATASETS/$c" --store "$BASE/beir_$c" --scan exact --lexical fts5 --mode lexical --mode hybrid --json
    $PG eval beir "$DATASETS/$c" --store "$WORK/beir-$c.sqlite" --lexical fts5 --mode lexical --mode hybrid --json
done

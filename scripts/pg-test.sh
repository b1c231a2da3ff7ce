#!/usr/bin/env bash
# The PostgreSQL store (Postgres/) built and its contract suite run against both stores, on a local server
# that this script starts (scripts/postgres.sh) and stops again if it was not running before. Kept apart from
# `make test`: postgres-nio's first build takes minutes. Expects `make setup` done (the model installed).
set -euo pipefail
cd "$(dirname "$0")/.."
started=0
if ! scripts/postgres.sh url >/dev/null 2>&1; then
    if scripts/postgres.sh start >/dev/null; then started=1; fi
fi
url=$(scripts/postgres.sh url 2>/dev/null || true)
root=$PWD
if [ "$started" = 1 ]; then trap 'rc=$?; "$root/scripts/postgres.sh" stop; exit $rc' EXIT; fi
cd Postgres
swift build -c release --build-tests
# Without a URL (the server could not start) the PostgreSQL suite says why in one line and is skipped.
ENGRAM_TEST_PG_URL=$url swift test -c release --skip-build "$@"

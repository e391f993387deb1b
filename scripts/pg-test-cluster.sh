#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL 15 cluster for tests and benchmarks.
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports TUNEGATE_TEST_DATABASE_URL and PG_TEST_DIR
#   scripts/pg-test-cluster.sh stop "$PG_TEST_DIR"
# Runs the server as user `postgres` (initdb refuses root), on a unix socket and a
# loopback port, with fsync on (benchmarks measure durable commits).
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-start}

ensure_binaries() {
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL binaries not found in $PGBIN; installing postgresql" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
}

case "$cmd" in
  start)
    ensure_binaries
    port=${PG_TEST_PORT:-$(( 20000 + RANDOM % 20000 ))}
    dir=$(mktemp -d /tmp/tunegate-pg.XXXXXX)
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    run_pg "'$PGBIN/initdb' -D '$dir/data' -U postgres -A trust --no-sync -E UTF8 >'$dir/initdb.log' 2>&1" \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    run_pg "'$PGBIN/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB\" start >/dev/null" \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PG_TEST_DIR='$dir'"
    echo "export TUNEGATE_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
    ;;
  stop)
    dir=${2:?usage: pg-test-cluster.sh stop DIR}
    ensure_binaries
    if [ "$(id -u)" = 0 ]; then
      su postgres -s /bin/sh -c "'$PGBIN/pg_ctl' -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true
    else
      "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

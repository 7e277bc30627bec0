#!/usr/bin/env bash
# Start throwaway PostgreSQL and Redis servers on loopback for the test suite, installing them from
# Debian packages when missing. Prints the TEST_DATABASE_URL / TEST_REDIS_URL to use (on stdout, and
# nothing else there: .ci/run evals it; progress goes to stderr).
#   scripts/services.sh start | stop
set -euo pipefail
PGPORT=${PGPORT:-5433}
REDISPORT=${REDISPORT:-6380}
BASE=${SERVICES_DIR:-/tmp/ccbot-services}
action=${1:-start}

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

install_missing() {
  local need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  if ((${#need[@]})); then
    echo "installing ${need[*]} from Debian packages..." >&2  # stdout is only the URLs (.ci/run evals it)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

start() {
  install_missing >&2
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p "$BASE"
  [ "$(id -u)" = 0 ] && chown postgres "$BASE"
  if ! "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
    if [ ! -f "$BASE/pg/PG_VERSION" ]; then
      as_pg "$pgbin/initdb -D $BASE/pg -U postgres --auth=trust -E UTF8 >/dev/null"
    fi
    as_pg "$pgbin/pg_ctl -D $BASE/pg -l $BASE/pg.log -w -o \"-p $PGPORT -k $BASE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start >/dev/null"
  fi
  local psql=("$pgbin/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1)
  if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='ccbot'")" != 1 ]; then
    "${psql[@]}" -c "CREATE ROLE ccbot LOGIN PASSWORD 'ccbot'"
    "${psql[@]}" -c "CREATE DATABASE ccbot OWNER ccbot"
  fi
  if ! redis-cli -p "$REDISPORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$BASE" --logfile "$BASE/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "TEST_DATABASE_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:$PGPORT/ccbot"
  echo "TEST_REDIS_URL=redis://127.0.0.1:$REDISPORT/0"
}

stop() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pgbin" ] && [ -f "$BASE/pg/PG_VERSION" ] && as_pg "$pgbin/pg_ctl -D $BASE/pg -m fast stop" || true
  redis-cli -p "$REDISPORT" shutdown nosave >/dev/null 2>&1 || true
}

"$action"

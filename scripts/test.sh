#!/usr/bin/env bash
# Set everything up and run the test suite (SQLite; with TEST_DATABASE_URL / TEST_REDIS_URL also
# PostgreSQL and Redis). Arguments go to pytest, e.g. `scripts/test.sh -m slow` for the slow checks.
#
# The default suite on SQLite runs on two workers (pytest-xdist; every test has its own database file),
# which halves its time on two cores. It stays on one worker when the arguments choose the tests' marks,
# the workers or the plugins (-m, -n, -p: e.g. `-p no:xdist`), with PostgreSQL or Redis (one shared
# database each), and under faketime (libfaketime makes the workers spin for ever).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
parallel=1
if [ -n "${TEST_DATABASE_URL:-}${TEST_REDIS_URL:-}" ] || [[ "${LD_PRELOAD:-}" == *faketime* ]]; then
  parallel=0
fi
for arg in "$@"; do
  case "$arg" in
    -m* | -n* | --numprocesses* | -p*) parallel=0 ;;
  esac
done
if [ "$parallel" = 1 ]; then
  exec .venv/bin/pytest -n 2 "$@"
fi
exec .venv/bin/pytest "$@"

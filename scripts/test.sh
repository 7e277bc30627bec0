#!/usr/bin/env bash
# Set everything up and run the test suite (SQLite; with TEST_DATABASE_URL / TEST_REDIS_URL also
# PostgreSQL and Redis). Arguments go to pytest, e.g. `scripts/test.sh -m slow` for the slow checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/pytest "$@"

#!/usr/bin/env bash
# Set everything up and run the bot (long polling, SQLite under data/ unless DATABASE_URL says otherwise).
# Needs BOT_TOKEN in .env or the environment; see .env.example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m bot "$@"

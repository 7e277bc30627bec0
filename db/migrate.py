"""Apply Alembic migrations from code (used by `python -m bot` and the tests).

Alembic's async env calls asyncio.run, so call these from synchronous code (or a worker thread).

Several bot processes may start at once on one PostgreSQL database: each runs `upgrade`, and
migrations/env.py makes them take turns on a PostgreSQL advisory lock (MIGRATION_LOCK_KEY). The first
migrates; the others wait on the lock and then find the version table at the head, so they apply
nothing. SQLite is one process's database and needs no lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# Any 64-bit number no other code locks on: "ccbot-mg" in ASCII.
MIGRATION_LOCK_KEY = 0x6363626F742D6D67

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)

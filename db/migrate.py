"""Apply Alembic migrations from code (used by `python -m bot` and the tests).

Alembic's async env calls asyncio.run, so call these from synchronous code (or a worker thread).

Several bot processes may start at once on one PostgreSQL database: each runs `upgrade`, and
migrations/env.py makes them take turns on a PostgreSQL advisory lock (MIGRATION_LOCK_KEY). The first
migrates; the others wait on the lock and then find the version table at the head, so they apply
nothing. SQLite is one process's database and needs no lock.

The migrations 0001–0013 were squashed into one, 0014_schema (see its docstring). A database Alembic
left at 0013_merge_issue_16_17_20 already has that schema: adopt_squashed_history re-stamps it
0014_schema before Alembic reads the version table (env.py calls it under the same lock). A database at
an older revision stops start-up with SchemaTooOld, which says what to do.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

# Any 64-bit number no other code locks on: "ccbot-mg" in ASCII.
MIGRATION_LOCK_KEY = 0x6363626F742D6D67

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

BASELINE = "0014_schema"
SQUASHED_HEAD = "0013_merge_issue_16_17_20"
LAST_COMMIT_WITH_CHAIN = "a68fc75"
OLDER_REVISIONS = frozenset(
    {
        "0001_baseline",
        "0002_notifications",
        "0003_booking",
        "0004_consultations",
        "0005_events",
        "0006_ideas",
        "0007_showcase",
        "0008_broadcasts",
        "0009_merge_features",
        "0010_report_offline_recipients",
        "0011_job_leases",
        "0012_w16x_flows",
        "0012_w17_staff_topics",
        "0012_w20_messenger",
    }
)


class SchemaTooOld(RuntimeError):
    """The database is at a revision from before the squash, older than 0013: this version cannot
    upgrade it."""


def adopt_squashed_history(connection: Connection) -> None:
    """Re-stamp a database at 0013_merge_issue_16_17_20 as 0014_schema (the same schema); refuse one at
    an older revision. Commits, so Alembic starts from a clean transaction."""
    if inspect(connection).has_table("alembic_version"):
        versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        if versions == {SQUASHED_HEAD}:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :baseline"), {"baseline": BASELINE}
            )
        elif versions & OLDER_REVISIONS:
            raise SchemaTooOld(
                f"The database is at migration revision {', '.join(sorted(versions))}, older than "
                f"{SQUASHED_HEAD}; this version of the bot can only upgrade a database at {SQUASHED_HEAD} "
                f"or later. Run the bot once from commit {LAST_COMMIT_WITH_CHAIN} (the last one with every "
                f"old migration) to bring the database to {SQUASHED_HEAD}, then start this version again."
            )
    connection.commit()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)

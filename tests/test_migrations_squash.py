"""The migrations 0001–0013 squashed into 0014_schema: a database the old chain left at 0013 is taken over
without a change to its schema or rows; one at an older revision stops start-up with a message saying
what to do. On SQLite always, on PostgreSQL when TEST_DATABASE_URL is set.

Synchronous on purpose: Alembic's async env calls asyncio.run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import BASELINE, SQUASHED_HEAD, SchemaTooOld, alembic_config, upgrade
from db.models import Base
from tests.conftest import PG_URL, reset_pg
from tests.test_migrations import _diff


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/squash.db"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    reset_pg(PG_URL)
    yield PG_URL
    reset_pg(PG_URL)


def _sql(url: str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Run the statements in one transaction; the rows each returns (empty for those returning none)."""

    async def run() -> list[list[tuple[Any, ...]]]:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            results = [await conn.execute(text(statement)) for statement in statements]
            rows = [[tuple(row) for row in result] if result.returns_rows else [] for result in results]
        await engine.dispose()
        return rows

    return asyncio.run(run())


def _versions(url: str) -> list[str]:
    return [row[0] for row in _sql(url, "SELECT version_num FROM alembic_version")[0]]


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the test does."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().upper())

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_database_at_0013_is_restamped_without_ddl(url: str, statements: list[str]) -> None:
    upgrade(url)
    _sql(
        url,
        "INSERT INTO users (status, news_opt_in, digest_enabled, reminders_enabled, reminder_lead_minutes,"
        " interest_districts, interest_topics, created_at, tg_id, full_name)"
        " VALUES ('active', true, true, true, 60, '[]', '[]', '2026-12-01 10:00:00', 42, 'Анна')",
        f"UPDATE alembic_version SET version_num = '{SQUASHED_HEAD}'",
    )
    statements.clear()

    upgrade(url)

    assert _versions(url) == [BASELINE]
    assert not [s for s in statements if s.startswith(("CREATE", "ALTER", "DROP"))]
    rows = _sql(url, "SELECT tg_id, full_name FROM users")
    assert rows == [[(42, "Анна")]]
    assert _diff(url) == []


@pytest.mark.parametrize(
    "older",
    [
        ["0010_report_offline_recipients"],
        ["0012_w16x_flows", "0012_w17_staff_topics", "0012_w20_messenger"],  # the heads before the merge
    ],
)
def test_database_at_an_older_revision_stops_start_up(url: str, older: list[str]) -> None:
    upgrade(url)
    _sql(url, "DELETE FROM alembic_version", *(f"INSERT INTO alembic_version VALUES ('{v}')" for v in older))

    with pytest.raises(SchemaTooOld) as stopped:
        upgrade(url)

    message = str(stopped.value)
    assert all(revision in message for revision in older)
    assert "Run the bot once from commit a68fc75" in message
    assert f"to bring the database to {SQUASHED_HEAD}, then start this version again" in message
    assert sorted(_versions(url)) == older  # left as it was


def test_downgrade_drops_the_whole_schema(url: str) -> None:
    upgrade(url)
    command.downgrade(alembic_config(url), "base")

    assert _versions(url) == []
    missing = _diff(url)
    assert {step for step, *_ in missing} == {"add_table", "add_index"}  # with each table its indexes
    assert {table.name for step, table in missing if step == "add_table"} == set(Base.metadata.tables)

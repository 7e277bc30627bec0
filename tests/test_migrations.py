"""Alembic migrations are the only way the schema changes: they must produce exactly the models.

Synchronous on purpose: Alembic's async env calls asyncio.run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import upgrade
from db.models import Base
from tests.conftest import PG_URL, reset_pg


def _diff(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return diff

    return asyncio.run(compare())


def test_migrations_match_models(tmp_path: Any) -> None:
    url = PG_URL or f"sqlite+aiosqlite:///{tmp_path}/migrated.db"
    if PG_URL:
        reset_pg(url)
    try:
        upgrade(url)
        upgrade(url)  # idempotent: a second start applies nothing
        assert _diff(url) == []
    finally:
        if PG_URL:
            reset_pg(url)


def test_one_head() -> None:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"merge the migration heads: {heads}"

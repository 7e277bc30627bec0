"""Several bot processes starting at once on one PostgreSQL database migrate it once: one takes the
advisory lock (db.migrate.MIGRATION_LOCK_KEY), the others wait for it and then apply nothing.

Real processes (`python -c "...upgrade(url)"`), as several instances would be: Alembic's environment is
module-global, so threads would not be a fair test. PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import MIGRATION_LOCK_KEY
from tests.conftest import PG_URL
from tests.test_migrations import _diff

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")


# Alembic logs each step it applies ("Running upgrade a -> b") at INFO.
MIGRATE = (
    "import logging, sys; logging.basicConfig(level=logging.INFO); "
    "from db.migrate import upgrade; upgrade(sys.argv[1])"
)


def _start_migration(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MIGRATE, url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _scalar(url: str, sql: str) -> Any:
    async def run() -> Any:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            value = (await conn.execute(text(sql))).all()
        await engine.dispose()
        return value

    return asyncio.run(run())


def test_processes_starting_at_once_migrate_once(empty_pg: str) -> None:
    processes = [_start_migration(empty_pg) for _ in range(4)]
    results = [(p.wait(timeout=180), p.stderr.read() if p.stderr else "") for p in processes]
    for code, stderr in results:
        assert code == 0, stderr
    assert _diff(empty_pg) == []
    versions = _scalar(empty_pg, "SELECT version_num FROM alembic_version")
    assert len(versions) == 1
    # Exactly one of them ran the migrations; Alembic logs each step it applies.
    migrated = [stderr for _, stderr in results if "Running upgrade" in stderr]
    assert len(migrated) == 1, [s[-300:] for _, s in results]


def test_a_starting_process_waits_for_the_lock(empty_pg: str) -> None:
    async def hold_lock_while(check: Any) -> None:
        engine = create_async_engine(empty_pg)
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.commit()
            await check()
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.commit()
        await engine.dispose()

    process = _start_migration(empty_pg)

    async def while_held() -> None:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:  # long enough to import and connect and migrate
            assert process.poll() is None, "migrated while another process held the lock"
            await asyncio.sleep(0.2)
        assert await _tables(empty_pg) == []

    asyncio.run(hold_lock_while(while_held))
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    assert _diff(empty_pg) == []


async def _tables(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).all()
    await engine.dispose()
    return [r[0] for r in rows]

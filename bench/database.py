"""The benchmarks' database: a SQLite file, or a PostgreSQL schema of the bench's own (dropped and made
anew), so a bench never touches the tables of the test suite or the bot on the same server."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Database, write
from db.models import Base, User
from db.models.core import UserStatus

# What registration leaves on a resident's row: every notice on, reminders a day ahead, no interests.
# Bulk inserts of people (a Core insert, no ORM defaults on lists) spread it into each row.
RESIDENT_DEFAULTS: dict[str, Any] = {
    "news_opt_in": True,
    "digest_enabled": True,
    "reminders_enabled": True,
    "reminder_lead_minutes": 1440,
    "interest_districts": [],
    "interest_topics": [],
}


async def open_db(url: str, schema: str, *, create: bool = True, **pool: Any) -> Database:
    """``create``: a fresh schema with every table; otherwise the existing one. ``pool``: engine options
    for PostgreSQL (pool_size, max_overflow) where a bench races many sessions at once."""
    db = Database(url)
    if not db.is_sqlite:
        if create:
            async with db.engine.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await db.engine.dispose()
        db.engine = create_async_engine(
            db.url, connect_args={"server_settings": {"search_path": schema}}, **pool
        )
        db.sessionmaker.configure(bind=db.engine)
    if create:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    return db


async def close_db(db: Database, schema: str) -> None:
    """Drops the bench's PostgreSQL schema (a SQLite file goes with its temporary folder)."""
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    await db.dispose()


async def make_users(db: Database, count: int, offset: int = 10_000, **fields: Any) -> list[User]:
    """``count`` registered people with tg ids from ``offset`` on; ``fields``: more columns for each."""
    async with db.session() as s, write(s):
        users = [
            User(tg_id=offset + n, full_name=f"U{n}", status=UserStatus.REGISTERED, **fields)
            for n in range(count)
        ]
        s.add_all(users)
    return users


async def on_each_database(
    run: Callable[[str, str], Awaitable[Any]], sqlite_label: str, pg_label: str
) -> bool:
    """``run(url, label)`` on a temporary SQLite file, then on BENCH_PG_URL where it is set (True then)."""
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{tmp}/bench.db", sqlite_label)
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        await run(pg, pg_label)
    return bool(pg)

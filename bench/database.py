"""The benchmarks' database: a SQLite file, or a PostgreSQL schema of the bench's own (dropped and made
anew), so a bench never touches the tables of the test suite or the bot on the same server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Database
from db.models import Base


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

"""Rows for every table of the schema, made from the column types (not from the features), so a table
another branch adds is filled too: used by the backup drill and the SQLite -> PostgreSQL move.

Rows are added after any the migrations seeded (topics, categories, resources): row ``i`` has the next
free primary key, a foreign key pointing at the ``i``-th row (cyclically) of the table it refers to, distinct values in every column (so unique constraints hold), NULL in every fourth
nullable column, and awkward text: Cyrillic, quotes, newlines, emoji, microseconds in timestamps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from db.base import UTCDateTime
from db.models import Base

BASE_MOMENT = datetime(2026, 3, 1, 4, 30, tzinfo=UTC)


def column_value(column: Any, i: int, ids: dict[str, list[Any]], first_id: int = 1) -> Any:
    if column.foreign_keys:
        parent = next(iter(column.foreign_keys)).column.table.name
        if parent == column.table.name:  # a row pointing at a row of its own table (users.linked_to_id)
            return None
        return ids[parent][i % len(ids[parent])]
    if column.primary_key and isinstance(column.type, Integer):
        return first_id + i
    if column.nullable and not column.primary_key and not column.unique and i % 4 == 3:
        return None
    kind = column.type
    name = column.name
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, SmallInteger):
        return i % 100
    if isinstance(kind, BigInteger):
        return (-1001000000000 - i) if "chat" in name else 7_000_000_000 + i * 13
    if isinstance(kind, Integer):
        return i * 3 + 1
    if isinstance(kind, Float | Numeric):
        return i + 0.25
    if isinstance(kind, UTCDateTime | DateTime):
        return BASE_MOMENT + timedelta(hours=i, microseconds=i * 7 + 1)
    if isinstance(kind, Date):
        return date(2026, 1, 1) + timedelta(days=i)
    if isinstance(kind, Time):
        return time(i % 24, 30)
    if isinstance(kind, JSON):
        return {"n": i, "текст": "ёж «ёлка» 🎄", "list": [i, None, True], "nested": {"a": "b"}}
    if isinstance(kind, Text):
        return f"Строка {i} of {name}\nвторая «кавычки» 'single' \"double\" \\ ; -- 🎉"
    if isinstance(kind, String):
        value = f"{name}-{i}-ёж'\""
        return value[: kind.length] if kind.length else value
    raise TypeError(f"no test value for {column.table.name}.{name} ({kind!r})")


def table_row(table: Any, i: int, ids: dict[str, list[Any]], first_id: int = 1) -> dict[str, Any]:
    return {column.name: column_value(column, i, ids, first_id) for column in table.columns}


async def populate(conn: AsyncConnection, rows: int = 5) -> dict[str, list[Any]]:
    """Add ``rows`` rows to every table of the models (parents first). Returns every table's ids."""
    ids: dict[str, list[Any]] = {}
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        first_id = 1
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            first_id = ((await conn.scalar(select(func.max(pk[0])))) or 0) + 1
        new = [table_row(table, i, ids, first_id) for i in range(rows)]
        await conn.execute(insert(table), new)
        existing = [row[0] for row in await conn.execute(select(pk[0]).order_by(pk[0]))]
        ids[table.name] = existing
    return ids


async def dump(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as the models' types read them."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        result[table.name] = [tuple(row) for row in await conn.execute(select(table).order_by(*order))]
    return result


def run_on(url: str, work: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
    """``work(conn)`` in one transaction on the database at ``url``, from synchronous code (the ops
    commands and Alembic run their own event loops)."""

    async def run() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())

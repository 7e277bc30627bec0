"""Operations commands (docs/OPERATIONS.md):

    python -m bot.ops backup PATH                  a consistent SQLite snapshot, safe while the bot runs
    python -m bot.ops restore SNAPSHOT             put a snapshot back (stop the bot first)
    python -m bot.ops sqlite-to-postgres SQLITE POSTGRES_URL
                                                   move an SQLite database into an empty PostgreSQL one

The database is DATABASE_URL (the environment or .env, as for the bot) unless --database is given.
PostgreSQL is backed up with pg_dump (the line is printed by `backup` and given in OPERATIONS.md).
Exit codes: 0 done, 1 failed (one line on stderr says why), 2 wrong use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from db import migrate
from db.models import Base

PG_DUMP_LINE = "pg_dump --format=custom --file=ccbot-$(date +%F).dump '<DATABASE_URL without +asyncpg>'"


class OpsError(Exception):
    """A refusal or failure the operator can act on: printed as one line."""


# --- SQLite snapshots -------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise OpsError("this is not an SQLite database; back PostgreSQL up with pg_dump:\n  " + PG_DUMP_LINE)
    if not parsed.database or parsed.database == ":memory:":
        raise OpsError("the SQLite URL names no file")
    return Path(parsed.database)


def _integrity(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{path}: not a readable SQLite database ({exc})") from None
    finally:
        conn.close()
    if result != "ok":
        raise OpsError(f"{path}: integrity check failed: {result}")


def _copy(source: Path, target: Path, *, source_mode: str = "ro") -> None:
    """SQLite's online backup API: the copy is one consistent moment of ``source`` even while other
    processes write to it (in WAL mode writers are not blocked; the copy is taken in one step under
    one read transaction)."""
    src = sqlite3.connect(f"file:{source}?mode={source_mode}", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # pages=-1: everything in one step, from one snapshot
        dst.commit()
    finally:
        dst.close()
        src.close()


def backup(url: str, destination: Path) -> int:
    """Write a consistent snapshot of the SQLite database at ``url`` to ``destination`` (atomically: a
    temporary file is checked and then renamed). Returns its size in bytes."""
    source = sqlite_path(url)
    if not source.exists():
        raise OpsError(f"{source}: no such database")
    destination = destination.resolve()
    if destination == source.resolve():
        raise OpsError("the snapshot must not be the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        _integrity(partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination.stat().st_size


def restore(url: str, snapshot: Path) -> Path | None:
    """Put ``snapshot`` back as the SQLite database at ``url``; the database it replaces is kept
    beside it as ``<name>.before-restore``. Run it with the bot stopped."""
    target = sqlite_path(url)
    if not snapshot.exists():
        raise OpsError(f"{snapshot}: no such snapshot")
    _integrity(snapshot)
    kept = None
    if target.exists():
        kept = target.with_name(target.name + ".before-restore")
        kept.unlink(missing_ok=True)
        _copy(target, kept, source_mode="rw")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes the snapshot into the live file through SQLite (its -wal included), so
    # no stale write-ahead log can be replayed over the restored pages.
    _copy(snapshot, target)
    _integrity(target)
    return kept


# --- SQLite -> PostgreSQL ---------------------------------------------------------------------------

BATCH = 1000


def _serial_pk(table: Any) -> Any:
    """The table's single integer primary key that the database numbers (has a sequence), or None."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
        return pk[0]
    return None


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    return {
        table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        for table in Base.metadata.sorted_tables
    }


async def _rows(conn: AsyncConnection, table: Any) -> list[tuple[Any, ...]]:
    order = list(table.primary_key.columns)
    return [tuple(row) for row in await conn.execute(select(table).order_by(*order))]


async def _holds_only_seeds(dst: AsyncConnection, seeds_url: str) -> dict[str, int]:
    """Tables of the target holding rows a newly migrated database does not hold: {table: rows}. Empty
    means the target is new (perhaps a bot started on it once). The migrations seed no rows today (the
    app seeds its lists on first use); a migration that seeds some keeps the target movable."""
    seeds = create_async_engine(seeds_url)
    try:
        async with seeds.connect() as fresh:
            extra = {}
            for table in Base.metadata.sorted_tables:
                count = (await dst.execute(select(func.count()).select_from(table))).scalar_one()
                if count and await _rows(dst, table) != await _rows(fresh, table):
                    extra[table.name] = count
            return extra
    finally:
        await seeds.dispose()


async def _move(source_url: str, target_url: str, seeds_url: str, out: Any) -> dict[str, int]:
    source = create_async_engine(source_url)
    target = create_async_engine(target_url)
    try:
        async with source.connect() as src, target.begin() as dst:
            filled = await _holds_only_seeds(dst, seeds_url)
            if filled:
                raise OpsError(
                    "the PostgreSQL database is not empty ("
                    + ", ".join(f"{name}: {n}" for name, n in sorted(filled.items()))
                    + "); move into a new, empty database"
                )
            # The seeded rows come again from the SQLite database (which staff may have edited).
            for table in reversed(Base.metadata.sorted_tables):
                await dst.execute(table.delete())
            moved: dict[str, int] = {}
            for table in Base.metadata.sorted_tables:  # parents before children
                order = list(table.primary_key.columns)
                result = await src.stream(select(table).order_by(*order))
                count = 0
                async for rows in result.mappings().partitions(BATCH):
                    await dst.execute(insert(table), [dict(row) for row in rows])
                    count += len(rows)
                moved[table.name] = count
                pk = _serial_pk(table)
                if pk is not None:  # new rows continue after the moved ones
                    await dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk.name}'), "
                            f'COALESCE((SELECT MAX("{pk.name}") FROM "{table.name}"), 0) + 1, false)'
                        )
                    )
                print(f"  {table.name}: {count}", file=out)
            after = await _counts(dst)
            if after != moved:
                raise OpsError(f"row counts differ after the move: {after} != {moved}")
            return moved
    finally:
        await source.dispose()
        await target.dispose()


def sqlite_to_postgres(source_url: str, target_url: str, out: Any = sys.stdout) -> dict[str, int]:
    """Copy every row of every table from SQLite into an empty PostgreSQL database, in one
    transaction (all or nothing). Both are first migrated to the same (latest) schema."""
    if "://" not in source_url:  # a plain path
        source_url = f"sqlite+aiosqlite:///{source_url}"
    source_path = sqlite_path(source_url)
    if not source_path.exists():
        raise OpsError(f"{source_path}: no such database")
    parsed = make_url(target_url)
    if parsed.get_backend_name() != "postgresql":
        raise OpsError("the target must be postgresql+asyncpg://user:password@host/db")
    if parsed.drivername == "postgresql":
        target_url = parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    print("migrating both databases to the latest schema", file=out)
    migrate.upgrade(source_url)
    migrate.upgrade(target_url)
    with tempfile.TemporaryDirectory() as scratch:
        seeds_url = f"sqlite+aiosqlite:///{scratch}/seeds.db"  # what a new database holds
        migrate.upgrade(seeds_url)
        print("copying", file=out)
        return asyncio.run(_move(source_url, target_url, seeds_url, out))


# --- command line -----------------------------------------------------------------------------------


def _database_url(given: str | None) -> str:
    if given:
        return given
    from bot.config import Settings

    return Settings().database_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.ops", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: DATABASE_URL from the environment/.env)")
    commands = parser.add_subparsers(dest="command", required=True)
    p_backup = commands.add_parser("backup", help="write a consistent SQLite snapshot (safe while running)")
    p_backup.add_argument("path", type=Path)
    p_restore = commands.add_parser("restore", help="put an SQLite snapshot back (stop the bot first)")
    p_restore.add_argument("snapshot", type=Path)
    p_move = commands.add_parser("sqlite-to-postgres", help="move SQLite data into an empty PostgreSQL")
    p_move.add_argument("sqlite", help="the SQLite file (or its sqlite+aiosqlite:/// URL)")
    p_move.add_argument("postgres", help="postgresql+asyncpg://user:password@host/db (empty)")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            size = backup(_database_url(args.database), args.path)
            print(f"snapshot written: {args.path} ({size} bytes, integrity ok)")
        elif args.command == "restore":
            kept = restore(_database_url(args.database), args.snapshot)
            print(
                f"restored from {args.snapshot}"
                + (f"; the replaced database is kept as {kept}" if kept else "")
            )
        else:
            moved = sqlite_to_postgres(args.sqlite, args.postgres)
            print(
                f"moved {sum(moved.values())} rows in {len(moved)} tables; set DATABASE_URL to the new database"
            )
    except (OpsError, sqlite3.Error, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

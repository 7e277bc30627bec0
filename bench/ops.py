"""Operations on a Center's year: the SQLite file's size, a backup snapshot, and the move to PostgreSQL.

    .venv/bin/python bench/ops.py [people]          # default 10,000 people and a year of activity
    BENCH_PG_URL=postgresql+asyncpg://... .venv/bin/python bench/ops.py   # also times sqlite-to-postgres

Seeds with bench/report.py's generator (every feature, bulk inserts), then runs the real commands
(`python -m bot.ops backup` and `sqlite-to-postgres`) and prints their wall times. The PostgreSQL
database must be empty (its public schema is dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.report import seed_core, seed_events_ideas, seed_messaging, seed_showcase
from db.engine import Database
from db.migrate import upgrade
from db.models import Base

ROOT = Path(__file__).resolve().parent.parent


def ops(*args: str) -> float:
    t0 = time.perf_counter()
    done = os.spawnv(os.P_WAIT, sys.executable, [sys.executable, "-m", "bot.ops", *args])
    if done != 0:
        raise SystemExit(f"bot.ops {args[0]} failed ({done})")
    return time.perf_counter() - t0


async def seed(url: str, people: int) -> float:
    db = Database(url)
    async with db.engine.begin() as conn:  # the generator brings its own topics, categories, resources
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
    t0 = time.perf_counter()
    rng = random.Random(13)
    for step in (seed_core, seed_events_ideas, seed_showcase, seed_messaging):
        await step(db, people, rng)
    await db.dispose()
    return time.perf_counter() - t0


async def drop_public(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    pg = os.environ.get("BENCH_PG_URL")
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db_file = Path(tmp) / "bot.db"
        url = f"sqlite+aiosqlite:///{db_file}"
        upgrade(url)
        seconds = asyncio.run(seed(url, people))
        size = sum(p.stat().st_size for p in Path(tmp).glob("bot.db*"))
        print(f"seeded {people:,} people and a year of activity in {seconds:.0f} s: {size / 2**20:.1f} MB")
        snapshot = Path(tmp) / "snapshot.db"
        backup_s = ops("--database", url, "backup", str(snapshot))
        print(f"backup: {backup_s:.1f} s (process start included), {snapshot.stat().st_size / 2**20:.1f} MB")
        if pg:
            asyncio.run(drop_public(pg))
            try:
                move_s = ops("sqlite-to-postgres", str(db_file), pg)
                print(f"sqlite-to-postgres: {move_s:.1f} s (migrations of both included)")
            finally:
                asyncio.run(drop_public(pg))


if __name__ == "__main__":
    main()

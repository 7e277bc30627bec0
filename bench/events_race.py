"""Latency of concurrent event sign-ups and wait-list traffic (services.events), printed as figures.

    .venv/bin/python bench/events_race.py                  # SQLite (a temporary file)
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot .venv/bin/python bench/events_race.py

PostgreSQL runs in a schema of its own (``bench_events``, dropped afterwards). Scenarios:
1. 50 people press «Записаться» for the last place at once;
2. 300 people sign up for a 100-place event, 50 at a time (200 end on the wait-list);
3. 100 cancellations, 50 at a time, each offering the freed place to the next person waiting.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench import database as bench_db
from bench.figures import percentile
from db.engine import Database
from services import events as ev
from tests.factories import published_event

SCHEMA = "bench_events"


async def open_db(url: str) -> Database:
    return await bench_db.open_db(url, SCHEMA, pool_size=10, max_overflow=20)


async def make_event(db: Database, capacity: int) -> int:
    event = await published_event(
        db, by=1, title="Bench", description="Bench event", kind="seminar", place="Hall", capacity=capacity
    )
    return event.id


async def timed(db: Database, call: Callable[[Any], Awaitable[Any]]) -> tuple[float, str]:
    began = time.perf_counter()
    async with db.session() as s:
        try:
            result = await call(s)
            outcome = getattr(result, "status", "ok")
        except ev.EventFull:
            outcome = "full"
    return (time.perf_counter() - began) * 1000, str(outcome)


async def burst(
    db: Database, calls: list[Callable[[Any], Awaitable[Any]]], width: int
) -> tuple[list[float], list[str], float]:
    gate = asyncio.Semaphore(width)

    async def one(call: Callable[[Any], Awaitable[Any]]) -> tuple[float, str]:
        async with gate:
            return await timed(db, call)

    began = time.perf_counter()
    results = await asyncio.gather(*(one(c) for c in calls))
    wall = (time.perf_counter() - began) * 1000
    return [ms for ms, _ in results], [o for _, o in results], wall


def line(label: str, latencies: list[float], wall: float, extra: str) -> str:
    return (
        f"{label}: {extra} p50={percentile(latencies, 0.5):.1f} ms p95={percentile(latencies, 0.95):.1f} ms "
        f"max={max(latencies):.1f} ms wall={wall:.0f} ms throughput={len(latencies) / wall * 1000:.0f}/s"
    )


async def run(url: str, label: str) -> None:
    db = await open_db(url)
    try:
        users = await bench_db.make_users(db, 400)
        last = await make_event(db, capacity=1)
        calls = [lambda s, u=u: ev.sign_up(s, u, last) for u in users[:50]]
        latencies, outcomes, wall = await burst(db, calls, 50)
        print(
            line(
                f"{label} last place",
                latencies,
                wall,
                f"confirmed={outcomes.count('confirmed')} full={outcomes.count('full')}",
            )
        )

        big = await make_event(db, capacity=100)
        calls = [lambda s, u=u: ev.sign_up(s, u, big, waitlist=True) for u in users[50:350]]
        latencies, outcomes, wall = await burst(db, calls, 50)
        print(
            line(
                f"{label} 300 sign-ups",
                latencies,
                wall,
                f"confirmed={outcomes.count('confirmed')} waiting={outcomes.count('waiting')}",
            )
        )

        confirmed = users[50:350][:100]
        calls = [lambda s, u=u: ev.cancel_signup(s, u, big) for u in confirmed]
        latencies, outcomes, wall = await burst(db, calls, 50)
        async with db.session() as s:
            counts = await ev.counts(s, big)
        print(
            line(
                f"{label} 100 cancellations",
                latencies,
                wall,
                f"now offered={counts.get('offered', 0)} waiting={counts.get('waiting', 0)}",
            )
        )
    finally:
        await bench_db.close_db(db, SCHEMA)


async def main() -> None:
    await bench_db.on_each_database(run, "sqlite", "postgresql")


if __name__ == "__main__":
    asyncio.run(main())

"""Latency of concurrent booking attempts (services.booking.create_booking), printed as figures.

    .venv/bin/python bench/booking_race.py                  # SQLite (a temporary file)
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot .venv/bin/python bench/booking_race.py

PostgreSQL runs in a schema of its own (``bench_booking``, dropped afterwards), so it does not touch
the tables tests use. Two scenarios: 50 people racing for one last place, and 300 bookings of
different people spread over a week, 50 at a time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench import database as bench_db
from bench.figures import percentile
from db.engine import Database, write
from db.models import AuditLog, User
from services import booking as svc

TZ = ZoneInfo("Asia/Krasnoyarsk")
SCHEMA = "bench_booking"


def next_monday() -> date:
    today = datetime.now(TZ).date()
    return today + timedelta(days=7 - today.weekday())


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


async def open_db(url: str) -> Database:
    return await bench_db.open_db(url, SCHEMA, pool_size=10, max_overflow=20)


async def attempt(
    db: Database, resource_id: int, user: User, start: datetime, minutes: int
) -> tuple[float, bool]:
    began = time.perf_counter()
    async with db.session() as s:
        try:
            await svc.create_booking(
                s, resource_id=resource_id, user=user, start=start, minutes=minutes, tz=TZ
            )
            won = True
        except svc.SlotTaken:
            won = False
    return (time.perf_counter() - began) * 1000, won


async def baselines(db: Database, users: list[User]) -> tuple[list[float], float]:
    """The floor the booking figures are compared with, on the same database in the same run:
    50 bare write transactions racing (BEGIN IMMEDIATE and the in-process write lock, a count and one
    insert each) and the rate of single-row ORM transactions, 300 of them, 50 at a time."""

    async def one(n: int) -> float:
        began = time.perf_counter()
        async with db.session() as s, write(s):
            await s.scalar(select(func.count()).select_from(AuditLog))
            s.add(AuditLog(actor_tg_id=users[n].tg_id or 0, action="bench", object_type="x", object_id=n))
        return (time.perf_counter() - began) * 1000

    for n in range(10):
        await one(n)
    lock_latencies = list(await asyncio.gather(*(one(n) for n in range(50))))
    gate = asyncio.Semaphore(50)

    async def gated(n: int) -> float:
        async with gate:
            return await one(n % len(users))

    began = time.perf_counter()
    await asyncio.gather(*(gated(n) for n in range(300)))
    return lock_latencies, 300 / (time.perf_counter() - began)


async def run(url: str, label: str) -> dict[str, float]:
    db = await open_db(url)
    try:
        async with db.session() as s:
            await svc.ensure_default_resources(s)
            cow = await svc.resource_by_code(s, "coworking")
        users = await bench_db.make_users(db, 400, reminders_enabled=True)
        lock_latencies, single_rate = await baselines(db, users)
        monday = next_monday()
        start = at(monday, 10)
        for user in users[: cow.capacity - 1]:
            await attempt(db, cow.id, user, start, 60)
        began = time.perf_counter()
        results = await asyncio.gather(*(attempt(db, cow.id, u, start, 60) for u in users[10:60]))
        wall = (time.perf_counter() - began) * 1000
        latencies = [ms for ms, _ in results]
        winners = sum(1 for _, won in results if won)
        race_p95 = percentile(latencies, 0.95)
        lock_p95 = percentile(lock_latencies, 0.95)
        print(
            f"{label}: 50 racing for the last place: winners={winners} refused={50 - winners} "
            f"p50={percentile(latencies, 0.5):.1f} ms p95={race_p95:.1f} ms "
            f"max={max(latencies):.1f} ms wall={wall:.0f} ms "
            f"(lock baseline: 50 bare write transactions p95={lock_p95:.1f} ms)"
        )

        gate = asyncio.Semaphore(50)
        slots = [(monday + timedelta(days=d), h) for d in range(5) for h in range(9, 18)]

        async def spread(n: int, user: User) -> tuple[float, bool]:
            day, hour = slots[n % len(slots)]
            async with gate:
                return await attempt(db, cow.id, user, at(day, hour), 60)

        began = time.perf_counter()
        results = await asyncio.gather(*(spread(n, u) for n, u in enumerate(users[60:360])))
        wall = (time.perf_counter() - began) * 1000
        latencies = [ms for ms, _ in results]
        booked = sum(w for _, w in results)
        throughput = len(results) / wall * 1000
        print(
            f"{label}: 300 bookings over a week, 50 at a time: booked={booked} "
            f"p50={percentile(latencies, 0.5):.1f} ms p95={percentile(latencies, 0.95):.1f} ms "
            f"mean={statistics.mean(latencies):.1f} ms throughput={throughput:.0f}/s "
            f"(single-row ORM transactions, 50 at a time: {single_rate:.0f}/s)"
        )
        return {
            "winners": winners,
            "race_p95": race_p95,
            "lock_p95": lock_p95,
            "booked": booked,
            "bookings_rate": throughput,
            "single_rate": single_rate,
        }
    finally:
        await bench_db.close_db(db, SCHEMA)


async def main() -> None:
    if not await bench_db.on_each_database(run, "SQLite", "PostgreSQL"):
        print("PostgreSQL: skipped (set BENCH_PG_URL)")


if __name__ == "__main__":
    asyncio.run(main())

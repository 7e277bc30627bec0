"""Consultations under load (services.consultations), printed as figures.

    .venv/bin/python bench/consultations_race.py          # SQLite (a temporary file)

Scenarios: 300 people filing requests, 50 at a time; 30 staff pressing «Взять» on the same request at
once (20 requests, exactly one winner each); the overdue scan over 3,000 open requests.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from bench.figures import percentile
from db.base import utcnow
from db.engine import Database, write
from db.models import Base, Consultation, User
from db.models.core import UserStatus
from services import consultations as svc
from services.errors import Conflict

TZ = ZoneInfo("Asia/Krasnoyarsk")


def report(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms p95={percentile(ms, 0.95):.1f} ms "
        f"max={max(ms):.1f} ms"
    )


async def people(db: Database, count: int, start: int) -> list[int]:
    async with db.session() as session, write(session):
        for tg_id in range(start, start + count):
            session.add(
                User(
                    tg_id=tg_id,
                    full_name=f"Человек {tg_id}",
                    status=UserStatus.REGISTERED,
                    organisation="АНО",
                )
            )
    return list(range(start, start + count))


async def file(db: Database, tg_id: int, topic_id: int) -> float:
    began = time.perf_counter()
    async with db.session() as session:
        await svc.create_request(
            session,
            tg_id,
            topic_id=topic_id,
            question="Как подготовить заявку на грант?",
            organisation="АНО «Сибирь»",
            format="online",
            preferred_time="any",
            attachments=[{"kind": "document", "file_id": f"doc{tg_id}", "file_name": "устав.pdf"}],
        )
    return time.perf_counter() - began


async def take(db: Database, number: int, staff_id: int) -> tuple[bool, float]:
    began = time.perf_counter()
    async with db.session() as session:
        try:
            await svc.take(session, number, staff_id, f"Сотрудник {staff_id}")
            won = True
        except Conflict:
            won = False
    return won, time.perf_counter() - began


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with db.session() as session:
            topic_id = (await svc.list_topics(session))[0].id

        ids = await people(db, 300, 10_000)
        latencies: list[float] = []
        began = time.perf_counter()
        for chunk in range(0, len(ids), 50):
            latencies += await asyncio.gather(
                *(file(db, tg_id, topic_id) for tg_id in ids[chunk : chunk + 50])
            )
        elapsed = time.perf_counter() - began
        report("file a request (50 at a time)", latencies)
        print(f"  {len(ids)} requests in {elapsed:.2f} s = {len(ids) / elapsed:.0f} requests/s")

        take_latencies: list[float] = []
        winners = []
        for number in range(1, 21):
            results = await asyncio.gather(*(take(db, number, 50_000 + s) for s in range(30)))
            winners.append(sum(1 for won, _t in results if won))
            take_latencies += [t for _won, t in results]
        report("take, 30 staff at once", take_latencies)
        print(f"  winners per request: {sorted(set(winners))} (must be [1])")

        more = await people(db, 2700, 20_000)
        for chunk in range(0, len(more), 100):
            await asyncio.gather(*(file(db, tg_id, topic_id) for tg_id in more[chunk : chunk + 100]))
        async with db.session() as session, write(session):
            await session.execute(update(Consultation).values(created_at=utcnow() - timedelta(days=5)))
        scans = []
        for _ in range(5):
            began = time.perf_counter()
            async with db.session() as session:
                due = await svc.overdue_requests(session, utcnow(), hours=24, tz=TZ)
            scans.append(time.perf_counter() - began)
        report(f"overdue scan over {len(due)} open requests", scans)
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

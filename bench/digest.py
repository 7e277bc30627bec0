"""The weekly digest for many subscribers: is queueing it linear in time and flat in memory?

    .venv/bin/python bench/digest.py                      # 10,000 (the baseline) and 100,000 subscribers
    .venv/bin/python bench/digest.py --small 2000 --large 20000

Each run fills a fresh SQLite file with ``n`` registered subscribers (a tenth of them in one district,
with an event there next week; a news item for everyone), then times ``services.digest.queue_weekly``
and records its peak Python memory (tracemalloc) and the process's peak RSS growth. The smaller run is
the baseline measured in the same command: the larger one should take the same time per subscriber
(ratio ≤ 1.2) and the same peak memory (ratio ≤ 1.2), since the digest is built and queued in batches
without loading everyone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.database import open_db
from bench.figures import Figure, print_table
from bot import features
from bot.i18n import create_i18n
from db import clock
from db.models import DigestNews, Event, Notification, User
from db.models.core import UserStatus
from db.models.events import EventStatus
from services import digest

TZ = ZoneInfo("Asia/Krasnoyarsk")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)  # a Monday morning, the digest's default moment
DISTRICTS = ("krasnoturansk", "idrinsky", "minusinsky", "kuraginsky", "ermakovsky", "karatuzsky")
CHUNK = 5000


@dataclass
class Run:
    people: int
    queued: int
    seconds: float
    peak_mb: float
    rss_growth_mb: float

    @property
    def per_person_ms(self) -> float:
        return self.seconds * 1000 / self.people


async def fill(db, people: int) -> None:  # type: ignore[no-untyped-def]
    registered = NOW.astimezone(ZoneInfo("UTC")) - timedelta(days=30)
    async with db.engine.begin() as conn:
        for start in range(0, people, CHUNK):
            rows = [
                {
                    "tg_id": 10_000_000 + i,
                    "status": UserStatus.REGISTERED,
                    "full_name": f"Житель {i}",
                    "district": DISTRICTS[i % len(DISTRICTS)],
                    "language": "ru",
                    "digest_enabled": True,
                    "news_opt_in": True,
                    "interest_districts": [DISTRICTS[i % len(DISTRICTS)]] if i % 10 == 0 else [],
                    "interest_topics": [],
                    "created_at": registered,
                    "registered_at": registered,
                }
                for i in range(start, min(start + CHUNK, people))
            ]
            await conn.execute(insert(User), rows)
        starts = NOW + timedelta(days=3, hours=4)
        for n, district in enumerate(DISTRICTS[:2]):
            await conn.execute(
                insert(Event),
                [
                    {
                        "title": f"Школа НКО, занятие {n + 1}",
                        "description": "Как подать заявку на грант",
                        "starts_at": starts + timedelta(days=n),
                        "ends_at": starts + timedelta(days=n, hours=2),
                        "kind": "training",
                        "place_kind": "address",
                        "place": "ул. Ленина, 22А",
                        "district": district,
                        "capacity": 30,
                        "reg_deadline": starts + timedelta(days=n, hours=-1),
                        "status": EventStatus.PUBLISHED,
                        "checkin_code": f"code{n}",
                        "created_by": 1,
                        "published_at": registered,
                    }
                ],
            )
        await conn.execute(
            insert(DigestNews), [{"text": "Открыт приём заявок на конкурс малых грантов.", "author_tg_id": 1}]
        )


async def one_run(people: int) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_db(f"sqlite+aiosqlite:///{tmp}/digest.db", "bench_digest")
        try:
            await fill(db, people)
            i18n = create_i18n("ru")
            gc.collect()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            began = time.perf_counter()
            queued = await digest.queue_weekly(db, i18n, TZ, NOW.astimezone(ZoneInfo("UTC")))
            seconds = time.perf_counter() - began
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            async with db.session() as session:
                rows = await session.scalar(
                    select(func.count()).select_from(Notification).where(Notification.kind == digest.KIND)
                )
            if rows != queued:
                raise SystemExit(f"queued {queued} but {rows} digest rows are in the outbox")
            return Run(people, queued, seconds, peak / 2**20, max(0, rss_after - rss_before) / 1024)
        finally:
            await db.engine.dispose()


async def run(small: int, large: int) -> list[Figure]:
    features.install(features.build())
    previous = clock.current()
    clock.install(clock.PinnedClock(NOW.astimezone(ZoneInfo("UTC"))))
    try:
        base = await one_run(small)
        print(
            f"{small:>7} subscribers: queued {base.queued} in {base.seconds:.1f} s "
            f"({base.per_person_ms:.2f} ms each), peak {base.peak_mb:.1f} MB traced",
            flush=True,
        )
        big = await one_run(large)
        print(
            f"{large:>7} subscribers: queued {big.queued} in {big.seconds:.1f} s "
            f"({big.per_person_ms:.2f} ms each), peak {big.peak_mb:.1f} MB traced",
            flush=True,
        )
    finally:
        clock.install(previous)
    return [
        Figure(
            f"digest for {large:,}: time per subscriber",
            big.per_person_ms,
            "ms",
            base.per_person_ms,
            f"the same at {small:,}",
            target=1.2,
            higher=False,
            absolute="linear: within 1.2 × per subscriber",
            absolute_ok=big.queued == large and base.queued == small,
            note=f"queued {big.queued:,} of {large:,} ({big.seconds:.0f} s) and {base.queued:,} of {small:,}",
        ),
        Figure(
            f"digest for {large:,}: peak memory",
            big.peak_mb,
            "MB",
            base.peak_mb,
            f"the same at {small:,}",
            target=1.2,
            higher=False,
            absolute="≤ 1.2 × the smaller run's peak",
            note=f"RSS growth {big.rss_growth_mb:.0f} MB vs {base.rss_growth_mb:.0f} MB",
        ),
    ]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", type=int, default=10_000, help="the baseline run's subscribers")
    p.add_argument("--large", type=int, default=100_000, help="the measured run's subscribers")
    return p


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parser().parse_args()
    print_table(await run(args.small, args.large))


if __name__ == "__main__":
    asyncio.run(main())

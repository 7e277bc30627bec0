"""Project ideas under load, printed as figures: concurrent «Поддержать» presses and the /ideas page.

    .venv/bin/python bench/ideas_support.py                  # SQLite (a temporary file)
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot .venv/bin/python bench/ideas_support.py

PostgreSQL runs in a schema of its own (``bench_ideas``, dropped afterwards). Scenarios:
1. 300 different people support one idea, 50 presses at a time (latency, exact final count);
2. 100 people each press three times at once (only one support each may count);
3. the /ideas page query (browse) with 1,000 published ideas, with and without the help filter.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench import database as bench_db
from bench.figures import percentile
from db.base import utcnow
from db.engine import Database, write
from db.models import Idea, IdeaSupport, User
from services import ideas as svc
from services.errors import DomainError
from tests.factories import published_idea

SCHEMA = "bench_ideas"


async def open_db(url: str) -> Database:
    return await bench_db.open_db(url, SCHEMA, pool_size=10, max_overflow=20)


async def make_idea(db: Database, author: User, **fields: object) -> int:
    return await published_idea(db, author.id, **fields)


async def press(db: Database, idea_id: int, user: User) -> tuple[float, bool]:
    began = time.perf_counter()
    async with db.session() as s:
        try:
            await svc.support(s, idea_id, user, milestones=[1, 5, 10, 25, 50, 100], threshold=10)
            ok = True
        except DomainError:
            ok = False
    return (time.perf_counter() - began) * 1000, ok


def report(name: str, timings: list[float]) -> None:
    print(
        f"  {name}: p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
        f"max {max(timings):.1f} ms"
    )


async def main() -> None:
    url = os.environ.get("BENCH_PG_URL")
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    db = await open_db(url)
    print(f"database: {db.url.get_backend_name()}")
    try:
        [author] = await bench_db.make_users(db, 1, 1)
        # 1. many people, one idea
        people = await bench_db.make_users(db, 300, 10_000)
        idea_id = await make_idea(db, author)
        timings: list[float] = []
        started = time.perf_counter()
        for start in range(0, len(people), 50):
            results = await asyncio.gather(*(press(db, idea_id, p) for p in people[start : start + 50]))
            timings += [t for t, _ok in results]
        elapsed = time.perf_counter() - started
        async with db.session() as s:
            count = await s.scalar(
                select(func.count()).select_from(IdeaSupport).where(IdeaSupport.idea_id == idea_id)
            )
            stored = (await s.get(Idea, idea_id)).support_count  # type: ignore[union-attr]
        print(
            f"1. {len(people)} supports, 50 at a time: {len(people) / elapsed:.0f} supports/s, "
            f"rows {count}, count {stored}"
        )
        report("press", timings)
        # 2. the same people pressing three times at once
        people = await bench_db.make_users(db, 100, 50_000)
        idea_id = await make_idea(db, author)
        results = await asyncio.gather(*(press(db, idea_id, p) for p in people for _ in range(3)))
        async with db.session() as s:
            count = await s.scalar(
                select(func.count()).select_from(IdeaSupport).where(IdeaSupport.idea_id == idea_id)
            )
        accepted = sum(ok for _t, ok in results)
        print(f"2. 100 people x 3 simultaneous presses: accepted {accepted}, rows {count} (expected 100)")
        report("press", [t for t, _ok in results])
        # 3. browsing 1,000 published ideas
        async with db.session() as s, write(s):
            for n in range(1000):
                s.add(
                    Idea(
                        author_id=author.id,
                        title=f"Идея {n}",
                        problem="Проблема " * 50,
                        description="Описание " * 50,
                        district=("krasnoturansky", "idrinsky", "minusinsky")[n % 3],
                        audience="youth",
                        help_needed=["space", "funding"] if n % 4 == 0 else ["volunteers"],
                        media=[],
                        status="published",
                        published_at=utcnow(),
                        support_count=n % 37,
                    )
                )
        for label, kwargs in (
            ("all districts", {}),
            ("one district", {"district": "idrinsky"}),
            ("one district + help", {"district": "idrinsky", "help_kind": "funding"}),
        ):
            runs = []
            for _ in range(20):
                began = time.perf_counter()
                async with db.session() as s:
                    _page, total = await svc.browse(s, page=3, page_size=5, **kwargs)  # type: ignore[arg-type]
                runs.append((time.perf_counter() - began) * 1000)
            print(f"3. browse, {label}: total {total}")
            report("page", runs)
    finally:
        await bench_db.close_db(db, SCHEMA)
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())

"""How long the reach report takes on a big database, and how much memory it needs, printed as figures.

    .venv/bin/python bench/report.py [people]                   # SQLite (a temporary file), default 100000
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot .venv/bin/python bench/report.py

Seeds ``people`` people and a year (2026) of activity across every feature with bulk inserts
(executemany through SQLAlchemy core), then measures, in a fresh child process (so that the peak
resident memory is the report's, not the seeding's): the report for «this year» computed (services.report),
the workbook (openpyxl) and the two charts (matplotlib). The modules are imported before the clock starts,
as in the running bot (which imports them at start-up). Wall and CPU time are printed: on a busy machine
the wall time mostly measures the other processes. Baseline in the same run: a plain COUNT(*) over
every table the report reads. PostgreSQL runs in a schema of its own (``bench_report``, dropped after).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from bench.database import RESIDENT_DEFAULTS, open_db
from db.engine import Database
from db.models import Base
from services.report import GROUPS
from services.users import DISTRICTS

SCHEMA = "bench_report"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 20, 5, 0, tzinfo=UTC)
TABLES = (
    "users",
    "bookings",
    "consultations",
    "events",
    "event_signups",
    "ideas",
    "idea_supports",
    "idea_reviews",
    "showcase_cards",
    "showcase_requests",
    "showcase_trial_applications",
    "report_offline_recipients",
    "broadcasts",
    "broadcast_deliveries",
    "notifications",
)
CHUNK = 10_000


def moment(rng: random.Random) -> datetime:
    return YEAR_START + timedelta(minutes=rng.randrange(0, 350 * 24 * 60))


async def put(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    target = Base.metadata.tables[table]
    for start in range(0, len(rows), CHUNK):
        async with db.engine.begin() as conn:
            await conn.execute(insert(target), rows[start : start + CHUNK])


def _people(n: int, rng: random.Random) -> list[dict[str, Any]]:
    groups = [g for g in GROUPS if g != "service_user"] + ["service_user"] * 3
    out = []
    for i in range(1, n + 1):
        group = rng.choice(groups)
        erased = rng.random() < 0.03
        out.append(
            {
                "id": i,
                "tg_id": None if erased else 10_000_000 + i,
                "status": "erased" if erased else "registered",
                "full_name": None if erased else f"Житель {i}",
                "target_group": group,
                "district": rng.choice(DISTRICTS),
                "organisation": f"Организация {rng.randrange(400)}"
                if group in ("nko_staff", "municipal")
                else None,
                **RESIDENT_DEFAULTS,
                "created_at": YEAR_START - timedelta(days=30),
                "registered_at": YEAR_START - timedelta(days=30),
            }
        )
    return out


async def seed_core(db: Database, n: int, rng: random.Random) -> None:
    await put(db, "users", _people(n, rng))
    await put(db, "booking_resources", [
        {"id": r, "code": f"r{r}", "name": f"Ресурс {r}", "capacity": 4, "slot_minutes": 60, "min_minutes": 60,
         "max_minutes": 240, "horizon_days": 14, "min_notice_minutes": 0, "cancel_cutoff_minutes": 60,
         "weekly_quota_minutes": 0, "org_weekly_quota_minutes": 0, "needs_approval": False,
         "hours": {str(d): ["09:00", "18:00"] for d in range(1, 6)}, "closed_dates": [], "active": True,
         "position": r, "created_at": YEAR_START}
        for r in (1, 2, 3)
    ])  # fmt: skip
    bookings = []
    for i in range(60_000):
        start = moment(rng)
        bookings.append({
            "resource_id": rng.randint(1, 3), "user_id": None if i % 50 == 0 else rng.randint(1, n),
            "booked_by_tg_id": 5001 if i % 50 == 0 else None, "start_at": start, "end_at": start + timedelta(hours=2),
            "minutes": 120, "status": rng.choice(["confirmed"] * 6 + ["cancelled", "no_show", "pending"]),
            "is_long": False, "created_at": start - timedelta(days=1),
        })  # fmt: skip
    await put(db, "bookings", bookings)
    await put(db, "consultation_topics", [{"id": t, "code": f"t{t}", "title": f"Тема {t}", "position": t,
                                          "active": True} for t in range(1, 9)])  # fmt: skip
    consults = []
    for _ in range(12_000):
        created = moment(rng)
        closed = rng.random() < 0.7
        consults.append({
            "user_id": rng.randint(1, n), "topic_id": rng.randint(1, 8), "question": "?",
            "format": rng.choice(["center", "phone", "online", "chat"]), "preferred_time": "any",
            "status": "closed" if closed else "new", "created_at": created,
            "taken_at": created + timedelta(hours=rng.randint(1, 60)),
            "closed_at": created + timedelta(hours=rng.randint(61, 300)) if closed else None,
            "outcome": rng.choice(["resolved", "redirected", "no_show"]) if closed else None,
            "rating": rng.randint(1, 5) if closed and rng.random() < 0.5 else None,
        })  # fmt: skip
    await put(db, "consultations", consults)


async def seed_events_ideas(db: Database, n: int, rng: random.Random) -> None:
    events = []
    for e in range(1, 401):
        start = moment(rng)
        events.append({
            "id": e, "title": f"Событие {e}", "description": "", "kind": rng.choice(["training", "seminar", "expo",
            "meeting", "online"]), "starts_at": start, "ends_at": start + timedelta(hours=2), "place_kind": "center",
            "place": "", "reg_deadline": start, "audience": [], "status": "published", "checkin_code": f"c{e}",
            "created_by": 5001, "created_at": start - timedelta(days=20),
        })  # fmt: skip
    await put(db, "events", events)
    signups, seen = [], set()
    while len(signups) < 40_000:
        event, user = rng.randint(1, 400), rng.randint(1, n)
        if (event, user) in seen:
            continue
        seen.add((event, user))
        came = rng.random() < 0.6
        starts = events[event - 1]["starts_at"]
        signups.append({
            "event_id": event, "user_id": user, "status": "confirmed", "created_at": starts - timedelta(days=3),
            "confirmed_at": starts - timedelta(days=3), "checked_in_at": starts if came else None,
            "rating": rng.randint(1, 5) if came and rng.random() < 0.3 else None,
        })  # fmt: skip
    await put(db, "event_signups", signups)
    ideas = []
    for i in range(1, 3001):
        created = moment(rng)
        ideas.append({
            "id": i, "author_id": rng.randint(1, n), "title": "Идея", "problem": "-", "description": "-",
            "district": rng.choice(DISTRICTS), "audience": "citizen", "help_needed": [], "media": [],
            "status": "published", "support_count": 0, "created_at": created, "submitted_at": created,
            "published_at": created + timedelta(days=1),
        })  # fmt: skip
    await put(db, "ideas", ideas)
    await put(
        db,
        "idea_reviews",
        [{"idea_id": i, "status": "in_progress", "at": moment(rng)} for i in range(1, 600)],
    )
    pairs = {(rng.randint(1, 3000), rng.randint(1, n)) for _ in range(30_000)}
    await put(
        db, "idea_supports", [{"idea_id": i, "user_id": u, "created_at": moment(rng)} for i, u in pairs]
    )


async def seed_showcase(db: Database, n: int, rng: random.Random) -> None:
    await put(db, "showcase_categories", [{"id": c, "code": f"c{c}", "title_ru": f"Категория {c}", "position": c,
                                           "active": True} for c in range(1, 9)])  # fmt: skip
    cards = []
    for k in range(1, 501):
        ds = rng.sample(DISTRICTS, 2)
        cards.append({
            "id": k, "provider_id": rng.randint(1, n), "organisation": f"Поставщик {k % 300}", "title": f"Услуга {k}",
            "category_id": rng.randint(1, 8), "description": "-", "districts": ds, "district_index": f",{ds[0]},{ds[1]},",
            "format": "center", "status": "published", "search_text": "", "published_at": moment(rng),
            "created_at": YEAR_START, "updated_at": YEAR_START,
        })  # fmt: skip
    await put(db, "showcase_cards", cards)
    requests = []
    for _ in range(20_000):
        created = moment(rng)
        done = rng.random() < 0.5
        requests.append({
            "card_id": rng.randint(1, 500), "resident_id": rng.randint(1, n), "phone_shared": False,
            "status": "done" if done else "new", "created_at": created, "answered_at": created + timedelta(hours=rng.randint(1, 48)),
            "done_at": created + timedelta(days=2) if done else None, "rating": rng.randint(1, 5) if done else None,
            "rated_at": created + timedelta(days=3) if done else None,
        })  # fmt: skip
    await put(db, "showcase_requests", requests)
    trials = []
    for _ in range(200):
        day = moment(rng).date()
        trials.append({"user_id": rng.randint(1, n), "organisation": f"Поставщик {rng.randrange(300)}",
                       "date_from": day, "date_to": day + timedelta(days=rng.randint(0, 20)), "purpose": "-",
                       "status": "approved", "decided_at": moment(rng), "created_at": moment(rng)})  # fmt: skip
    await put(db, "showcase_trial_applications", trials)
    await put(db, "report_offline_recipients", [
        {"card_id": k, "provider_id": cards[k - 1]["provider_id"], "month": date(2026, m, 1),
         "count": rng.choice([None, 0, 3, 10, 25]), "source": "provider", "answered_at": YEAR_START}
        for k in range(1, 501) for m in range(1, 12)
    ])  # fmt: skip


async def seed_messaging(db: Database, n: int, rng: random.Random) -> None:
    await put(db, "broadcasts", [
        {"id": b, "status": "done", "created_by": 5001, "source_chat_id": 1, "source_message_id": b,
         "content_kind": "text", "excerpt": "", "audience": {}, "start_at": moment(rng), "started_at": moment(rng),
         "quiet": False, "total": 0, "unsubscribed": 0, "created_at": YEAR_START}
        for b in range(1, 21)
    ])  # fmt: skip
    deliveries = [
        {
            "broadcast_id": b,
            "user_id": u,
            "status": rng.choice(["sent"] * 8 + ["blocked", "skipped"]),
            "attempts": 1,
        }
        for b in range(1, 21)
        for u in range(1 + b * 997 % n, 1 + b * 997 % n + 8000)
        if u <= n
    ]
    await put(db, "broadcast_deliveries", deliveries)
    digests = []
    for week in range(50):
        at = YEAR_START + timedelta(weeks=week)
        for u in range(1 + week * 2000 % n, min(n, 1 + week * 2000 % n + 2000)):
            digests.append({"key": f"digest:{u}:{week}", "user_id": u, "chat_id": u, "kind": "digest", "payload": {},
                            "due_at": at, "quiet": True, "status": "sent", "attempts": 1, "created_at": at})  # fmt: skip
    await put(db, "notifications", digests)


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss does not (a child of
    a big parent, as under bench/run_all.py, would report the parent's peak)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str) -> dict[str, Any]:
    """In the child: baseline COUNT(*)s, then the report, the workbook and the charts."""
    from services import report as rep
    from services import report_export as export

    db = await open_db(url, SCHEMA, create=False)
    gettext = str
    t0 = time.perf_counter()
    async with db.session() as s:
        counts = {
            t: await s.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in TABLES
        }
    baseline = time.perf_counter() - t0
    period = rep.make_period(
        date(2026, 1, 1), date(2026, 12, 31), rep.ZoneInfo("Asia/Krasnoyarsk"), "this_year"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    async with db.session() as s:
        report = await rep.build(s, period, NOW)
    computed = time.perf_counter() - t0
    t1 = time.perf_counter()
    book = export.workbook(report, gettext)
    workbook = time.perf_counter() - t1
    t1 = time.perf_counter()
    pngs = export.charts(report, gettext)
    charts = time.perf_counter() - t1
    cpu = time.process_time() - c0
    await db.dispose()
    return {
        "rows": counts, "baseline": baseline, "compute": computed, "workbook": workbook, "charts": charts,
        "total": time.perf_counter() - t0, "cpu": cpu, "xlsx_bytes": len(book), "png_bytes": sum(len(p) for _n, p in pngs),
        "peak_mb": peak_rss_mb(),
        "people_reached": report.reach.people, "attendance_rows": len(report.attendance),
    }  # fmt: skip


async def run(people: int) -> dict[str, Any]:
    """Seed ``people`` and a year of activity, then measure the report in a fresh child process."""
    pg = os.environ.get("BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = pg or f"sqlite+aiosqlite:///{tmp}/bench.db"
        db = await open_db(url, SCHEMA)
        rng = random.Random(13)
        t0 = time.perf_counter()
        for step in (seed_core, seed_events_ideas, seed_showcase, seed_messaging):
            await step(db, people, rng)
        await db.dispose()
        print(
            f"backend: {'PostgreSQL' if pg else 'SQLite'}; seeded {people} people in {time.perf_counter() - t0:.1f} s"
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--measure", url, stdout=asyncio.subprocess.PIPE
        )
        out, _err = await child.communicate()
        r = json.loads(out.decode().strip().splitlines()[-1])
        if pg:
            db = await open_db(url, SCHEMA, create=False)
            async with db.engine.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await db.dispose()
    return r


async def figures(quick: bool) -> list[Any]:
    """For bench/run_all.py: the report's wall time and peak memory against the issue's limits
    (5 s and 300 MB at 100,000 people; the quick mode seeds 10,000)."""
    from bench.figures import Figure

    people = 10_000 if quick else 100_000
    r = await run(people)
    label = f"reach report, {people:,} people"
    return [
        Figure(f"{label}: total", r["total"], "s", 5.0, "the issue's limit", target=1.0, higher=False,
               absolute="< 5 s", absolute_ok=r["total"] < 5, note=f"CPU {r['cpu']:.2f} s"),
        Figure(f"{label}: peak memory", r["peak_mb"], "MB", 300.0, "the issue's limit", target=1.0,
               higher=False, absolute="< 300 MB", absolute_ok=r["peak_mb"] < 300),
    ]  # fmt: skip


async def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(await measure(sys.argv[2])))
        return
    r = await run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print("rows: " + ", ".join(f"{k} {v}" for k, v in r["rows"].items()))
    print(f"baseline: COUNT(*) over {len(TABLES)} tables      {r['baseline']:.3f} s")
    print(
        f"report compute (SQL aggregates)          {r['compute']:.3f} s  ({r['compute'] / r['baseline']:.1f}x baseline)"
    )
    print(
        f"workbook (openpyxl, {r['attendance_rows']} attendance rows)  {r['workbook']:.3f} s  ({r['xlsx_bytes']} bytes)"
    )
    print(f"charts (matplotlib, 2 PNG)               {r['charts']:.3f} s  ({r['png_bytes']} bytes)")
    print(
        f"total: {r['total']:.2f} s wall, {r['cpu']:.2f} s CPU (limit 5 s); peak RSS of the report process: {r['peak_mb']:.0f} MB (limit 300)"
    )
    print(f"people reached this year: {r['people_reached']}")


if __name__ == "__main__":
    asyncio.run(main())

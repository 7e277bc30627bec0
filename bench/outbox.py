"""The outbox sender against a local fake Telegram that enforces the limits, printed as figures.

    .venv/bin/python bench/outbox.py [--notices 900] [--chats 600] [--blocked 0.05] [--p429 0.002]
    BENCH_PG_URL=postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot .venv/bin/python bench/outbox.py

Queues ``--notices`` due notices for ``--chats`` people (some get several, which must go one a second),
then runs ticks of the real sender (services.outbox.Outbox, aiogram's AiohttpSession, the fake server of
bench/fake_telegram.py) until nothing is due. Prints the send rate (and the pace: sends answered, a
blocked chat's refusal included, over the time Telegram let the bot send, without the ``retry_after``
pauses its random 429s order), the server's limit violations
(a well-paced sender has none), duplicates and missing deliveries, people marked unreachable, the
database time per notice (the same run with the pace lifted and no network latency), and memory.
PostgreSQL runs in a schema of its own (``bench_outbox``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import tracemalloc
from collections import Counter
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench import database as bench_db
from bench.fake_telegram import FakeTelegram, random_429s, serve
from bot.config import Settings
from bot.delivery.outbox import telegram_outbox
from bot.factory import create_bot
from bot.i18n import create_i18n
from db.base import utcnow
from db.engine import Database, write
from db.models import Notification, NotificationStatus, User, UserStatus
from services import notifications
from services.outbox import Outbox, Pacer

TZ = ZoneInfo("Asia/Krasnoyarsk")
TOKEN = "123456789:AAEtesttokentesttokentesttokentest12"
SCHEMA = "bench_outbox"


async def open_db(url: str) -> Database:
    return await bench_db.open_db(url, SCHEMA)


async def fill(db: Database, notices: int, chats: int) -> None:
    now = utcnow()
    async with db.session() as s, write(s):
        users = [
            User(tg_id=500_000 + n, full_name=f"Человек {n}", status=UserStatus.REGISTERED)
            for n in range(chats)
        ]
        s.add_all(users)
        await s.flush()
        for n in range(notices):
            await notifications.queue(
                s,
                user=users[n % chats],
                kind="bench.reminder",
                ref_type="bench",
                ref_id=n,
                due_at=now - timedelta(seconds=1),
                expires_at=now + timedelta(hours=1),
                payload={
                    "text": "notify.reminder",
                    "params": {"what": f"встреча №{n}"},
                    "event_at": (now + timedelta(hours=1)).isoformat(),
                    "buttons": [[["btn.yes", f"b:{n}"]]],
                },
            )


async def drain(outbox: Outbox) -> tuple[float, int]:
    began = time.perf_counter()
    ticks = 0
    while True:
        ticks += 1
        await outbox.tick()
        async with outbox.db.session() as s:
            left = await s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.CLAIMED)),
                    Notification.due_at <= utcnow(),
                )
            )
        if not left:
            return time.perf_counter() - began, ticks


class Judge(FakeTelegram):
    """bench/fake_telegram.py counts copies; the outbox sends messages: count those per chat too."""

    def answer(self, method: str, data: dict) -> tuple[int, dict]:  # type: ignore[type-arg]
        status, body = super().answer(method, data)
        if method == "sendMessage" and status == 200:
            self.delivered[int(data.get("chat_id", 0))] += 1
        return status, body


async def paced_run(url: str, label: str, args: argparse.Namespace) -> dict[str, float]:
    fake = Judge(blocked_share=args.blocked, p429=args.p429)
    runner, api_url = await serve(fake)
    settings = Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=api_url)  # type: ignore[call-arg]
    bot = create_bot(settings)
    db = await open_db(url)
    try:
        await fill(db, args.notices, args.chats)
        outbox = telegram_outbox(
            bot, db, create_i18n("ru"), tz=TZ, pacer=Pacer(rate=args.rate), workers=args.workers
        )
        tracemalloc.start()
        seconds, ticks = await drain(outbox)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        async with db.session() as s:
            by_status = dict(
                (
                    await s.execute(select(Notification.status, func.count()).group_by(Notification.status))
                ).all()
            )
            unreachable = await s.scalar(
                select(func.count()).select_from(User).where(User.unreachable_at.is_not(None))
            )
        stats = fake.stats()
        expected: Counter[int] = Counter(500_000 + n % args.chats for n in range(args.notices))
        blocked = {c for c in expected if fake.is_blocked(c)}
        duplicates = sum(max(0, fake.delivered[c] - n) for c, n in expected.items())
        missing = sum(max(0, n - fake.delivered[c]) for c, n in expected.items() if c not in blocked)
        sent = by_status.get(NotificationStatus.SENT, 0)
        # answered: sent, or refused by a chat that blocked the bot (a send at the pace all the same)
        answered = sent + stats["answers"].get("sendMessage:403", 0)
        ordered = (
            random_429s(stats, "sendMessage") * fake.retry_after
        )  # seconds Telegram told the bot to wait
        pace = answered / max(seconds - ordered, 1e-9)
        print(
            f"{label} paced: {args.notices} notices to {args.chats} chats "
            f"in {seconds:.1f} s over {ticks} tick(s): "
            f"{sent / seconds:.1f} sent/s; statuses {by_status}; limit violations global="
            f"{stats['limit_violations']} per-chat={stats['chat_violations']}; "
            f"duplicates={duplicates}; missed={missing}; marked unreachable={unreachable} "
            f"(blocked chats: {len(blocked)}); peak Python memory {peak / 1e6:.1f} MB; pace "
            f"{pace:.1f} answered/s without the {ordered} s Telegram ordered to wait (429 retry_after)"
        )
        return {
            "rate": sent / seconds,
            "pace": pace,
            "ordered_pause": ordered,
            "configured": args.rate,
            "duplicates": duplicates,
            "missing": missing,
            "violations": stats["limit_violations"] + stats["chat_violations"],
            "peak_mb": peak / 1e6,
        }
    finally:
        await bot.session.close()
        await runner.cleanup()
        await bench_db.close_db(db, SCHEMA)


async def db_cost_run(url: str, label: str, args: argparse.Namespace) -> None:
    from tests.fakes import FakeSession

    settings = Settings(_env_file=None, bot_token=TOKEN)  # type: ignore[call-arg]
    session = FakeSession()
    bot = create_bot(settings, session=session)
    db = await open_db(url)
    try:
        await fill(db, args.notices, args.notices)  # one notice per chat: no per-chat pause
        outbox = telegram_outbox(
            bot, db, create_i18n("ru"), tz=TZ, pacer=Pacer(rate=1e9, per_chat=0), workers=1
        )
        seconds, _ticks = await drain(outbox)
        print(
            f"{label} unpaced, no network: {args.notices} notices in {seconds:.2f} s = "
            f"{seconds / args.notices * 1000:.2f} ms per notice (claim share + re-read + render + mark)"
        )
    finally:
        await bench_db.close_db(db, SCHEMA)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=900)
    parser.add_argument("--chats", type=int, default=600)
    parser.add_argument("--blocked", type=float, default=0.05)
    parser.add_argument("--p429", type=float, default=0.002)
    parser.add_argument("--rate", type=float, default=28.0)
    parser.add_argument("--workers", type=int, default=4)
    return parser


async def main() -> None:
    args = parser().parse_args()
    with TemporaryDirectory() as tmp:
        await db_cost_run(f"sqlite+aiosqlite:///{tmp}/cost.db", "SQLite", args)
        await paced_run(f"sqlite+aiosqlite:///{tmp}/bench.db", "SQLite", args)
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        await db_cost_run(pg, "PostgreSQL", args)
        await paced_run(pg, "PostgreSQL", args)


if __name__ == "__main__":
    asyncio.run(main())

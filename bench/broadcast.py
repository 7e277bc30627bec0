"""Broadcast benchmark: N recipients through the real sender, aiogram's HTTP session and a local fake
Bot API that answers like Telegram (a share of blocked users, occasional 429s, the 30/s and 1/s per
chat limits enforced). Prints the figures; not a test.

    .venv/bin/python bench/broadcast.py                      # 10,000 recipients at 25/s (~7 min)
    .venv/bin/python bench/broadcast.py -n 2000 --crash 0.5  # kill the sender half-way, then resume
    .venv/bin/python bench/broadcast.py --database-url postgresql+asyncpg://ccbot:ccbot@127.0.0.1:5433/ccbot

The rate that counts is sends answered per second (delivered + blocked: each is one message sent at
the configured pace) over the time Telegram lets the bot send: the pauses it orders (a random 429's
``retry_after``: the fake answers one send in a thousand so, and the sender must then wait) are not the
sender's pace. The delivered-only rate and the rate over the whole time are printed too. Pass: that rate
is at least 95% of the configured rate, 0 duplicates, 0 missing, no send over Telegram's limits.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import tempfile
import time
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, insert, select, text

from bench.database import RESIDENT_DEFAULTS
from bench.fake_telegram import FakeTelegram, random_429s
from bot.delivery.broadcasts import BroadcastSender
from bot.i18n import create_i18n
from db.base import utcnow
from db.engine import Database
from db.models import Base, BroadcastDelivery, User, UserStatus
from services import broadcasts as service

ADMIN_CHAT = -1001000000001
TOKEN = "123456789:AAEbenchbenchbenchbenchbenchbench12"
FIRST_TG_ID = 10_000_000


async def prepare(db: Database, recipients: int) -> None:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await conn.run_sync(Base.metadata.create_all)
    now = utcnow()
    rows = [
        {
            "tg_id": FIRST_TG_ID + i,
            "status": UserStatus.REGISTERED,
            "full_name": f"Получатель {i}",
            "target_group": "citizen",
            "district": "krasnoturansky",
            **RESIDENT_DEFAULTS,
            "language": "ru" if i % 5 else "en",
            "created_at": now,
            "registered_at": now,
        }
        for i in range(recipients)
    ]
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(User), rows[start : start + 2000])


def make_sender(bot: Bot, db: Database, args: argparse.Namespace) -> BroadcastSender:
    return BroadcastSender(
        bot,
        db,
        i18n=create_i18n("ru"),
        admin_chat_id=ADMIN_CHAT,
        tz=ZoneInfo("Asia/Krasnoyarsk"),
        rate=args.rate,
        concurrency=args.concurrency,
        progress_seconds=5.0,
        quiet_hours=(dtime(0, 0), dtime(0, 0)),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn_fake(args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    """The fake Bot API in its own process (its CPU is Telegram's, not the bot's)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("fake_telegram.py")),
            "--port",
            str(port),
            "--blocked",
            str(args.blocked),
            "--p429",
            str(args.p429),
            "--retry-after",
            str(args.retry_after),
        ]
    )
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(process: subprocess.Popen[bytes], base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"{base}/stats") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit("the fake Bot API did not start")


async def fake_stats(base: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/stats") as response:
        return await response.json()


def answered_of(stats: dict[str, Any]) -> int:
    return stats["delivered_messages"] + stats["answers"].get("copyMessage:403", 0)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    db = Database(url)
    print(f"preparing {args.recipients} recipients in {db.url.get_backend_name()}...", flush=True)
    await prepare(db, args.recipients)

    process, base = spawn_fake(args)
    await wait_ready(process, base)
    session = AiohttpSession(api=TelegramAPIServer.from_base(base))
    bot = Bot(TOKEN, session=session)
    async with db.session() as s:
        broadcast = await service.create(
            s,
            staff_tg_id=1,
            source_chat_id=ADMIN_CHAT,
            source_message_id=1,
            content_kind="photo",
            excerpt="Афиша",
            audience={},
        )
        await service.activate(s, broadcast.id)

    crashes = 0
    started = time.monotonic()
    sender = make_sender(bot, db, args)
    try:
        if args.crash:
            sender.start()
            target = int(args.recipients * args.crash)
            for _ in range(100_000):
                if answered_of(await fake_stats(base)) >= target:
                    break
                await asyncio.sleep(0.1)
            await sender.close()  # as far as the sender can tell, a crash: no more marks after this
            crashes = 1
            print(f"crashed the sender after about {target} sends; starting a new one", flush=True)
            sender = make_sender(bot, db, args)
        await sender.run_pending()
        elapsed = time.monotonic() - started
        stats = await fake_stats(base)
    finally:
        process.terminate()
        process.wait()
        await session.close()

    async with db.session() as s:
        statuses = dict(
            (
                await s.execute(
                    select(BroadcastDelivery.status, func.count())
                    .where(BroadcastDelivery.broadcast_id == broadcast.id)
                    .group_by(BroadcastDelivery.status)
                )
            ).all()
        )
        unreachable = await s.scalar(select(func.count()).where(User.unreachable_at.is_not(None)))
    await db.dispose()
    tmp.cleanup()

    judge = FakeTelegram(blocked_share=args.blocked)
    delivered_per_chat = {int(chat): n for chat, n in stats["delivered"].items()}
    times = sorted(stats["answer_times"])
    lo, hi = times[len(times) // 10], times[len(times) * 9 // 10]
    steady = (len(times) * 8 // 10) / (hi - lo) if hi > lo else 0.0
    everyone = [FIRST_TG_ID + i for i in range(args.recipients)]
    expected = {chat for chat in everyone if not judge.is_blocked(chat)}
    blocked_expected = args.recipients - len(expected)
    got = set(delivered_per_chat)
    missing = len(expected - got)
    duplicates = sum(n - 1 for n in delivered_per_chat.values() if n > 1)
    delivered = len(got)
    answers = stats["answers"]
    blocked = answers.get("copyMessage:403", 0)
    answered = delivered + blocked
    rate = answered / elapsed
    delivered_rate = delivered / elapsed
    too_many = answers.get("copyMessage:429", 0)
    random_429 = random_429s(stats, "copyMessage")
    allowed_dups = args.concurrency * crashes
    ordered = random_429 * args.retry_after  # seconds Telegram told the bot to wait
    pace = answered / max(elapsed - ordered, 1e-9)

    print()
    print(f"recipients               {args.recipients}")
    print(f"configured rate          {args.rate:.1f} msg/s, {args.concurrency} in flight")
    print(f"elapsed                  {elapsed:.1f} s")
    print(
        f"sends answered           {answered}  "
        f"({rate:.2f} msg/s over the whole time = {100 * rate / args.rate:.1f}% of configured)"
    )
    print(
        f"pace                     {pace:.2f} msg/s = {100 * pace / args.rate:.1f}% of configured "
        f"(without the {ordered} s Telegram ordered to wait)"
    )
    print(f"steady pace (10%..90%)   {steady:.2f} msg/s")
    print(f"delivered                {delivered}  ({delivered_rate:.2f} msg/s)")
    print(
        f"blocked (403)            {blocked}  "
        f"(expected {blocked_expected}; marked unreachable: {unreachable})"
    )
    print(
        f"429 answers              {too_many}  (random {random_429}, "
        f"over 30/s {stats['limit_violations']}, same chat within 1 s {stats['chat_violations']})"
    )
    print(f"copyMessage requests     {stats['requests'].get('copyMessage', 0)}")
    print(f"progress edits           {stats['requests'].get('editMessageText', 0)}")
    print(f"delivery rows            {statuses}")
    print(f"crashes                  {crashes}")
    print(f"duplicates               {duplicates}  (allowed: {allowed_dups}, the sends in flight at a crash)")
    print(f"missing                  {missing}")
    correct = (
        duplicates <= allowed_dups
        and missing == 0
        and stats["limit_violations"] == 0
        and statuses.get("pending", 0) == 0
    )
    # A crash costs the restart; the pace is judged on uninterrupted runs.
    ok = correct and (bool(args.crash) or pace >= 0.95 * args.rate)
    print("RESULT                  ", "PASS" if ok else "FAIL")
    return {
        "ok": ok,
        "rate": rate,
        "pace": pace,
        "ordered_pause": ordered,
        "configured": args.rate,
        "duplicates": duplicates,
        "missing": missing,
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Broadcast benchmark against a fake Bot API")
    parser.add_argument("-n", "--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--blocked", type=float, default=0.05, help="share of chats that blocked the bot")
    parser.add_argument("--p429", type=float, default=0.001, help="chance of a random 429 per send")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--crash", type=float, default=0.0, help="kill the sender at this share, then resume")
    parser.add_argument("--database-url", default=None)
    return parser


def main() -> None:
    args = parser().parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.exit(0 if asyncio.run(run(args))["ok"] else 1)


if __name__ == "__main__":
    main()

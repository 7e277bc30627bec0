"""A real sender process killed with SIGKILL half-way, then started again: the broadcast finishes,
nobody is missing, and only the sends in flight at the kill can repeat. Talks HTTP to the benchmark's
fake Bot API (bench/fake_telegram.py) through aiogram's own session."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.fake_telegram import FakeTelegram, serve
from db.models import Broadcast, BroadcastDelivery
from tests.test_broadcasts import add_people, create_direct

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 4

SENDER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import time
    from zoneinfo import ZoneInfo
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from bot.i18n import create_i18n
    from db.engine import Database
    from services.broadcast_sender import BroadcastSender

    async def main(url, base):
        db = Database(url)
        bot = Bot("123456789:AAEprocessprocessprocessprocess12",
                  session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        sender = BroadcastSender(bot, db, i18n=create_i18n("ru"), admin_chat_id=-1001000000001,
                                 tz=ZoneInfo("Asia/Krasnoyarsk"), rate=60.0, concurrency=CONCURRENCY_VALUE,
                                 quiet_hours=(time(0, 0), time(0, 0)), allow_fast=True)
        await sender.run_pending()
        await bot.session.close()
        await db.dispose()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
).replace("CONCURRENCY_VALUE", str(CONCURRENCY))


def spawn(url: str, base: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SENDER, url, base], cwd=ROOT, env={**os.environ})


def finish(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=60)


@pytest.mark.slow
async def test_sigkill_half_way_then_restart(db, settings) -> None:
    people = await add_people(db, 150)
    row = await create_direct(db)
    fake = FakeTelegram(blocked_share=0.0, p429=0.0, latency=(0.005, 0.02))
    runner, base = await serve(fake)
    try:
        first = spawn(settings.database_url, base)
        await asyncio.wait_for(fake.reached(50), timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        assert await asyncio.to_thread(finish, first) == -signal.SIGKILL
        delivered_at_kill = sum(fake.delivered.values())
        assert delivered_at_kill < len(people)
        async with db.session() as s:
            assert (await s.get(Broadcast, row.id)).status == "running"  # type: ignore[union-attr]

        second = spawn(settings.database_url, base)  # takes the dead process's lease at once
        assert await asyncio.to_thread(finish, second) == 0
    finally:
        await runner.cleanup()

    chats = {p.tg_id for p in people}
    assert set(fake.delivered) == chats  # nobody missing
    assert sum(fake.delivered.values()) - len(chats) <= CONCURRENCY  # only the in-flight ones repeat
    async with db.session() as s:
        assert (await s.get(Broadcast, row.id, populate_existing=True)).status == "done"  # type: ignore[union-attr]
        statuses = set(await s.scalars(select(BroadcastDelivery.status)))
    assert statuses == {"sent"}

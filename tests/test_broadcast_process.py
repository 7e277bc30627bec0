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
from tests.fake_api import FakeTelegram as ApiServer  # the fake Bot API that `python -m bot` talks to
from tests.test_broadcasts import add_people, create_direct

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock

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
    from bot.delivery.broadcasts import BroadcastSender

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
    return subprocess.Popen(
        [sys.executable, "-c", SENDER, url, base], cwd=ROOT, env={**os.environ, "FAKETIME_DONT_RESET": "1"}
    )


async def finish(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """Wait for the process to end (polled, so the event loop goes on meanwhile)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while process.poll() is None:
        if asyncio.get_running_loop().time() > deadline:
            process.kill()
            raise AssertionError("the sender process did not finish in time")
        await asyncio.sleep(0.05)
    return process.returncode


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
        assert await finish(first) == -signal.SIGKILL
        delivered_at_kill = sum(fake.delivered.values())
        assert delivered_at_kill < len(people)
        async with db.session() as s:
            assert (await s.get(Broadcast, row.id)).status == "running"  # type: ignore[union-attr]

        second = spawn(settings.database_url, base)  # takes the dead process's lease at once
        assert await finish(second) == 0
    finally:
        await runner.cleanup()

    chats = {p.tg_id for p in people}
    assert set(fake.delivered) == chats  # nobody missing
    assert sum(fake.delivered.values()) - len(chats) <= CONCURRENCY  # only the in-flight ones repeat
    async with db.session() as s:
        assert (await s.get(Broadcast, row.id, populate_existing=True)).status == "done"  # type: ignore[union-attr]
        statuses = set(await s.scalars(select(BroadcastDelivery.status)))
    assert statuses == {"sent"}


@pytest.mark.slow
async def test_photo_to_one_district_through_the_real_bot(tmp_path: Path, api: ApiServer) -> None:
    """The issue's «done when»: the real `python -m bot`, a staff member broadcasts a photo with a
    caption to one district; the people there get it once, the report is right, SIGTERM stops cleanly."""
    import time as _time

    from tests.conftest import ADMIN_CHAT_ID, STAFF_ID
    from tests.test_process import BotProcess, register

    bot = BotProcess(tmp_path, api, ADMIN_IDS=str(STAFF_ID))
    await bot.start()

    def admin_message(**fields: object) -> dict[str, object]:
        return {
            "message_id": next(api._message_ids),
            "date": int(_time.time()),
            "chat": {"id": ADMIN_CHAT_ID, "type": "supergroup", "title": "Staff"},
            "from": api.user(STAFF_ID, "Мария", "Сотрудник"),
            **fields,
        }

    def press_in_admin_chat(label: str) -> None:
        api.press(STAFF_ID, label, chat_id=ADMIN_CHAT_ID)

    people = {5101: "Идринский", 5102: "Шушенский", 5103: "Идринский"}
    try:
        for person, district in people.items():
            await register(api, person, name="Ольга Иванова", district=district, timeout=120)  # start-up

        photo = admin_message(
            photo=[{"file_id": "poster", "file_unique_id": "poster", "width": 10, "height": 10}],
            caption="Афиша ЭКСПО",
        )
        command = admin_message(
            text="/broadcast",
            entities=[{"type": "bot_command", "offset": 0, "length": 10}],
            reply_to_message=photo,
        )
        api.push({"message": command})
        await api.wait_text(ADMIN_CHAT_ID, "Получателей сейчас: <b>3</b>")
        press_in_admin_chat("Район")
        await api.wait_text(ADMIN_CHAT_ID, "Жителям какого района")
        press_in_admin_chat("Идринский")
        await api.wait_text(ADMIN_CHAT_ID, "Получателей сейчас: <b>2</b>")
        press_in_admin_chat("Далее")
        await api.wait_text(ADMIN_CHAT_ID, "Предпросмотр")
        press_in_admin_chat("Отправить")
        report = await api.wait_text(ADMIN_CHAT_ID, "Отчёт по рассылке №1", timeout=30)
        assert "Доставлено: 2 из 2" in report.text
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    copies = [c for c in api.calls if c.method == "copyMessage" and c.params["chat_id"] != STAFF_ID]
    assert sorted(c.params["chat_id"] for c in copies) == [5101, 5103]
    assert all(c.params["message_id"] == photo["message_id"] for c in copies)
    assert all(c.params["from_chat_id"] == ADMIN_CHAT_ID for c in copies)

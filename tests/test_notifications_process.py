"""Done when: a reminder queued a minute (here: seconds) ahead arrives once, on time, from the real
running bot, also when the bot was stopped and started in between. `python -m bot` runs as a process
against the fake Bot API server; the reminders are queued straight into its database."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.engine import Database, write
from db.models import Notification, NotificationStatus, User, UserStatus
from services import notifications
from tests.fake_api import FakeTelegram
from tests.test_process import BotProcess

pytestmark = pytest.mark.real_clock  # a real bot process reads the machine's clock

PERSON = 777001


async def queue_reminder(db: Database, ref_id: int, seconds: float) -> float:
    """Queue a reminder due in ``seconds``; returns the due moment as a wall-clock timestamp."""
    async with db.session() as s, write(s):
        user = await s.scalar(select(User).where(User.tg_id == PERSON))
        if user is None:
            user = User(tg_id=PERSON, full_name="Ольга Иванова", status=UserStatus.REGISTERED)
            s.add(user)
            await s.flush()
        due = utcnow() + timedelta(seconds=seconds)
        event_at = due + timedelta(hours=1)
        await notifications.queue(
            s,
            user=user,
            kind="test.reminder",
            ref_type="test",
            ref_id=ref_id,
            due_at=due,
            expires_at=event_at,
            payload={
                "text": "notify.reminder",
                "params": {"what": f"встреча №{ref_id}"},
                "event_at": event_at.isoformat(),
            },
        )
    return due.timestamp()


def arrivals(server: FakeTelegram, ref_id: int) -> list[float]:
    return [t for t, call in api_log(server) if f"встреча №{ref_id}" in call.text]


_seen: dict[int, float] = {}


def api_log(server: FakeTelegram) -> list[tuple[float, object]]:
    """Calls with the moment they were first seen by the test (the fake API keeps no times)."""
    out = []
    for call in server.calls:
        out.append((_seen.setdefault(id(call), time.time()), call))
    return out


async def watch(server: FakeTelegram, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        api_log(server)
        await asyncio.sleep(0.05)


async def wait_started(server: FakeTelegram) -> None:
    await server.wait_for(lambda c: c.method == "setMyCommands", timeout=60)


@pytest.mark.slow
async def test_reminder_arrives_once_on_time_also_across_a_restart(tmp_path: Path, api: FakeTelegram) -> None:
    bot = BotProcess(tmp_path, api, OUTBOX_TICK_SECONDS="1")
    await bot.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    try:
        await wait_started(api)
        due = await queue_reminder(db, 1, 3)
        await api.wait_text(PERSON, "встреча №1", timeout=30)
        await watch(api, 3)  # and nothing more comes
        [arrived] = arrivals(api, 1)
        assert due - 0.5 <= arrived <= due + 5, (due, arrived)

        # queued, then the bot stops before it is due, and starts after it was due
        due2 = await queue_reminder(db, 2, 4)
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert arrivals(api, 2) == []
    await asyncio.sleep(max(0.0, due2 - time.time()) + 1)
    bot = BotProcess(tmp_path, api, OUTBOX_TICK_SECONDS="1")
    await bot.start()
    try:
        await api.wait_text(PERSON, "встреча №2", timeout=60)
        await watch(api, 3)
    finally:
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert len(arrivals(api, 1)) == 1 and len(arrivals(api, 2)) == 1
    assert "⏰ Напоминание: встреча №2" in next(c.text for _t, c in api_log(api) if "№2" in c.text)
    async with db.session() as s:
        rows = list(await s.scalars(select(Notification).order_by(Notification.id)))
    assert [r.status for r in rows] == [NotificationStatus.SENT, NotificationStatus.SENT]
    await db.dispose()

"""One send pace for the whole bot (bot/delivery/pace.py): every sender of every instance together stays
within the rate, by Redis's clock. Needs Redis (TEST_REDIS_URL; .ci/run starts one)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.delivery.broadcasts import BroadcastSender
from bot.delivery.pace import SharedPace, create_pace
from services.outbox import Pacer
from tests.conftest import REDIS_URL, make_settings
from tests.test_broadcast_sender import most_in_one_second

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (TEST_REDIS_URL)")


async def instances(n: int, rate: float, key: str) -> list[SharedPace]:
    from redis.asyncio import Redis

    paces = [SharedPace(Redis.from_url(REDIS_URL or ""), key, rate) for _ in range(n)]
    await paces[0].redis.delete(key)
    return paces


async def test_three_instances_sending_at_once_keep_one_rate_together() -> None:
    rate = 20.0
    paces = await instances(3, rate, "ccbot:pace:test-three")
    moments: list[float] = []

    async def sender(pace: SharedPace, sends: int) -> None:
        for _ in range(sends):
            await pace.acquire()
            moments.append(time.monotonic())

    began = time.monotonic()
    try:
        await asyncio.gather(*(sender(pace, 20) for pace in paces for _ in range(2)))  # 6 senders, 120 sends
    finally:
        for pace in paces:
            await pace.close()
    took = time.monotonic() - began
    assert len(moments) == 120
    assert took >= (120 - 1) / rate * 0.95  # alone, each would have gone three times faster
    assert most_in_one_second(sorted(moments)) <= rate + 1  # +1: a window's both ends are counted


async def test_the_outbox_and_the_broadcast_sender_take_the_shared_pace(bot: Any, db: Any) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", redis_url=REDIS_URL, send_rate=25.0)
    pace = create_pace(settings)
    assert pace is not None and pace.rate == 25.0 and pace.key == f"ccbot:pace:{settings.token.split(':')[0]}"
    try:
        from bot.i18n import create_i18n

        sender = BroadcastSender.from_settings(bot, db, settings, create_i18n("ru"), pace=pace)
        assert sender.bucket is pace
        # the outbox's pacer keeps one a second per chat itself and takes the overall pace from Redis
        await pace.redis.delete(pace.key)
        pacer = Pacer(rate=1000.0, shared=pace)
        began = time.monotonic()
        for chat in range(26):
            await pacer.wait(chat)
        assert time.monotonic() - began >= 25 / 25.0 * 0.95  # 25/s, not the local 1000/s
    finally:
        await pace.close()
    assert (
        create_pace(make_settings("sqlite+aiosqlite:///:memory:", redis_url=None)) is None
    )  # one process without Redis: local pacers

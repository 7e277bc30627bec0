"""Two complete bot processes (dispatcher and scheduler each) in webhook mode on one PostgreSQL and one
Redis, behind a small round-robin proxy on loopback, with the fake Bot API: a person's booking dialog
alternates between the instances update by update and completes; 1,000 due notices and a broadcast to
2,000 people are each delivered exactly once although one instance is killed with SIGKILL half-way (the
other finishes; only sends in flight may repeat); and the two together never send more than 30 messages
in a second. Needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL; .ci/run provides both."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, insert, select

from db.base import utcnow
from db.engine import Database, write
from db.models import Booking, BroadcastDelivery, Notification, User, UserStatus
from services import broadcasts as broadcast_service
from tests.conftest import PG_URL, REDIS_URL, STAFF_ID
from tests.fake_api import FakeTelegram
from tests.test_booking_process import walk_to_confirm
from tests.test_broadcast_sender import most_in_one_second
from tests.test_process import BotProcess, register
from tests.test_webhook import SECRET
from tests.test_webhook_process import free_port, wait_healthy, webhook_env

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL), reason="needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)"
    ),
]

NOTICES = 1000
AUDIENCE = 2000
ADMIN_CHAT = -1001000000001
HEADER = "X-Telegram-Bot-Api-Secret-Token"


class RoundRobin:
    """The load balancer: each webhook POST goes to the next instance; one that does not answer is
    skipped (as nginx's proxy_next_upstream does). ``sent`` records which instance took each update."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = itertools.count()
        self.sent: list[tuple[int, int]] = []  # (update id, backend index)
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/telegram/webhook", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        update_id = int((await request.json())["update_id"])
        for _ in range(len(self.backends)):
            index = next(self.turn) % len(self.backends)
            try:
                async with self._http.post(
                    f"{self.backends[index]}/telegram/webhook",
                    data=body,
                    headers={HEADER: request.headers.get(HEADER, ""), "Content-Type": "application/json"},
                ) as answer:
                    self.sent.append((update_id, index))
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502)


def through(api: FakeTelegram, proxy: RoundRobin) -> list[asyncio.Task[Any]]:
    """Updates the test makes go to the proxy as Telegram's webhook calls, instead of getUpdates."""
    tasks: list[asyncio.Task[Any]] = []
    ids = itertools.count(1)

    async def post(update: dict[str, Any]) -> None:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{proxy.port}/telegram/webhook", json=update, headers={HEADER: SECRET}
            ) as answer:
                assert answer.status == 200, await answer.text()

    def push(update: dict[str, Any]) -> None:
        tasks.append(asyncio.ensure_future(post({"update_id": next(ids), **update})))

    api.push = push  # type: ignore[method-assign]
    return tasks


def timed(api: FakeTelegram) -> list[tuple[float, str, str]]:
    """(when, method, chat) of every call the bots make, to check the combined send rate."""
    calls: list[tuple[float, str, str]] = []
    original = api._result

    async def result(method: str, params: dict[str, Any]) -> Any:
        calls.append((time.monotonic(), method, str(params.get("chat_id", ""))))
        return await original(method, params)

    api._result = result  # type: ignore[method-assign]
    return calls


async def people_and_notices(db: Database) -> tuple[list[int], list[int]]:
    """2,000 registered subscribers for the broadcast, the first 1,000 of them with a notice due now."""
    now = utcnow()
    first_chat = 7_000_000
    async with db.session() as session, write(session):
        await session.execute(
            insert(User),
            [
                {
                    "tg_id": first_chat + i,
                    "status": UserStatus.REGISTERED,
                    "full_name": f"Житель {i}",
                    "district": "krasnoturansky",
                    "language": "ru",
                    "news_opt_in": True,
                    "interest_districts": [],
                    "interest_topics": [],
                    "registered_at": now,
                }
                for i in range(AUDIENCE)
            ],
        )
        ids = list(
            await session.scalars(select(User.id).where(User.tg_id >= first_chat).order_by(User.tg_id))
        )
        await session.execute(
            insert(Notification),
            [
                {
                    "key": f"test:two:{user_id}",
                    "user_id": user_id,
                    "chat_id": first_chat + i,
                    "kind": "test.notice",
                    "payload": {"html": f"Напоминание №{i}"},
                    "due_at": now,
                    "quiet": False,
                }
                for i, user_id in enumerate(ids[:NOTICES])
            ],
        )
    return [first_chat + i for i in range(NOTICES)], [first_chat + i for i in range(AUDIENCE)]


async def test_two_instances_behind_a_proxy_share_the_work_exactly_once(
    tmp_path: Path, api: FakeTelegram, empty_pg: str, redis_flush: None
) -> None:
    calls = timed(api)
    ports = [free_port(), free_port()]
    proxy = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
    await proxy.start()
    tasks = through(api, proxy)
    bots = []
    for n, port in enumerate(ports):
        home = tmp_path / f"instance-{n}"
        home.mkdir()
        bots.append(
            BotProcess(
                home,
                api,
                DATABASE_URL=empty_pg,
                REDIS_URL=REDIS_URL or "",
                **webhook_env(port),
                OUTBOX_TICK_SECONDS="1",
                OUTBOX_CLAIM_SECONDS="10",
                BROADCAST_LEASE_SECONDS="10",
                BROADCAST_POLL_SECONDS="1",
                # the bot-wide pace, below 30 with room for the jitter of a loaded machine (the fake API
                # sees each send when it arrives); without the shared pace each process alone would send
                # its outbox at 28 and its broadcasts at 25 a second
                SEND_RATE="24",
            )
        )
    db = Database(empty_pg)
    try:
        for bot in bots:
            await bot.start()
        for port in ports:
            await wait_healthy(f"http://127.0.0.1:{port}", timeout=180)

        # a person registers and books, each update going to the other instance than the one before
        anna = 3201
        await register(api, anna, name="Анна Смирнова", timeout=60)
        await walk_to_confirm(api, anna)
        api.press(anna, "Забронировать")
        await api.wait_text(anna, "место за вами", timeout=30)
        await asyncio.gather(*tasks)
        dialog = [index for _update, index in proxy.sent]
        assert len(dialog) >= 12 and Counter(dialog) == Counter(
            {0: len(dialog) // 2 + len(dialog) % 2, 1: len(dialog) // 2}
        )
        async with db.session() as session:
            booking = await session.scalar(select(Booking))
        assert booking is not None and booking.status == "confirmed"

        # 1,000 notices due now and a broadcast to 2,000 people, with one instance killed half-way
        notice_chats, audience = await people_and_notices(db)
        sent_before = len(calls)
        async with db.session() as session:
            broadcast = await broadcast_service.create(
                session,
                staff_tg_id=STAFF_ID,
                source_chat_id=ADMIN_CHAT,
                source_message_id=1,
                content_kind="text",
                excerpt="Ярмарка НКО",
                audience={},
            )
        total = NOTICES + AUDIENCE
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 600
        while len(calls) - sent_before < total // 2:
            assert loop.time() < deadline, f"sent {len(calls) - sent_before} of {total}"
            await asyncio.sleep(0.2)
        bots[0].proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        killed_at = len(calls)

        def delivered() -> tuple[Counter[str], Counter[str]]:
            notices = Counter(chat for _t, method, chat in calls if method == "sendmessage")
            copies = Counter(chat for _t, method, chat in calls if method == "copymessage")
            return notices, copies

        while True:
            notices, copies = delivered()
            if all(notices[str(c)] for c in notice_chats) and all(copies[str(c)] for c in audience):
                break
            assert loop.time() < deadline, (
                f"after the kill: notices {sum(1 for c in notice_chats if notices[str(c)])} of {NOTICES}, "
                f"broadcast {sum(1 for c in audience if copies[str(c)])} of {AUDIENCE}"
            )
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # anything sent twice would come now
        async with db.session() as session:
            pending = await session.scalar(
                select(func.count()).where(
                    BroadcastDelivery.broadcast_id == broadcast.id, BroadcastDelivery.status == "pending"
                )
            )
        assert not pending
    finally:
        for bot in bots:
            if bot.proc is not None and bot.proc.returncode is None:
                await bot.stop(signal.SIGTERM)
        await proxy.stop()
        await db.dispose()

    notices, copies = delivered()
    repeats = sum(n - 1 for c, n in notices.items() if int(c) in set(notice_chats) and n > 1)
    repeats += sum(n - 1 for c, n in copies.items() if n > 1)
    assert repeats <= 10, f"{repeats} repeats: more than the sends in flight at the kill"
    sends = [t for t, method, _chat in calls[sent_before:] if method in ("sendmessage", "copymessage")]
    peak = most_in_one_second(sorted(sends))
    print(f"two instances: {len(sends)} sends, {repeats} repeats after the kill, at most {peak} in a second")
    assert peak <= 30, f"the two instances together sent {peak} in one second, past Telegram's 30"
    assert killed_at > sent_before

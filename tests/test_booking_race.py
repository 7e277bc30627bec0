"""Races for the last place: exactly one winner, clear refusals, nothing locked up, no error.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from db.base import utcnow
from db.engine import write
from db.models import Booking, BookingSlot, Notification, User
from db.models.core import UserStatus
from services import booking as svc

TZ = ZoneInfo("Asia/Krasnoyarsk")
RACERS = 50


def next_monday() -> date:
    today = utcnow().astimezone(TZ).date()
    return today + timedelta(days=7 - today.weekday())


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


async def make_users(db, count: int, first_tg: int = 80000) -> list[User]:
    async with db.session() as s, write(s):
        users = [
            User(
                tg_id=first_tg + n,
                full_name=f"Гонщик {n}",
                status=UserStatus.REGISTERED,
                registered_at=utcnow(),
            )
            for n in range(count)
        ]
        s.add_all(users)
    return users


async def test_fifty_people_race_for_the_last_desk(db) -> None:
    async with db.session() as s:
        await svc.ensure_default_resources(s)
        cow = await svc.resource_by_code(s, "coworking")
    day = next_monday()
    start = at(day, 10)
    users = await make_users(db, cow.capacity - 1 + RACERS)
    for user in users[: cow.capacity - 1]:  # all places but one are taken
        async with db.session() as s:
            await svc.create_booking(s, resource_id=cow.id, user=user, start=start, minutes=120, tz=TZ)

    async def attempt(user: User) -> str:
        async with db.session() as s:
            try:
                await svc.create_booking(s, resource_id=cow.id, user=user, start=start, minutes=120, tz=TZ)
            except svc.SlotTaken as error:
                return error.key
            return "won"

    results = await asyncio.wait_for(asyncio.gather(*(attempt(u) for u in users[cow.capacity - 1 :])), 60)
    assert results.count("won") == 1
    assert results.count("booking.err_taken") == RACERS - 1
    async with db.session() as s:
        for slot in (start, start + timedelta(hours=1)):
            taken = await s.scalar(select(func.count()).where(BookingSlot.slot_start == slot))
            assert taken == cow.capacity
        assert await s.scalar(select(func.count()).select_from(Booking)) == cow.capacity
        assert await s.scalar(select(func.count()).select_from(Notification)) == cow.capacity
    # nothing is locked up: the next write goes straight through
    async with db.session() as s:
        await asyncio.wait_for(
            svc.create_booking(s, resource_id=cow.id, user=users[-1], start=at(day, 14), minutes=60, tz=TZ), 5
        )


async def test_overlapping_requests_for_one_room_never_double_book(db) -> None:
    """Different start times and lengths, all overlapping 12:00: one room, no two bookings overlap."""
    async with db.session() as s:
        await svc.ensure_default_resources(s)
        room = await svc.resource_by_code(s, "meeting_room")
    day = next_monday()
    users = await make_users(db, 30, first_tg=81000)
    shapes = [(at(day, 10) + timedelta(minutes=30 * (n % 5)), 30 * (1 + n % 6)) for n in range(30)]

    async def attempt(user: User, start: datetime, minutes: int) -> bool:
        async with db.session() as s:
            try:
                await svc.create_booking(
                    s, resource_id=room.id, user=user, start=start, minutes=minutes, tz=TZ
                )
            except svc.SlotTaken:
                return False
            return True

    results = await asyncio.gather(*(attempt(u, *shape) for u, shape in zip(users, shapes, strict=True)))
    assert any(results)
    async with db.session() as s:
        rows = list(await s.scalars(select(Booking).order_by(Booking.start_at)))
    assert len(rows) == results.count(True)
    for first, second in itertools.pairwise(rows):
        assert first.end_at <= second.start_at


@pytest.mark.slow
async def test_fifty_people_press_book_at_once_through_the_bot(dp, bot, db, fake_session) -> None:
    """The same race through the dispatcher: one confirmation, 49 «just taken» with fresh times."""
    from aiogram.types import CallbackQuery, Chat, Message, Update
    from aiogram.types import User as TgUser

    async with db.session() as s:
        await svc.ensure_default_resources(s)
        room = await svc.resource_by_code(s, "meeting_room")
    day = next_monday()
    start = at(day, 10)
    users = await make_users(db, RACERS, first_tg=90000)
    for user in users:
        key = StorageKey(bot_id=bot.id, chat_id=user.tg_id, user_id=user.tg_id)
        await dp.storage.set_state(key, "form:Book")  # each on the preview of the same booking
        draft = {"rid": room.id, "day": day.isoformat(), "start": int(start.timestamp()) // 60, "minutes": 60}
        await dp.storage.set_data(key, {"form": "Book", "step": "_preview", "draft": draft, "msg": 1})

    def update(n: int, tg_id: int) -> Update:
        tg_user = TgUser(id=tg_id, is_bot=False, first_name="Гонщик")
        chat = Chat(id=tg_id, type="private")
        message = Message(message_id=1, date=utcnow(), chat=chat, from_user=tg_user, text="…")
        query = CallbackQuery(
            id=str(n), from_user=tg_user, chat_instance="ci", data="fm:Book:_preview:ok:", message=message
        )
        return Update(update_id=100000 + n, callback_query=query)

    # At most 10 updates in flight: each update holds one pooled connection for its session while the
    # SQL FSM storage asks for a second one, so more updates than pool connections starve the pool
    # (a foundation limit reported to the lead; the 50-way race on the service itself is above).
    gate = asyncio.Semaphore(10)

    async def feed(n: int, tg_id: int) -> None:
        async with gate:
            await dp.feed_update(bot, update(n, tg_id))

    await asyncio.wait_for(asyncio.gather(*(feed(n, u.tg_id) for n, u in enumerate(users))), 120)
    assert dp.workflow_data["error_sink"] == []
    winners = [u for u in users if fake_session.texts_to(u.tg_id, "место за вами")]
    assert len(winners) == 1
    for user in users:
        if user is winners[0]:
            continue
        texts = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=user.tg_id)]
        assert any("только что заняли" in t for t in texts), texts
        key = StorageKey(bot_id=bot.id, chat_id=user.tg_id, user_id=user.tg_id)
        assert await dp.storage.get_state(key) == "form:Book"
        assert (await dp.storage.get_data(key))["step"] in ("time", "day")
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Booking)) == 1

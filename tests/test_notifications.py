"""The outbox engine: queueing, claiming, sending, marking, with a frozen clock and the fake session."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.outbox import telegram_outbox
from bot.i18n import create_i18n
from bot.scheduler import CATCH_UP_JOB, DIGEST_JOB, TICK_JOB, build_scheduler, last_digest_moment
from db.engine import Database, write
from db.models import Notification, NotificationStatus, User, UserStatus
from services import notifications
from services.outbox import Outbox, Pacer, in_quiet_hours
from tests.fakes import FakeSession
from tests.fuzz import examples

TZ = Settings(_env_file=None).tz  # type: ignore[call-arg]
# Wednesday 25 Nov 2026, 12:00 in Krasnoyarsk (UTC+7)
T0 = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
I18N = create_i18n("ru")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeTime:
    """Monotonic time for the pacer: sleeping advances it, nothing really waits."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def make_outbox(bot: Bot, db: Database, clock: Clock, **kwargs: Any) -> Outbox:
    fake = kwargs.pop("fake_time", None) or FakeTime()
    return telegram_outbox(
        bot,
        db,
        I18N,
        tz=TZ,
        pacer=Pacer(rate=28, clock=fake.clock, sleep=fake.sleep),
        clock=clock,
        **kwargs,
    )


async def add_user(db: Database, tg_id: int, **fields: Any) -> User:
    async with db.session() as s, write(s):
        user = User(
            tg_id=tg_id,
            status=UserStatus.REGISTERED,
            full_name=fields.pop("full_name", "Анна Смирнова"),
            **fields,
        )
        s.add(user)
    return user


async def put(db: Database, user: User, **kwargs: Any) -> Notification | None:
    kwargs.setdefault("kind", "test")
    kwargs.setdefault("payload", {"text": "digest.more", "params": {"count": 3}})
    async with db.session() as s, write(s):
        return await notifications.queue(s, user=user, **kwargs)


async def rows(db: Database) -> list[Notification]:
    async with db.session() as s:
        return list(await s.scalars(select(Notification).order_by(Notification.id)))


async def reload(db: Database, user: User) -> User:
    async with db.session() as s:
        found = await s.get(User, user.id)
        assert found is not None
        return found


def texts_to(fake_session: FakeSession, chat_id: int) -> list[str]:
    """Messages that reached the chat (a call answered with an error did not)."""
    return [
        c.method.text
        for c in fake_session.calls_of("SendMessage", chat_id=chat_id)
        if not isinstance(c.result, Exception)
    ]


# --- sending ---


async def test_due_notice_is_sent_once_in_the_persons_language(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    john = await add_user(db, 102, full_name="John Smith", language="en")
    clock = Clock(T0)
    payload = {"text": "digest.more", "params": {"count": 3}, "buttons": [[["btn.yes", "x:1"]]]}
    await put(db, anna, ref_type="thing", ref_id=1, due_at=T0 + timedelta(minutes=1), payload=payload)
    await put(db, john, ref_type="thing", ref_id=1, due_at=T0 + timedelta(minutes=1), payload=payload)
    outbox = make_outbox(bot, db, clock)

    assert (await outbox.tick()).sent == 0  # not yet due
    assert fake_session.calls_of("SendMessage") == []

    clock.now = T0 + timedelta(minutes=1)
    result = await outbox.tick()
    assert result.sent == 2
    assert texts_to(fake_session, 101) == ["…и ещё 3"]
    assert texts_to(fake_session, 102) == ["…and 3 more"]
    [call] = fake_session.calls_of("SendMessage", chat_id=102)
    assert call.method.reply_markup.inline_keyboard[0][0].text == "Yes"
    assert call.method.reply_markup.inline_keyboard[0][0].callback_data == "x:1"
    for row in await rows(db):
        assert row.status == NotificationStatus.SENT and row.sent_at == clock.now and row.attempts == 1

    clock.now += timedelta(minutes=5)
    assert (await outbox.tick()).sent == 0
    assert len(fake_session.calls_of("SendMessage")) == 2  # never twice


async def test_queue_is_idempotent_per_key(db) -> None:
    anna = await add_user(db, 101)
    first = await put(db, anna, ref_type="thing", ref_id=7, due_at=T0)
    again = await put(db, anna, ref_type="thing", ref_id=7, due_at=T0 + timedelta(hours=1))
    assert first is not None and again is not None and first.id == again.id
    [row] = await rows(db)
    assert row.due_at == T0 + timedelta(hours=1)


async def test_reminder_whose_moment_passed_is_dropped_not_sent_late(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    event_at = T0 + timedelta(hours=1)
    async with db.session() as s, write(s):
        # queued while the bot thinks "now" is real time; we pretend the event is at T0 + 1h
        await notifications.queue(
            s,
            user=anna,
            kind="reminder",
            due_at=T0,
            ref_type="event",
            ref_id=1,
            payload={"text": "digest.more", "params": {"count": 1}, "event_at": event_at.isoformat()},
            expires_at=event_at,
        )
    clock = Clock(event_at + timedelta(minutes=1))  # the bot was down until after the start
    result = await make_outbox(bot, db, clock).tick()
    assert result.sent == 0
    assert fake_session.calls_of("SendMessage") == []
    [row] = await rows(db)
    assert row.status == NotificationStatus.DROPPED and row.last_error == "expired"


async def test_reminder_params_get_the_local_event_time(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    event_at = T0 + timedelta(hours=2)  # 14:00 in Krasnoyarsk
    await put(
        db,
        anna,
        due_at=T0,
        payload={"text": "notify.reminder", "params": {"what": "x"}, "event_at": event_at.isoformat()},
        expires_at=event_at,
    )
    await put(
        db,
        anna,
        kind="other",
        due_at=T0,
        payload={"text": "settings.districts", "params": {"value": {"t": "district.idrinsky"}}},
    )
    await make_outbox(bot, db, Clock(T0)).tick()
    assert texts_to(fake_session, 101) == ["⏰ Напоминание: x — ср, 25 ноября, 14:00", "📍 Районы: Идринский"]


async def test_unrenderable_notice_fails_and_the_rest_still_go(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, ref_type="a", ref_id=1, due_at=T0, payload={"text": "digest.more", "params": {}})
    await put(db, anna, ref_type="a", ref_id=2, due_at=T0)
    result = await make_outbox(bot, db, Clock(T0)).tick()
    assert (result.sent, result.failed) == (1, 1)
    first, second = await rows(db)
    assert first.status == NotificationStatus.FAILED and "render" in (first.last_error or "")
    assert second.status == NotificationStatus.SENT


async def test_notice_cancelled_after_the_claim_is_not_sent(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    row = await put(db, anna, ref_type="booking", ref_id=5, due_at=T0)
    assert row is not None
    outbox = make_outbox(bot, db, Clock(T0))
    ids = await outbox.claim(T0)
    assert ids == [row.id]
    async with db.session() as s, write(s):
        assert await notifications.cancel(s, ref_type="booking", ref_id=5) == 1
    from services.outbox import TickResult

    await outbox.deliver(row.id, TickResult())
    assert fake_session.calls_of("SendMessage") == []
    [stored] = await rows(db)
    assert stored.status == NotificationStatus.CANCELLED


# --- crashes and restarts ---


async def test_crash_between_claim_and_send_loses_nothing(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, ref_type="a", ref_id=1, due_at=T0)
    await put(db, anna, ref_type="a", ref_id=2, due_at=T0)
    dead = make_outbox(bot, db, Clock(T0), claim_ttl=timedelta(minutes=5))
    assert len(await dead.claim(T0)) == 2  # ... and the process dies here

    restarted = make_outbox(bot, db, Clock(T0 + timedelta(minutes=1)), claim_ttl=timedelta(minutes=5))
    assert (await restarted.tick()).sent == 0  # the claim still holds
    restarted.clock = Clock(T0 + timedelta(minutes=5, seconds=1))
    assert (await restarted.tick()).sent == 2
    assert len(texts_to(fake_session, 101)) == 2
    assert all(r.status == NotificationStatus.SENT for r in await rows(db))


class Crash(BaseException):
    """The process dies (not an error the sender could handle)."""


async def test_crash_after_a_send_repeats_only_the_notice_in_flight(
    db, bot, fake_session, monkeypatch
) -> None:
    people = [await add_user(db, 200 + i) for i in range(3)]
    for i, person in enumerate(people):
        await put(db, person, ref_type="a", ref_id=i + 1, due_at=T0 + timedelta(seconds=i))
    dying = make_outbox(bot, db, Clock(T0 + timedelta(seconds=5)), workers=1)
    original = dying._finish
    target_chat = people[1].tg_id

    async def finish(row_id: int, status: Any, **kwargs: Any) -> None:
        async with db.session() as s:
            row = await s.get(Notification, row_id)
        if row is not None and row.chat_id == target_chat and status == NotificationStatus.SENT:
            raise Crash  # sent, but the process died before marking it
        await original(row_id, status, **kwargs)

    monkeypatch.setattr(dying, "_finish", finish)
    with pytest.raises(Crash):
        await dying.tick()
    sent_before = {p.tg_id: len(texts_to(fake_session, p.tg_id)) for p in people}
    assert sent_before == {200: 1, 201: 1, 202: 0}

    later = make_outbox(bot, db, Clock(T0 + timedelta(minutes=10)))
    await later.tick()
    assert {p.tg_id: len(texts_to(fake_session, p.tg_id)) for p in people} == {200: 1, 201: 2, 202: 1}
    assert all(r.status == NotificationStatus.SENT for r in await rows(db))


async def test_stopping_releases_claims_for_the_next_start(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    row = await put(db, anna, due_at=T0)
    assert row is not None
    outbox = make_outbox(bot, db, Clock(T0))
    await outbox.claim(T0)
    assert await outbox.release([row.id]) == 1
    [stored] = await rows(db)
    assert stored.status == NotificationStatus.PENDING and stored.attempts == 0
    await outbox.stop()
    assert (await outbox.tick()).sent == 0  # a stopping outbox claims nothing
    assert (await make_outbox(bot, db, Clock(T0)).tick()).sent == 1


async def test_two_senders_at_once_send_each_notice_once(db, bot, fake_session) -> None:
    people = [await add_user(db, 300 + i) for i in range(12)]
    for person in people:
        await put(db, person, due_at=T0)
    first = make_outbox(bot, db, Clock(T0), batch_size=4)
    second = make_outbox(bot, db, Clock(T0), batch_size=4)
    await asyncio.gather(first.tick(), second.tick())
    for person in people:
        assert len(texts_to(fake_session, person.tg_id)) == 1
    assert all(r.status == NotificationStatus.SENT for r in await rows(db))


# --- Telegram's answers ---


def _method(chat_id: int = 101) -> SendMessage:
    return SendMessage(chat_id=chat_id, text="x")


async def test_retry_after_waits_as_told_and_sends(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, due_at=T0)
    fake_session.fail_next("SendMessage", TelegramRetryAfter(_method(), "Too Many Requests", retry_after=7))
    fake = FakeTime()
    result = await make_outbox(bot, db, Clock(T0), fake_time=fake).tick()
    assert result.sent == 1 and result.retried == 1
    assert sum(fake.sleeps) >= 7  # all sending paused as long as Telegram asked
    assert len(texts_to(fake_session, 101)) == 1
    [row] = await rows(db)
    assert row.status == NotificationStatus.SENT


async def test_persistent_retry_after_puts_the_notice_back_without_counting_it(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, due_at=T0)
    errors = [TelegramRetryAfter(_method(), "Too Many Requests", retry_after=30) for _ in range(4)]
    fake_session.fail_next("SendMessage", *errors)
    await make_outbox(bot, db, Clock(T0)).tick()
    [row] = await rows(db)
    assert row.status == NotificationStatus.PENDING
    assert row.due_at == T0 + timedelta(seconds=30) and row.attempts == 0


@pytest.mark.parametrize(
    "error",
    [
        TelegramForbiddenError(_method(), "Forbidden: bot was blocked by the user"),
        TelegramForbiddenError(_method(), "Forbidden: user is deactivated"),
        TelegramBadRequest(_method(), "Bad Request: chat not found"),
    ],
)
async def test_blocked_person_is_marked_unreachable_and_never_retried(db, bot, fake_session, error) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, ref_type="a", ref_id=1, due_at=T0)
    await put(db, anna, ref_type="a", ref_id=2, due_at=T0 + timedelta(days=1))
    fake_session.fail_next("SendMessage", error)
    clock = Clock(T0)
    outbox = make_outbox(bot, db, clock)
    result = await outbox.tick()
    assert result.unreachable == 1
    first, second = await rows(db)
    assert first.status == NotificationStatus.FAILED and first.attempts == 1
    assert second.status == NotificationStatus.CANCELLED
    assert (await reload(db, anna)).unreachable_at == T0
    # nothing more is queued for them, and nothing is retried
    assert await put(db, await reload(db, anna), ref_type="a", ref_id=3, due_at=T0) is None
    clock.now = T0 + timedelta(days=2)
    await outbox.tick()
    assert len(fake_session.calls_of("SendMessage")) == 1


async def test_other_errors_back_off_then_fail(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, due_at=T0)
    fake_session.fail_next(
        "SendMessage",
        TelegramServerError(_method(), "Internal Server Error"),
        TelegramNetworkError(_method(), "timeout"),
        TelegramServerError(_method(), "Bad Gateway"),
    )
    clock = Clock(T0)
    outbox = make_outbox(bot, db, clock, max_attempts=3)
    await outbox.tick()
    [row] = await rows(db)
    assert row.status == NotificationStatus.PENDING and row.attempts == 1
    assert row.due_at == T0 + timedelta(seconds=60) and "Internal Server Error" in (row.last_error or "")

    clock.now = T0 + timedelta(seconds=30)
    await outbox.tick()  # not due again yet
    assert len(fake_session.calls_of("SendMessage")) == 1

    clock.now = T0 + timedelta(seconds=60)
    await outbox.tick()
    [row] = await rows(db)
    assert row.status == NotificationStatus.PENDING and row.attempts == 2
    assert row.due_at == clock.now + timedelta(seconds=300)

    clock.now += timedelta(seconds=300)
    await outbox.tick()
    [row] = await rows(db)
    assert row.status == NotificationStatus.FAILED and row.attempts == 3
    clock.now += timedelta(days=1)
    await outbox.tick()
    assert len(fake_session.calls_of("SendMessage")) == 3


async def test_bad_request_is_not_retried(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    await put(db, anna, due_at=T0)
    fake_session.fail_next("SendMessage", TelegramBadRequest(_method(), "Bad Request: can't parse entities"))
    await make_outbox(bot, db, Clock(T0)).tick()
    [row] = await rows(db)
    assert row.status == NotificationStatus.FAILED and "parse entities" in (row.last_error or "")


# --- quiet hours ---


def local(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (local(21, 59), False),
        (local(22, 0), True),
        (local(3, 0), True),
        (local(7, 59), True),
        (local(8, 0), False),
    ],
)
def test_quiet_hours_wrap_midnight(moment: datetime, quiet: bool) -> None:
    assert in_quiet_hours(moment, TZ, time(22, 0), time(8, 0)) is quiet


def test_quiet_hours_within_a_day_and_disabled() -> None:
    assert in_quiet_hours(local(13, 0), TZ, time(12, 0), time(14, 0))
    assert not in_quiet_hours(local(14, 0), TZ, time(12, 0), time(14, 0))
    assert not in_quiet_hours(local(3, 0), TZ, time(0, 0), time(0, 0))


async def test_quiet_notices_wait_for_the_morning_reminders_do_not(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    night = local(23, 0)
    await put(db, anna, kind="announcement", ref_type="a", ref_id=1, due_at=night, quiet=True)
    await put(db, anna, kind="reminder", ref_type="a", ref_id=2, due_at=night)
    clock = Clock(night)
    outbox = make_outbox(bot, db, clock)
    assert (await outbox.tick()).sent == 1
    announcement, reminder = await rows(db)
    assert reminder.status == NotificationStatus.SENT
    assert announcement.status == NotificationStatus.PENDING
    clock.now = local(7, 59, day=26)
    assert (await outbox.tick()).sent == 0
    clock.now = local(8, 0, day=26)
    assert (await outbox.tick()).sent == 1
    assert len(texts_to(fake_session, 101)) == 2


# --- pacing ---


async def test_pacer_keeps_one_a_second_per_chat_and_the_overall_rate() -> None:
    fake = FakeTime()
    pacer = Pacer(rate=28, clock=fake.clock, sleep=fake.sleep)
    moments: list[tuple[int, float]] = []
    for chat in [1, 1, 1, *list(range(100, 160))]:
        await pacer.wait(chat)
        moments.append((chat, fake.t))
    same_chat = [t for c, t in moments if c == 1]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(same_chat))
    times = sorted(t for _c, t in moments)
    assert all(b - a >= 1 / 28 - 1e-9 for a, b in itertools.pairwise(times))
    pacer.pause(10)
    before = fake.t
    await pacer.wait(999)
    assert fake.t - before >= 10


@examples(60)
@given(chats=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=40))
async def test_pacer_limits_hold_for_any_sequence(chats: list[int]) -> None:
    fake = FakeTime()
    pacer = Pacer(rate=28, clock=fake.clock, sleep=fake.sleep)
    moments = []
    for chat in chats:
        await pacer.wait(chat)
        moments.append((chat, fake.t))
    for chat in set(chats):
        mine = [t for c, t in moments if c == chat]
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(mine))
    for i, (_c, t) in enumerate(moments):
        assert sum(1 for _x, u in moments[i:] if u - t < 1.0) <= 28


async def test_notices_to_one_chat_go_in_order_one_a_second(db, bot, fake_session) -> None:
    anna = await add_user(db, 101)
    for i in range(3):
        await put(
            db,
            anna,
            ref_type="a",
            ref_id=i + 1,
            due_at=T0,
            payload={"text": "digest.more", "params": {"count": i}},
        )
    fake = FakeTime()
    await make_outbox(bot, db, Clock(T0), fake_time=fake).tick()
    assert texts_to(fake_session, 101) == ["…и ещё 0", "…и ещё 1", "…и ещё 2"]
    assert sum(fake.sleeps) >= 2.0 - 1e-9


# --- the scheduler ---


async def test_jobs_are_registered_without_starting(settings, db, bot, dp) -> None:
    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    assert not scheduler.running
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {TICK_JOB, DIGEST_JOB, CATCH_UP_JOB} <= set(jobs)  # other features add theirs
    tick = jobs[TICK_JOB]
    assert tick.trigger.interval == timedelta(seconds=settings.outbox_tick_seconds)
    digest = jobs[DIGEST_JOB]
    fields = {f.name: str(f) for f in digest.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "10", "0")
    assert str(digest.trigger.timezone) == "Asia/Krasnoyarsk"
    for job in (jobs[TICK_JOB], jobs[DIGEST_JOB], jobs[CATCH_UP_JOB]):
        assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time
    # the dispatcher's shutdown stops the outbox before the scheduler goes
    [stop] = [
        h.callback for h in dp.shutdown.handlers if getattr(h.callback, "__name__", "") == "stop_outbox"
    ]
    await stop()
    assert scheduler.outbox._stopping  # type: ignore[attr-defined]


def test_last_digest_moment(settings) -> None:
    # Wednesday 25 Nov: the last one was Monday 23 Nov 10:00 local
    assert last_digest_moment(local(12, 0), settings) == local(10, 0, day=23)
    assert last_digest_moment(local(10, 0, day=23), settings) == local(10, 0, day=23)
    assert last_digest_moment(local(9, 59, day=23), settings) == local(10, 0, day=16)

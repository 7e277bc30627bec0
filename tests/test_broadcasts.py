"""Broadcasts: the staff dialog in the admin chat, the recipient's «Отписаться», the paced sender."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import CopyMessage
from aiogram.types import PhotoSize
from sqlalchemy import func, select, update

from bot.delivery.broadcasts import BroadcastSender
from db.base import utcnow
from db.engine import Database, write
from db.models import AuditLog, Broadcast, BroadcastDelivery, User, UserStatus
from services import broadcasts as service
from tests.client import Press, TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, register

_tg_ids = itertools.count(700_000)
METHOD = CopyMessage(chat_id=1, from_chat_id=1, message_id=1)


# --- helpers --------------------------------------------------------------------------------------


async def add_people(db: Database, n: int, **fields: Any) -> list[User]:
    """Registered people straight into the database (the dialog is tested in test_registration)."""
    values = {
        "status": UserStatus.REGISTERED,
        "full_name": "Человек Тестовый",
        "target_group": "citizen",
        "district": "krasnoturansky",
        "news_opt_in": True,
        "interest_districts": [],
        "registered_at": utcnow(),
    }
    values.update(fields)
    people = [User(tg_id=next(_tg_ids), **values) for _ in range(n)]
    async with db.session() as session, write(session):
        session.add_all(people)
    return people


def make_sender(bot: Any, db: Database, settings: Any, dp: Any, **overrides: Any) -> BroadcastSender:
    values: dict[str, Any] = {
        "rate": 500.0,
        "allow_fast": True,
        "concurrency": 4,
        "retry_base": 0.05,
        "progress_seconds": 1.0,
        "quiet_hours": (time(0, 0), time(0, 0)),
    }
    values.update(overrides)
    return BroadcastSender.from_settings(bot, db, settings, dp["i18n"], **values)


async def start_broadcast(staff: TgClient, caption: str = "Афиша <b>ЭКСПО</b>") -> int:
    """Staff post a photo in the admin chat and reply /broadcast to it; returns the photo's message id."""
    photo = staff._message(
        photo=[PhotoSize(file_id="poster", file_unique_id="poster", width=10, height=10)], caption=caption
    )
    await staff.send("/broadcast", reply_to_message=photo)
    return photo.message_id


async def create_direct(db: Database, audience: dict[str, Any] | None = None, **kwargs: Any) -> Broadcast:
    async with db.session() as session:
        return await service.create(
            session,
            staff_tg_id=STAFF_ID,
            source_chat_id=ADMIN_CHAT_ID,
            source_message_id=kwargs.pop("message_id", 77),
            content_kind="text",
            excerpt="Новости",
            audience=audience or {},
            **kwargs,
        )


async def deliveries(db: Database, broadcast_id: int) -> list[BroadcastDelivery]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(BroadcastDelivery)
                .where(BroadcastDelivery.broadcast_id == broadcast_id)
                .order_by(BroadcastDelivery.id)
            )
        )


async def broadcast_row(db: Database, broadcast_id: int) -> Broadcast:
    async with db.session() as session:
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        return row


def copies(fake_session: Any) -> list[Any]:
    return [c for c in fake_session.calls_of("CopyMessage") if not isinstance(c.result, Exception)]


def copied_to(fake_session: Any) -> Counter[int]:
    return Counter(c.method.chat_id for c in copies(fake_session) if c.method.chat_id != STAFF_ID)


def dead_pid() -> int:
    """The id of a process that has just ended."""
    import os
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert child.pid != os.getpid()
    return child.pid


async def state_of(client: TgClient) -> str | None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key)


# --- the whole way: staff broadcast a photo to one district ---------------------------------------


async def test_photo_to_one_district(client_factory, staff, db, dp, bot, settings, fake_session) -> None:
    anna = client_factory(2001, first_name="Анна")
    boris = client_factory(2002, first_name="Борис")
    vera = client_factory(2003, first_name="Вера")
    gleb = client_factory(2004, first_name="Глеб")
    await register(anna, district="Идринский")
    await register(boris, district="Идринский", news=False)
    await register(vera, district="Краснотуранский")
    await register(gleb, district="Идринский")

    message_id = await start_broadcast(staff)
    assert "Получателей сейчас: <b>3</b>" in staff.last_text
    await staff.press("Район")
    await staff.press("Идринский")
    assert "живут в районе: Идринский" in staff.last_text
    assert "Получателей сейчас: <b>2</b>" in staff.last_text

    await staff.press("Далее")
    [preview] = [c for c in staff.sent("CopyMessage")]
    assert preview.method.chat_id == STAFF_ID and preview.method.message_id == message_id
    assert "в личные сообщения" in staff.last_text and "Получателей: <b>2</b>" in staff.last_text
    await staff.press("Отправить")
    assert "Рассылка №1 запущена: 2 получателя." in staff.last_text

    sender = make_sender(bot, db, settings, dp)
    await sender.run_pending()

    assert copied_to(fake_session) == Counter({2001: 1, 2004: 1})
    for call in copies(fake_session):
        assert call.method.from_chat_id == ADMIN_CHAT_ID and call.method.message_id == message_id
        assert call.method.reply_markup.inline_keyboard[0][0].text == "🔕 Отписаться от новостей"
    admin_texts = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)]
    assert any("Рассылка №1</b> идёт" in t for t in admin_texts)  # the progress message
    report = admin_texts[-1]
    assert "Отчёт по рассылке №1" in report and "Доставлено: 2 из 2" in report
    assert "Заблокировали бота или удалили аккаунт: 0" in report
    row = await broadcast_row(db, 1)
    assert row.status == "done" and row.total == 2 and row.lease_owner is None
    assert [d.status for d in await deliveries(db, 1)] == ["sent", "sent"]
    async with db.session() as session:
        actions = list(await session.scalars(select(AuditLog.action)))
    assert "broadcast.start" in actions

    # Anna gets exactly the copy, with the button; she unsubscribes with one tap and can come back.
    await anna.press("Отписаться от новостей")
    assert "отписались от новостей" in anna.alerts()[0]
    assert anna.buttons() == ["🔔 Вернуть подписку"]
    async with db.session() as session:
        user = await session.scalar(select(User).where(User.tg_id == 2001))
        assert user is not None and user.news_opt_in is False and user.digest_enabled is False
        assert (await session.get(Broadcast, 1)).unsubscribed == 1  # type: ignore[union-attr]
    await anna.press("Вернуть подписку")
    assert "снова подписаны" in anna.alerts()[0]
    async with db.session() as session:
        user = await session.scalar(select(User).where(User.tg_id == 2001))
        assert user is not None and user.news_opt_in is True

    await staff.send("/broadcasts")
    history = staff.last_text
    assert "№1" in history and "завершена" in history and "доставлено 2 из 2" in history
    assert "Идринский" in history and "отписались 1" in history


async def test_reply_needed_and_unsupported(staff, dp) -> None:
    await staff.send("/broadcast")
    assert "ответьте командой /broadcast" in staff.last_text
    sticker_message = staff._message(
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    )
    await staff.send("/broadcast", reply_to_message=sticker_message)
    assert "нельзя" in staff.last_text
    assert await state_of(staff) is None


async def test_only_staff_can_broadcast(client_factory, db, fake_session) -> None:
    stranger = client_factory(9999, chat_id=ADMIN_CHAT_ID)  # in the admin chat, but not staff
    text = stranger._message(text="Всем привет")
    await stranger.send("/broadcast", reply_to_message=text)
    assert "broadcast" not in (await state_of(stranger) or "")
    person = client_factory(2010)
    await register(person)
    await person.send("/broadcast", reply_to_message=person._message(text="hi"))
    assert (
        "только" in person.last_text.lower() or "нет доступа" in person.last_text.lower() or person.last_text
    )
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    # a stop button forged by a stranger does nothing
    await stranger.press_data("bc:stop:1:")
    assert fake_session.calls_of("EditMessageText", ADMIN_CHAT_ID) == []


async def test_nobody_matches(staff, db) -> None:
    await add_people(db, 2, district="idrinsky")
    await start_broadcast(staff)
    await staff.press("Район")
    await staff.press("Шушенский")
    assert "Получателей сейчас: <b>0</b>" in staff.last_text
    await staff.press("Далее")  # the form engine: the reason, then the same step again
    assert "никто не подходит" in staff.all_text() and "Получателей сейчас: <b>0</b>" in staff.last_text
    assert await staff.step() == "bc:audience"


@pytest.mark.parametrize(
    ("path", "back_to"),
    [(("Группа",), "Новая рассылка"), (("Далее", "Запланировать"), "Предпросмотр")],
    ids=["group", "schedule"],
)
async def test_back_and_cancel(staff, db, path: tuple[str, ...], back_to: str) -> None:
    """«Назад» from a step shows the step before it; «Отмена» there leaves nothing behind."""
    await add_people(db, 1)
    await start_broadcast(staff)
    await staff.walk(*map(Press, path))
    await staff.press("Назад")
    assert back_to in staff.last_text
    await staff.press("Отмена")
    assert "ничего не отправлено" in staff.last_text
    assert await state_of(staff) is None
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


# --- audience -------------------------------------------------------------------------------------


async def test_audience_filters(db) -> None:
    await add_people(db, 2, target_group="nko_staff", district="idrinsky", interest_districts=["idrinsky"])
    await add_people(
        db, 1, target_group="citizen", district="minusinsk", interest_districts=["idrinsky", "shushensky"]
    )
    await add_people(db, 1, target_group="nko_staff", district="idrinsky", news_opt_in=False)
    await add_people(db, 1, district="idrinsky", unreachable_at=utcnow())
    await add_people(db, 1, district="idrinsky", status=UserStatus.CONSENTED)
    async with db.session() as s:
        assert await service.count_audience(s, {}) == 3
        assert await service.count_audience(s, {"group": "nko_staff"}) == 2
        assert await service.count_audience(s, {"district": "minusinsk"}) == 1
        assert await service.count_audience(s, {"interest": "idrinsky"}) == 3
        assert await service.count_audience(s, {"interest": "shushensky"}) == 1
        assert await service.count_audience(s, {"interest": "shushensky", "group": "nko_staff"}) == 0
        with pytest.raises(service.ValidationFailed):
            await service.count_audience(s, {"district": "atlantis"})
        with pytest.raises(service.ValidationFailed):
            await service.count_audience(s, {"source": "nope"})


async def add_event(session: Any, title: str, kind: str, *, in_days: int, hours: int) -> Any:
    """A published event in the Centre starting ``in_days`` from now; registration closes a day before."""
    from db.models import Event

    start = utcnow() + timedelta(days=in_days)
    event = Event(
        title=title,
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        place_kind="center",
        reg_deadline=start - timedelta(days=1),
        status="published",
        checkin_code="abc",
        created_by=STAFF_ID,
    )
    session.add(event)
    await session.flush()
    return event


async def test_event_participants_audience(db) -> None:
    from db.models import EventSignup

    people = await add_people(db, 4)
    async with db.session() as session, write(session):
        event = await add_event(session, "Школа НКО", "training", in_days=3, hours=2)
        session.add_all(
            [
                EventSignup(event_id=event.id, user_id=people[0].id, status="confirmed"),
                EventSignup(event_id=event.id, user_id=people[1].id, status="waiting"),
                EventSignup(
                    event_id=event.id, user_id=people[2].id, status="confirmed", checked_in_at=utcnow()
                ),
            ]
        )
    async with db.session() as s:
        options = await service.source_options(s, "ev_signed")
        assert options and options[0][0] == str(event.id) and "Школа НКО" in options[0][1]
        ref = str(event.id)
        assert await service.count_audience(s, {"source": "ev_signed", "ref": ref}) == 2
        assert await service.count_audience(s, {"source": "ev_waiting", "ref": ref}) == 1
        assert await service.count_audience(s, {"source": "ev_attended", "ref": ref}) == 1
        with pytest.raises(service.ValidationFailed):  # an event audience needs the event
            await service.count_audience(s, {"source": "ev_signed"})


async def test_event_audience_through_the_dialog(staff, db) -> None:
    from db.models import EventSignup

    people = await add_people(db, 3)
    async with db.session() as session, write(session):
        event = await add_event(session, "ЭКСПО <соцпредпринимателей>", "expo", in_days=1, hours=3)
        session.add(EventSignup(event_id=event.id, user_id=people[0].id, status="confirmed"))
    await start_broadcast(staff)
    await staff.press("Участники, заявки, идеи")
    await staff.press("Записались на мероприятие")
    await staff.press("ЭКСПО")
    text = staff.last_text
    assert "&lt;соцпредпринимателей&gt;" in text and "Получателей сейчас: <b>1</b>" in text


# --- the sender -----------------------------------------------------------------------------------


async def test_blocked_gone_retry_and_429(db, dp, bot, settings, fake_session) -> None:
    people = await add_people(db, 6)
    row = await create_direct(db)
    fake_session.fail_next(
        "CopyMessage",
        TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"),
        TelegramBadRequest(METHOD, "Bad Request: chat not found"),
        TelegramServerError(METHOD, "Internal Server Error"),
        TelegramRetryAfter(METHOD, "Too Many Requests: retry after 1", retry_after=1),
    )
    sender = make_sender(bot, db, settings, dp, concurrency=1)
    started = asyncio.get_running_loop().time()
    await sender.run_pending()
    took = asyncio.get_running_loop().time() - started
    assert took >= 1.0  # the 429 paused everything for retry_after

    by_user = {d.user_id: d for d in await deliveries(db, row.id)}
    assert by_user[people[0].id].status == "blocked"
    assert by_user[people[1].id].status == "blocked"
    assert by_user[people[2].id].status == "sent" and by_user[people[2].id].attempts == 2
    assert [by_user[p.id].status for p in people[3:]] == ["sent"] * 3
    assert copied_to(fake_session) == Counter({p.tg_id: 1 for p in people[2:]})
    async with db.session() as s:
        unreachable = set(await s.scalars(select(User.id).where(User.unreachable_at.is_not(None))))
        assert unreachable == {people[0].id, people[1].id}
        assert await service.count_audience(s, {}) == 4  # left out of future broadcasts
    report = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].method.text
    assert "Доставлено: 4 из 6" in report and "удалили аккаунт: 2" in report and "Другие ошибки: 0" in report


async def test_other_errors_give_up_after_max_attempts(db, dp, bot, settings, fake_session) -> None:
    [person] = await add_people(db, 1)
    row = await create_direct(db)
    fake_session.fail_next("CopyMessage", *[TelegramServerError(METHOD, "Bad Gateway") for _ in range(5)])
    await make_sender(bot, db, settings, dp, max_attempts=2).run_pending()
    [delivery] = await deliveries(db, row.id)
    assert delivery.status == "failed" and delivery.attempts == 2 and "Bad Gateway" in (delivery.error or "")
    assert len(fake_session.calls_of("CopyMessage")) == 2
    attempts = [c for c in fake_session.calls if c.name == "CopyMessage"]
    assert len(attempts) == 2
    report = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].method.text
    assert "Другие ошибки: 1" in report
    async with db.session() as s:
        assert (await s.get(User, person.id)).unreachable_at is None  # type: ignore[union-attr]


async def test_source_deleted_stops_the_broadcast(db, dp, bot, settings, fake_session) -> None:
    await add_people(db, 3)
    row = await create_direct(db)
    fake_session.fail_next(
        "CopyMessage", TelegramBadRequest(METHOD, "Bad Request: message to copy not found")
    )
    await make_sender(bot, db, settings, dp, concurrency=1).run_pending()
    assert (await broadcast_row(db, row.id)).status == "failed"
    assert copies(fake_session) == []
    report = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].method.text
    assert "прервана" in report and "не отправлено: 3" in report


async def test_people_who_unsubscribed_meanwhile_are_skipped(db, dp, bot, settings, fake_session) -> None:
    people = await add_people(db, 3)
    row = await create_direct(db)
    async with db.session() as s:
        await service.activate(s, row.id)
        await service.unsubscribe(s, people[1].tg_id, None)
    await make_sender(bot, db, settings, dp).run_pending()
    assert set(copied_to(fake_session)) == {people[0].tg_id, people[2].tg_id}
    assert sorted(d.status for d in await deliveries(db, row.id)) == ["sent", "sent", "skipped"]
    report = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[-1].method.text
    assert "Пропущено" in report


async def test_progress_message_is_edited_with_stop_button(db, dp, bot, settings, fake_session) -> None:
    await add_people(db, 30)
    await create_direct(db)
    sender = make_sender(bot, db, settings, dp, rate=15.0, progress_seconds=1.0)
    await sender.run_pending()
    edits = fake_session.calls_of("EditMessageText", chat_id=ADMIN_CHAT_ID)
    running = [e for e in edits if "идёт" in e.method.text]
    assert running, "the progress message was never updated while running"
    assert running[0].method.reply_markup.inline_keyboard[0][0].text == "⏹ Остановить"
    assert "Закончится ≈" in running[0].method.text
    assert "завершена" in edits[-1].method.text and not edits[-1].method.reply_markup


async def test_stop_and_resume(staff, db, dp, bot, settings, fake_session) -> None:
    people = await add_people(db, 40)
    row = await create_direct(db)
    sender = make_sender(bot, db, settings, dp, rate=40.0, concurrency=2)
    dp["broadcast_sender"] = sender
    task = sender.start()
    try:
        for _ in range(200):
            await asyncio.sleep(0.02)
            if len(copies(fake_session)) >= 8:
                break
        progress = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[0].result
        await staff.press_data(f"bc:stop:{row.id}:", progress)
        assert "остановлена" in staff.last_text and staff.buttons() == ["▶️ Продолжить"]
        await asyncio.sleep(0.3)
        sent_at_stop = len(copies(fake_session))
        await asyncio.sleep(0.5)
        assert len(copies(fake_session)) == sent_at_stop  # nothing more after the stop
        assert (await broadcast_row(db, row.id)).status == "stopped"
        assert sent_at_stop < len(people)

        await staff.press("Продолжить")
        assert (await broadcast_row(db, row.id)).status == "running"
        for _ in range(300):
            await asyncio.sleep(0.02)
            if (await broadcast_row(db, row.id)).status == "done":
                break
    finally:
        await sender.close()
    assert task.done()
    assert (await broadcast_row(db, row.id)).status == "done"
    assert copied_to(fake_session) == Counter({p.tg_id: 1 for p in people})
    async with db.session() as s:
        actions = list(await s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-2:] == ["broadcast.stopped", "broadcast.resume"]


async def test_stop_twice_is_refused(staff, db) -> None:
    await add_people(db, 2)
    row = await create_direct(db)
    async with db.session() as s:
        await service.activate(s, row.id)
    await staff.press_data(f"bc:stop:{row.id}:")
    await staff.press_data(f"bc:stop:{row.id}:")
    assert "уже не идёт" in staff.alerts()[0]
    await staff.press_data(f"bc:resume:{row.id}:")
    await staff.press_data(f"bc:resume:{row.id}:")
    assert "не остановлена" in staff.alerts()[0]


async def test_crash_half_way_resumes_without_losing_anyone(db, dp, bot, settings, fake_session) -> None:
    """Cancel the sender mid-way (a crash as far as it can tell), start a new one: everyone gets the
    message, and only the few in flight at the crash can get it twice."""
    people = await add_people(db, 60)
    row = await create_direct(db)
    concurrency = 4
    first = make_sender(bot, db, settings, dp, rate=100.0, concurrency=concurrency)
    first.start()
    for _ in range(300):
        await asyncio.sleep(0.01)
        if len(copies(fake_session)) >= 25:
            break
    await first.close()
    sent_before = len(copies(fake_session))
    assert 0 < sent_before < len(people)
    assert (await broadcast_row(db, row.id)).status == "running"

    second = make_sender(bot, db, settings, dp, rate=100.0, concurrency=concurrency)
    await second.run_pending()
    counts = copied_to(fake_session)
    assert set(counts) == {p.tg_id for p in people}  # nobody missing
    assert sum(counts.values()) - len(people) <= concurrency  # repeats only from the in-flight ones
    assert {d.status for d in await deliveries(db, row.id)} == {"sent"}
    assert (await broadcast_row(db, row.id)).status == "done"


async def test_a_dead_process_lease_is_taken_over(db, dp, bot, settings, fake_session) -> None:
    import socket

    await add_people(db, 3)
    row = await create_direct(db)
    async with db.session() as s:
        await service.activate(s, row.id)
    sender = make_sender(bot, db, settings, dp)
    # Held by a live process elsewhere: not touched until the lease runs out.
    async with db.session() as s, write(s):
        await s.execute(
            update(Broadcast)
            .where(Broadcast.id == row.id)
            .values(lease_owner="otherhost:1:aa", lease_until=utcnow() + timedelta(minutes=5))
        )
    assert await sender.run_once() is False
    assert copies(fake_session) == []
    # Held by a killed process of this machine: taken over at once.
    dead = f"{socket.gethostname()[:20]}:{dead_pid()}:bb"
    async with db.session() as s, write(s):
        await s.execute(update(Broadcast).where(Broadcast.id == row.id).values(lease_owner=dead))
    await sender.run_pending()
    assert len(copied_to(fake_session)) == 3
    # And an expired lease of anyone is taken over too.
    row2 = await create_direct(db)
    async with db.session() as s:
        await service.activate(s, row2.id)
    async with db.session() as s, write(s):
        await s.execute(
            update(Broadcast)
            .where(Broadcast.id == row2.id)
            .values(lease_owner="otherhost:1:aa", lease_until=utcnow() - timedelta(seconds=1))
        )
    await sender.run_pending()
    assert (await broadcast_row(db, row2.id)).status == "done"


# --- scheduling -----------------------------------------------------------------------------------


async def to_scheduling(staff: TgClient, db: Any, people: int) -> None:
    """``people`` to send to; staff start a photo broadcast and choose to schedule it."""
    await add_people(db, people)
    await start_broadcast(staff)
    await staff.press("Далее")
    await staff.press("Запланировать")


async def test_schedule_moves_out_of_quiet_hours(staff, db, dp, bot, settings, fake_session) -> None:
    await to_scheduling(staff, db, people=2)
    assert "Когда отправить" in staff.last_text
    await staff.press("Завтра")
    assert "Во сколько" in staff.last_text
    await staff.send("25:99")  # the reason, then the same question (the form engine)
    assert "Не удалось разобрать время" in staff.all_text() and "Во сколько" in staff.last_text
    assert await staff.step() == "bc:time"
    await staff.send("23:30")  # quiet hours 22:00–08:00
    assert "запланирована" in staff.last_text and "тихие часы" in staff.last_text
    assert staff.buttons() == ["✖️ Отменить рассылку"]
    row = await broadcast_row(db, 1)
    tz = settings.tz
    tomorrow = (utcnow().astimezone(tz) + timedelta(days=1)).date()
    assert row.status == "scheduled" and row.quiet
    assert row.start_at.astimezone(tz).replace(tzinfo=None) == datetime.combine(
        tomorrow + timedelta(days=1), time(8, 0)
    )
    # Not due yet: nothing happens.
    sender = make_sender(bot, db, settings, dp)
    assert await sender.run_once() is False
    # Due, but it is quiet hours now: still waits.
    async with db.session() as s, write(s):
        await s.execute(update(Broadcast).values(start_at=utcnow() - timedelta(minutes=1)))
    quiet_now = make_sender(bot, db, settings, dp, quiet_hours=(time(0, 0), time(23, 59, 59)))
    assert await quiet_now.run_once() is False
    assert (await broadcast_row(db, 1)).status == "scheduled"
    # Due and not quiet: sent.
    await sender.run_pending()
    assert (await broadcast_row(db, 1)).status == "done"
    assert len(copied_to(fake_session)) == 2


async def test_schedule_typed_date_and_cancel(staff, db, settings) -> None:
    await to_scheduling(staff, db, people=1)
    await staff.send("в пятницу")
    assert "Не удалось разобрать дату" in staff.all_text() and await staff.step() == "bc:day"
    when = utcnow().astimezone(settings.tz) + timedelta(days=3)
    await staff.send(f"{when:%d.%m} 12:15")
    months = "января,февраля,марта,апреля,мая,июня,июля,августа,сентября,октября,ноября,декабря".split(",")
    weekday = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")[when.weekday()]
    assert f"<b>{weekday}, {when.day} {months[when.month - 1]}, 12:15</b>" in staff.last_text
    row = await broadcast_row(db, 1)
    assert row.status == "scheduled" and not service.in_quiet_hours(
        row.start_at, settings.quiet_hours_start, settings.quiet_hours_end, settings.tz
    )
    await staff.press("Отменить рассылку")
    assert "отменена" in staff.last_text
    assert (await broadcast_row(db, 1)).status == "cancelled"
    await staff.send("/broadcasts")
    assert "отменена" in staff.last_text


async def test_schedule_in_the_past_is_refused(staff, db, settings) -> None:
    await to_scheduling(staff, db, people=1)
    past = utcnow().astimezone(settings.tz) - timedelta(days=1)
    await staff.send(f"{past:%d.%m.%Y} 10:00")
    assert "уже прошло" in staff.all_text()
    assert await staff.step() == "bc:day"


def test_quiet_hours_helpers() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Krasnoyarsk")
    start, end = time(22, 0), time(8, 0)
    evening = datetime(2026, 12, 1, 23, 30, tzinfo=tz)
    assert service.in_quiet_hours(evening, start, end, tz)
    assert service.after_quiet_hours(evening, start, end, tz) == datetime(2026, 12, 2, 8, 0, tzinfo=tz)
    early = datetime(2026, 12, 2, 6, 0, tzinfo=tz)
    assert service.after_quiet_hours(early, start, end, tz) == datetime(2026, 12, 2, 8, 0, tzinfo=tz)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=tz).astimezone(UTC)
    assert service.after_quiet_hours(noon, start, end, tz) == noon
    assert not service.in_quiet_hours(noon, time(0, 0), time(0, 0), tz)


# --- personal data --------------------------------------------------------------------------------


async def test_export_and_erase(client, db, dp, bot, settings, fake_session) -> None:
    from services import privacy

    await register(client)
    row = await create_direct(db)
    await make_sender(bot, db, settings, dp).run_pending()
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == client.user.id))
        data = await privacy.export(s, user)  # type: ignore[arg-type]
    assert data["broadcasts"] == [
        {"broadcast": row.id, "status": "sent", "sent_at": data["broadcasts"][0]["sent_at"]}
    ]
    async with db.session() as s:
        await privacy.erase(s, client.user.id, "1.0")
    [delivery] = await deliveries(db, row.id)
    assert delivery.chat_id is None and delivery.status == "sent"


async def test_sender_runs_with_the_dispatcher(dp, bot, db, staff, fake_session) -> None:
    """dp.startup starts the sender (a wake-up from «Отправить» reaches it), dp.shutdown stops it."""
    await dp.emit_startup(bot=bot, dispatcher=dp, bots=[bot], **dp.workflow_data)
    sender = dp.workflow_data.get("broadcast_sender")
    try:
        assert isinstance(sender, BroadcastSender) and sender._task is not None and not sender._task.done()
        people = await add_people(db, 2)
        await start_broadcast(staff)
        await staff.press("Далее")
        await staff.press("Отправить")  # wakes the sender: no wait for the next poll
        for _ in range(200):
            await asyncio.sleep(0.02)
            if len(copied_to(fake_session)) == 2:
                break
        assert copied_to(fake_session) == Counter({p.tg_id: 1 for p in people})
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, bots=[bot], **dp.workflow_data)
    assert "broadcast_sender" not in dp.workflow_data
    assert sender._task is None


async def test_refused_token_pauses_then_goes_on(db, dp, bot, settings, fake_session) -> None:
    from aiogram.exceptions import TelegramUnauthorizedError

    people = await add_people(db, 3)
    row = await create_direct(db)
    fake_session.fail_next("CopyMessage", TelegramUnauthorizedError(METHOD, "Unauthorized"))
    sender = make_sender(bot, db, settings, dp, concurrency=1)
    assert await sender.run_once() is False  # waits for the next poll instead of hammering
    assert (await broadcast_row(db, row.id)).status == "running"
    assert {d.status for d in await deliveries(db, row.id)} == {"pending"}
    await sender.run_pending()
    assert copied_to(fake_session) == Counter({p.tg_id: 1 for p in people})


async def test_erased_before_their_turn_is_skipped(client, db, dp, bot, settings, fake_session) -> None:
    from services import privacy

    await register(client)
    row = await create_direct(db)
    async with db.session() as s:
        await service.activate(s, row.id)
        await privacy.erase(s, client.user.id, "1.0")
    await make_sender(bot, db, settings, dp).run_pending()
    assert copies(fake_session) == []
    [delivery] = await deliveries(db, row.id)
    assert delivery.status == "skipped" and delivery.chat_id is None


async def test_one_process_sends_at_a_time(db, dp, bot, settings, fake_session) -> None:
    """Two bot processes must not each send a broadcast at full rate: the limit is per bot."""
    await add_people(db, 2)
    held, waiting = await create_direct(db), await create_direct(db)
    async with db.session() as s:
        await service.activate(s, held.id)
        await service.activate(s, waiting.id)
    async with db.session() as s, write(s):
        await s.execute(
            update(Broadcast)
            .where(Broadcast.id == held.id)
            .values(lease_owner="otherhost:1:aa", lease_until=utcnow() + timedelta(minutes=5))
        )
    sender = make_sender(bot, db, settings, dp)
    assert await sender.run_once() is False
    assert copies(fake_session) == []
    async with db.session() as s, write(s):  # the other process finished
        await s.execute(
            update(Broadcast).where(Broadcast.id == held.id).values(status="done", lease_owner=None)
        )
    await sender.run_pending()
    assert (await broadcast_row(db, waiting.id)).status == "done"

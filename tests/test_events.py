"""Events through the real dispatcher: staff create and publish, people sign up, wait, get the offer,
check in and give feedback; the outbox sender delivers the notices in between."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from bot.delivery.outbox import telegram_outbox
from db.base import utcnow
from db.clock import PinnedClock
from db.engine import Database, write
from db.models import AuditLog, Event, EventSignup, User, UserStatus
from keyboards.events import EvCb
from services import events as ev
from services.outbox import Pacer
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, DEFAULT_MOMENT, register
from tests.conftest import local as at_local
from tests.factories import published_event


async def _no_sleep(_seconds: float) -> None:
    return None


async def deliver(bot: Bot, db: Database, dp: Dispatcher, at: datetime | None = None) -> int:
    """One outbox tick (the notifications engine's sender) at ``at``."""
    outbox = telegram_outbox(
        bot,
        db,
        dp["i18n"],
        tz=ev.display_tz(),
        pacer=Pacer(rate=1000, per_chat=0, sleep=_no_sleep),
        clock=lambda: at or utcnow(),
    )
    result = await outbox.tick()
    return result.sent


async def state_of(client: TgClient) -> str | None:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key)


async def the_event(db: Database) -> Event:
    async with db.session() as s:
        event = await s.scalar(select(Event).order_by(Event.id.desc()))
    assert event is not None
    return event


async def signups(db: Database, event_id: int) -> dict[str, str]:
    async with db.session() as s:
        rows = await s.execute(
            select(User.full_name, EventSignup.status)
            .join(User, User.id == EventSignup.user_id)
            .where(EventSignup.event_id == event_id)
        )
        return {name: status for name, status in rows}


def local(moment: datetime) -> str:
    return moment.astimezone(ev.display_tz()).strftime("%d.%m.%Y %H:%M")


async def create_via_dialog(staff: TgClient, start: datetime, capacity: str = "2") -> None:
    await staff.send("/new_event")
    assert "Название" in staff.last_text
    await staff.send("Школа НКО: <гранты>")
    await staff.send("Как подать заявку на грант: разбор заявок.\nВозьмите ноутбук.")
    assert "Тип" in staff.last_text
    await staff.press("Обучение")
    await staff.send(local(start))
    assert "длится" in staff.last_text
    await staff.press("1,5 ч")
    await staff.press("В Центре")
    await staff.send("Большой зал")
    assert "мест" in staff.last_text.lower()
    await staff.send(capacity)
    await staff.press("До начала")
    await staff.press("Готово")
    await staff.press("Без афиши")
    assert "Проверьте мероприятие" in staff.last_text
    assert "Школа НКО: &lt;гранты&gt;" in staff.last_text


async def test_full_story_through_the_bot(
    client_factory: Callable[..., TgClient],
    staff: TgClient,
    db: Database,
    bot: Bot,
    dp: Dispatcher,
    fake_session: Any,
) -> None:
    start = (utcnow() + timedelta(minutes=40)).replace(second=0, microsecond=0)
    await create_via_dialog(staff, start)
    await staff.press("📢 Опубликовать", exact=True)
    assert "Опубликовано" in staff.all_text()
    # «Анонс отправлен подписчикам: N», not «Анонс получат подписчиков: N» (the review's error 2)
    assert re.search(r"Анонс отправлен подписчикам: \d+\.", staff.all_text()), staff.texts()
    event = await the_event(db)
    assert (event.status, event.capacity, event.starts_at) == ("published", 2, start)
    assert event.ends_at == start + timedelta(minutes=90)
    assert "Большой зал" in event.place and f"t.me/cc_test_bot?start=ev_{event.id}" in staff.last_text
    async with db.session() as s:
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "event.publish"))

    anna = client_factory(2001, first_name="Анна", last_name="Смирнова")
    boris = client_factory(2002, first_name="Борис", last_name="Ким")
    vera = client_factory(2003, first_name="Вера", last_name="Лис")
    for person in (anna, boris, vera):
        await register(person)

    # Anna: /events -> the card -> «Записаться»; the confirmation carries an .ics
    await anna.send("/events")
    assert "Школа НКО" in anna.last_text and "Свободно мест: 2 из 2" in anna.last_text
    await anna.press("1. Школа НКО")
    assert "Записаться" in " ".join(anna.buttons())
    await anna.press("Записаться")
    assert "Вы записаны" in anna.last_text and not anna.sent("SendDocument")  # the .ics on request
    await anna.press("📆 В календарь")
    [doc] = anna.sent("SendDocument")
    assert doc.method.document.filename == f"event-{event.id}.ics"
    assert b"BEGIN:VEVENT" in doc.method.document.data
    # Boris through the deep link from the poster
    await boris.send(f"/start ev_{event.id}")
    assert "Свободно мест: 1 из 2" in boris.last_text
    await boris.press("Записаться")
    assert "Вы записаны" in boris.last_text
    # Vera: full -> the wait-list
    await vera.send(f"/start ev_{event.id}")
    assert "Мест нет" in vera.last_text
    await vera.press("В лист ожидания")
    assert "номером 1" in vera.all_text()
    assert await signups(db, event.id) == {
        "Анна Смирнова": "confirmed",
        "Борис Ким": "confirmed",
        "Вера Лис": "waiting",
    }

    # Anna cancels from /my; Vera gets the offer through the outbox and confirms
    await anna.send("/my")
    await anna.press("Мои записи на мероприятия")
    assert "Школа НКО" in anna.last_text
    await anna.press("Школа НКО")
    await anna.press("Отменить запись")
    await anna.press("Да, отменить")
    assert "Запись отменена" in anna.all_text()
    assert (await signups(db, event.id))["Вера Лис"] == "offered"
    assert await deliver(bot, db, dp) >= 1
    assert len(fake_session.texts_to(vera.chat_id, "Освободилось место")) == 1
    await vera.press("Беру место")
    assert "Вы записаны" in vera.all_text() and "📆 В календарь" in vera.buttons()
    assert (await signups(db, event.id))["Вера Лис"] == "confirmed"
    await vera.press_data(EvCb(a="oy", e=event.id).pack())  # a second press of the old button: harmless
    assert (await signups(db, event.id))["Вера Лис"] == "confirmed"

    # the event is 40 minutes away: no reminder «a day before» or «two hours before» is left to send
    assert not [c for c in fake_session.calls if "Напоминаем" in (getattr(c.method, "text", None) or "")]

    # staff: participants with check-in toggles; Vera ticked by staff, Boris scans the QR himself
    await staff.press("Участники и отметка")
    assert "Борис Ким" in staff.last_text and "Анна" not in staff.last_text
    await staff.press("Вера Лис")
    assert "✅ 2. Вера Лис" in staff.buttons() or any("✅" in b and "Вера" in b for b in staff.buttons())
    await staff.press("К мероприятию")
    assert "пришли: 1" in staff.last_text
    await staff.press("QR для отметки")
    [photo] = staff.sent("SendPhoto")
    event = await the_event(db)
    assert event.checkin_code in photo.method.caption and photo.method.photo.data.startswith(b"\x89PNG")
    await boris.send(f"/start ci_{event.id}_{event.checkin_code}")
    assert "вы отмечены" in boris.last_text
    await anna.send(f"/start ci_{event.id}_WRONG")
    assert "Код отметки не подошёл" in anna.last_text
    # Anna (her sign-up cancelled) comes anyway and types the code shown at the door: no place left
    await anna.send(f"/start ev_{event.id}")
    await anna.press("Отметиться")
    await anna.send_sticker()
    assert "код текстом" in anna.last_text and await state_of(anna) == "EvCheckin:code"
    await anna.send("zzzzzz")
    assert "не подошёл" in anna.last_text and await state_of(anna) == "EvCheckin:code"
    await anna.send(event.checkin_code.lower())
    assert "свободных мест нет" in anna.last_text and await state_of(anna) is None
    assert (await signups(db, event.id))["Анна Смирнова"] == "cancelled"

    # the registration sheet
    await staff.press("Лист регистрации")
    [sheet] = staff.sent("SendDocument")
    workbook = load_workbook(io.BytesIO(sheet.method.document.data))
    rows = [[c.value for c in row] for row in workbook.active.iter_rows(min_row=5)]
    assert [r[1] for r in rows] == ["Борис Ким", "Вера Лис"] and all(r[8] for r in rows)

    # after the event: those who came are asked for feedback
    assert await deliver(bot, db, dp, at=event.ends_at + timedelta(minutes=1)) >= 2
    assert fake_session.texts_to(vera.chat_id, "Оцените") and not fake_session.texts_to(
        anna.chat_id, "Оцените"
    )
    await vera.press("5 ⭐")
    assert "Напишите" in vera.last_text
    await vera.send_sticker()
    assert "текстом" in vera.last_text
    await vera.send("Очень полезно, <спасибо>!")
    assert "Спасибо за отзыв" in vera.last_text and await state_of(vera) is None
    async with db.session() as s:
        row = await s.scalar(select(EventSignup).where(EventSignup.rating.is_not(None)))
    assert row is not None and (row.rating, row.comment) == (5, "Очень полезно, <спасибо>!")
    # staff see the rating and the comment (escaped)
    await staff.send("/staff_events")
    await staff.press("Школа НКО")
    assert "Отзывов: 1, средняя оценка 5.0" in staff.last_text
    await staff.press("Отзывы")
    assert "⭐⭐⭐⭐⭐ Вера Лис" in staff.last_text and "&lt;спасибо&gt;" in staff.last_text


async def test_staff_edit_and_cancel_tell_people(
    client_factory: Callable[..., TgClient], staff: TgClient, db: Database, fake_session: Any
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    await create_via_dialog(staff, start, capacity="5")
    await staff.press("📢 Опубликовать", exact=True)
    event = await the_event(db)
    anna = client_factory(2101, first_name="Анна", last_name="Смирнова")
    await register(anna)
    await anna.send(f"/start ev_{event.id}")
    await anna.press("Записаться")

    # edit the start: everyone is told, reminders move
    await staff.press("Изменить")
    await staff.press("Изменить поле")
    await staff.press("Начало")
    new_start = start + timedelta(days=1)
    await staff.send(local(new_start))
    assert "Проверьте мероприятие" in staff.last_text
    await staff.press("Сохранить изменения")
    assert "Сообщили участникам: 1" in staff.all_text()
    event = await the_event(db)
    assert event.starts_at == new_start and event.ends_at == new_start + timedelta(minutes=90)

    await staff.press("Отменить мероприятие")
    assert "Все записавшиеся (1)" in staff.last_text
    await staff.press("Да, отменить и сообщить всем")
    assert "получат: 1" in staff.all_text()
    async with db.session() as s:
        kinds = [
            n.kind
            for n in await s.scalars(select(ev.Notification).where(ev.Notification.status == "pending"))
        ]
    assert kinds.count("event.cancelled") == 1 and "event.reminder" not in kinds
    await anna.send(f"/start ev_{event.id}")
    assert "отменено" in anna.last_text and "Записаться" not in " ".join(anna.buttons())


async def test_deadline_and_unregistered(
    client_factory: Callable[..., TgClient], db: Database, client: TgClient
) -> None:
    event = await published_event(
        db,
        title="ЭКСПО социальных предпринимателей",
        description="Выставка",
        kind="expo",
        starts_in=timedelta(days=2),
        lasts=timedelta(hours=6),
        closes_in=timedelta(days=1),
        place_kind="address",
        place="Минусинск, ул. Гоголя, 68",
        district="minusinsk",
        capacity=None,
    )
    # unregistered: sees the card with its sign-up button; signing up asks for consent
    await client.send(f"/start ev_{event.id}")
    texts = client.all_text()
    assert "ЭКСПО социальных" in texts and "152-ФЗ" not in texts
    await client.press("Записаться")
    assert "152-ФЗ" in client.last_text
    await register(client)
    # after the deadline: refused with the reason
    async with db.session() as s, write(s):
        fresh = await s.get(Event, event.id)
        assert fresh is not None
        fresh.reg_deadline = utcnow() - timedelta(minutes=1)
    await client.press_data(EvCb(a="su", e=event.id).pack())
    assert any("Запись закрыта" in a for a in client.alerts())
    # an unknown event id from an old link
    await client.send("/start ev_999999")
    assert "Такого мероприятия нет" in client.last_text


async def test_last_place_race_through_the_bot(client_factory: Callable[..., TgClient], db: Database) -> None:
    """50 people press «Записаться» for the last place at once: exactly one gets it."""
    async with db.session() as s, write(s):
        people = [
            User(
                tg_id=30_000 + n,
                status=UserStatus.REGISTERED,
                full_name=f"Участник {n}",
                target_group="citizen",
            )
            for n in range(51)
        ]
        s.add_all(people)
    event = await published_event(
        db, title="Семинар", description="О грантах", kind="seminar", starts_in=timedelta(days=1), place="Зал"
    )
    first = client_factory(30_050)
    await first.press_data(EvCb(a="su", e=event.id).pack())
    clients = [client_factory(30_000 + n) for n in range(50)]
    data = EvCb(a="su", e=event.id).pack()
    await asyncio.gather(*(c.press_data(data) for c in clients))
    session = first.session
    confirmed = [c for c in clients if session.texts_to(c.chat_id, "Вы записаны")]
    refused = [
        call
        for call in session.calls_of("AnswerCallbackQuery")
        if "только что заняли" in (call.method.text or "")
    ]
    assert len(confirmed) == 1 and len(refused) == 49
    async with db.session() as s:
        assert await ev.holding_count(s, event.id) == 2


@pytest.mark.slow
@hyp_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    inputs=st.lists(
        st.one_of(
            st.text(max_size=300),
            st.sampled_from(
                ["", "/", "0", "-5", "99999", "31.02.2027 10:00", "25:61", "https://", "⬅️ Назад"]
            ),
            st.just("<sticker>"),
            st.just("<photo>"),
        ),
        min_size=1,
        max_size=6,
    ),
    step=st.sampled_from(["title", "starts", "ends", "capacity", "place", "deadline", "audience", "poster"]),
)
async def test_random_input_never_breaks_the_staff_dialog(
    client_factory: Callable[..., TgClient], inputs: list[str], step: str
) -> None:
    staff = client_factory(5001, first_name="Мария", chat_id=ADMIN_CHAT_ID)
    await staff.send("/new_event")
    # walk to the step under test with valid answers
    path = [
        "Семинар по проектам",
        "Описание семинара",
        "press:Семинар",
        "in5days",
        "press:2 ч",
        "press:Другой адрес",
        "с. Идринское, ул. Мира, 1",
        "press:Идринский",
        "10",
        "press:За сутки",
        "press:Готово",
    ]
    stop = {
        "title": 0,
        "starts": 3,
        "ends": 4,
        "place": 6,
        "capacity": 8,
        "deadline": 9,
        "audience": 10,
        "poster": 11,
    }[step]
    for answer in path[:stop]:
        if answer.startswith("press:"):
            await staff.press(answer[6:])
        elif answer == "in5days":
            await staff.send(local(utcnow() + timedelta(days=5)))
        else:
            await staff.send(answer)
    before = await state_of(staff)
    for value in inputs:
        if value == "<sticker>":
            await staff.send_sticker()
        elif value == "<photo>":
            await staff.send_photo()
        elif value.startswith("/"):
            continue  # commands leave the dialog on purpose
        else:
            await staff.send(value)
        assert staff.last_text  # always an answer
        now_state = await staff.step()  # still in the event dialog (the form engine's "evf")
        assert now_state is not None and now_state.startswith("evf:")
    assert before is not None
    await staff.press("Отмена")
    assert await state_of(staff) is None


@hyp_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(min_size=0, max_size=1500))
async def test_random_feedback_comment(
    client_factory: Callable[..., TgClient], db: Database, text: str
) -> None:
    person = client_factory(7001)
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 7001))
        if user is None:
            async with write(s):
                user = User(tg_id=7001, status=UserStatus.REGISTERED, full_name="Иван Петров")
                s.add(user)
    event = await published_event(
        db,
        starts_in=timedelta(minutes=30),
        lasts=timedelta(hours=1, minutes=30),
        place_kind="online",
        place="https://meet.example.org/a",
        district=None,
        capacity=None,
    )
    async with db.session() as s:
        fresh = await s.get(User, user.id)
        assert fresh is not None
        await ev.self_checkin(s, fresh, event.id, event.checkin_code)
    await person.press_data(EvCb(a="rate", e=event.id, v=3).pack())
    await person.send(text) if text.strip() and not text.startswith("/") else await person.send_sticker()
    state = await state_of(person)
    async with db.session() as s:
        signup = await ev.signup_of(s, user.id, event.id)
    assert signup is not None and signup.rating == 3
    if signup.comment is None:
        assert state == "EvFeedback:comment"
    else:
        assert state is None and len(signup.comment) <= ev.COMMENT_MAX


def test_started_at_is_shown_in_timezone() -> None:
    event = Event(
        title="t",
        starts_at=datetime(2026, 12, 25, 7, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 25, 9, 30, tzinfo=UTC),
    )
    assert ev.fmt_when(event) == "25.12.2026 14:00–16:30"


@pytest.mark.parametrize(
    "moment",
    [
        DEFAULT_MOMENT,
        at_local(2026, 12, 9, 0, 30),
        at_local(2026, 12, 9, 23, 30),
        at_local(2028, 2, 29, 0, 10),
    ],
    ids=["11:00", "00:30", "23:30", "29-feb-00:10"],
)
async def test_bad_input_and_back_keep_the_staff_dialog(
    staff: TgClient, db: Database, clock: PinnedClock, moment: datetime
) -> None:
    clock.set(moment)
    await staff.send("/new_event")
    await staff.send_sticker()
    assert "нужен текст" in staff.all_text() and await staff.step() == "evf:title"
    await staff.send("x" * 200)
    assert "от 2 до 150" in staff.all_text() and await staff.step() == "evf:title"
    await staff.send("Семинар по отчётности")
    await staff.send("Как сдать отчёт в Минюст")
    await staff.send("просто текст")  # the type is chosen with a button
    assert "кнопкой" in staff.all_text() and await staff.step() == "evf:kind"
    await staff.press("Семинар")
    await staff.send("вчера")
    assert "Не удалось разобрать дату" in staff.all_text() and await staff.step() == "evf:starts"
    await staff.send("01.01.2020 10:00")
    assert "уже прошло" in staff.all_text()
    await staff.press("Назад")  # back to the type, nothing lost
    assert await staff.step() == "evf:kind"
    await staff.press("Семинар")
    start = (moment + timedelta(days=10)).replace(hour=14, minute=0, second=0, microsecond=0)
    await staff.send(local(start))
    await staff.send("08:00")  # before 14:00 whatever the hour the dialog runs at
    assert "позже начала" in staff.all_text() and await staff.step() == "evf:ends"
    await staff.press("2 ч")
    await staff.press("Онлайн")
    await staff.send("zoom")
    assert "https://" in staff.all_text() and await staff.step() == "evf:place"
    await staff.send("https://meet.example.org/report")
    await staff.send("много")
    assert "число мест" in staff.all_text()
    await staff.press("Без ограничения")
    await staff.press("За сутки")
    await staff.press("Сотрудник СОНКО")
    await staff.press("Готово")
    await staff.send_document()
    assert "картинкой" in staff.all_text() and await staff.step() == "evf:poster"
    await staff.send_photo()
    assert "Проверьте мероприятие" in staff.all_text() and "Афиша: есть" in staff.all_text()
    await staff.press("Сохранить черновик")
    event = await the_event(db)
    assert (event.title, event.status, event.place_kind, event.capacity, event.district) == (
        "Семинар по отчётности",
        "draft",
        "online",
        None,
        None,
    )
    assert event.audience == ["nko_staff"] and event.poster_file_id
    assert event.reg_deadline == start - timedelta(days=1)
    await staff.press("Опубликовать и разослать")
    assert "Опубликовано" in staff.all_text()


async def test_cant_come_frees_the_place_and_the_job_is_registered(
    client_factory: Callable[..., TgClient],
    db: Database,
    bot: Bot,
    dp: Dispatcher,
    settings: Any,
    fake_session: Any,
) -> None:
    from bot.scheduler import build_scheduler

    job = build_scheduler(settings, bot=bot, db=db, dispatcher=dp).get_job("events.offers")
    assert job is not None and job.func.__wrapped__ is ev.process_expired_offers

    now = utcnow()
    event = await published_event(db, title="Встреча НКО", starts_in=timedelta(hours=5), place="Малый зал")
    anna = client_factory(2201, first_name="Анна", last_name="Смирнова")
    boris = client_factory(2202, first_name="Борис", last_name="Ким")
    dina = client_factory(2203, first_name="Дина", last_name="Ли")
    for person in (anna, boris, dina):
        await register(person)
    for person in (anna, dina):
        await person.send(f"/start ev_{event.id}")
        await person.press("Записаться")
    await boris.send(f"/start ev_{event.id}")
    await boris.press("В лист ожидания")
    # 5 hours ahead: only the «two hours before» reminder, with «Буду» / «Не смогу»
    assert await deliver(bot, db, dp) == 0
    assert await deliver(bot, db, dp, at=now + timedelta(hours=3, minutes=1)) == 2
    await dina.press("Буду")
    assert "ждём вас" in dina.last_text
    async with db.session() as s:
        signup = await s.scalar(select(EventSignup).where(EventSignup.will_come_at.is_not(None)))
    assert signup is not None
    await anna.press("Не смогу")
    assert "Запись отменена" in anna.all_text()
    assert (await signups(db, event.id))["Борис Ким"] == "offered"
    # Boris lets the offer run out; the job passes it on (nobody else waits) and tells him
    assert (
        await ev.process_expired_offers(
            bot, db, dp["i18n"], settings, now=now + timedelta(hours=5, minutes=1)
        )
        == 1
    )
    assert (await signups(db, event.id))["Борис Ким"] == "expired"
    await deliver(bot, db, dp, at=now + timedelta(hours=5, minutes=2))
    told = [
        c for c in fake_session.calls_of("SendMessage", chat_id=boris.chat_id) if "вышло" in c.method.text
    ]
    assert told
    await boris.press_data(EvCb(a="oy", e=event.id).pack())  # the old offer button
    assert any("Сейчас для вас нет предложения" in a for a in boris.alerts())


async def test_events_list_pages(client: TgClient, db: Database) -> None:
    for n in range(7):
        await published_event(
            db,
            title=f"Событие {n + 1}",
            description="Описание",
            kind="seminar",
            starts_in=timedelta(days=n + 1),
            lasts=timedelta(hours=1),
            place="Зал",
            capacity=10,
        )
    await register(client)
    await client.send("/events")
    assert "стр. 1 из 2" in client.last_text and "Событие 5" in client.last_text
    assert "Событие 6" not in client.last_text and "Свободно мест: 10 из 10" in client.last_text
    await client.press("Дальше")
    assert "стр. 2 из 2" in client.last_text and "7. Событие 7" in client.last_text
    await client.press("◀️")
    assert "стр. 1 из 2" in client.last_text


async def test_changing_the_place_kind_from_the_preview_asks_the_place_too(
    staff: TgClient, db: Database
) -> None:
    """The form engine's edit_with: a new kind of place needs its place before the preview comes back;
    the audience's toggles stay on their step (STAY) and edit the dialog message in place."""
    await create_via_dialog(staff, utcnow() + timedelta(days=4))
    await staff.press("Изменить поле")
    await staff.press("Место")
    await staff.press("Онлайн")
    assert "https://" in staff.last_text and await staff.step() == "evf:place"
    await staff.send("https://meet.example.org/school")
    assert "Проверьте мероприятие" in staff.last_text and "meet.example.org" in staff.last_text
    await staff.press("Изменить поле")
    await staff.press("Для кого")
    await staff.press("Сотрудник СОНКО")
    assert staff.sent("EditMessageText") and await staff.step() == "evf:audience"
    assert "✅ Сотрудник СОНКО" in " ".join(staff.buttons())
    await staff.press("Готово")
    assert "Сотрудник СОНКО" in staff.last_text and await staff.step() == "evf:_preview"
    await staff.press("Сохранить черновик")
    event = await the_event(db)
    assert (event.place_kind, event.place, event.audience) == (
        "online",
        "https://meet.example.org/school",
        ["nko_staff"],
    )

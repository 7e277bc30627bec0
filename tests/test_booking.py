"""Booking through the real dispatcher: the /book dialog, confirmation with .ics, the reminder's
buttons, /my, approval in the admin chat, staff schedule/cancel/no-show/guest booking, stale and
foreign buttons, bad input in every step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import Message
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.base import utcnow
from db.engine import write
from db.models import Booking, BookingSlot, BookingStatus, Notification, NotificationStatus, User
from db.models.core import UserStatus
from services import booking as svc
from services import dates
from services.outbox import render as outbox_render
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, register
from tests.fuzz import examples, typed_texts, value_texts


@pytest.fixture
async def resources(db) -> None:
    async with db.session() as s:
        await svc.ensure_default_resources(s)


async def registered(db, *clients: TgClient) -> None:
    """People who are already registered (the dialog itself is tested in test_registration)."""
    async with db.session() as s, write(s):
        for client in clients:
            s.add(
                User(
                    tg_id=client.user.id,
                    full_name=client.user.full_name,
                    status=UserStatus.REGISTERED,
                    target_group="citizen",
                    district="krasnoturansky",
                    registered_at=utcnow(),
                )
            )


def day_buttons(client: TgClient, prefix: str) -> list[tuple[Message, str, str]]:
    """(message, label, callback data) of the newest message having buttons with this prefix."""
    for message in reversed(list(client.session.messages.get(client.chat_id, {}).values())):
        if message.reply_markup is None:
            continue
        found = [
            (message, b.text, b.callback_data)
            for row in message.reply_markup.inline_keyboard
            for b in row
            if (b.callback_data or "").startswith(prefix)
        ]
        if found:
            return found
    raise AssertionError(f"no {prefix} buttons; last texts: {client.texts()[-3:]}")


async def press_nth(client: TgClient, prefix: str, index: int) -> str:
    message, label, data = day_buttons(client, prefix)[index]
    await client.press_data(data, message)
    return label


async def state_of(client: TgClient) -> str | None:
    """The dialog's step ("Book:day"; the preview is "Book:_preview"), None outside it."""
    return await client.step()


# The dialog's buttons (form engine): fm:Book:<step>:p:<value>
DAY = "fm:Book:day:p:2"  # a bookable day: its value is YYYYMMDD
MONTH = "fm:Book:day:p:m"  # «‹» / «›»: m + YYYYMM
TIME = "fm:Book:time:p:"


async def bookings(db) -> list[Booking]:
    async with db.session() as s:
        return list(await s.scalars(select(Booking).order_by(Booking.id)))


async def last_day(client: TgClient) -> None:
    """Press the last bookable day (flipping to the next month if the window reaches it)."""
    flips = [(m, data) for m, label, data in day_buttons(client, "fm:Book:day:") if label == "›"]
    if flips:
        await client.press_data(flips[0][1], flips[0][0])
    await press_nth(client, DAY, -1)


async def to_confirm(
    client: TgClient, resource: str, *, day: int = -1, time: int | str = 0, duration: str = "1 ч"
) -> str:
    """Walk the dialog to the confirmation; returns the chosen time label."""
    await client.send("/book")
    await client.press(resource)
    if day == -1:
        await last_day(client)
    else:
        await press_nth(client, DAY, day)
    if isinstance(time, str):
        labels = [label for _m, label, _d in day_buttons(client, TIME)]
        label = await press_nth(client, TIME, labels.index(time))
    else:
        label = await press_nth(client, TIME, time)
    await client.press(duration, exact=True)
    await client.press("Пропустить")
    assert "Проверьте бронирование" in client.last_text, client.texts()
    return label


async def test_book_remind_cancel_and_someone_else_books_the_freed_place(
    client_factory, db, resources
) -> None:
    anna = client_factory(2001, first_name="Анна", last_name="Смирнова")
    boris = client_factory(2002, first_name="Борис", last_name="Орлов")
    await register(anna)
    await registered(db, boris)

    await anna.send("/book")
    assert "Что забронировать" in anna.last_text
    assert {"Коворкинг", "Переговорная", "ЭКСПО-зал"} <= set(anna.buttons())
    await anna.press("Переговорная")
    assert "Выберите день" in anna.last_text
    # the dot marks the days one cannot book (it read inverted before: the review's error 6)
    assert "Точкой «·» отмечены дни, когда записаться нельзя" in anna.last_text
    await last_day(anna)  # the last day of the window: far from any cut-off
    assert "Во сколько" in anna.last_text
    time_label = await press_nth(anna, TIME, 0)
    assert "На сколько" in anna.last_text and "30 мин" in anna.buttons()
    await anna.press("1 ч 30 мин", exact=True)
    assert "Для чего" in anna.last_text
    await anna.send("Встреча <НКО> & партнёров")
    assert (
        "Проверьте бронирование" in anna.last_text and "Встреча &lt;НКО&gt; &amp; партнёров" in anna.last_text
    )
    await anna.press("Забронировать")
    assert not anna.sent("SendDocument")  # no file after the confirmation: the .ics on request
    caption = anna.last_text
    assert "место за вами" in caption and "Переговорная" in caption and time_label in caption
    assert "ниже" not in caption  # no «Файл ниже» (the review's error 7): the file comes on request
    assert "1 ч 30 мин" in caption and "Ленина" in caption
    assert "📆 В календарь" in anna.buttons()
    await anna.press("📆 В календарь")
    [document] = anna.sent("SendDocument")
    assert document.method.document.filename.endswith(".ics")
    assert b"BEGIN:VEVENT" in document.method.document.data
    assert "Откройте этот файл" in (document.method.caption or "")
    assert "✖️ Отменить бронирование" in anna.buttons()
    assert await state_of(anna) is None

    [booking] = await bookings(db)
    assert booking.status == BookingStatus.CONFIRMED and booking.minutes == 90
    assert booking.purpose == "Встреча <НКО> & партнёров"
    async with db.session() as s:
        reminder = await s.scalar(select(Notification).where(Notification.ref_id == booking.id))
    assert reminder.kind == "booking.reminder" and reminder.ref_type == "booking"
    assert reminder.chat_id == 2001 and reminder.payload["text"] == "booking.reminder"
    assert (
        reminder.due_at == booking.start_at - timedelta(minutes=1440) or reminder.due_at > booking.created_at
    )
    i18n = anna.dp["i18n"]
    with i18n.context(), i18n.use_locale("ru"):  # what the outbox sender renders from the payload
        tz = anna.dp["settings"].tz
        rendered, _buttons = outbox_render(reminder.payload, i18n.gettext, tz)
        day = dates.day_text(booking.start_at.astimezone(tz).date(), i18n.gettext)
    assert "Напоминаем: <b>Переговорная</b>" in rendered and f"{day}, {time_label}–" in rendered
    [[(coming_key, coming_data), (cancel_key, cancel_data)]] = reminder.payload["buttons"]
    assert (coming_key, cancel_key) == ("booking.btn_coming", "booking.btn_cancel")

    # the reminder's buttons: «Приду», then «Отменить»
    await anna.press_data(coming_data)
    assert "Ждём вас" in anna.alerts()[0]
    await anna.press_data(cancel_data)
    assert "Отменить это бронирование" in anna.last_text
    await anna.press("Да, отменить")
    assert "Бронирование отменено" in anna.last_text
    async with db.session() as s:
        assert (await s.get(Booking, booking.id)).status == BookingStatus.CANCELLED
        assert await s.scalar(select(func.count()).select_from(BookingSlot)) == 0
        assert (await s.get(Notification, reminder.id)).status == NotificationStatus.CANCELLED

    # Boris takes exactly that freed time
    await to_confirm(boris, "Переговорная", day=-1, time=time_label, duration="1 ч 30 мин")
    await boris.press("Забронировать")
    assert "место за вами" in boris.all_text()
    rows = await bookings(db)
    assert rows[-1].start_at == booking.start_at and rows[-1].status == BookingStatus.CONFIRMED


async def test_the_slower_of_two_gets_a_clear_refusal_and_fresh_times(client_factory, db, resources) -> None:
    anna = client_factory(2001)
    boris = client_factory(2002)
    await registered(db, anna, boris)
    label = await to_confirm(anna, "Переговорная", day=-1, time=0)
    await to_confirm(boris, "Переговорная", day=-1, time=label)
    await anna.press("Забронировать")
    await boris.press("Забронировать")
    assert "только что заняли" in boris.all_text()
    fresh = [label for _m, label, _d in day_buttons(boris, TIME)]
    assert label not in fresh and fresh  # the fresh options, without the taken time
    assert len(await bookings(db)) == 1
    # and the dialog goes on from there
    await press_nth(boris, TIME, 0)
    assert "На сколько" in boris.last_text


async def test_desks_show_places_left(client_factory, db, resources) -> None:
    users = [client_factory(2100 + n) for n in range(3)]
    await registered(db, *users)
    for client in users[:2]:
        await to_confirm(client, "Коворкинг", day=-1, time=0)
        await client.press("Забронировать")
    watcher = users[2]
    await watcher.send("/book")
    await watcher.press("Коворкинг")
    await last_day(watcher)
    labels = [label for _m, label, _d in day_buttons(watcher, TIME)]
    assert labels[0].endswith("мест: 4") and labels[1].endswith("мест: 6")
    assert "из 6" in watcher.last_text


async def test_old_buttons_and_other_peoples_bookings_change_nothing(client_factory, db, resources) -> None:
    anna = client_factory(2001)
    eve = client_factory(2003, first_name="Ева")
    await registered(db, anna, eve)
    await to_confirm(anna, "Коворкинг")
    message, button = anna.find_button("Забронировать")
    await anna.press_data(button.callback_data, message)
    await anna.press_data(button.callback_data, message)  # pressed again
    assert anna.alerts() and len(await bookings(db)) == 1
    [booking] = await bookings(db)
    # Eve presses a (forged) cancel of Anna's booking
    await eve.press_data(f"bka:cx:{booking.id}")
    assert "не найдено" in eve.alerts()[0]
    await eve.press_data(f"bka:cancel:{booking.id}")
    assert "не найдено" in eve.alerts()[0]
    await eve.press_data(f"bka:come:{booking.id}")
    assert "не найдено" in eve.alerts()[0]
    assert (await bookings(db))[0].status == BookingStatus.CONFIRMED
    # Anna cancels twice from the same confirmation message
    await anna.press("Отменить бронирование")
    message, button = anna.find_button("Да, отменить")
    await anna.press_data(button.callback_data, message)
    await anna.press_data(button.callback_data, message)
    assert "уже отменено" in anna.alerts()[-1]
    assert (await bookings(db))[0].status == BookingStatus.CANCELLED


async def test_back_walks_the_steps_and_bad_input_keeps_the_step(client, db, resources) -> None:
    await registered(db, client)
    await client.send("/book")
    await client.send_sticker()
    assert "выберите кнопкой" in client.all_text() and await state_of(client) == "Book:resource"
    await client.press("Коворкинг")
    await last_day(client)
    await press_nth(client, TIME, 0)
    await client.send("завтра в 10")
    assert "выберите кнопкой" in client.all_text() and "На сколько" in client.last_text
    assert await state_of(client) == "Book:duration"
    await client.press("Назад")
    assert "Во сколько" in client.last_text
    await press_nth(client, TIME, 1)
    await client.press("2 ч", exact=True)
    await client.send_photo()
    assert "текстом" in client.all_text() and await state_of(client) == "Book:purpose"
    await client.send("я" * 201)
    assert (
        "Слишком длинно: можно до 200 символов, сейчас 201." in client.all_text()
        and await state_of(client) == "Book:purpose"
    )
    assert "Для чего" in client.last_text  # the same question again
    await client.send("Пишу заявку на грант")
    assert "Проверьте бронирование" in client.last_text and "2 ч" in client.last_text
    await client.press("Назад")
    assert "Для чего" in client.last_text
    await client.press("Отмена")
    assert await state_of(client) is None
    assert await bookings(db) == []


async def test_calendar_offers_only_bookable_days(client, db, resources) -> None:
    await registered(db, client)
    async with db.session() as s:
        room = await svc.resource_by_code(s, "meeting_room")
        days = await svc.bookable_days(s, room, tz=svc.ZoneInfo("Asia/Krasnoyarsk"))
    await client.send("/book")
    await client.press("Переговорная")
    offered = [data.rsplit(":", 1)[1] for _m, _l, data in day_buttons(client, DAY)]
    months = day_buttons(client, MONTH) if any(d.month != days[0].month for d in days) else []
    if months:  # the window runs into the next month: flip and collect
        await press_nth(client, MONTH, -1)
        offered += [data.rsplit(":", 1)[1] for _m, _l, data in day_buttons(client, DAY)]
    assert sorted(set(offered)) == [d.strftime("%Y%m%d") for d in days]
    assert all(d.isoweekday() <= 5 for d in days)  # the meeting room is closed at weekends
    # a day outside the window, forged on the dialog message, is refused and the calendar shown again
    message, _label, _data = day_buttons(client, DAY)[0]
    await client.press_data("fm:Book:day:p:20990101", message)
    assert "Выберите день" in client.last_text and await state_of(client) == "Book:day"
    assert "20990101" not in str(client.session.messages[client.chat_id][message.message_id].reply_markup)


async def test_quota_is_explained(client, db, resources) -> None:
    await registered(db, client)
    async with db.session() as s, write(s):
        room = await svc.resource_by_code(s, "meeting_room")
        room.weekly_quota_minutes = 60
    await to_confirm(client, "Переговорная", day=-1, time=0, duration="1 ч")
    await client.press("Забронировать")
    await client.send("/book")
    await client.press("Переговорная")
    await last_day(client)
    await press_nth(client, TIME, -1)
    assert "Недельный лимит — 1 ч на человека, у вас осталось 0 мин" in client.all_text()
    assert await state_of(client) == "Book:day"


async def test_my_lists_upcoming_with_cancel_and_past(client, db, resources) -> None:
    await registered(db, client)
    await to_confirm(client, "Коворкинг")
    await client.press("Забронировать")
    await client.send("/my")
    await client.press("Мои бронирования")
    assert "Коворкинг" in client.last_text and "подтверждена" in client.last_text
    await client.press("Отменить:")
    await client.press("Да, отменить")
    await client.send("/my")
    await client.press("Мои бронирования")
    assert "Предстоящих бронирований нет" in client.last_text and "отменена" in client.last_text
    assert "➕ Забронировать" in client.buttons()


async def test_expo_request_approved_by_staff(client, staff, db, resources, fake_session) -> None:
    await registered(db, client)
    await to_confirm(client, "ЭКСПО-зал", duration="2 ч")
    assert "подтверждает сотрудник" in client.last_text
    await client.press("Отправить заявку")
    assert "Заявка отправлена" in client.all_text() and "ждёт подтверждения" in client.all_text()
    [card] = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
    assert "Новая заявка" in card.method.text and "Иван Петров" in card.method.text
    [booking] = await bookings(db)
    assert booking.status == BookingStatus.PENDING
    card, approve = staff.find_button("Подтвердить")
    await staff.press_data(approve.callback_data, card)
    assert "подтверждено" in staff.last_text
    [edited] = staff.sent("EditMessageText")  # the card, updated in place: who approved it, no buttons
    assert edited.method.message_id == card.message_id and edited.method.reply_markup is None
    assert "Подтверждено: Мария Сотрудник" in edited.method.text
    assert len(fake_session.texts_to(client.chat_id, "место за вами")) == 1
    assert (await bookings(db))[0].status == BookingStatus.CONFIRMED
    await staff.press_data(approve.callback_data, card)  # the old card pressed again
    assert "уже рассмотрели" in staff.alerts()[0]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 1


async def test_expo_request_rejected_with_a_reason(client, staff, db, resources, fake_session) -> None:
    await registered(db, client)
    await to_confirm(client, "ЭКСПО-зал", duration="2 ч")
    await client.press("Отправить заявку")
    await staff.press("Отклонить")
    assert "Отказ по бронированию Б-" in staff.last_text and "Время занято" in staff.buttons()
    await staff.press("Своя причина")
    await staff.send("В этот день <выставка>")  # not a reply to the bot: a line to a colleague
    assert staff.replies == [] and not fake_session.texts_to(client.chat_id, "не подтверждена")
    await staff.reply("В этот день <выставка>")
    assert "отклонена" in staff.last_text
    [told] = fake_session.texts_to(client.chat_id, "не подтверждена")
    assert "В этот день &lt;выставка&gt;" in told
    [booking] = await bookings(db)
    assert booking.status == BookingStatus.REJECTED
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BookingSlot)) == 0


async def test_staff_schedule_cancel_with_reason_and_guest_booking(
    client, staff, db, resources, fake_session
) -> None:
    await registered(db, client)
    await to_confirm(client, "Коворкинг", day=-1)
    await client.press("Забронировать")
    [booking] = await bookings(db)
    day = booking.start_at.astimezone(svc.ZoneInfo("Asia/Krasnoyarsk")).strftime("%d.%m.%Y")

    await staff.send(f"/bookings {day}")
    await staff.press("Коворкинг")
    assert "занято 1 из 6" in staff.last_text and "Иван Петров" in staff.last_text
    await staff.press(f"Б-{booking.id}")
    assert f"Бронирование Б-{booking.id}" in staff.last_text
    await staff.press("Отменить (с причиной)")
    await staff.press("Центр в этот день закрыт")
    assert "отменено" in staff.last_text
    [told] = fake_session.texts_to(client.chat_id, "Центр отменил")
    assert "Центр в этот день закрыт" in told
    assert (await bookings(db))[0].status == BookingStatus.CANCELLED

    # a resident without Telegram, booked by staff
    await staff.send(f"/bookings {day}")
    await staff.press("Коворкинг")
    await staff.press("Записать человека без Telegram")
    message, button = staff.find_button("10:00")
    await staff.press_data(button.callback_data, message)
    await staff.press("3 ч", exact=True)
    await staff.send("Мария Ивановна")
    await staff.send("не помню")
    assert "телефон" in staff.last_text.lower() or "номер" in staff.last_text.lower()
    await staff.send("8 (913) 555-44-33")
    assert "Записали" in staff.all_text() and "без Telegram" in staff.all_text()
    guest = (await bookings(db))[-1]
    assert guest.user_id is None and guest.guest_phone == "+79135554433" and guest.minutes == 180
    assert guest.booked_by_tg_id == staff.user.id
    async with db.session() as s:
        assert (
            await s.scalar(
                select(func.count()).select_from(Notification).where(Notification.ref_id == guest.id)
            )
            == 0
        )
    await staff.send(f"/bookings {day}")
    await staff.press("Коворкинг")
    assert "Мария Ивановна 📵" in staff.last_text


async def add_coworking_bookings(db: Any, ago: timedelta, *statuses: BookingStatus) -> None:
    """Two-hour coworking bookings of the registered person that began ``ago``, one per status."""
    async with db.session() as s, write(s):
        user = await s.scalar(select(User))
        cow = await svc.resource_by_code(s, "coworking")
        start = svc.utcnow().replace(second=0, microsecond=0) - ago
        for status in statuses:
            s.add(
                Booking(
                    resource_id=cow.id,
                    user_id=user.id,
                    start_at=start,
                    end_at=start + timedelta(hours=2),
                    minutes=120,
                    status=status,
                )
            )


async def test_staff_marks_a_no_show(client, staff, db, resources) -> None:
    await registered(db, client)
    await add_coworking_bookings(db, timedelta(hours=1), BookingStatus.CONFIRMED)
    [booking] = await bookings(db)
    await staff.press_data(f"sbk:open:{booking.id}:")
    card, button = staff.find_button("Не пришёл")
    await staff.press_data(button.callback_data or "", card)
    assert "неявка" in staff.alerts()[0]
    assert (await bookings(db))[0].status == BookingStatus.NO_SHOW
    assert "Неявка отмечена: Мария Сотрудник" in staff.last_text  # the card, updated in place
    await staff.press_data(button.callback_data or "", card)  # the old button pressed again
    assert "уже отменено или завершено" in staff.alerts()[0]


async def test_staff_edit_resource_settings(staff, db, resources) -> None:
    await staff.send("/bookings")
    await staff.press("Ресурсы и правила")
    await staff.press("Коворкинг")
    assert "Мест в слоте: 6" in staff.last_text
    await staff.press("Мест", exact=True)
    await staff.send("много")
    assert "от 1 до 200" in staff.last_text
    await staff.send("8")
    assert "Мест в слоте: 8" in staff.last_text
    await staff.press("Часы работы")
    await staff.send("сб -\nвс 10:00-14:00")
    assert (
        "вс 10:00–14:00" in staff.last_text and "сб" not in staff.last_text.split("Часы:")[1].split("\n")[0]
    )
    await staff.press("Закрытые даты")
    await staff.send("31.12.2030")
    assert "Закрытые даты: вт, 31 декабря 2030" in staff.last_text
    await staff.press("Выключить подтверждение") if "Выключить подтверждение" in staff.buttons() else None
    await staff.press("Включить подтверждение")
    async with db.session() as s:
        cow = await svc.resource_by_code(s, "coworking")
    assert (
        cow.capacity == 8
        and cow.needs_approval
        and "6" not in cow.hours
        and cow.hours["7"] == ["10:00", "14:00"]
    )
    assert cow.closed_dates == ["2030-12-31"]
    await staff.press("Новый ресурс")
    await staff.send("Швейная мастерская")
    assert "Швейная мастерская" in staff.last_text


async def test_people_cannot_use_staff_buttons(client, db, resources) -> None:
    await registered(db, client)
    await client.press_data("sbk:ok:1:")
    assert client.alerts()


async def test_other_commands_are_not_swallowed_by_the_dialog(client, db, resources) -> None:
    await registered(db, client)
    await client.send("/book")
    await client.press("Коворкинг")
    await last_day(client)
    await press_nth(client, TIME, 0)
    await client.press("1 ч", exact=True)
    await client.send("/menu")  # a command in the purpose step is not taken as the purpose
    assert "заполняете форму" in client.all_text()
    assert await state_of(client) == "Book:purpose" and "purpose" not in await client.draft()
    await client.send("/cancel")  # /cancel keeps its meaning
    assert await state_of(client) is None


junk_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda a, v: f"fm:Book:{a}:p:{v}",
        st.sampled_from(["resource", "day", "time", "duration", "purpose", "_preview", "x"]),
        value_texts(20),
    ),
    st.builds(
        lambda a, n: f"bka:{a}:{n}",
        st.sampled_from(["cancel", "cx", "come", "keep"]),
        st.integers(-5, 10**12),
    ),
)


@pytest.mark.slow
@examples(12)
@given(data=junk_data)
async def test_random_buttons_never_break_the_dialog(client, db, resources, data) -> None:
    async with db.session() as s:
        if await s.scalar(select(User)) is None:
            await registered(db, client)
    if await state_of(client) != "Book:time":
        await client.send("/book")
        await client.press("Коворкинг")
        await last_day(client)
    await client.press_data(data)
    state = await state_of(client)
    assert state in ("Book:time", "Book:duration", "Book:day", "Book:resource", None)
    assert await bookings(db) == []


@pytest.mark.slow
@examples(8)
@given(text=typed_texts(min_size=1, max_size=300))
async def test_random_text_in_every_step_keeps_the_dialog(client, db, resources, text) -> None:
    async with db.session() as s:
        if await s.scalar(select(User)) is None:
            await registered(db, client)
    await client.send("/book")
    await client.send(text)
    assert await state_of(client) == "Book:resource"
    await client.press("Коворкинг")
    await client.send(text)
    assert await state_of(client) == "Book:day"
    await last_day(client)
    await client.send(text)
    assert await state_of(client) == "Book:time"
    await press_nth(client, TIME, 0)
    await client.send(text)
    assert await state_of(client) == "Book:duration"
    await client.press("1 ч", exact=True)
    await client.send(text)
    assert await state_of(client) in ("Book:purpose", "Book:_preview")
    await client.send("/cancel")


async def test_staff_figures_and_guest_cancel(client, staff, db, resources) -> None:
    await registered(db, client)
    await add_coworking_bookings(
        db, timedelta(days=2), BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED
    )
    await staff.send("/bookings")
    await staff.press("Цифры за 30 дней")
    assert "Коворкинг: бронирований 2, часов 4, неявок 1, отмен 1" in staff.last_text
    await staff.press("Коворкинг")
    await staff.press("Записать человека без Telegram")
    await staff.send("просто текст")
    assert "кнопкой" in staff.last_text
    await staff.press("Отмена")
    assert "Отменено" in staff.last_text or "отмен" in staff.last_text.lower()
    await staff.send("/bookings")
    assert "Выберите ресурс" in staff.last_text


async def test_english_speakers_get_english(client, db, resources) -> None:
    await registered(db, client)
    async with db.session() as s, write(s):
        user = await s.scalar(select(User))
        user.language = "en"
    await client.send("/book")
    assert "What would you like to book" in client.last_text and "Meeting room" in client.buttons()
    await client.press("Meeting room")
    assert "Pick a day" in client.last_text
    assert {"Mon", "Sun"} <= set(client.buttons())
    await last_day(client)
    await press_nth(client, TIME, 0)
    assert "For how long" in client.last_text and "1 h" in client.buttons()

"""Issue 16, "flows": the consultation's time only where a format needs one, files and voice with the
question, voice in the idea and catalogue dialogs; the trial office only in the catalogue and the meeting
room's size; «📆 В календарь» on request; /settings «Темы» choosing what the news of the week brings; the
/privacy export as messages a person can read. Through the dispatcher: what people see, what is stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiogram.types import Voice
from sqlalchemy import select

from db.base import utcnow
from db.models import Booking, Consultation, ConsultationMessage, Notification, User
from db.models.showcase import ServiceRequest
from keyboards.booking import BookingAction, OwnBooking
from keyboards.consultations import Consult, ConsultCb
from keyboards.events import EvAction, EvCb
from services import booking as booking_service
from services import digest as digest_service
from services.digest import DigestItem
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID
from tests.factories import published_event, registered_person

_voices = iter(range(1, 10_000))


async def person(db: Any, client: TgClient, **fields: Any) -> None:
    """A registered person (the registration dialog has tests of its own)."""
    values: dict[str, Any] = {
        "target_group": "nko_staff",
        "district": "krasnoturansky",
        "organisation": "АНО «Сибирь»",
        "digest_enabled": True,
    }
    values.update(fields)
    await registered_person(db, client, **values)


async def switch_topics(someone: TgClient, *topics: str) -> None:
    """In /settings → «Темы», press each of ``topics`` (switching it on or off)."""
    await someone.send("/settings")
    await someone.press("Темы")
    for topic in topics:
        await someone.press(topic)


async def send_voice(client: TgClient, caption: str | None = None) -> str:
    file_id = f"voice-{next(_voices)}"
    await client.send_message(
        voice=Voice(file_id=file_id, file_unique_id=file_id, duration=7), caption=caption
    )
    return file_id


async def consultations(db: Any) -> list[Consultation]:
    async with db.session() as s:
        return list(await s.scalars(select(Consultation).order_by(Consultation.id)))


async def consultation_messages(db: Any) -> list[ConsultationMessage]:
    async with db.session() as s:
        return list(await s.scalars(select(ConsultationMessage).order_by(ConsultationMessage.id)))


async def asked_for_the_question(db: Any, client: TgClient) -> None:
    """A registered person in /consult who chose the topic «Гранты»: the bot asks for the question."""
    await person(db, client)
    await client.send("/consult")
    await client.press("Гранты")


async def asked_about_grants(db: Any, client: TgClient) -> None:
    """The question about grants typed: the next step asks for the organisation."""
    await asked_for_the_question(db, client)
    await client.send("Как оформить отчёт по президентскому гранту?")


async def sent_request(client: TgClient, db: Any) -> Consultation:
    """Press «Отправить заявку» on the preview: the one consultation it files."""
    await client.press("Отправить заявку")
    [c] = await consultations(db)
    return c


# --- 1. consultation: time only where needed, files and voice with the question --------------------


async def test_in_writing_no_time_is_asked_and_the_card_shows_the_format_alone(
    client: TgClient, db: Any, fake_session: Any
) -> None:
    await asked_about_grants(db, client)
    assert "организации" in client.last_text  # no separate files step after the question
    await client.press("Сибирь")
    await client.press("В переписке")
    preview = client.last_text
    assert "Проверьте заявку" in preview and "Когда удобно" not in preview  # straight to the preview
    await client.press("Изменить поле")
    await client.press("Формат")
    await client.press("По телефону")  # a format that needs a time: asked right after it
    assert "Когда вам удобно" in client.last_text
    await client.press("Будни, утро")
    assert "Когда удобно:</b> Будни, утро" in client.last_text
    await client.press("Изменить поле")
    await client.press("Формат")
    await client.press("В переписке")
    assert "Когда удобно" not in client.last_text
    c = await sent_request(client, db)
    assert (c.format, c.preferred_time) == ("chat", "any")
    card = next(
        call.method.text
        for call in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
        if f"К-{c.id}" in call.method.text
    )
    assert "В переписке" in card and "В любое время" not in card


async def test_phone_format_still_asks_when(client: TgClient, db: Any) -> None:
    await asked_about_grants(db, client)
    await client.press("Сибирь")
    await client.press("По телефону")
    assert "Когда вам удобно" in client.last_text
    await client.press("Будни, утро")
    c = await sent_request(client, db)
    assert (c.format, c.preferred_time) == ("phone", "morning")


async def test_a_voice_message_is_the_question_and_staff_hear_it(
    client: TgClient, db: Any, fake_session: Any
) -> None:
    await asked_for_the_question(db, client)
    assert "голосовым" in client.last_text  # the prompt says a voice message is welcome
    await client.send_document("смета.xlsx")  # a file first: kept, the question asked for
    assert "Файл сохранён" in client.all_text()
    voice = await send_voice(client)
    assert "организации" in client.last_text  # the voice answered the question
    await client.press("Сибирь")
    await client.press("В переписке")
    assert "голосовым сообщением" in client.last_text and "голосовых: 1" in client.last_text
    c = await sent_request(client, db)
    assert c.question == ""
    rows = await consultation_messages(db)
    assert [(m.kind, m.file_id) for m in rows if m.kind == "voice"] == [("voice", voice)]
    assert {m.kind for m in rows} == {"document", "voice"}
    card = next(
        call.method.text
        for call in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)
        if f"К-{c.id}" in call.method.text
    )
    assert "голосом" in card and "удалён" not in card
    [sent] = fake_session.calls_of("SendVoice", chat_id=ADMIN_CHAT_ID)  # shown to staff as voice
    assert sent.method.voice == voice


async def test_a_document_with_a_caption_is_the_question_with_its_file(client: TgClient, db: Any) -> None:
    await asked_for_the_question(db, client)
    await client.send_document("устав.pdf", caption="Проверьте, пожалуйста, устав нашей АНО")
    assert "организации" in client.last_text
    await client.press("Назад")
    assert "Приложено: 1" in client.last_text and "устав" in client.last_text
    await send_voice(client)  # more can come while the question is on the screen
    await client.press("Сибирь")
    await client.press("Онлайн")
    await client.press("В любое время")
    c = await sent_request(client, db)
    assert c.question == "Проверьте, пожалуйста, устав нашей АНО"
    assert [m.kind for m in await consultation_messages(db)] == ["document", "voice"]


async def test_a_voice_message_to_an_open_request_reaches_staff_as_voice(
    client: TgClient, db: Any, fake_session: Any
) -> None:
    await asked_about_grants(db, client)
    await client.press("Сибирь")
    await client.press("В переписке")
    c = await sent_request(client, db)
    await client.press_data(ConsultCb(action=Consult.WRITE, id=c.id).pack())
    voice = await send_voice(client)
    assert [m.file_id for m in await consultation_messages(db) if m.kind == "voice"] == [voice]
    assert [c.method.voice for c in fake_session.calls_of("SendVoice", chat_id=ADMIN_CHAT_ID)] == [voice]


# --- voice in the idea and the catalogue request ------------------------------------------------------


async def test_the_idea_may_be_told_by_voice(client: TgClient, db: Any, fake_session: Any) -> None:
    await person(db, client)
    await client.send("/idea")
    await client.send("Лавочки у почты")
    await client.send("Пожилым людям негде присесть у почты")
    assert "голосовым" in client.last_text
    voice = await send_voice(client)
    assert "Рассказано голосовым" in client.all_text() or "район" in client.last_text.lower()
    draft = await client.draft()
    assert {"kind": "voice", "file_id": voice} in draft["media"]
    assert "голосовым" in draft["description"]


async def test_a_catalogue_request_may_carry_a_voice_message(
    client_factory: Any, staff: TgClient, db: Any, fake_session: Any
) -> None:
    from tests.test_showcase import PROVIDER_ID, _published_card, open_card_from_catalogue

    _provider, resident = await _published_card(client_factory, staff, db)
    await open_card_from_catalogue(resident)
    await resident.press("Оставить заявку")
    assert "голосовое" in resident.last_text
    voice = await send_voice(resident)
    if "Показать ваш телефон" in resident.last_text:
        await resident.press("Нет, только через бот")
    assert "отправлена" in resident.all_text()
    async with db.session() as s:
        [request] = list(await s.scalars(select(ServiceRequest)))
    assert request.note_voice == voice and request.note is None
    texts = fake_session.texts_to(PROVIDER_ID, "голосовое сообщение")
    assert texts  # the provider's card says a voice message comes with it
    [sent] = fake_session.calls_of("SendVoice", chat_id=PROVIDER_ID)
    assert sent.method.voice == voice


# --- 2. the trial office only in the catalogue; the room's size ----------------------------------------


async def test_book_offers_no_trial_office_and_shows_how_many_the_room_holds(
    client: TgClient, db: Any
) -> None:
    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
        office = await booking_service.resource_by_code(s, "trial_office")
    await person(db, client)
    await client.send("/book")
    prompt = client.last_text
    assert "Переговорная: до 10 человек" in prompt and "мест: 1" not in prompt
    assert "Коворкинг" in client.buttons() and "Переговорная" in client.buttons()
    assert not any("Офис" in label for label in client.buttons())
    assert "Офис" not in prompt
    await client.press_data(f"fm:Book:resource:p:{office.id}")  # a forged press
    assert await client.step() == "Book:resource"
    async with db.session() as s:  # staff say how many the room holds
        room = await booking_service.resource_by_code(s, "meeting_room")
        await booking_service.update_resource(s, room.id, STAFF_ID, "people", 21)
    await client.send("/cancel")
    await client.send("/book")
    assert "Переговорная: до 21 человека" in client.last_text


# --- 3. «📆 В календарь» ------------------------------------------------------------------------


async def test_booking_confirmation_is_text_and_the_calendar_comes_on_request(
    client_factory: Any, db: Any
) -> None:
    from tests.test_booking import to_confirm

    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
    anna, boris = client_factory(4101, first_name="Анна"), client_factory(4102, first_name="Борис")
    await person(db, anna)
    await person(db, boris)
    await to_confirm(anna, "Коворкинг")
    await anna.press("Забронировать")
    assert "место за вами" in anna.last_text and not anna.sent("SendDocument")
    async with db.session() as s:
        [booking] = list(await s.scalars(select(Booking)))
    data = BookingAction(a=OwnBooking.CALENDAR, id=booking.id).pack()
    await boris.press_data(data)  # someone else's booking: nothing
    assert not boris.sent("SendDocument") and boris.alerts()
    await anna.press("📆 В календарь")
    [document] = anna.sent("SendDocument")
    assert document.method.document.filename.endswith(".ics")
    assert b"BEGIN:VEVENT" in document.method.document.data


async def test_sign_up_confirmation_is_text_and_the_calendar_checks_the_sign_up(
    client_factory: Any, db: Any
) -> None:
    event = await published_event(
        db, by=STAFF_ID, title="Школа НКО", description="Гранты", capacity=5, closes_in=timedelta(days=2)
    )
    anna, boris = client_factory(4201, first_name="Анна"), client_factory(4202, first_name="Борис")
    await person(db, anna)
    await person(db, boris)
    await anna.press_data(EvCb(a=EvAction.SIGN_UP, e=event.id).pack())
    assert "Вы записаны" in anna.last_text and not anna.sent("SendDocument")
    assert "📆 В календарь" in anna.buttons()
    await boris.press_data(EvCb(a=EvAction.ICS, e=event.id).pack())  # not signed up: nothing
    assert not boris.sent("SendDocument") and boris.alerts()
    await anna.press("📆 В календарь")
    [document] = anna.sent("SendDocument")
    assert document.method.document.filename == f"event-{event.id}.ics"


# --- 4. /settings «Темы»: what the news of the week brings --------------------------------------------


def _everyone(text: str, data: str):
    async def source(session: Any, users: Any, now: Any, until: Any) -> dict[int, list[DigestItem]]:
        return {user.id: [DigestItem(text=text, button=("btn.yes", data))] for user in users}

    return source


async def test_topics_choose_the_sections_of_the_news_of_the_week(
    client_factory: Any, db: Any, settings: Any, monkeypatch: Any
) -> None:
    from bot.i18n import create_i18n

    monkeypatch.setattr(
        digest_service,
        "SOURCES",
        [
            ("events", _everyone("Семинар по грантам", "ev:1")),
            ("ideas", _everyone("Лавочки у почты", "idea:1")),
            ("bookings", _everyone("Ваш коворкинг в среду", "bk:1")),
        ],
    )
    anna, boris, vera = (
        client_factory(4300 + n, first_name=name) for n, name in enumerate(("Анна", "Борис", "Вера"))
    )
    for someone in (anna, boris, vera):
        await person(db, someone)
    async with db.session() as s:
        await digest_service.add_news(s, STAFF_ID, "Центр работает в субботу")
    await switch_topics(anna, "Идеи жителей")
    await switch_topics(boris, "Мероприятия", "Новости Центра")
    async with db.session() as s:
        stored = {u.tg_id: u.interest_topics for u in await s.scalars(select(User))}
    assert stored[anna.user.id] == ["ideas"] and stored[boris.user.id] == ["events", "news"]

    await digest_service.queue_weekly(db, create_i18n(), settings.tz, utcnow())
    async with db.session() as s:
        rows = {
            r.chat_id: r.payload["html"]
            for r in await s.scalars(select(Notification).where(Notification.kind == "digest"))
        }
    a, b, v = rows[anna.chat_id], rows[boris.chat_id], rows[vera.chat_id]
    assert "Лавочки" in a and "Семинар" not in a and "субботу" not in a  # topic ideas: no events, no news
    assert "Семинар" in b and "субботу" in b and "Лавочки" not in b
    assert all(text in v for text in ("Семинар", "Лавочки", "субботу"))  # nothing chosen: everything
    assert all("Ваш коворкинг" in html for html in (a, b, v))  # a person's own things always come


# --- 5. /privacy: the export readable ------------------------------------------------------------


async def test_export_is_a_file_and_a_readable_message(client: TgClient, db: Any) -> None:
    from tests.test_booking import to_confirm

    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
    await person(db, client, phone="+79131112233")
    await to_confirm(client, "Коворкинг")
    await client.press("Забронировать")
    await client.send("/consult")
    await client.press("Гранты")
    await send_voice(client, caption="Как оформить отчёт по президентскому гранту?")
    await client.press("Сибирь")
    await client.press("В переписке")
    await client.press("Отправить заявку")
    await client.send("/privacy")
    await client.press("Скачать мои данные")
    [document] = client.sent("SendDocument")
    data = json.loads(document.method.document.data)
    assert any(m["kind"] == "voice" and m["file_id"] for m in data["consultations"][0]["messages"])
    text = "\n".join(client.texts()[-3:])
    assert "Что Центр знает о вас" in text
    assert "+79131112233" in text and "АНО «Сибирь»" in text
    assert "Бронирования" in text and "Коворкинг" in text
    async with db.session() as s:
        [booking] = list(await s.scalars(select(Booking)))
    start = booking.start_at.astimezone(booking_service._display_tz)
    months = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ]
    assert f"{start.day} {months[start.month - 1]}, {start:%H:%M}" in text  # the bot's date style
    assert "Консультации" in text and "отчёт по президентскому" in text and "голосовых: 1" in text
    assert "{" not in text and "None" not in text

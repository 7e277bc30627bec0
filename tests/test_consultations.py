"""Consultations through the real dispatcher: the person's dialog, the staff card, the conversation,
the meeting, closing and rating; ownership, escaping, the race for «Взять», overdue requests."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Document, ForumTopic, Message
from sqlalchemy import select

from db.base import utcnow
from db.models import AuditLog, Consultation, ConsultationMessage, Notification, User
from handlers.consultations.delivery import raise_overdue
from keyboards.consultations import ConsultAdmCb, ConsultCb
from services import consultations as svc
from services import privacy
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, make_settings, register

ORG = "АНО «Добрые руки»"


async def state_of(client: TgClient) -> str | None:
    """The step of /consult ("ConsultForm:question"), or the state after it ("ConsultForm:write")."""
    return await client.step()


async def one(db: Any) -> Consultation:
    async with db.session() as s:
        rows = list(await s.scalars(select(Consultation)))
    assert len(rows) == 1, rows
    return rows[0]


def admin_texts(fake_session: Any) -> list[str]:
    return person_texts(fake_session, ADMIN_CHAT_ID)


def person_texts(fake_session: Any, chat_id: int) -> list[str]:
    out = []
    for call in fake_session.calls:
        if getattr(call.method, "chat_id", None) == chat_id:
            text = getattr(call.method, "text", None) or getattr(call.method, "caption", None)
            if text:
                out.append(text)
    return out


def bot_message(fake_session: Any, chat_id: int, contains: str) -> Message:
    for message in reversed(list(fake_session.messages[chat_id].values())):
        if contains in (message.text or message.caption or ""):
            return message
    raise AssertionError(f"no bot message with {contains!r} in {chat_id}")


async def file_request(
    client: TgClient,
    question: str = "Как подать заявку на грант Фонда президентских грантов?",
    document: bool = True,
) -> None:
    await client.send("/consult")
    assert "Выберите тему" in client.all_text()
    await client.press("Гранты и конкурсы")
    assert "Опишите вопрос" in client.last_text
    if document:  # a file comes with the question: the question is asked for, in the same step
        await client.send_document("устав.pdf")
        assert "Файл сохранён" in client.all_text()
    await client.send(question)
    assert "организации" in client.last_text
    await client.press(ORG[:10])
    assert "удобнее" in client.last_text
    await client.press("Онлайн")
    await client.press("Будни, утро")
    assert "Проверьте заявку" in client.last_text
    await client.press("Отправить заявку")


@pytest.fixture
def olga(client_factory: Any) -> TgClient:
    """A second person beside ``client`` (Иван Петров, 1001)."""
    return client_factory(1002, first_name="Ольга", last_name="Иванова")


async def registered(client: TgClient) -> None:
    await register(client, group="Сотрудник СОНКО", organisation=ORG, phone="+7 913 123-45-67")


async def test_full_flow(client: TgClient, staff: TgClient, db: Any, fake_session: Any) -> None:
    """File with a document -> take -> answer -> meeting -> the person replies -> close -> rate."""
    await registered(client)
    await file_request(client)
    assert "Заявка К-1 принята" in client.all_text().replace("<b>", "").replace("</b>", "")
    assert await state_of(client) is None
    c = await one(db)
    assert (c.status, c.format, c.preferred_time, c.organisation) == ("new", "online", "morning", ORG)
    # the card: number, topic, organisation, question, first name only, no phone
    card = bot_message(fake_session, ADMIN_CHAT_ID, "Заявка К-1")
    assert "Гранты и конкурсы" in card.text and ORG in card.text.replace("&laquo;", "«")
    assert "Иван" in card.text and "Петров" not in card.text and "913" not in card.text
    assert fake_session.calls_of("SendDocument", chat_id=ADMIN_CHAT_ID), "the document reaches staff"
    assert c.card_message_id == card.message_id

    # take
    await staff.press("Взять")
    assert "Заявка ваша." in staff.alerts()
    c = await one(db)
    assert (c.status, c.assignee_tg_id) == ("in_progress", STAFF_ID)
    assert any("взята в работу" in t and "Мария" in t for t in person_texts(fake_session, client.chat_id))
    assert "Взято в работу: Мария Сотрудник" in fake_session.messages[ADMIN_CHAT_ID][card.message_id].text

    # contact: shown only to the presser, audited
    await staff.press("Контакт")
    assert any("+79131234567" in a for a in staff.alerts())
    async with db.session() as s:
        audit = list(await s.scalars(select(AuditLog.action)))
    assert "consultation.contact_viewed" in audit and "consultation.take" in audit

    # answer by replying to the prompt
    await staff.press("Ответить")
    prompt = bot_message(fake_session, ADMIN_CHAT_ID, "ответ по заявке К-1")
    await staff.send("Добрый день! Пришлите, пожалуйста, устав <b>целиком</b>.", reply_to_message=prompt)
    assert "доставлен" in staff.last_text
    answer = person_texts(fake_session, client.chat_id)[-1]
    assert "Ответ по заявке К-1" in answer and "&lt;b&gt;целиком&lt;/b&gt;" in answer

    # the person replies with the button
    await client.press("↩️ Ответить")
    assert await state_of(client) == "ConsultForm:write"
    await client.send("Хорошо, вот он")
    assert "Отправлено специалисту" in client.last_text
    assert any("Хорошо, вот он" in t for t in admin_texts(fake_session))
    # ... and with a Telegram reply to the answer message, a document
    answer_message = bot_message(fake_session, client.chat_id, "Ответ по заявке К-1")
    document = Document(file_id="doc-full", file_unique_id="df", file_name="устав-полный.pdf")
    await client.send_message(document=document, caption="полный", reply_to_message=answer_message)
    assert "Отправлено специалисту" in client.last_text
    assert len(fake_session.calls_of("SendDocument", chat_id=ADMIN_CHAT_ID)) == 2

    # meeting: day -> time -> place
    await staff.press("Назначить встречу")
    days = [b for b in staff.buttons() if re.match(r"(пн|вт|ср|чт|пт|сб|вс), \d+ [а-я]+$", b)]
    await staff.press(days[1], exact=True)
    await staff.press("11:00", exact=True)
    await staff.press("В Центре")
    c = await one(db)
    assert c.status == "meeting" and c.meeting_at is not None
    assert c.meeting_at.astimezone(ZoneInfo("Asia/Krasnoyarsk")).hour == 11
    meeting = [t for t in person_texts(fake_session, client.chat_id) if "Встреча по заявке К-1" in t]
    assert meeting and "Ленина" in meeting[-1]
    ics_calls = [
        call for call in fake_session.calls_of("SendDocument", chat_id=client.chat_id) if call.method.caption
    ]
    assert ics_calls and ics_calls[-1].method.document.filename == "consultation-1.ics"
    assert b"BEGIN:VEVENT" in ics_calls[-1].method.document.data
    async with db.session() as s:
        reminder = await s.scalar(select(Notification).where(Notification.kind == "consultation.reminder"))
    assert reminder is not None and reminder.status == "pending" and reminder.ref_id == 1

    # close with an outcome; the reminder is cancelled; the person rates and comments
    await staff.press("Закрыть")
    await staff.press("решено")
    c = await one(db)
    assert (c.status, c.outcome) == ("closed", "resolved")
    async with db.session() as s:
        reminder = await s.scalar(select(Notification).where(Notification.kind == "consultation.reminder"))
    assert reminder is not None and reminder.status == "cancelled"
    assert "закрыта: решено" in person_texts(fake_session, client.chat_id)[-1]
    await client.press("5 ⭐")
    assert "Спасибо за оценку" in client.last_text
    await client.press("Написать комментарий")
    await client.send("Очень помогли, спасибо!")
    c = await one(db)
    assert (c.rating, c.rating_comment) == (5, "Очень помогли, спасибо!")
    card = fake_session.messages[ADMIN_CHAT_ID][card.message_id]
    assert "закрыта" in card.text and "5/5" in card.text and "Очень помогли" in card.text
    # a second rating is refused
    await client.press_data(ConsultCb(action="rate", id=1, v="1").pack())
    assert any("уже оценили" in a for a in client.alerts())
    async with db.session() as s:
        kinds = [
            m.author for m in await s.scalars(select(ConsultationMessage).order_by(ConsultationMessage.id))
        ]
    assert kinds == ["person", "staff", "person", "person"]


async def test_my_lists_requests_and_cancel(
    client: TgClient, staff: TgClient, db: Any, fake_session: Any
) -> None:
    await registered(client)
    await file_request(client, document=False)
    await client.send("/my")
    await client.press("Мои заявки на консультацию")
    assert "Ваши заявки на консультацию (1)" in client.last_text
    await client.press("К-1")
    assert "Заявка К-1" in client.last_text and "новая" in client.last_text
    assert "✖️ Отменить заявку" in client.buttons()
    await client.press("Написать специалисту")
    await client.send_sticker()
    assert "Пришлите текст, фото или документ" in client.last_text
    assert await state_of(client) == "ConsultForm:write"
    await client.send_photo(caption="Вот скан")
    assert "Отправлено специалисту" in client.last_text
    assert fake_session.calls_of("SendPhoto", chat_id=ADMIN_CHAT_ID)
    await client.send("/my")
    await client.press("Мои заявки на консультацию")
    await client.press("К-1")
    assert "Вот скан" in client.last_text
    await client.press("Отменить заявку")
    await client.press("Да, отменить")
    assert "Заявка К-1 отменена" in client.all_text()
    c = await one(db)
    assert c.status == "cancelled"
    assert any("отменил заявку К-1" in t for t in admin_texts(fake_session))
    # staff cannot act on it any more
    await staff.press_data(ConsultAdmCb(action="take", id=1).pack())
    assert any("закрыта или отменена" in a for a in staff.alerts())


async def test_someone_elses_request_is_out_of_reach(
    client: TgClient, olga: TgClient, db: Any, fake_session: Any
) -> None:
    await registered(client)
    await register(olga)
    await file_request(client, document=False)
    for action in ("view", "cancel", "cancel_yes", "write", "rate_ask", "comment"):
        await olga.press_data(ConsultCb(action=action, id=1).pack())
        assert any("не найден" in a for a in olga.alerts()), action
    await olga.press_data(ConsultCb(action="rate", id=1, v="5").pack())
    assert any("не найден" in a for a in olga.alerts())
    c = await one(db)
    assert c.status == "new" and c.rating is None
    assert not any("Как подать заявку" in t for t in person_texts(fake_session, olga.chat_id))


async def test_text_in_admin_chat_is_escaped(
    client_factory: Any, staff: TgClient, db: Any, fake_session: Any
) -> None:
    client = client_factory(1001, first_name="<i>Хакер</i>", last_name=None)
    await register(client, group="Сотрудник СОНКО", organisation="<b>ООО</b> & Ко")
    await client.send("/consult")
    await client.press("Другое")
    await client.send("<script>alert(1)</script> вопрос & ответ")
    await client.press("<b>ООО</b>")
    await client.press("В переписке")  # no «когда удобно» for an answer in writing
    assert "&lt;script&gt;" in client.last_text
    await client.press("Отправить заявку")
    card = bot_message(fake_session, ADMIN_CHAT_ID, "Заявка К-1").text
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "&lt;b&gt;ООО&lt;/b&gt; &amp; Ко" in card
    assert "<i>" not in card


async def test_two_staff_take_at_once(
    client: TgClient, client_factory: Any, db: Any, fake_session: Any
) -> None:
    await registered(client)
    await file_request(client, document=False)
    fake_session.set_member(ADMIN_CHAT_ID, 5002)
    maria = client_factory(STAFF_ID, first_name="Мария", last_name=None, chat_id=ADMIN_CHAT_ID)
    pyotr = client_factory(5002, first_name="Пётр", last_name=None, chat_id=ADMIN_CHAT_ID)
    data = ConsultAdmCb(action="take", id=1).pack()
    card = bot_message(fake_session, ADMIN_CHAT_ID, "Заявка К-1")
    await asyncio.gather(maria.press_data(data, card), pyotr.press_data(data, card))
    alerts = [c.method.text for c in fake_session.calls_of("AnswerCallbackQuery") if c.method.text]
    assert alerts.count("Заявка ваша.") == 1, alerts
    taken = [a for a in alerts if "уже взял" in a]
    assert len(taken) == 1
    c = await one(db)
    assert c.assignee_name in taken[0]


async def test_take_race_in_the_service(db: Any, client: TgClient) -> None:
    await registered(client)
    await file_request(client, document=False)

    async def attempt(staff_id: int) -> str:
        async with db.session() as session:
            try:
                await svc.take(session, 1, staff_id, f"Сотрудник {staff_id}")
            except svc.Conflict:
                return "lost"
            return "won"

    results = await asyncio.gather(*(attempt(6000 + i) for i in range(12)))
    assert results.count("won") == 1
    c = await one(db)
    async with db.session() as s:
        takes = list(await s.scalars(select(AuditLog).where(AuditLog.action == "consultation.take")))
    assert len(takes) == 1 and takes[0].actor_tg_id == c.assignee_tg_id


async def test_dialog_back_and_bad_input(client: TgClient, db: Any) -> None:
    await registered(client)
    await client.send("/consult")
    await client.send_sticker()
    assert "кнопкой" in client.all_text()
    await client.press("Бухгалтерия")
    await client.send("ой")
    assert "слишком короткий" in client.all_text() and "Опишите вопрос" in client.last_text
    assert await state_of(client) == "ConsultForm:question"
    await client.send("x" * 3001 + " вопрос")
    assert "Слишком длинно" in client.all_text()
    await client.send_sticker()
    assert "Напишите вопрос текстом" in client.all_text()
    await client.send("/whatever")
    assert "заполняете форму" in client.all_text()
    assert await state_of(client) == "ConsultForm:question"
    await client.send_photo()
    assert "Файл сохранён" in client.all_text()
    await client.send("Как сдать отчёт в Минюст?")
    await client.press("Назад")
    assert "Сейчас записано" in client.last_text and "Минюст" in client.last_text
    assert "Приложено: 1" in client.last_text  # the file came with the question and is kept
    await client.press("Оставить")
    await client.send("Свой фонд")
    assert "удобнее" in client.last_text
    await client.press("Назад")
    assert "Свой фонд" in client.last_text  # the organisation typed is kept
    await client.press("Свой фонд")
    await client.press("По телефону")
    await client.press("В любое время")
    await client.send("текст вместо кнопки")
    assert "кнопкой" in client.all_text()
    await client.press("Отправить заявку")
    c = await one(db)
    assert "Минюст" in c.question
    assert c.organisation == "Свой фонд" and c.format == "phone"
    async with db.session() as s:
        files = list(await s.scalars(select(ConsultationMessage)))
    assert [f.kind for f in files] == ["photo"]


async def test_cancel_keeps_nothing_and_registration_required(client: TgClient, db: Any) -> None:
    await client.send("/consult")
    assert "152-ФЗ" in client.last_text  # consent first, then the short registration
    await registered(client)
    await client.send("/consult")
    await client.press("Гранты")
    await client.press("Отмена")
    assert await state_of(client) is None
    async with db.session() as s:
        assert list(await s.scalars(select(Consultation))) == []


async def test_overdue_requests_are_raised_again(
    client: TgClient, db: Any, bot: Any, dp: Any, settings: Any, fake_session: Any
) -> None:
    await registered(client)
    await file_request(client, document=False)
    tz = settings.tz
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=tz)
    async with db.session() as s:
        c = await s.get(Consultation, 1)
        c.created_at = friday.astimezone(UTC)
        await s.commit()
    i18n = dp["i18n"]
    assert await raise_overdue(bot, db, i18n, settings, now=datetime(2026, 11, 30, 14, 0, tzinfo=tz)) == 0
    before = len(admin_texts(fake_session))
    assert await raise_overdue(bot, db, i18n, settings, now=datetime(2026, 11, 30, 15, 30, tzinfo=tz)) == 1
    alert = admin_texts(fake_session)[before:]
    assert len(alert) == 1 and "К-1 ждёт уже 3 д" in alert[0]
    assert await raise_overdue(bot, db, i18n, settings, now=datetime(2026, 11, 30, 16, 0, tzinfo=tz)) == 0
    # a day later it is raised again; taken, it is not
    assert await raise_overdue(bot, db, i18n, settings, now=datetime(2026, 12, 1, 15, 31, tzinfo=tz)) == 1
    async with db.session() as s:
        await svc.take(s, 1, STAFF_ID, "Мария")
    assert await raise_overdue(bot, db, i18n, settings, now=datetime(2026, 12, 9, 15, 31, tzinfo=tz)) == 0


async def test_open_list_and_org_history(client: TgClient, olga: TgClient, staff: TgClient, db: Any) -> None:
    await registered(client)
    await registered(olga)
    await file_request(client, document=False)
    await file_request(olga, question="Как вести бухгалтерию НКО на УСН?", document=False)
    await staff.send("/consults")
    assert (
        "Открытые заявки на консультацию: 2" in staff.last_text
        and "К-1" in staff.last_text
        and "К-2" in staff.last_text
    )
    assert "Всего заявок: 2 · закрыто: 0" in staff.last_text
    await staff.press("К-2", exact=True)
    assert "Заявка К-2" in staff.last_text
    await staff.press("История организации")
    assert "заявок — 2" in staff.last_text
    await staff.send("/consult_org добрые")
    assert "заявок — 2" in staff.last_text
    await staff.send("/consult_org нет-такой")
    assert "нет" in staff.last_text.lower()


async def test_topics_are_editable_by_staff(
    client: TgClient, staff: TgClient, db: Any, fake_session: Any
) -> None:
    await registered(client)
    await staff.send("/consult_topics")
    assert "PR и работа со СМИ" in " ".join(staff.buttons())
    await staff.press("PR и работа со СМИ")
    assert "Тема скрыта." in staff.alerts()
    await staff.press("Добавить тему")
    prompt = bot_message(fake_session, ADMIN_CHAT_ID, "названием новой темы")
    await staff.send("Волонтёрство", reply_to_message=prompt)
    assert "Волонтёрство" in staff.all_text()
    await client.send("/consult")
    labels = client.buttons()
    assert "Волонтёрство" in labels and "PR и работа со СМИ" not in labels


async def test_forum_threads(database_url: str, db: Any, bot: Any, fake_session: Any) -> None:
    from bot.factory import create_dispatcher

    settings = make_settings(database_url, consult_forum_threads={"grants": 77})
    dp = create_dispatcher(settings, db, error_sink=[])
    client = TgClient(dp, bot, 1001)
    await registered(client)
    await file_request(client)
    card = fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID)[0]
    assert card.method.message_thread_id == 77
    document = fake_session.calls_of("SendDocument", chat_id=ADMIN_CHAT_ID)[0]
    assert document.method.message_thread_id == 77
    await dp.storage.close()

    # created on demand when the chat is a forum and nothing is mapped
    original = fake_session._result

    def result(bot_: Any, method: Any, name: str) -> Any:
        if name == "CreateForumTopic":
            return ForumTopic(message_thread_id=501, name=method.name, icon_color=0)
        return original(bot_, method, name)

    fake_session._result = result  # type: ignore[method-assign]
    settings = make_settings(database_url, consult_forum_create=True)
    dp = create_dispatcher(settings, db, error_sink=[])
    other = TgClient(dp, bot, 1002)
    await registered(other)
    await file_request(other, document=False)
    await file_request(other, question="Ещё один вопрос про гранты", document=False)
    assert len(fake_session.calls_of("CreateForumTopic")) == 1
    cards = [
        c for c in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID) if "Заявка К-" in c.method.text
    ]
    assert [c.method.message_thread_id for c in cards[-2:]] == [501, 501]
    await dp.storage.close()


async def test_undelivered_answer_is_reported(client: TgClient, staff: TgClient, fake_session: Any) -> None:
    from aiogram.exceptions import TelegramForbiddenError
    from aiogram.methods import SendMessage

    await registered(client)
    await file_request(client, document=False)
    card = bot_message(fake_session, ADMIN_CHAT_ID, "Заявка К-1")
    fake_session.fail_next(
        "SendMessage", TelegramForbiddenError(method=SendMessage(chat_id=1, text="x"), message="blocked")
    )
    await staff.send("Ответ прямо на карточку", reply_to_message=card)
    assert "не доставлено" in staff.last_text


async def test_working_hours() -> None:
    tz = ZoneInfo("Asia/Krasnoyarsk")
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=tz)
    assert svc.add_working_hours(friday, 24, tz) == datetime(2026, 11, 30, 15, 0, tzinfo=tz)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=tz)
    assert svc.add_working_hours(saturday, 24, tz) == datetime(2026, 12, 1, 0, 0, tzinfo=tz)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=tz)
    assert svc.add_working_hours(monday, 2, tz) == datetime(2026, 11, 30, 11, 0, tzinfo=tz)
    assert svc.add_working_hours(friday, 24 * 5, tz) == datetime(2026, 12, 4, 15, 0, tzinfo=tz)
    days = svc.working_days_ahead(saturday, tz, 3)
    assert [d.day for d in days] == [30, 1, 2]


async def test_privacy_export_and_erase(client: TgClient, db: Any) -> None:
    await registered(client)
    await file_request(client)
    async with db.session() as s:
        user = await s.scalar(select(User))
        data = await privacy.export(s, user)
    [item] = data["consultations"]
    assert item["number"] == 1 and "грант" in item["question"] and item["messages"][0]["kind"] == "document"
    async with db.session() as s:
        await privacy.erase(s, client.user.id, "1.0")
    c = await one(db)
    assert c.question == "" and c.organisation is None and c.status == "new"
    async with db.session() as s:
        message = await s.scalar(select(ConsultationMessage))
    assert message is not None and message.file_id is None


async def test_meeting_place_by_reply_and_past_time(
    client: TgClient, staff: TgClient, db: Any, fake_session: Any, settings: Any
) -> None:
    await registered(client)
    await file_request(client, document=False)
    past = (utcnow().astimezone(settings.tz) - timedelta(days=1)).strftime("%Y%m%d") + "1000"
    await staff.press_data(ConsultAdmCb(action="mplace", id=1, v=past + "-center").pack())
    assert any("уже прошло" in a for a in staff.alerts())
    future = (utcnow().astimezone(settings.tz) + timedelta(days=2)).strftime("%Y%m%d") + "1500"
    await staff.press_data(ConsultAdmCb(action="mplace", id=1, v=future + "-other").pack())
    prompt = bot_message(fake_session, ADMIN_CHAT_ID, "адрес или ссылка")
    await staff.send("https://meet.example.org/abc?x=<1>", reply_to_message=prompt)
    c = await one(db)
    assert c.status == "meeting" and c.meeting_place == "https://meet.example.org/abc?x=<1>"
    text = [t for t in person_texts(fake_session, client.chat_id) if "Встреча по заявке" in t][-1]
    assert "x=&lt;1&gt;" in text


async def test_reminder_renders_in_the_persons_language(
    client: TgClient, staff: TgClient, db: Any, dp: Any, settings: Any
) -> None:
    from services.outbox import render

    await registered(client)
    await file_request(client, document=False)
    future = (utcnow().astimezone(settings.tz) + timedelta(days=3)).strftime("%Y%m%d") + "1000"
    await staff.press_data(ConsultAdmCb(action="mplace", id=1, v=future + "-phone").pack())
    async with db.session() as s:
        reminder = await s.scalar(select(Notification).where(Notification.kind == "consultation.reminder"))
    assert reminder is not None and reminder.payload["event_at"]
    i18n = dp["i18n"]
    for language, expected in (("ru", "по телефону"), ("en", "by phone")):
        with i18n.context(), i18n.use_locale(language):
            text, buttons = render(reminder.payload, i18n.gettext, settings.tz)
        assert "К-1" in text or "No. 1" in text
        assert expected in text
        assert buttons is not None
        data = buttons[0][0].data
        assert data is not None
        assert ConsultCb.unpack(data) == ConsultCb(action="view", id=1)


def test_overdue_job_is_registered(settings: Any, db: Any, bot: Any, dp: Any) -> None:
    from bot.scheduler import build_scheduler

    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    job = scheduler.get_job("consultations.overdue")
    assert job is not None and job.func.__wrapped__ is raise_overdue


async def test_topics_are_seeded_once_under_concurrency(db: Any) -> None:
    async def seed() -> int:
        async with db.session() as session:
            return len(await svc.list_topics(session))

    counts = await asyncio.gather(*(seed() for _ in range(8)))
    assert counts == [len(svc.SEED_TOPICS)] * 8
    async with db.session() as s:
        topics = await svc.list_topics(s, include_hidden=True)
    assert [t.code for t in topics] == [code for code, _ru, _en in svc.SEED_TOPICS]


async def test_long_escaped_texts_fit_one_message(
    client: TgClient, staff: TgClient, fake_session: Any
) -> None:
    await registered(client)
    await file_request(client, question="<&>" * 990 + " вопрос", document=False)
    card = bot_message(fake_session, ADMIN_CHAT_ID, "Заявка К-1").text
    assert len(card) <= 4096 and "&lt;&amp;&gt;" in card
    for _ in range(6):
        await client.press_data(ConsultCb(action="write", id=1).pack())
        await client.send("&" * 2999)
    await client.send("/my")
    await client.press("Мои заявки на консультацию")
    await client.press("К-1")
    assert len(client.last_text) <= 4096 and client.last_text.count("<b>") == client.last_text.count("</b>")
    await staff.send("/consults")
    assert len(staff.last_text) <= 4096


async def test_card_lost_on_the_way_is_posted_when_raised(
    client: TgClient, db: Any, bot: Any, dp: Any, settings: Any, fake_session: Any
) -> None:
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import SendMessage

    await registered(client)
    await client.send("/consult")
    await client.press("Гранты")
    await client.send("Как подать заявку на грант?")
    await client.press(ORG[:10])
    await client.press("Онлайн")
    await client.press("Будни, утро")
    fake_session.fail_next(
        "SendMessage", TelegramNetworkError(method=SendMessage(chat_id=1, text="x"), message="down")
    )
    await client.press("Отправить заявку")
    assert "принят" in client.last_text  # the person is not left without an answer
    c = await one(db)
    assert c.card_message_id is None
    later = c.created_at + timedelta(days=7)
    assert await raise_overdue(bot, db, dp["i18n"], settings, now=later) == 1
    c = await one(db)
    assert c.card_message_id is not None
    texts = admin_texts(fake_session)
    assert any("Заявка К-1" in t for t in texts) and any("ждёт уже" in t for t in texts)

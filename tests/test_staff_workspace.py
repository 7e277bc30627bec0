"""The staff workspace (issue 17): with a forum admin chat each feature's cards land in their own topic,
one inbox lists everything waiting with prefixed numbers, a reason typed without replying to the bot
reaches no resident, and a technical error alert lands only in the errors topic (or ERROR_CHAT_ID)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Message
from sqlalchemy import select

from bot.factory import create_dispatcher
from db.models import Booking, BookingStatus, StaffTopic
from services import booking as booking_service
from services import numbers
from services import workspace as workspace_service
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, make_settings
from tests.test_booking import to_confirm
from tests.test_consultations import ORG, file_request
from tests.test_ideas import submit_idea
from tests.test_showcase import fill_card, quick_register

TOPICS = {
    "consultations": "💬 Консультации",
    "bookings": "📆 Бронирования",
    "ideas": "💡 Идеи",
    "catalogue": "🧰 Каталог услуг",
    "errors": "⚠️ Технические ошибки",
}


def admin_card(fake_session: Any, containing: str) -> Any:
    """The first message sent to the admin chat whose text or caption contains ``containing``."""
    for call in fake_session.calls:
        if (
            call.name in {"SendMessage", "SendPhoto"}
            and getattr(call.method, "chat_id", None) == ADMIN_CHAT_ID
        ):
            if containing in (
                getattr(call.method, "text", None) or getattr(call.method, "caption", None) or ""
            ):
                return call
    raise AssertionError(f"no admin message with {containing!r}")


async def four_requests(client_factory: Any, db: Any) -> dict[str, TgClient]:
    """A consultation, a booking waiting for approval, an idea and a catalogue card, in that order."""
    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
    asker = client_factory(5001, first_name="Анна", last_name="Орлова")
    await quick_register(db, asker, group="nko_staff", district="krasnoturansky", organisation=ORG)
    await file_request(asker, document=False)
    booker = client_factory(5002, first_name="Иван", last_name="Петров")
    await quick_register(db, booker, group="citizen", district="krasnoturansky")
    await to_confirm(booker, "ЭКСПО-зал", duration="2 ч")
    await booker.press("Отправить заявку")
    author = client_factory(5003, first_name="Пётр", last_name="Сидоров")
    await quick_register(db, author, group="citizen", district="krasnoturansky")
    await submit_idea(author, photo=False)
    provider = client_factory(5004, first_name="Ольга", last_name="Иванова")
    await quick_register(db, provider, group="nko_staff", district="idrinsky", organisation="АНО «Забота»")
    await fill_card(provider)
    return {"asker": asker, "booker": booker, "author": author, "provider": provider}


async def test_forum_topics_inbox_reply_only_reasons_and_error_topic(
    client_factory: Any, staff: TgClient, db: Any, dp: Any, fake_session: Any, monkeypatch: Any
) -> None:
    fake_session.make_forum(ADMIN_CHAT_ID)
    people = await four_requests(client_factory, db)
    async with db.session() as s:
        [booking] = list(await s.scalars(select(Booking)))

    # each feature's card in its own topic, created by the bot once
    threads = {feature: fake_session.topic_named(ADMIN_CHAT_ID, name) for feature, name in TOPICS.items()}
    assert admin_card(fake_session, "Заявка К-1").method.message_thread_id == threads["consultations"]
    assert (
        admin_card(fake_session, f"Бронирование Б-{booking.id}").method.message_thread_id
        == threads["bookings"]
    )
    assert admin_card(fake_session, "Идея И-1").method.message_thread_id == threads["ideas"]
    assert admin_card(fake_session, "Карточка КУ-1").method.message_thread_id == threads["catalogue"]
    cards = [threads[f] for f in ("consultations", "bookings", "ideas", "catalogue")]
    assert None not in cards and len(set(cards)) == 4
    assert threads["errors"] is None  # not created until an error needs it
    assert len(fake_session.calls_of("CreateForumTopic")) == 4
    async with db.session() as s:  # the created ids are kept, so a restart reuses the topics
        stored = {row.code: row.thread_id for row in await s.scalars(select(StaffTopic))}
    assert {f: stored[f] for f in ("consultations", "bookings", "ideas", "catalogue")} == dict(
        zip(("consultations", "bookings", "ideas", "catalogue"), cards, strict=True)
    )

    # the inbox: first in /admin, all four with their prefixed numbers, oldest first, buttons to the cards
    await staff.send("/admin")
    assert staff.buttons()[0] == "📥 Ждут ответа (4)"
    await staff.press("Ждут ответа (4)")
    inbox = staff.last_text
    order = [inbox.index(n) for n in ("К-1", f"Б-{booking.id}", "И-1", "КУ-1")]
    assert order == sorted(order), inbox
    assert "никто не взял" in inbox
    labels = staff.buttons()
    assert [label.split(" · ")[0] for label in labels] == ["К-1", f"Б-{booking.id}", "И-1", "КУ-1"]
    assert fake_session.pinned.get(ADMIN_CHAT_ID) is not None  # the count is pinned
    pinned = fake_session.messages[ADMIN_CHAT_ID][fake_session.pinned[ADMIN_CHAT_ID]]
    assert "Ждут ответа: 4" in (pinned.text or "")

    # a button of the inbox opens the booking's card
    await staff.press(f"Б-{booking.id} ·")
    assert f"Бронирование Б-{booking.id}" in staff.last_text and "Подтвердить" in " ".join(staff.buttons())
    # «/find К-1» finds the consultation, with who took it
    await staff.press("К-1 ·")  # the consultation card again, then taken
    await staff.press("Взять")
    await staff.send("/find к1")  # opens the card itself, with who took it
    assert "Заявка К-1" in staff.last_text and "Взято в работу: Мария Сотрудник" in staff.last_text
    assert "Ответить" in " ".join(staff.buttons())
    await staff.send("/find КУ-1")  # no card here: the line and a button to it
    assert "КУ-1" in staff.last_text and staff.buttons()[0].startswith("КУ-1 · ")
    await staff.send("/find М-404")
    assert "М-404: такого номера нет" in staff.last_text

    # a reason typed without replying to the bot reaches no resident
    booker = people["booker"]
    await staff.press("Отклонить")
    assert "Время занято" in staff.buttons() and "✍️ Своя причина" in staff.buttons()
    await staff.press("Своя причина")
    before = len(fake_session.calls_of("SendMessage", chat_id=booker.chat_id))
    await staff.send("Коллеги, я на обед, вернусь в два")
    assert staff.replies == []
    assert len(fake_session.calls_of("SendMessage", chat_id=booker.chat_id)) == before
    async with db.session() as s:
        assert (await s.get(Booking, booking.id)).status == BookingStatus.PENDING  # type: ignore[union-attr]
    # a reply to someone else's message is not the reason either
    other = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": ADMIN_CHAT_ID, "type": "supergroup"}, "text": "?"}
    )
    await staff.reply("И это не причина", to=other)
    assert len(fake_session.calls_of("SendMessage", chat_id=booker.chat_id)) == before
    # only a reply to the bot's prompt is taken
    await staff.reply("Зал занят выставкой")
    [told] = [t for t in fake_session.texts_to(booker.chat_id, "не подтверждена")]
    assert "Зал занят выставкой" in told and "обед" not in told
    async with db.session() as s:
        assert len(await workspace_service.inbox(s)) == 3
    pinned = fake_session.messages[ADMIN_CHAT_ID][fake_session.pinned[ADMIN_CHAT_ID]]
    assert "Ждут ответа: 3" in (pinned.text or "")  # right after the decision, not a minute later
    await staff.send("/inbox")
    pinned = fake_session.messages[ADMIN_CHAT_ID][fake_session.pinned[ADMIN_CHAT_ID]]
    assert "Ждут ответа: 3" in (pinned.text or "")  # the same pinned message, updated

    # an unexpected error: the alert lands only in the errors topic, never among residents' requests
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(workspace_service, "inbox", broken)
    dp.workflow_data["expect_errors"] = True
    fake_session.clear()
    await staff.send("/inbox")
    errors_thread = fake_session.topic_named(ADMIN_CHAT_ID, TOPICS["errors"])
    alerts = [c for c in fake_session.calls_of("SendMessage") if "Ошибка" in (c.method.text or "")]
    assert errors_thread is not None and errors_thread not in cards
    assert [(c.method.chat_id, c.method.message_thread_id) for c in alerts] == [
        (ADMIN_CHAT_ID, errors_thread)
    ]


async def test_error_alerts_go_to_their_own_chat(
    database_url: str, db: Any, bot: Any, fake_session: Any
) -> None:
    settings = make_settings(database_url, error_chat_id=-100777)
    dp = create_dispatcher(settings, db, error_sink=[], expect_errors=True)
    staff = TgClient(dp, bot, settings.admin_ids[0], chat_id=ADMIN_CHAT_ID)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    original = workspace_service.inbox
    workspace_service.inbox = broken  # type: ignore[assignment]
    try:
        await staff.send("/inbox")
    finally:
        workspace_service.inbox = original  # type: ignore[assignment]
        await dp.storage.close()
    alerts = [c for c in fake_session.calls_of("SendMessage") if "Ошибка" in (c.method.text or "")]
    assert [c.method.chat_id for c in alerts] == [-100777]


async def test_a_plain_group_keeps_everything_in_one_thread(
    client_factory: Any, db: Any, fake_session: Any
) -> None:
    """Not a forum: no topics are created, cards go to the chat as before."""
    async with db.session() as s:
        await booking_service.ensure_default_resources(s)
    asker = client_factory(5001)
    await quick_register(db, asker, group="nko_staff", district="krasnoturansky", organisation=ORG)
    await file_request(asker, document=False)
    assert admin_card(fake_session, "Заявка К-1").method.message_thread_id is None
    assert not fake_session.calls_of("CreateForumTopic")


async def test_a_mapped_thread_wins_and_no_right_to_create_is_not_fatal(
    database_url: str, db: Any, bot: Any, fake_session: Any
) -> None:
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import CreateForumTopic

    fake_session.make_forum(ADMIN_CHAT_ID)
    fake_session.fail_next(
        "CreateForumTopic",
        TelegramBadRequest(CreateForumTopic(chat_id=ADMIN_CHAT_ID, name="x"), "not enough rights"),
    )
    settings = make_settings(database_url, staff_forum_threads={"ideas": 42})
    dp = create_dispatcher(settings, db, error_sink=[])
    try:
        asker = TgClient(dp, bot, 5001)
        await quick_register(db, asker, group="nko_staff", district="krasnoturansky", organisation=ORG)
        await file_request(asker, document=False)  # the topic cannot be created: the general thread
        assert admin_card(fake_session, "Заявка К-1").method.message_thread_id is None
        await file_request(asker, question="Второй вопрос про отчётность по гранту", document=False)
        assert len(fake_session.calls_of("CreateForumTopic")) == 1  # not retried on every card
        author = TgClient(dp, bot, 5003)
        await quick_register(db, author, group="citizen", district="krasnoturansky")
        await submit_idea(author, photo=False)
        assert admin_card(fake_session, "Идея И-1").method.message_thread_id == 42
    finally:
        await dp.storage.close()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("К-12", ("consultation", 12)),
        ("к12", ("consultation", 12)),
        ("K-12", ("consultation", 12)),
        ("№ Б-7", ("booking", 7)),
        ("и 3", ("idea", 3)),
        ("У-5", ("request", 5)),
        ("M-9", ("event", 9)),
        ("КУ-4", ("card", 4)),
        ("ПО-2", ("trial", 2)),
        ("Х-1", None),
        ("К-", None),
        ("К-0", None),
        ("К-99999999999", None),
        ("", None),
    ],
)
def test_numbers_are_parsed_and_never_collide(typed: str, expected: Any) -> None:
    assert numbers.parse(typed) == expected
    if expected is not None:
        assert numbers.parse(numbers.number(*expected)) == expected
    assert len(set(numbers.PREFIXES.values())) == len(numbers.PREFIXES)

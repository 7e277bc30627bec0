"""The MAX messenger without a process (issue 20): bot/max.py's adaptations of aiogram-max against the fake
MAX server, people keyed by (messenger, id), and the outbox sending through the person's messenger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import GetUpdates
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import Settings
from bot.delivery.outbox import create_outbox
from bot.i18n import create_i18n
from bot.max import create_max_bot
from bot.storage import MessengerKeyBuilder
from db import messenger
from db.base import utcnow
from db.engine import Database, write
from db.models import Notification, User, UserStatus
from db.repositories import users as users_repo
from handlers.messengers import bot_for, install
from services import notifications
from services import users as users_service
from tests.fake_max import DIALOG_OFFSET, MAX_TOKEN, FakeMax
from tests.fakes import FakeSession

PERSON = 4343
ADMIN = -1001000000001


@pytest.fixture
async def max_api() -> AsyncIterator[FakeMax]:
    server = FakeMax()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def max_bot(max_api: FakeMax, settings: Settings, bot: Bot) -> AsyncIterator[Bot]:
    made = create_max_bot(
        settings.model_copy(
            update={"max_bot_token": SecretStr(MAX_TOKEN), "max_api_url": max_api.url, "admin_chat_id": ADMIN}
        ),
        telegram=bot,
    )
    yield made
    await made.session.close()


async def test_a_person_is_addressed_by_their_id_and_reply_keyboards_become_max_buttons(
    max_api: FakeMax, max_bot: Bot
) -> None:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="📱 Отправить мой номер", request_contact=True)],
            [KeyboardButton(text="Пропустить")],
        ]
    )
    sent = await max_bot.send_message(PERSON, "Оставьте <b>телефон</b>", reply_markup=keyboard)
    [call] = max_api.calls
    assert call.params == {"user_id": str(PERSON)}  # not the dialog's chat id
    assert call.text == "Оставьте <b>телефон</b>" and call.json and call.json["format"] == "html"
    assert [(b["type"], b["text"]) for b in call.buttons()] == [
        ("request_contact", "📱 Отправить мой номер"),
        ("message", "Пропустить"),
    ]
    assert sent.chat.id == PERSON and sent.chat.type == "private"  # as Telegram's private chat

    await max_bot.send_message(PERSON, "Готово", reply_markup=ReplyKeyboardRemove())
    assert max_api.calls[-1].attachments == []


async def test_an_edit_keeps_its_new_buttons(max_api: FakeMax, max_bot: Bot) -> None:
    first = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Шаг 1", callback_data="s:1")]])
    second = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Шаг 2", callback_data="s:2")]])
    sent = await max_bot.send_message(PERSON, "Шаг 1", reply_markup=first)
    await max_bot.edit_message_text("Шаг 2", chat_id=PERSON, message_id=sent.message_id, reply_markup=second)
    edit = max_api.calls[-1]
    assert edit.http == "PUT" and edit.text == "Шаг 2"
    assert [b["payload"] for b in edit.buttons()] == ["s:2"]
    await max_bot.edit_message_text("Конец", chat_id=PERSON, message_id=sent.message_id)
    assert max_api.calls[-1].attachments == []  # as Telegram: an edit without markup drops the buttons


async def test_updates_from_a_dialog_carry_the_person_as_chat_and_a_shared_contact(
    max_api: FakeMax, max_bot: Bot
) -> None:
    max_api.push_start(PERSON, "ev-12")
    max_api.push_text(PERSON, "Привет")
    max_api.push_contact(PERSON, "+7 913 000-11-22")
    updates = await max_bot(GetUpdates(timeout=0))
    start, text, contact = (u.message for u in updates)
    assert start is not None and start.text == "/start ev-12" and start.chat.id == PERSON
    assert text is not None and text.text == "Привет" and text.chat.id == PERSON
    assert text.from_user is not None and text.from_user.id == PERSON
    assert contact is not None and contact.contact is not None
    assert contact.contact.phone_number == "+7 913 000-11-22" and contact.contact.user_id == PERSON
    again = await max_bot(GetUpdates(offset=updates[-1].update_id + 1, timeout=0))
    assert again == []  # the marker moved on


async def test_a_press_comes_back_from_the_persons_dialog(max_api: FakeMax, max_bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]])
    await max_bot.send_message(PERSON, "Согласны?", reply_markup=markup)
    max_api.press(PERSON, "Да")
    [update] = await max_bot(GetUpdates(timeout=0))
    query = update.callback_query
    assert query is not None and query.data == "yes" and query.from_user.id == PERSON
    assert query.message is not None and query.message.chat.id == PERSON  # not PERSON + DIALOG_OFFSET
    assert DIALOG_OFFSET + PERSON != PERSON


async def test_max_errors_are_aiograms(max_api: FakeMax, max_bot: Bot) -> None:
    max_api.fail(403, "chat.denied", "bot is blocked by the user")
    with pytest.raises(TelegramForbiddenError):
        await max_bot.send_message(PERSON, "…")
    max_api.fail(429, "too.many.requests", "Too many requests")
    with pytest.raises(TelegramRetryAfter):
        await max_bot.send_message(PERSON, "…")
    max_api.fail(400, "proto.payload", "bad payload")
    with pytest.raises(TelegramBadRequest):
        await max_bot.send_message(PERSON, "…")


async def test_calls_for_the_admin_chat_go_through_the_telegram_bot(
    max_api: FakeMax, max_bot: Bot, fake_session: FakeSession
) -> None:
    await max_bot.send_message(ADMIN, "Карточка")  # a MAX resident's handler posts to the staff chat
    assert fake_session.calls_of("SendMessage", chat_id=ADMIN), "it goes through the Telegram Bot"
    assert not [c for c in max_api.calls if c.path == "/messages"]


async def test_the_same_number_in_two_messengers_is_two_people(db: Database) -> None:
    async with db.session() as session:
        with messenger.using(messenger.MAX):
            in_max = await users_service.give_consent(session, PERSON, "1.0")
        in_telegram = await users_service.give_consent(session, PERSON, "1.0")
        assert in_max.id != in_telegram.id
        assert (in_max.messenger, in_telegram.messenger) == ("max", "telegram")
        with messenger.using(messenger.MAX):
            found = await users_repo.by_tg_id(session, PERSON)
        assert found is not None and found.id == in_max.id
        found = await users_repo.by_tg_id(session, PERSON)
        assert found is not None and found.id == in_telegram.id

    key = StorageKey(bot_id=0, chat_id=PERSON, user_id=PERSON)
    builder = MessengerKeyBuilder(with_destiny=True)
    telegram_key = builder.build(key, "state")
    with messenger.using(messenger.MAX):
        max_key = builder.build(key, "state")
    assert telegram_key == f"fsm:{PERSON}:{PERSON}:default:state"  # Telegram's keys as before
    assert max_key == f"fsm:max:{PERSON}:{PERSON}:default:state"


async def test_notices_go_out_through_the_persons_messenger(
    db: Database, settings: Settings, bot: Bot, max_bot: Bot, max_api: FakeMax, fake_session: FakeSession
) -> None:
    async with db.session() as session, write(session):
        people = [
            User(tg_id=PERSON, messenger=name, status=UserStatus.REGISTERED, full_name="Анна Смирнова")
            for name in ("telegram", "max")
        ]
        session.add_all(people)
    async with db.session() as session, write(session):
        for person in people:
            await notifications.queue(
                session,
                user=person,
                kind="test",
                due_at=utcnow() - timedelta(minutes=1),
                payload={"html": f"Напоминание для {person.messenger}"},
            )
    async with db.session() as session:
        assert sorted(await session.scalars(select(Notification.messenger))) == ["max", "telegram"]
    outbox = create_outbox(settings, bot, db, create_i18n(), others={"max": max_bot})
    result = await outbox.tick()
    assert result.sent == 2
    assert [c.text for c in max_api.calls if c.path == "/messages"] == ["Напоминание для max"]
    assert max_api.calls[-1].params == {"user_id": str(PERSON)}
    telegram = [c.method.text for c in fake_session.calls_of("SendMessage", chat_id=PERSON)]
    assert telegram == ["Напоминание для telegram"]


async def test_a_staff_answer_takes_the_persons_bot(bot: Bot, max_bot: Bot) -> None:
    install({"telegram": bot, "max": max_bot})
    try:
        assert bot_for("max", bot) is max_bot
        assert bot_for("telegram", max_bot) is bot
        assert bot_for("telegram", bot) is bot
    finally:
        install({})
    assert bot_for("max", bot) is bot  # without a MAX Bot, as before

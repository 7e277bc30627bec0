"""The MAX messenger without a process (issue 20): bot/max.py's adaptations of aiogram-max against the fake
MAX server, people keyed by (messenger, id), and the outbox sending through the person's messenger."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("aiogram_max", reason="the MAX messenger needs Python 3.12+ with aiogram-max")
from aiogram import Bot, Dispatcher
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
from bot.factory import create_dispatcher
from bot.i18n import create_i18n
from bot.max import create_max_bot
from bot.storage import MessengerKeyBuilder
from db import messenger
from db.base import utcnow
from db.engine import Database, write
from db.models import Notification, User, UserStatus
from db.repositories import users as users_repo
from handlers.messengers import bot_for, install
from services import notifications, report
from services import users as users_service
from services.report import Period
from tests.client import TgClient
from tests.conftest import register
from tests.fake_max import DIALOG_OFFSET, MAX_TOKEN, FakeMax
from tests.fakes import FakeSession

PERSON = 4343
TZ = ZoneInfo("Asia/Krasnoyarsk")
ADMIN = -1001000000001


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


@pytest.fixture
async def two_messengers(settings: Settings, db: Database, bot: Bot) -> AsyncIterator[tuple[Dispatcher, Bot]]:
    """A dispatcher serving Telegram (``bot``) and MAX (a Bot on a recording session marked as MAX's)."""
    max_session = FakeSession()
    max_session.messenger = messenger.MAX  # type: ignore[attr-defined]
    in_max = Bot(token="42:max", session=max_session)
    dispatcher = create_dispatcher(settings, db, bots={"telegram": bot, "max": in_max})
    yield dispatcher, in_max
    install({})
    await dispatcher.storage.close()


async def test_linked_accounts_are_one_person_in_the_reach_report(
    two_messengers: tuple[Dispatcher, Bot], bot: Bot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dp, in_max = two_messengers
    telegram = TgClient(dp, bot, PERSON, first_name="Анна", last_name="Смирнова")
    in_max_client = TgClient(dp, in_max, PERSON, first_name="Анна", last_name="Смирнова")
    await register(telegram, name="Анна Смирнова")
    await register(in_max_client, name="Анна Смирнова")  # the same number in MAX: registered anew

    await telegram.send("/profile")
    assert "/link" in telegram.all_text()
    await telegram.send("/link")
    code = re.search(r"/link (\d{6})", telegram.last_text)
    assert code is not None and "MAX" in telegram.last_text

    await in_max_client.send("/link 000000" if code.group(1) != "000000" else "/link 111111")
    assert "не подошёл" in in_max_client.last_text
    await telegram.send(f"/link {code.group(1)}")  # the code works from the other messenger only
    assert "не подошёл" in telegram.last_text
    await in_max_client.send(f"/link {code.group(1)}")
    assert "связаны" in in_max_client.last_text

    async with db.session() as session:
        people = {u.messenger: u for u in await session.scalars(select(User))}
        assert people["max"].linked_to_id == people["telegram"].id
        assert people["telegram"].link_code is None  # used once
        # both accounts took part in the period
        monkeypatch.setattr(
            report, "participants", lambda _p, _n: select(User.id.label("user_id")).subquery()
        )
        now = utcnow()
        period = Period("test", now.date(), now.date(), now - timedelta(days=1), now + timedelta(days=1), TZ)
        reach = await report.compute_reach(session, period, now, {})
    assert reach.people == 1
    async with db.session() as session, write(session):
        people["max"].linked_to_id = None
        session.add(people["max"])
    async with db.session() as session:
        assert (await report.compute_reach(session, period, now, {})).people == 2  # not linked: per account


async def test_a_venue_is_a_map_point_with_the_address(max_api: FakeMax, max_bot: Bot) -> None:
    await max_bot.send_venue(
        PERSON, 54.3176, 91.5662, "Центр местного сообщества", "с. Краснотуранск, ул. Ленина, 22А"
    )
    [call] = max_api.calls
    assert call.params == {"user_id": str(PERSON)}
    assert "Центр местного сообщества" in call.text and "Ленина, 22А" in call.text
    assert call.attachments == [{"type": "location", "latitude": 54.3176, "longitude": 91.5662}]

"""First contact (issue 16): a new person looks around without registering, acts with no typing, and is
taken back to what they were doing; every screen has a way back; the menu and /my."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from sqlalchemy import func, select

from db.base import utcnow
from db.engine import write
from db.models import ConsentLog, EventSignup, User, UserStatus
from keyboards.common import NavCb
from keyboards.menu import MenuCb
from keyboards.settings import SetCb
from services import showcase as svc
from tests.client import TgClient
from tests.conftest import STAFF_ID, register
from tests.factories import published_event

HOME = MenuCb(action="home").pack()
FORM_CANCEL = re.compile(r"^fm:[^:]+:[^:]+:c:")
PROVIDER_ID = 2301


def t(dp: Any, key: str, **values: Any) -> str:
    text = dp["i18n"].gettext(key, locale="ru")
    return text.format(**values) if values else text


async def an_event(db: Any, title: str = "Школа НКО: гранты 2027", days: int = 2) -> int:
    event = await published_event(
        db,
        by=STAFF_ID,
        title=title,
        description="Как написать заявку на грант.",
        kind="seminar",
        starts_in=timedelta(days=days),
        capacity=20,
    )
    return event.id


async def a_service(db: Any) -> None:
    async with db.session() as s, write(s):
        s.add(
            User(
                tg_id=PROVIDER_ID,
                full_name="Ольга Иванова",
                status=UserStatus.REGISTERED,
                target_group="nko_staff",
                organisation="АНО «Добрые руки»",
                district="krasnoturansky",
                registered_at=utcnow(),
            )
        )
    async with db.session() as s:
        category = next(c for c in await svc.categories(s) if c.code == "elderly")
        card = await svc.create_card(
            s,
            PROVIDER_ID,
            {
                "organisation": "АНО «Добрые руки»",
                "title": "Помощь по дому пожилым",
                "category_id": category.id,
                "description": "Уборка, покупка продуктов и лекарств, прогулки.",
                "districts": ["krasnoturansky"],
                "format": "home",
            },
        )
    async with db.session() as s:
        await svc.moderate(s, STAFF_ID, card.id, "publish")


async def people(db: Any, tg_id: int) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(User).where(User.tg_id == tg_id)) or 0)


async def consents(db: Any) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(ConsentLog)) or 0)


async def stored_state(client: TgClient) -> tuple[str | None, dict[str, Any]]:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    return await client.dp.storage.get_state(key), await client.dp.storage.get_data(key)


def screen(client: TgClient) -> Message:
    """The newest message of the chat that has inline buttons (what the person looks at)."""
    for message in reversed(list(client.session.messages.get(client.chat_id, {}).values())):
        if message.reply_markup is not None and hasattr(message.reply_markup, "inline_keyboard"):
            return message
    raise AssertionError("no screen with buttons")


def reply_keyboard(client: TgClient) -> ReplyKeyboardMarkup | None:
    """The reply keyboard under the input field now: the last one sent (None once removed)."""
    current = None
    for call in client.session.calls:
        markup = getattr(call.method, "reply_markup", None)
        chat = getattr(call.method, "chat_id", None)
        if chat != client.chat_id:
            continue
        if isinstance(markup, ReplyKeyboardMarkup):
            current = markup
        elif isinstance(markup, ReplyKeyboardRemove):
            current = None
    return current


def assert_way_back(client: TgClient, dp: Any) -> None:
    """The screen is the menu or has a button back to it («🏠 Меню», or «Отмена», which ends in the
    menu), and the «🏠 Меню» reply button stays under the input field."""
    data = [b.callback_data or "" for row in screen(client).reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    is_menu = MenuCb(action="more").pack() in data
    back = {HOME, NavCb(action="cancel").pack(), SetCb(action="close").pack()}  # each ends in the menu
    assert is_menu or back & set(data) or any(FORM_CANCEL.match(d) for d in data), (client.texts()[-2:], data)
    keyboard = reply_keyboard(client)
    assert keyboard is not None, client.texts()[-2:]
    assert [b.text for row in keyboard.keyboard for b in row] == [t(dp, "fc.btn.home_reply")]
    assert keyboard.is_persistent


class Presses:
    """Counts what the person does: presses only (no typing) from /start."""

    def __init__(self, client: TgClient) -> None:
        self.client = client
        self.count = 0

    async def __call__(self, label: str, exact: bool = False) -> None:
        self.count += 1
        await self.client.press(label, exact=exact)


async def test_a_new_person_looks_around_then_signs_up_in_six_presses(
    client: TgClient, db: Any, dp: Any
) -> None:
    event_id = await an_event(db)
    await an_event(db, "Ярмарка мастеров", days=9)
    await a_service(db)
    press = Presses(client)

    await client.send("/start")
    welcome = client.texts()[0]
    assert len(welcome.splitlines()) == 3 and "Центра местного сообщества" in welcome
    labels = client.buttons()
    assert labels == [
        t(dp, key)
        for key in (
            "fc.menu.consult",
            "fc.menu.events",
            "fc.menu.book",
            "fc.menu.services",
            "fc.menu.ideas",
            "fc.menu.my",
            "fc.menu.more",
        )
    ]
    assert_way_back(client, dp)

    # the next event, without registering
    await press(t(dp, "fc.menu.events"))
    assert "Школа НКО" in client.last_text and "Ярмарка мастеров" in client.last_text
    assert_way_back(client, dp)
    await press("Школа НКО")
    assert "Большой зал" in client.last_text
    assert t(dp, "events.btn_signup") in client.buttons()
    assert_way_back(client, dp)
    assert await people(db, client.user.id) == 0  # nothing stored about the person yet

    # signing up asks consent, then only the name (from Telegram) and «Кто вы»
    await press(t(dp, "events.btn_signup"))
    assert "152-ФЗ" in client.last_text
    assert await people(db, client.user.id) == 0 and await consents(db) == 0
    assert_way_back(client, dp)
    await press(t(dp, "fc.btn.agree"))
    assert await people(db, client.user.id) == 1 and await consents(db) == 1
    assert_way_back(client, dp)
    await press(t(dp, "reg.keep_name", name="Иван Петров"))
    assert_way_back(client, dp)
    await press(t(dp, "group.citizen"), exact=True)

    # back where they were: signed up, on the event's card
    assert press.count == 6
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == client.user.id))
        assert user is not None and user.is_registered and user.full_name == "Иван Петров"
        assert user.phone is None and user.organisation is None and user.target_group == "citizen"
        signup = await s.scalar(select(EventSignup).where(EventSignup.user_id == user.id))
        assert signup is not None and signup.event_id == event_id and signup.status == "confirmed"
    assert "Школа НКО" in client.all_text()
    assert t(dp, "events.btn_cancel_signup") in client.buttons()
    assert_way_back(client, dp)
    assert await stored_state(client) == (None, {})


async def test_a_service_is_found_without_registering_and_nothing_is_stored(
    client: TgClient, db: Any, dp: Any
) -> None:
    await a_service(db)
    await client.send("/start")
    await client.press(t(dp, "fc.menu.services"))
    assert_way_back(client, dp)
    await client.press("Помощь пожилым")
    await client.press("1", exact=True)
    assert "Помощь по дому пожилым" in client.all_text() and "Добрые руки" in client.all_text()
    # the catalogue's own search keeps its state in memory only before consent
    await client.send("/services")
    await client.press(t(dp, "showcase.btn_search"))
    await client.send("уборка")
    assert "Помощь по дому пожилым" in client.all_text()
    assert await people(db, client.user.id) == 0
    assert await stored_state(client) == (None, {})
    # the ideas and «О Центре» are open too; proposing an idea asks consent, then opens the idea's form
    await client.send("/ideas")
    assert_way_back(client, dp)
    assert t(dp, "ideas.menu_new") in client.buttons()
    await client.send("/about")
    assert_way_back(client, dp)
    assert await people(db, client.user.id) == 0
    await client.press(t(dp, "fc.btn.home"))
    await client.press(t(dp, "fc.menu.more"))
    await client.press(t(dp, "ideas.menu_new"))
    await client.press(t(dp, "fc.btn.agree"))
    await client.press(t(dp, "reg.keep_name", name="Иван Петров"))
    await client.press(t(dp, "group.citizen"), exact=True)
    assert (await client.step() or "").startswith("idea:"), await client.step()


async def test_a_posters_link_ends_on_the_events_card(client_factory: Any, db: Any, dp: Any) -> None:
    event_id = await an_event(db)
    for n, prefix in enumerate(("event", "ev")):
        client = client_factory(3100 + n)
        await client.send(f"/start {prefix}_{event_id}")
        assert "Школа НКО" in client.last_text and "Главное меню" not in client.all_text()
        assert_way_back(client, dp)
        await client.press(t(dp, "events.btn_signup"))
        await client.press(t(dp, "fc.btn.agree"))
        await client.press(t(dp, "reg.keep_name", name="Иван Петров"))
        await client.press(t(dp, "group.citizen"), exact=True)
        assert "Школа НКО" in client.last_text
        assert t(dp, "events.btn_cancel_signup") in client.buttons()
        async with db.session() as s:
            count = await s.scalar(select(func.count()).select_from(EventSignup))
        assert count == n + 1


async def test_registration_asks_the_organisation_only_for_its_groups_and_the_phone_for_call_backs(
    client_factory: Any, db: Any, dp: Any
) -> None:
    ngo = client_factory(3201)
    await ngo.send("/start")
    await ngo.press(t(dp, "fc.menu.consult"))
    await ngo.press(t(dp, "fc.btn.agree"))
    await ngo.press(t(dp, "reg.keep_name", name="Иван Петров"))
    await ngo.press(t(dp, "group.nko_staff"), exact=True)
    assert await ngo.step() == "rq:org"
    await ngo.send("АНО «Забота»")
    assert await ngo.step() == "rq:phone"  # staff call back about a consultation
    await ngo.send(t(dp, "btn.skip"))
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == ngo.user.id))
        assert user is not None and user.is_registered and user.organisation == "АНО «Забота»"
    assert await ngo.step() == "ConsultForm:topic"  # and on to the consultation asked for


async def test_not_now_and_the_home_button_leave_nothing_behind(client: TgClient, db: Any, dp: Any) -> None:
    await client.send("/start")
    await client.press(t(dp, "fc.menu.book"))
    assert "152-ФЗ" in client.last_text
    await client.press(t(dp, "fc.btn.not_now"))
    assert t(dp, "fc.later") in client.last_text
    assert_way_back(client, dp)
    assert await people(db, client.user.id) == 0 and await consents(db) == 0
    # «🏠 Меню» typed from the reply keyboard in the middle of the registration leaves it
    await client.press(t(dp, "fc.menu.book"))
    await client.press(t(dp, "fc.btn.agree"))
    assert await client.step() == "rq:name"
    await client.send(t(dp, "fc.btn.home_reply"))
    assert await client.step() is None
    assert t(dp, "fc.menu.more") in client.buttons()


async def test_moved_entries_are_under_more_and_every_command_still_works(
    client: TgClient, db: Any, dp: Any
) -> None:
    await register(client)
    await client.send("/menu")
    assert len(client.buttons()) <= 7
    await client.press(t(dp, "fc.menu.more"))
    more = client.buttons()
    for key in ("menu.about", "menu.profile", "menu.privacy", "menu.language", "settings.menu", "menu.help"):
        assert t(dp, key) in more, key
    assert t(dp, "fc.btn.home") in more
    await client.press(t(dp, "menu.profile"))
    assert "Иван Петров" in client.all_text()
    for command in ("/profile", "/privacy", "/language", "/settings", "/help", "/about", "/my", "/events"):
        await client.send(command)
        assert client.texts(), command
        assert_way_back(client, dp)
    for command in ("/book", "/consult", "/idea", "/ideas", "/services"):
        await client.send(command)
        assert client.texts(), command
        await client.send("/cancel")


async def test_my_opens_on_what_is_coming_and_shows_only_sections_with_something(
    client: TgClient, db: Any, dp: Any
) -> None:
    await register(client)
    await client.send("/my")
    assert t(dp, "fc.my.empty") in client.last_text
    assert t(dp, "showcase.my_services") not in client.buttons()
    assert t(dp, "events.my_section") not in client.buttons()
    assert_way_back(client, dp)
    await an_event(db)
    await client.send("/events")
    await client.press("Школа НКО")
    await client.press(t(dp, "events.btn_signup"))
    await client.send("/my")
    text = client.last_text
    assert t(dp, "fc.my.coming") in text and "Школа НКО" in text
    labels = client.buttons()
    assert t(dp, "events.my_section") in labels
    assert t(dp, "booking.my_section") not in labels and t(dp, "showcase.my_services") not in labels
    await client.press(t(dp, "events.my_section"))
    assert "Школа НКО" in client.last_text

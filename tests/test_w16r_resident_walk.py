"""Issue 16's re-read (w16r): every resident screen, walked as a new person from /start, ends on a message
that offers a way back to the menu; and every action asked before consent comes back after the short
registration (booking, consultation, idea, catalogue request, a poster's deep link)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup

from keyboards.common import NavCb
from keyboards.menu import MenuCb
from keyboards.settings import SetCb
from services import booking as booking_svc
from tests.client import TgClient
from tests.conftest import register
from tests.test_booking import to_confirm
from tests.test_consultations import file_request
from tests.test_consultations import registered as registered_with_org
from tests.test_first_contact import FORM_CANCEL, a_service, an_event, people, t
from tests.test_ideas import submit_idea
from tests.test_showcase import request_service

HOME = MenuCb(action="home").pack()
MORE = MenuCb(action="more").pack()
BACK_TO_MENU = {HOME, MORE, NavCb(action="cancel").pack(), SetCb(action="close").pack()}


def offers_menu(markup: Any, dp: Any) -> bool:
    """The markup leads back to the menu: an inline «🏠 Меню» (or a cancel that ends in the menu, or the menu
    itself), or the persistent «🏠 Меню» reply keyboard."""
    if isinstance(markup, InlineKeyboardMarkup):
        data = {b.callback_data or "" for row in markup.inline_keyboard for b in row}
        return bool(data & BACK_TO_MENU) or any(FORM_CANCEL.match(d) for d in data)
    if isinstance(markup, ReplyKeyboardMarkup):
        labels = {b.text for row in markup.keyboard for b in row}
        return t(dp, "fc.btn.home_reply") in labels or t(dp, "fc.btn.home") in labels
    return False


def last_message_offers_menu(client: TgClient, dp: Any) -> None:
    """The last message the bot sent or edited in answer to the last action (not an earlier one) offers
    «🏠 Меню»; a plain text with no buttons at the end of a screen is a dead end."""
    names = {"SendMessage", "EditMessageText", "EditMessageReplyMarkup", "SendDocument", "SendPhoto"}
    shown = [
        c for c in client.replies if c.name in names and getattr(c.method, "chat_id", None) == client.chat_id
    ]
    assert shown, ("the bot showed this person nothing", client.texts())
    last = shown[-1]
    markup = getattr(last.method, "reply_markup", None)
    assert offers_menu(markup, dp), (last.name, client.texts()[-2:], markup)


async def press(client: TgClient, dp: Any, key: str, exact: bool = False, **values: Any) -> None:
    await client.press(t(dp, key, **values), exact=exact)


async def short_registration(client: TgClient, dp: Any) -> None:
    await press(client, dp, "fc.btn.agree")
    await press(client, dp, "reg.keep_name", name="Иван Петров")
    await client.press(t(dp, "group.citizen"), exact=True)


# --- screens a new person (or a registered one) reaches; each ends on a way back to the menu -------------
# A screen is the steps that reach it, played in order; a step is a call (client, dp, db).

Step = Callable[[TgClient, Any, Any], Awaitable[Any]]


def send(text: str) -> Step:
    return lambda c, dp, db: c.send(text)


def key(name: str) -> Step:
    """Press the button whose text is the locale key ``name``."""
    return lambda c, dp, db: press(c, dp, name)


def tap(label: str, exact: bool = False) -> Step:
    """Press the button labelled ``label`` as it stands (a title, a number)."""
    return lambda c, dp, db: c.press(label, exact=exact)


async def registered(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)


async def event(c: TgClient, dp: Any, db: Any) -> None:
    await an_event(db)


async def service(c: TgClient, dp: Any, db: Any) -> None:
    await a_service(db)


async def rooms(c: TgClient, dp: Any, db: Any) -> None:
    async with db.session() as s:
        await booking_svc.ensure_default_resources(s)


async def consultation_sent(c: TgClient, dp: Any, db: Any) -> None:
    await registered_with_org(c)
    await file_request(c, document=False)


async def yes_if_asked(c: TgClient, dp: Any, db: Any) -> None:
    if t(dp, "btn.yes") in c.buttons():
        await press(c, dp, "btn.yes")


START = send("/start")
MORE = (START, key("fc.menu.more"))
EVENT_CARD = (event, START, key("fc.menu.events"), tap("Школа НКО"))
SIGNED_UP = (event, registered, send("/events"), tap("Школа НКО"), key("events.btn_signup"))
BOOKED = (rooms, registered, lambda c, dp, db: to_confirm(c, "Переговорная"), tap("Забронировать"))
SERVICE_CARD = (tap("Помощь пожилым"), tap("1", exact=True))
IDEA_SENT = (registered, lambda c, dp, db: submit_idea(c, photo=False))
PRIVACY = (registered, send("/privacy"))

SCREENS: dict[str, tuple[Step, ...]] = {
    "start": (START,),
    "more": MORE,
    "about": (*MORE, key("menu.about")),
    "more_help": (*MORE, key("menu.help")),
    "events": (event, START, key("fc.menu.events")),
    "events_empty": (START, key("fc.menu.events")),
    "event_card": EVENT_CARD,
    "event_signed_up": SIGNED_UP,
    "event_signup_cancelled": (*SIGNED_UP, key("events.btn_cancel_signup"), yes_if_asked),
    "consent_prompt": (START, key("fc.menu.book")),
    "not_now": (START, key("fc.menu.book"), key("fc.btn.not_now")),
    "book_nothing": (registered, send("/book")),
    "book_first_step": (rooms, registered, START, key("fc.menu.book")),
    "book_confirmed": BOOKED,
    "consult": (registered, START, key("fc.menu.consult")),
    "consult_sent": (consultation_sent,),
    "catalogue": (service, START, key("fc.menu.services")),
    "catalogue_card": (service, START, key("fc.menu.services"), *SERVICE_CARD),
    "catalogue_request_sent": (
        service,
        registered,
        send("/services"),
        *SERVICE_CARD,
        lambda c, dp, db: request_service(c),
    ),
    "idea": (registered, send("/idea")),
    "ideas": (START, key("fc.menu.ideas")),
    "idea_sent": IDEA_SENT,
    "my_empty": (registered, send("/my")),
    "my_ideas": (*IDEA_SENT, send("/my"), key("ideas.my_section")),
    "my_bookings": (*BOOKED, send("/my"), key("booking.my_section")),
    "my_consultations": (consultation_sent, send("/my"), key("consult.my_section")),
    "my_events": (*SIGNED_UP, send("/my"), key("events.my_section")),
    "privacy": PRIVACY,
    "privacy_export": (*PRIVACY, key("privacy.btn_export")),
    "privacy_erase_kept": (*PRIVACY, key("privacy.btn_erase"), key("privacy.btn_erase_no")),
    "profile": (registered, send("/profile")),
    "settings": (registered, send("/settings")),
    "help": (send("/help"),),
    "language": (registered, send("/language")),
    "unknown_text": (registered, send("здравствуйте, когда вы работаете?")),
}


@pytest.mark.parametrize("screen", sorted(SCREENS))
async def test_every_resident_screen_offers_the_menu(screen: str, client: TgClient, dp: Any, db: Any) -> None:
    for step in SCREENS[screen]:
        await step(client, dp, db)
    last_message_offers_menu(client, dp)


def test_the_check_can_fail(dp: Any) -> None:
    """A message with no markup, or with only an unrelated button, is a dead end."""
    from aiogram.types import InlineKeyboardButton

    assert not offers_menu(None, dp)
    only_other = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]])
    assert not offers_menu(only_other, dp)


# --- consent replay: after consent and the short registration the person is at the step they wanted -----


async def test_booking_asked_before_consent_opens_after_it(client: TgClient, dp: Any, db: Any) -> None:
    async with db.session() as s:
        await booking_svc.ensure_default_resources(s)
    await client.send("/start")
    await press(client, dp, "fc.menu.book")
    assert "152-ФЗ" in client.last_text and await people(db, client.user.id) == 0
    await short_registration(client, dp)
    assert await people(db, client.user.id) == 1
    assert (await client.step() or "").lower().startswith("book"), await client.step()


async def test_consultation_asked_before_consent_opens_after_it(client: TgClient, dp: Any, db: Any) -> None:
    await client.send("/start")
    await press(client, dp, "fc.menu.consult")
    await short_registration(client, dp)
    assert await client.step() == "rq:phone"  # staff call back about a consultation
    await client.send(t(dp, "btn.skip"))
    assert await client.step() == "ConsultForm:topic"


async def test_idea_asked_before_consent_opens_after_it(client: TgClient, dp: Any, db: Any) -> None:
    await client.send("/start")
    await press(client, dp, "fc.menu.ideas")
    await press(client, dp, "ideas.menu_new")
    await short_registration(client, dp)
    assert (await client.step() or "").startswith("idea:"), await client.step()


async def test_catalogue_request_asked_before_consent_opens_after_it(
    client: TgClient, dp: Any, db: Any
) -> None:
    await a_service(db)
    await client.send("/start")
    await press(client, dp, "fc.menu.services")
    await client.press("Помощь пожилым")
    await client.press("1", exact=True)
    await press(client, dp, "showcase.btn_request")
    assert "152-ФЗ" in client.last_text
    await short_registration(client, dp)
    assert (await client.step() or "").endswith(":note"), await client.step()  # the request's first step
    assert "Помощь по дому пожилым" in client.last_text
    last_message_offers_menu(client, dp)


async def test_a_posters_deep_link_typed_before_consent_comes_back(
    client: TgClient, dp: Any, db: Any
) -> None:
    event_id = await an_event(db)
    await client.send(f"/start ev_{event_id}")
    await press(client, dp, "events.btn_signup")
    await short_registration(client, dp)
    assert "Школа НКО" in client.last_text
    assert t(dp, "events.btn_cancel_signup") in client.buttons()
    last_message_offers_menu(client, dp)

"""Issue 16's re-read (w16r): every resident screen, walked as a new person from /start, ends on a message
that offers a way back to the menu; and every action asked before consent comes back after the short
registration (booking, consultation, idea, catalogue request, a poster's deep link)."""

from __future__ import annotations

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


async def s_start(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")


async def s_more(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.more")


async def s_about(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.more")
    await press(c, dp, "menu.about")


async def s_events(c: TgClient, dp: Any, db: Any) -> None:
    await an_event(db)
    await c.send("/start")
    await press(c, dp, "fc.menu.events")


async def s_events_empty(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.events")


async def s_event_card(c: TgClient, dp: Any, db: Any) -> None:
    await an_event(db)
    await c.send("/start")
    await press(c, dp, "fc.menu.events")
    await c.press("Школа НКО")


async def s_event_signed_up(c: TgClient, dp: Any, db: Any) -> None:
    await an_event(db)
    await register(c)
    await c.send("/events")
    await c.press("Школа НКО")
    await press(c, dp, "events.btn_signup")


async def s_consent_prompt(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.book")


async def s_not_now(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.book")
    await press(c, dp, "fc.btn.not_now")


async def s_book_nothing(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/book")


async def s_book_first_step(c: TgClient, dp: Any, db: Any) -> None:
    async with db.session() as s:
        await booking_svc.ensure_default_resources(s)
    await register(c)
    await c.send("/start")
    await press(c, dp, "fc.menu.book")


async def s_book_confirmed(c: TgClient, dp: Any, db: Any) -> None:
    async with db.session() as s:
        await booking_svc.ensure_default_resources(s)
    await register(c)
    await to_confirm(c, "Переговорная")
    await c.press("Забронировать")


async def s_consult_sent(c: TgClient, dp: Any, db: Any) -> None:
    await registered_with_org(c)
    await file_request(c, document=False)


async def s_catalogue_request_sent(c: TgClient, dp: Any, db: Any) -> None:
    await a_service(db)
    await register(c)
    await c.send("/services")
    await c.press("Помощь пожилым")
    await c.press("1", exact=True)
    await request_service(c)


async def s_idea_sent(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await submit_idea(c, photo=False)


async def s_my_ideas(c: TgClient, dp: Any, db: Any) -> None:
    await s_idea_sent(c, dp, db)
    await c.send("/my")
    await press(c, dp, "ideas.my_section")


async def s_my_bookings(c: TgClient, dp: Any, db: Any) -> None:
    await s_book_confirmed(c, dp, db)
    await c.send("/my")
    await press(c, dp, "booking.my_section")


async def s_my_consultations(c: TgClient, dp: Any, db: Any) -> None:
    await s_consult_sent(c, dp, db)
    await c.send("/my")
    await press(c, dp, "consult.my_section")


async def s_event_signup_cancelled(c: TgClient, dp: Any, db: Any) -> None:
    await s_event_signed_up(c, dp, db)
    await press(c, dp, "events.btn_cancel_signup")
    if t(dp, "btn.yes") in c.buttons():
        await press(c, dp, "btn.yes")


async def s_privacy_export(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/privacy")
    await press(c, dp, "privacy.btn_export")


async def s_privacy_erase_kept(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/privacy")
    await press(c, dp, "privacy.btn_erase")
    await press(c, dp, "privacy.btn_erase_no")


async def s_more_help(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.more")
    await press(c, dp, "menu.help")


async def s_consult(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/start")
    await press(c, dp, "fc.menu.consult")


async def s_idea(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/idea")


async def s_ideas(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/start")
    await press(c, dp, "fc.menu.ideas")


async def s_catalogue(c: TgClient, dp: Any, db: Any) -> None:
    await a_service(db)
    await c.send("/start")
    await press(c, dp, "fc.menu.services")


async def s_catalogue_card(c: TgClient, dp: Any, db: Any) -> None:
    await a_service(db)
    await c.send("/start")
    await press(c, dp, "fc.menu.services")
    await c.press("Помощь пожилым")
    await c.press("1", exact=True)


async def s_my_empty(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/my")


async def s_my_events(c: TgClient, dp: Any, db: Any) -> None:
    await s_event_signed_up(c, dp, db)
    await c.send("/my")
    await press(c, dp, "events.my_section")


async def s_profile(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/profile")


async def s_settings(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/settings")


async def s_privacy(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/privacy")


async def s_help(c: TgClient, dp: Any, db: Any) -> None:
    await c.send("/help")


async def s_language(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("/language")


async def s_unknown_text(c: TgClient, dp: Any, db: Any) -> None:
    await register(c)
    await c.send("здравствуйте, когда вы работаете?")


SCREENS = {
    name.removeprefix("s_"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("s_") and callable(fn)
}


@pytest.mark.parametrize("screen", sorted(SCREENS))
async def test_every_resident_screen_offers_the_menu(screen: str, client: TgClient, dp: Any, db: Any) -> None:
    await SCREENS[screen](client, dp, db)
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

"""/my: the person's own things (bookings, requests, sign-ups, ideas...), one section per feature. It
opens on what is coming and shows only the sections that have something (services/my.py).

Features add (text key, section) to MY_SECTIONS and handle MyCb(section=...) in their own router.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User
from handlers.common import resident_router, screen_anew
from keyboards.common import button, column
from keyboards.menu import MenuCb, home_button, home_only
from keyboards.my import MyCb, MySection
from services import dates
from services import my as my_service
from services.my import Coming

MY_SECTIONS: list[tuple[str, MySection]] = [
    ("booking.my_section", MySection.BOOKINGS),
    ("ideas.my_section", MySection.IDEAS),
    ("consult.my_section", MySection.CONSULT),
    ("events.my_section", MySection.EVENTS),
    ("showcase.my_requests", MySection.SHOWCASE_REQUESTS),
    ("showcase.my_services", MySection.SHOWCASE_SERVICES),
]


def my_keyboard(sections: set[str] | None = None) -> InlineKeyboardMarkup:
    """The sections that have something (all of them if ``sections`` is None), then «🏠 Меню»."""
    shown = [(key, sec) for key, sec in MY_SECTIONS if sections is None or sec in sections]
    if not shown:  # nothing yet: the way to the Center's main services
        return column(*(button(_(key), MenuCb(action=action)) for key, action in STARTERS), home_button())
    return column(*(button(_(key), MyCb(section=section)) for key, section in shown), home_button())


STARTERS = (("fc.menu.consult", "consult"), ("fc.menu.events", "events"), ("fc.menu.book", "book"))


def _coming_line(item: Coming, tz: ZoneInfo, now: datetime) -> str:
    title = hd.quote(item.title)
    if item.kind == "consult":
        return _("fc.my.consult").format(number=item.number)
    if item.kind == "request":
        return _("fc.my.request").format(number=item.number, title=title)
    when = dates.span_text(item.at, item.until, tz, _, now) if item.at is not None else ""
    return _(f"fc.my.{item.kind}").format(title=title, when=when)


async def show_my(message: Message, session: AsyncSession, user: User, settings: Any) -> None:
    """What is coming first (the next bookings, sign-ups, open requests), then only the sections that
    have something; the provider's section only to providers."""
    if not MY_SECTIONS:
        await message.answer(_("my.empty"), reply_markup=home_only())
        return
    now = utcnow()
    found = await my_service.overview(session, user, now)
    lines = [_("fc.my.title")]
    if found.coming:
        lines += ["", _("fc.my.coming"), *(_coming_line(c, settings.tz, now) for c in found.coming)]
    elif found.sections:
        lines += ["", _("fc.my.nothing_coming")]
    else:
        lines += ["", _("fc.my.empty")]
    await message.answer("\n".join(lines), reply_markup=my_keyboard(found.sections))


async def cmd_my(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await state.clear()
    await show_my(message, session, user, settings)


async def menu_my(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await show_my(await screen_anew(callback, state), session, user, settings)


def create_router() -> Router:
    router = resident_router("my")

    router.message.register(cmd_my, Command("my"))
    router.callback_query.register(menu_my, MenuCb.filter(F.action == "my"))

    return router

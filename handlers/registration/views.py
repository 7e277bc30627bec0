"""What the registration feature shows, shared with other features (the welcome, the profile card)."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.messenger import MAX
from db.models import User
from handlers.messengers import BOTS
from keyboards.menu import home_reply, main_menu, with_home
from keyboards.registration import profile_keyboard
from services import users as users_service


async def show_profile(message: Message, user: User) -> None:
    lines = [
        _("profile.title"),
        _("profile.name").format(value=hd.quote(user.full_name or "—")),
        _("profile.group").format(value=_("group." + user.target_group) if user.target_group else "—"),
    ]
    if users_service.needs_organisation(user.target_group):
        lines.append(_("profile.org").format(value=hd.quote(user.organisation or "—")))
    lines += [
        _("profile.district").format(value=_("district." + user.district) if user.district else "—"),
        _("profile.phone").format(value=hd.quote(user.phone or _("profile.no_phone"))),
        _("profile.news").format(value=_("btn.yes") if user.news_opt_in else _("btn.no")),
    ]
    if MAX in BOTS:  # the process serves MAX too: the person may link their two accounts
        lines.append(_("max.profile_link"))
    await message.answer(
        "\n".join(lines),
        reply_markup=with_home(profile_keyboard(users_service.needs_organisation(user.target_group))),
    )


async def send_welcome(message: Message, user: User | None) -> None:
    """Who the Center is and what the bot does in three short lines, the «🏠 Меню» button under the
    input field, and the menu: anyone may look around; consent is asked when a person acts."""
    if user is not None and user.is_registered:
        text = _("start.welcome_back").format(name=hd.quote(user.first_name))
        await message.answer(text, reply_markup=home_reply())
        await message.answer(_("menu.title"), reply_markup=main_menu())
        return
    await message.answer(_("fc.welcome"), reply_markup=home_reply())
    await message.answer(_("fc.look_around"), reply_markup=main_menu())


def operator_line(settings: Any) -> str:
    """The operator of personal data as the law names it: the legal entity, its ИНН, its address."""
    parts = [settings.operator_name]
    if settings.operator_inn:
        parts.append(_("consent.inn").format(inn=settings.operator_inn))
    parts.append(settings.operator_address)
    return ", ".join(part for part in parts if part)

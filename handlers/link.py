"""/link: a person's accounts in Telegram and MAX become one person for the Center's reports.

``/link`` gives a one-time code; ``/link <code>`` in the other messenger links the two (services.links).
Served only when the process serves MAX too."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.messenger import MAX, TELEGRAM
from db.models import User
from handlers.common import resident_router
from services import links
from services.errors import DomainError

NAMES = {TELEGRAM: "Telegram", MAX: "MAX"}


async def cmd_link(message: Message, command: CommandObject, session: AsyncSession, user: User) -> None:
    other = NAMES[MAX if user.messenger == TELEGRAM else TELEGRAM]
    if not command.args:
        code = await links.new_code(session, user)
        await message.answer(_("max.link_code").format(code=code, other=other))
        return
    try:
        await links.link(session, user, command.args)
    except DomainError as error:
        await message.answer(_(error.key).format(other=other))
        return
    await message.answer(_("max.link_done"))


def register(router: Router) -> None:
    router.message.register(cmd_link, Command("link"))


def create_router() -> Router:
    return resident_router("link", register)

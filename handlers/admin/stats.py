"""/stats: registered people by target group and district."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import target
from keyboards.admin import AdminAction, AdminCb
from services import reports


def _label(prefix: str, key: str) -> str:
    return _("common.unknown_value") if key == "unknown" else _(prefix + key)


async def send_stats(message: Message, session: AsyncSession) -> None:
    data = await reports.overview(session)
    lines = [_("stats.title").format(registered=data.registered, subscribers=data.news_subscribers)]
    lines.append(_("stats.by_group"))
    lines += [
        f"• {_label('group.', k)}: {v}" for k, v in sorted(data.by_group.items(), key=lambda kv: -kv[1])
    ]
    lines.append(_("stats.by_district"))
    lines += [
        f"• {_label('district.', k)}: {v}" for k, v in sorted(data.by_district.items(), key=lambda kv: -kv[1])
    ]
    await message.answer("\n".join(lines))


async def cmd_stats(message: Message, session: AsyncSession) -> None:
    await send_stats(message, session)


async def btn_stats(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await send_stats(target(callback), session)


def create_router() -> Router:
    router = Router(name="admin-stats")

    router.message.register(cmd_stats, Command("stats"))
    router.callback_query.register(btn_stats, AdminCb.filter(F.action == AdminAction.STATS))

    return router

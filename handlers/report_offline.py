"""Providers answer the monthly question about offline recipients with a number pad (private chat);
staff correct an answer in the admin chat with /offline_fix <card> <ММ.ГГГГ> <number or ?>."""

from __future__ import annotations

import html
import re
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User
from db.models.showcase import ServiceCard
from handlers.common import RequireRegistration
from handlers.filters import private
from keyboards.common import Id
from services import report_offline as offline

FIX_ARGS = re.compile(r"^\s*(\d{1,9})\s+(\d{1,2})\.(\d{4})\s+(\d{1,5}|\?)\s*$")


class RofCb(CallbackData, prefix="rof"):
    a: str  # d (digits typed), ok (save), dk (don't know)
    card: Id
    m: Id  # 202611
    v: Id


def pad_markup(card_id: int, month: int, value: int) -> InlineKeyboardMarkup:
    rows = []
    for row in offline.pad(card_id, month, value):
        rows.append(
            [
                InlineKeyboardButton(
                    text=spec["label"] if "label" in spec else _(spec["text"]), callback_data=spec["data"]
                )
                for spec in row
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_text(card: ServiceCard, month: Any, value: int | None) -> str:
    params = offline.question_params(card, month)
    params["month"] = _(params["month"]["t"])
    text = _("report.offline_ask").format(**params)
    return text + _("report.offline_typed").format(value=value) if value is not None else text


async def _edit(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(callback.message, Message):
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        pass  # "message is not modified" (the same digit pressed at the limit)


def create_router() -> Router:
    """Resident side: only in private chats, only the card's own provider."""
    router = Router(name="report-offline")
    router.callback_query.filter(private())
    router.callback_query.middleware(RequireRegistration())

    @router.callback_query(RofCb.filter())
    async def pressed(
        callback: CallbackQuery, callback_data: RofCb, session: AsyncSession, user: User | None, settings: Any
    ) -> None:
        now = utcnow()
        month = offline.month_of(callback_data.m, now, settings.tz)
        card = await session.get(ServiceCard, callback_data.card) if 0 < callback_data.card < 2**53 else None
        if user is None or month is None or card is None or card.provider_id != user.id:
            await callback.answer(_("report.offline_not_yours"), show_alert=True)
            return
        value = callback_data.v
        if not 0 <= value <= offline.MAX_COUNT:
            await callback.answer()
            return
        if callback_data.a == "d":
            await callback.answer()
            await _edit(
                callback, question_text(card, month, value), pad_markup(card.id, callback_data.m, value)
            )
            return
        count = value if callback_data.a == "ok" else None
        result = await offline.answer(session, user, card.id, month, count, now)
        if result == "staff":
            await callback.answer(_("report.offline_staff_set"), show_alert=True)
            await _edit(callback, question_text(card, month, None), None)
            return
        await callback.answer(_("report.offline_thanks"))
        done = (
            _("report.offline_saved").format(count=count)
            if count is not None
            else _("report.offline_unknown")
        )
        await _edit(callback, question_text(card, month, None) + "\n\n" + done, None)

    return router


def create_admin_router() -> Router:
    """Staff side (included under the admin router: admin chat and staff only)."""
    router = Router(name="admin-report-offline")

    @router.message(Command("offline_fix"))
    async def fix(message: Message, command: CommandObject, session: AsyncSession, settings: Any) -> None:
        now = utcnow()
        match = FIX_ARGS.match(command.args or "")
        if match is None:
            await message.answer(await _overview(session, offline.previous_month(now, settings.tz)))
            return
        card_id, number, year, raw = match.groups()
        month = offline.month_of(int(year) * 100 + int(number), now, settings.tz)
        if month is None:
            await message.answer(_("report.offline_bad_month"))
            return
        count = None if raw == "?" else int(raw)
        assert message.from_user is not None
        card = await offline.correct(session, message.from_user.id, int(card_id), month, count, now)
        if card is None:
            await message.answer(_("report.offline_no_card"))
            return
        await message.answer(
            _("report.offline_fixed").format(
                title=html.escape(card.title), month=f"{month:%m.%Y}", count="?" if count is None else count
            )
        )

    return router


async def _overview(session: AsyncSession, month: Any) -> str:
    lines = [_("report.offline_overview").format(month=f"{month:%m.%Y}")]
    for card, row in await offline.month_answers(session, month):
        if row is None:
            value = _("report.offline_no_answer")
        elif row.count is None:
            value = _("report.offline_dont_know")
        else:
            value = str(row.count) + (_("report.offline_by_staff") if row.source == "staff" else "")
        lines.append(f"#{card.id} {html.escape(card.title)} ({html.escape(card.organisation)}): {value}")
    lines.append(_("report.offline_fix_usage"))
    return "\n".join(lines)

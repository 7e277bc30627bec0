"""Staff side of the weekly digest, in the admin chat: /digest shows the panel; news for the next digest
(add, list, remove). The preview of a person's digest and /outbox are in outbox.py."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User, UserStatus
from handlers.broadcasts.views import DigestAdmin, admin_kb, cancel_row, local_time
from handlers.common import acknowledge, error_text, target
from handlers.texts import join_lines
from keyboards.admin import AdminAction, AdminCb
from keyboards.common import NavCb
from services import dates
from services import digest as digest_service
from services.errors import DomainError

PREVIEW_LIMIT = 4000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_digest_at(now: datetime, settings: Any) -> datetime:
    """The next moment of the weekly digest, local time."""
    local = now.astimezone(settings.tz)
    day = DAYS.index(settings.digest_day.lower()[:3]) if settings.digest_day.lower()[:3] in DAYS else 0
    moment = local.replace(
        hour=settings.digest_time.hour, minute=settings.digest_time.minute, second=0, microsecond=0
    ) + timedelta(days=(day - local.weekday()) % 7)
    if moment <= local:
        moment += timedelta(days=7)
    return moment


async def _subscribers(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(
            User.status == UserStatus.REGISTERED,
            User.digest_enabled.is_(True),
            User.unreachable_at.is_(None),
        )
    )
    return await session.scalar(query) or 0


async def send_panel(message: Message, session: AsyncSession, settings: Any) -> None:
    news = await digest_service.queued_news(session)
    text = _("digest.admin_panel").format(
        when=dates.moment_text(next_digest_at(utcnow(), settings), settings.tz, _),
        news=len(news),
        subscribers=await _subscribers(session),
    )
    markup = admin_kb(
        [(_("digest.btn_add"), AdminCb(action=AdminAction.DIGEST_ADD))],
        [(_("digest.btn_list").format(count=len(news)), AdminCb(action=AdminAction.DIGEST_LIST))],
        [(_("digest.btn_preview"), AdminCb(action=AdminAction.DIGEST_PREVIEW))],
        [(_("notify.btn_outbox"), AdminCb(action=AdminAction.OUTBOX))],
    )
    await message.answer(text, reply_markup=markup)


async def send_news_list(message: Message, session: AsyncSession, settings: Any) -> None:
    news = await digest_service.queued_news(session)
    if not news:
        markup = admin_kb([(_("digest.btn_add"), AdminCb(action=AdminAction.DIGEST_ADD))], cancel_row())
        await message.answer(_("digest.list_empty"), reply_markup=markup)
        return
    lines = [_("digest.list_title")]
    rows: list[list[tuple[str, AdminCb]]] = []
    for number, item in enumerate(news, 1):
        short = item.text if len(item.text) <= 300 else item.text[:300] + "…"
        when = local_time(item.created_at, settings)
        lines.append(f"\n<b>{number}.</b> <i>{when}</i>\n{html.escape(short, quote=False)}")
        rows.append(
            [(_("digest.btn_remove").format(n=number), AdminCb(action=AdminAction.DIGEST_REMOVE, id=item.id))]
        )
    text = join_lines(lines, PREVIEW_LIMIT)  # whole items: a cut never splits a tag
    await message.answer(text, reply_markup=admin_kb(*rows[:50], cancel_row()))


# --- the panel and leaving --------------------------------------------------------------------------


async def panel(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    """/digest, the staff menu's button and «Назад»: the digest panel."""
    await acknowledge(event)
    await state.clear()
    await send_panel(target(event), session, settings)


async def btn_cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await target(callback).answer(_("common.cancelled"))


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("common.cancelled"))


async def nav(
    callback: CallbackQuery, callback_data: NavCb, state: FSMContext, session: AsyncSession, settings: Any
) -> None:
    await state.clear()
    await callback.answer()
    if callback_data.action == "back":
        await send_panel(target(callback), session, settings)
    else:
        await target(callback).answer(_("common.cancelled"))


# --- news -------------------------------------------------------------------------------------------


async def btn_list(callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    await state.clear()
    await send_news_list(target(callback), session, settings)


async def btn_remove(callback: CallbackQuery, callback_data: AdminCb) -> None:
    await callback.answer()
    yes, no = (
        AdminCb(action=AdminAction.DIGEST_REMOVE_OK, id=callback_data.id),
        AdminCb(action=AdminAction.DIGEST_LIST),
    )
    markup = admin_kb([(_("btn.yes"), yes), (_("btn.no"), no)])
    await target(callback).answer(_("digest.confirm_remove"), reply_markup=markup)


async def btn_remove_ok(
    callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, settings: Any
) -> None:
    try:
        await digest_service.remove_news(session, callback.from_user.id, callback_data.id)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer(_("digest.news_removed"))
    await target(callback).answer(_("digest.news_removed"))
    await send_news_list(target(callback), session, settings)


def _on(action: AdminAction) -> Any:
    return AdminCb.filter(F.action == action)


def register(router: Router) -> None:
    in_digest = StateFilter(DigestAdmin)
    button = router.callback_query.register
    router.message.register(panel, Command("digest"))
    button(panel, _on(AdminAction.DIGEST))
    button(btn_cancel, _on(AdminAction.DIGEST_CANCEL))
    router.message.register(cmd_cancel, in_digest, Command("cancel"))
    button(nav, in_digest, NavCb.filter())
    button(btn_list, _on(AdminAction.DIGEST_LIST))
    button(btn_remove, _on(AdminAction.DIGEST_REMOVE))
    button(btn_remove_ok, _on(AdminAction.DIGEST_REMOVE_OK))

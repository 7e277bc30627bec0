"""A broadcast after it is made: stop, resume and cancel buttons (on its progress message and in the
history), /broadcasts history, and the answer to the «Отписаться» button of a preview copy."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.base import utcnow
from handlers.broadcasts.views import alert, history_item
from handlers.common import acknowledge, error_text, target
from keyboards import broadcasts as kb
from keyboards.admin import AdminAction, AdminCb
from keyboards.broadcasts import BcAction, BcCb, UnsubCb
from services import broadcasts as service
from services.errors import DomainError
from services.ports import BroadcastControl


async def refresh(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, broadcast_id: int
) -> None:
    """Show the broadcast's new state on the pressed message if it is its progress message, and keep
    the progress message itself right (the sender edits it too while it runs)."""
    row = await service.get(session, broadcast_id)
    counts = await service.counts(session, broadcast_id)
    text = kb.status_text(
        row.id, row.status, counts, tz=settings.tz, rate=settings.broadcast_rate, now=utcnow()
    )
    markup = kb.control_keyboard(row.id, row.status)
    message = target(callback)
    try:
        if row.progress_message_id is None or message.message_id == row.progress_message_id:
            await message.edit_text(text, reply_markup=markup)
        else:
            await callback.bot.edit_message_text(  # type: ignore[union-attr]
                text=text,
                chat_id=row.progress_chat_id,
                message_id=row.progress_message_id,
                reply_markup=markup,
            )
    except TelegramBadRequest:
        pass


async def btn_control(
    callback: CallbackQuery,
    callback_data: BcCb,
    session: AsyncSession,
    settings: Settings,
    broadcast_sender: BroadcastControl | None = None,
) -> None:
    """Stop a running broadcast, cancel a scheduled one, or resume a stopped one."""
    resume = callback_data.action == BcAction.RESUME
    try:
        if resume:
            await service.resume(session, callback_data.id, callback.from_user.id)
        else:
            status = await service.stop(session, callback_data.id, callback.from_user.id)
    except DomainError as exc:
        await alert(callback, error_text(exc))
        return
    if broadcast_sender is not None and resume:
        broadcast_sender.wake()
    elif broadcast_sender is not None:
        broadcast_sender.stop_now(callback_data.id)
    if resume:
        await callback.answer(_("broadcast.resumed"))
    else:
        await callback.answer(
            _("broadcast.stopping" if status == "stopped" else "broadcast.cancelled_scheduled")
        )
    await refresh(callback, session, settings, callback_data.id)


async def preview_button(callback: CallbackQuery) -> None:
    await alert(callback, _("broadcast.preview_button"))


async def history(event: Message | CallbackQuery, session: AsyncSession, settings: Settings) -> None:
    """/broadcasts and the staff menu's button: the latest broadcasts with their figures and controls."""
    await acknowledge(event)
    items = await service.history(session)
    if not items:
        await target(event).answer(_("broadcast.history_empty"))
        return
    parts = [_("broadcast.history_title").format(n=len(items))]
    parts += [history_item(row, counts, settings) for row, counts in items]
    parts.append(_("broadcast.history_hint"))
    markup = kb.history_keyboard([(row.id, row.status) for row, _counts in items])
    await target(event).answer("\n\n".join(parts), reply_markup=markup)


def register(router: Router) -> None:
    button = router.callback_query.register
    button(btn_control, BcCb.filter(F.action.in_({BcAction.STOP, BcAction.CANCEL, BcAction.RESUME})))
    button(preview_button, UnsubCb.filter())
    router.message.register(history, Command("broadcasts", "broadcast_history"))
    button(history, AdminCb.filter(F.action == AdminAction.BROADCASTS))

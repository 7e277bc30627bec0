"""Staff side of project ideas, in the admin chat: the queue, moderation cards, comments.

A card carries the idea's id only; every press is checked against the idea's current status on the
server (services.ideas.moderate), so a second press or a stale card changes nothing.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import error_text, target
from handlers.ideas.views import refresh_card, send_card, status_label
from keyboards.ideas import IdeaQueueCb, IdeaStaffCb, QueueAction, StaffAction, staff_open_keyboard
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.plural import plural

ACTION_OF = {
    StaffAction.PUBLISH: "publish",
    StaffAction.REVISE: "revise",
    StaffAction.REJECT: "reject",
    StaffAction.START: "start",
    StaffAction.DONE: "done",
}
NEEDS_COMMENT = {"revise", "reject"}


class IdeaReviewForm(StatesGroup):
    comment = State()


def _failure(exc: DomainError) -> str:
    return _("ideas.admin.stale") if exc.key == "ideas.admin.already" else error_text(exc)


async def show_queue(message: Message, session: AsyncSession) -> None:
    figures = await ideas_service.figures(session)
    counts = figures.by_status or {}
    waiting = await ideas_service.awaiting(session)
    lines = [_("ideas.admin.queue_title")]
    for status in ideas_service.IdeaStatus:
        lines.append(f"• {status_label(status)}: {counts.get(status, 0)}")
    lines.append(
        _("ideas.admin.figures").format(
            total=figures.submitted,
            authors=plural(_, "numbers.authors_from", figures.authors),
            supports=figures.supports,
            supporters=plural(_, "numbers.people_from", figures.supporters),
        )
    )
    if not waiting:
        lines.append("\n" + _("ideas.admin.queue_empty"))
        await message.answer("\n".join(lines))
        return
    lines.append("\n" + _("ideas.admin.queue_waiting"))
    buttons = [(idea.id, f"№{idea.id} {idea.title[:40]}") for idea in waiting]
    await message.answer("\n".join(lines), reply_markup=staff_open_keyboard(buttons))


async def cmd_queue(message: Message, session: AsyncSession) -> None:
    await show_queue(message, session)


async def btn_queue(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await show_queue(target(callback), session)


async def btn_card(
    callback: CallbackQuery,
    callback_data: IdeaQueueCb,
    session: AsyncSession,
    settings: Any,
    i18n: I18n,
    bot: Bot,
) -> None:
    idea = await ideas_service.get(session, callback_data.id)
    if idea is None:
        await callback.answer(_("ideas.not_found"), show_alert=True)
        return
    await callback.answer()
    await send_card(bot, session, settings, i18n, idea, chat_id=target(callback).chat.id)


async def _ask_comment(
    callback: CallbackQuery, idea_id: int, action: str, state: FSMContext, session: AsyncSession
) -> None:
    idea = await ideas_service.get(session, idea_id)
    allowed = ideas_service.ACTIONS[action][0]
    if idea is None or idea.status not in allowed:
        await callback.answer(_("ideas.admin.stale"), show_alert=True)
        return
    await callback.answer()
    await state.set_state(IdeaReviewForm.comment)
    await state.set_data(
        {"idea_id": idea.id, "action": action, "card_message_id": target(callback).message_id}
    )
    await target(callback).answer(
        _(f"ideas.admin.ask_{action}").format(id=idea.id, title=hd.quote(idea.title)),
        reply_markup=ForceReply(selective=True, input_field_placeholder=_("ideas.admin.placeholder")),
    )


async def btn_action(
    callback: CallbackQuery, callback_data: IdeaStaffCb, state: FSMContext, session: AsyncSession, bot: Bot
) -> None:
    action = ACTION_OF[callback_data.action]
    if action in NEEDS_COMMENT:
        await _ask_comment(callback, callback_data.id, action, state, session)
        return
    try:
        idea = await ideas_service.moderate(session, callback_data.id, action, callback.from_user.id)
    except DomainError as exc:
        await callback.answer(_failure(exc), show_alert=True)
        return
    await callback.answer(_(f"ideas.admin.done_{action}").format(id=idea.id))
    await refresh_card(bot, session, target(callback).chat.id, target(callback).message_id, idea)


async def cancel_comment(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("ideas.admin.comment_cancelled"))


async def comment_text(message: Message, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    data = await state.get_data()
    assert message.from_user is not None
    try:
        comment = ideas_service.clean_comment(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc), reply_markup=ForceReply(selective=True))
        return
    try:
        idea = await ideas_service.moderate(
            session, int(data["idea_id"]), data["action"], message.from_user.id, comment
        )
    except DomainError as exc:
        await state.clear()
        await message.answer(_failure(exc))
        return
    await state.clear()
    await message.answer(_(f"ideas.admin.done_{data['action']}").format(id=idea.id))
    if data.get("card_message_id"):
        await refresh_card(bot, session, message.chat.id, int(data["card_message_id"]), idea)


async def comment_other(message: Message) -> None:
    await message.answer(_("ideas.admin.comment_text_only"), reply_markup=ForceReply(selective=True))


def register(router: Router) -> None:
    router.message.register(cmd_queue, Command("idea_queue"))
    router.callback_query.register(btn_queue, IdeaQueueCb.filter(F.action == QueueAction.QUEUE))
    router.callback_query.register(btn_card, IdeaQueueCb.filter(F.action == QueueAction.CARD))
    router.callback_query.register(btn_action, IdeaStaffCb.filter())
    router.message.register(cancel_comment, IdeaReviewForm.comment, Command("cancel"))
    router.message.register(comment_text, IdeaReviewForm.comment, F.text)
    router.message.register(comment_other, IdeaReviewForm.comment)

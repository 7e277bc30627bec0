"""Staff side of project ideas, in the admin chat: moderation cards, comments, the support alert.

A card carries the idea's id only; every press is checked against the idea's current status on the
server (services.ideas.moderate), so a second press or a stale card changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Idea, User
from handlers.common import error_text, target
from keyboards.admin import AdminCb
from keyboards.ideas import staff_card_keyboard, staff_open_keyboard
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

ACTION_OF = {
    "idea_publish": "publish",
    "idea_revise": "revise",
    "idea_reject": "reject",
    "idea_start": "start",
    "idea_done": "done",
}
NEEDS_COMMENT = {"revise", "reject"}


class IdeaReviewForm(StatesGroup):
    comment = State()


async def card_text(session: AsyncSession, idea: Idea, *, resubmitted: bool = False) -> str:
    from handlers.ideas import idea_body, status_label

    author = await session.get(User, idea.author_id)
    if author is not None and author.full_name:
        who = hd.quote(author.full_name)
        if author.username:
            who += f" (@{hd.quote(author.username)})"
        if author.target_group:
            who += ", " + _("group." + author.target_group)
        if author.organisation:
            who += ", " + hd.quote(author.organisation)
        if author.phone:
            who += ", " + hd.quote(author.phone)
    else:
        who = _("ideas.admin.anonymous")
    lines = [
        _("ideas.admin.card_head").format(id=idea.id, status=status_label(idea.status)),
    ]
    if resubmitted:
        lines.append(_("ideas.admin.resubmitted"))
    lines += [
        _("ideas.admin.author").format(author=who),
        "",
        idea_body(ideas_service.draft_of(idea)),
        "",
        _("ideas.own.supports").format(count=idea.support_count),
    ]
    if idea.staff_comment:
        lines.append(_("ideas.admin.last_comment").format(comment=hd.quote(idea.staff_comment)))
    return "\n".join(lines)


async def send_card(
    bot: Bot,
    session: AsyncSession,
    settings: Any,
    i18n: I18n,
    idea: Idea,
    *,
    resubmitted: bool = False,
    chat_id: int | None = None,
) -> None:
    """The idea's card (attachments first) in the admin chat, in the staff's language."""
    from handlers.ideas import send_media

    chat_id = chat_id or settings.admin_chat_id
    if chat_id is None:
        log.warning("ADMIN_CHAT_ID is not set: idea %s has no moderation card", idea.id)
        return
    with i18n.use_locale(settings.default_locale):
        text = await card_text(session, idea, resubmitted=resubmitted)
        markup = staff_card_keyboard(idea.id, idea.status)
    try:
        if idea.media:
            await send_media(bot, chat_id, idea.media)
        card = await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramAPIError:
        log.exception("could not send the card of idea %s to the admin chat", idea.id)
        return
    if chat_id != settings.admin_chat_id:
        return
    previous = await ideas_service.set_card(session, idea.id, card.message_id)
    if previous and previous != card.message_id:
        # The older card shows an older text: its buttons go, so nobody decides on what was corrected.
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=previous, reply_markup=None)
        except TelegramAPIError:
            log.debug("old card of idea %s not edited", idea.id, exc_info=True)


async def raise_threshold(bot: Bot, session: AsyncSession, settings: Any, i18n: I18n, idea: Idea) -> None:
    """Tell staff once that an idea gathered enough support to offer the author help."""
    if settings.admin_chat_id is None:
        return
    with i18n.use_locale(settings.default_locale):
        text = _("ideas.admin.threshold").format(
            id=idea.id, title=hd.quote(idea.title), count=idea.support_count
        )
        markup = staff_open_keyboard([(idea.id, _("ideas.admin.btn_card"))])
    try:
        await bot.send_message(settings.admin_chat_id, text, reply_markup=markup)
    except TelegramAPIError:
        log.exception("could not raise idea %s in the admin chat; the next support retries", idea.id)
        await ideas_service.unraise_threshold(session, idea.id)


async def _refresh_card(bot: Bot, session: AsyncSession, chat_id: int, message_id: int, idea: Idea) -> None:
    try:
        await bot.edit_message_text(
            text=await card_text(session, idea),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=staff_card_keyboard(idea.id, idea.status),
        )
    except TelegramAPIError:
        log.debug("idea card %s not edited", idea.id, exc_info=True)


async def show_queue(message: Message, session: AsyncSession) -> None:
    from handlers.ideas import status_label

    figures = await ideas_service.figures(session)
    counts = figures.by_status or {}
    waiting = await ideas_service.awaiting(session)
    lines = [_("ideas.admin.queue_title")]
    for status in ideas_service.IdeaStatus:
        lines.append(f"• {status_label(status)}: {counts.get(status, 0)}")
    lines.append(
        _("ideas.admin.figures").format(
            total=figures.submitted,
            authors=figures.authors,
            supports=figures.supports,
            supporters=figures.supporters,
        )
    )
    if not waiting:
        lines.append("\n" + _("ideas.admin.queue_empty"))
        await message.answer("\n".join(lines))
        return
    lines.append("\n" + _("ideas.admin.queue_waiting"))
    buttons = [(idea.id, f"№{idea.id} {idea.title[:40]}") for idea in waiting]
    await message.answer("\n".join(lines), reply_markup=staff_open_keyboard(buttons))


def create_router() -> Router:
    router = Router(name="admin-ideas")

    @router.message(Command("idea_queue"))
    async def cmd_queue(message: Message, session: AsyncSession) -> None:
        await show_queue(message, session)

    @router.callback_query(AdminCb.filter(F.action == "ideas"))
    async def btn_queue(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        await show_queue(target(callback), session)

    @router.callback_query(AdminCb.filter(F.action == "idea_card"))
    async def btn_card(
        callback: CallbackQuery,
        callback_data: AdminCb,
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

    @router.callback_query(AdminCb.filter(F.action.in_(set(ACTION_OF))))
    async def btn_action(
        callback: CallbackQuery, callback_data: AdminCb, state: FSMContext, session: AsyncSession, bot: Bot
    ) -> None:
        action = ACTION_OF[callback_data.action]
        if action in NEEDS_COMMENT:
            idea = await ideas_service.get(session, callback_data.id)
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
            return
        try:
            idea = await ideas_service.moderate(session, callback_data.id, action, callback.from_user.id)
        except DomainError as exc:
            await callback.answer(
                _("ideas.admin.stale") if exc.key == "ideas.admin.already" else error_text(exc),
                show_alert=True,
            )
            return
        await callback.answer(_(f"ideas.admin.done_{action}").format(id=idea.id))
        await _refresh_card(bot, session, target(callback).chat.id, target(callback).message_id, idea)

    @router.message(IdeaReviewForm.comment, Command("cancel"))
    async def cancel_comment(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("ideas.admin.comment_cancelled"))

    @router.message(IdeaReviewForm.comment, F.text)
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
            await message.answer(
                _("ideas.admin.stale") if exc.key == "ideas.admin.already" else error_text(exc)
            )
            return
        await state.clear()
        await message.answer(_(f"ideas.admin.done_{data['action']}").format(id=idea.id))
        if data.get("card_message_id"):
            await _refresh_card(bot, session, message.chat.id, int(data["card_message_id"]), idea)

    @router.message(IdeaReviewForm.comment)
    async def comment_other(message: Message) -> None:
        await message.answer(_("ideas.admin.comment_text_only"), reply_markup=ForceReply(selective=True))

    return router

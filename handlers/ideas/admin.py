"""Staff side of project ideas, in the admin chat: the queue, moderation cards, comments.

A card carries the idea's id only; every press is checked against the idea's current status on the
server (services.ideas.moderate), so a second press or a stale card changes nothing.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from handlers.common import error_text, target
from handlers.ideas.views import refresh_card, send_card, status_label
from handlers.pressed import found_or_alert
from handlers.staff_acted import acted_line
from handlers.staff_input import ReplyToPrompt, StaffReply, ask_reply
from handlers.workspace import pin_after_decision
from keyboards.admin import ReasonAction, ReasonCb, reasons_keyboard
from keyboards.ideas import IdeaQueueCb, IdeaStaffCb, QueueAction, StaffAction, staff_open_keyboard
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.plural import plural

ACTION_OF = {
    StaffAction.PUBLISH: "publish",
    StaffAction.REVISE: "revise",
    StaffAction.REJECT: "reject",
    StaffAction.START: "start",
    StaffAction.DONE: "done",
}
NEEDS_COMMENT = {"revise", "reject"}
ACTED_KEY = {
    "publish": "staff.acted.published",
    "revise": "staff.acted.returned",
    "reject": "staff.acted.rejected",
    "start": "staff.acted.started",
    "done": "staff.acted.implemented",
}


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
    buttons = [(idea.id, f"{number('idea', idea.id)} {idea.title[:40]}") for idea in waiting]
    await message.answer("\n".join(lines), reply_markup=staff_open_keyboard(buttons))


async def cmd_queue(message: Message, session: AsyncSession) -> None:
    await show_queue(message, session)


async def btn_queue(callback: CallbackQuery, session: AsyncSession) -> None:
    await callback.answer()
    await show_queue(target(callback), session)


async def btn_card(callback: CallbackQuery, callback_data: IdeaQueueCb, desk: Desk) -> None:
    idea = await found_or_alert(
        callback, await ideas_service.get(desk.session, callback_data.id), "ideas.not_found"
    )
    if idea is None:
        return
    where = target(callback)
    thread = where.message_thread_id if where.is_topic_message else None
    await send_card(desk, idea, chat_id=where.chat.id, thread=thread)


REVISE, REJECT = "id_rev", "id_rej"
CODE_OF = {"revise": REVISE, "reject": REJECT}
ACTION_OF_CODE = {code: action for action, code in CODE_OF.items()}
REJECT_PRESETS = ["staff.reason.off_topic", "staff.reason.duplicate"]


async def _still_open(callback: CallbackQuery, session: AsyncSession, idea_id: int, action: str) -> Any:
    idea = await ideas_service.get(session, idea_id)
    if idea is None or idea.status not in ideas_service.ACTIONS[action][0]:
        await callback.answer(_("ideas.admin.stale"), show_alert=True)
        return None
    return idea


async def _ask_comment(
    callback: CallbackQuery, idea_id: int, action: str, state: FSMContext, session: AsyncSession
) -> None:
    """«Отклонить»: ready-made reasons and «Своя причина»; «На доработку»: a comment, as a reply."""
    if (idea := await _still_open(callback, session, idea_id, action)) is None:
        return
    await callback.answer()
    card = target(callback)
    prompt = _(f"ideas.admin.ask_{action}").format(id=number("idea", idea.id), title=hd.quote(idea.title))
    if action == "reject":
        await card.answer(
            prompt + "\n" + _("staff.reason.pick"),
            reply_markup=reasons_keyboard(REJECT, idea.id, REJECT_PRESETS, card=card.message_id),
        )
        return
    await ask_reply(card, state, CODE_OF[action], idea.id, prompt, card=card.message_id)


async def btn_action(
    callback: CallbackQuery, callback_data: IdeaStaffCb, state: FSMContext, desk: Desk
) -> None:
    action = ACTION_OF[callback_data.action]
    if action in NEEDS_COMMENT:
        await _ask_comment(callback, callback_data.id, action, state, desk.session)
        return
    try:
        idea = await ideas_service.moderate(desk.session, callback_data.id, action, callback.from_user.id)
    except DomainError as exc:
        await callback.answer(_failure(exc), show_alert=True)
        return
    await callback.answer(_(f"ideas.admin.done_{action}").format(id=number("idea", idea.id)))
    acted = acted_line(ACTED_KEY[action], callback.from_user.full_name, desk.settings)
    await refresh_card(
        desk.bot, desk.session, target(callback).chat.id, target(callback).message_id, idea, acted
    )
    await pin_after_decision(desk)


async def reason_picked(callback: CallbackQuery, callback_data: ReasonCb, desk: Desk) -> None:
    if callback_data.r >= len(REJECT_PRESETS):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    if await _still_open(callback, desk.session, callback_data.id, "reject") is None:
        return
    await callback.answer()
    comment = _(REJECT_PRESETS[callback_data.r], locale=desk.settings.default_locale)
    try:
        await target(callback).edit_reply_markup(reply_markup=None)
    except TelegramAPIError:
        pass
    await _decide(
        target(callback), callback.from_user, "reject", callback_data.id, comment, callback_data.c, desk
    )


async def reason_own(
    callback: CallbackQuery, callback_data: ReasonCb, state: FSMContext, session: AsyncSession
) -> None:
    if await _still_open(callback, session, callback_data.id, "reject") is None:
        return
    await callback.answer()
    prompt = _("staff.reason.own_prompt").format(
        who=hd.quote(callback.from_user.full_name), number=number("idea", callback_data.id)
    )
    await ask_reply(target(callback), state, REJECT, callback_data.id, prompt, card=callback_data.c or None)


async def _decide(
    where: Message, staff: User, action: str, idea_id: int, comment: str, card_id: int | None, desk: Desk
) -> None:
    try:
        idea = await ideas_service.moderate(desk.session, idea_id, action, staff.id, comment)
    except DomainError as exc:
        await where.answer(_failure(exc))
        return
    await where.answer(_(f"ideas.admin.done_{action}").format(id=number("idea", idea.id)))
    if card_id:
        acted = acted_line(ACTED_KEY[action], staff.full_name, desk.settings)
        await refresh_card(desk.bot, desk.session, where.chat.id, card_id, idea, acted)
    await pin_after_decision(desk)


async def cancel_comment(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("ideas.admin.comment_cancelled"))


async def comment_replied(message: Message, reply_for: dict[str, Any], state: FSMContext, desk: Desk) -> None:
    """The comment or reason, given as a reply to the bot's prompt (never an ordinary message)."""
    assert message.from_user is not None
    try:
        comment = ideas_service.clean_comment(message.text)
    except ValidationFailed as exc:
        await message.reply(error_text(exc))
        return
    await state.clear()
    action = ACTION_OF_CODE[reply_for["f"]]
    await _decide(
        message, message.from_user, action, int(reply_for["id"]), comment, reply_for.get("card"), desk
    )


def register(router: Router) -> None:
    router.message.register(cmd_queue, Command("idea_queue"))
    router.callback_query.register(btn_queue, IdeaQueueCb.filter(F.action == QueueAction.QUEUE))
    router.callback_query.register(btn_card, IdeaQueueCb.filter(F.action == QueueAction.CARD))
    router.callback_query.register(btn_action, IdeaStaffCb.filter())
    router.message.register(cancel_comment, StaffReply.text, Command("cancel"))
    router.message.register(comment_replied, ReplyToPrompt(REVISE, REJECT))
    router.callback_query.register(
        reason_picked, ReasonCb.filter((F.action == ReasonAction.PICK) & (F.f == REJECT))
    )
    router.callback_query.register(
        reason_own, ReasonCb.filter((F.action == ReasonAction.OWN) & (F.f == REJECT))
    )

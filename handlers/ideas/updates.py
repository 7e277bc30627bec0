"""The author writes to the supporters of a published idea (at most once per interval): the text,
a preview, «Отправить»."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Idea, User
from handlers.common import error_text, menu_for, or_alert, target
from keyboards.common import NavCb, nav_keyboard
from keyboards.ideas import IdeaAction, IdeaCb, update_confirm_keyboard
from services import dates
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.plural import plural


class IdeaUpdateForm(StatesGroup):
    text = State()
    confirm = State()


def _refusal(idea: Idea, settings: Any) -> str | None:
    """Why the author cannot write to the supporters now, or None."""
    if idea.status not in ideas_service.PUBLIC:
        return _("ideas.update_not_public")
    next_at = ideas_service.next_update_at(idea, settings.ideas_update_interval_days)
    if next_at is not None and next_at > ideas_service.utcnow():
        date = dates.moment_text(next_at, settings.tz, _)
        return _("ideas.update_too_soon").format(date=date)
    if idea.support_count == 0:
        return _("ideas.update_no_supporters")
    return None


async def update_start(
    callback: CallbackQuery,
    callback_data: IdeaCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
) -> None:
    idea = await or_alert(callback, ideas_service.get_own(session, callback_data.id, user.id))
    if idea is None:
        return
    if (refusal := _refusal(idea, settings)) is not None:
        await callback.answer(refusal, show_alert=True)
        return
    await callback.answer()
    await state.set_state(IdeaUpdateForm.text)
    await state.set_data({"idea_id": idea.id})
    await target(callback).answer(
        " ".join(
            (
                plural(_, "ideas.update.ask", idea.support_count, title=hd.quote(idea.title)),
                plural(_, "ideas.update.ask_text", ideas_service.UPDATE_MAX),
                plural(_, "ideas.update.ask_every", settings.ideas_update_interval_days),
            )
        ),
        reply_markup=nav_keyboard(back=False),
    )


async def update_text(message: Message, state: FSMContext) -> None:
    try:
        text = ideas_service.clean_update(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    data = await state.get_data()
    await state.update_data(text=text)
    await state.set_state(IdeaUpdateForm.confirm)
    await message.answer(
        _("ideas.update.preview").format(text=hd.quote(text)),
        reply_markup=update_confirm_keyboard(int(data.get("idea_id") or 0)),
    )


async def update_other(message: Message) -> None:
    await message.answer(_("ideas.hint_text"))


async def confirm_other(message: Message) -> None:
    await message.answer(_("ideas.hint_buttons"))


async def update_back(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(IdeaUpdateForm.text)
    await target(callback).answer(_("ideas.update.again"), reply_markup=nav_keyboard(back=False))


async def update_send(
    callback: CallbackQuery,
    callback_data: IdeaCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
) -> None:
    data = await state.get_data()
    if int(data.get("idea_id") or 0) != callback_data.id or not data.get("text"):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    try:
        _update, queued = await ideas_service.post_update(
            session,
            callback_data.id,
            user,
            data["text"],
            interval_days=settings.ideas_update_interval_days,
            tz=settings.tz,
        )
    except DomainError as exc:
        await callback.answer()
        await state.clear()
        await target(callback).answer(error_text(exc), reply_markup=menu_for(user))
        return
    await callback.answer()
    await state.clear()
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(plural(_, "ideas.update.sent", queued), reply_markup=menu_for(user))


def register(router: Router) -> None:
    cb = router.callback_query.register
    cb(update_start, IdeaCb.filter(F.action == IdeaAction.UPDATE))
    router.message.register(update_text, IdeaUpdateForm.text, F.text)
    router.message.register(update_other, IdeaUpdateForm.text)
    router.message.register(confirm_other, IdeaUpdateForm.confirm)
    cb(update_back, NavCb.filter(F.action == "back"), IdeaUpdateForm.confirm)
    cb(update_send, IdeaCb.filter(F.action == IdeaAction.SEND_UPDATE), IdeaUpdateForm.confirm)

"""The idea form's entry points and its end: /idea (resume or start afresh, the daily limit), an
idea returned for changes opened at its preview, and submitting (a new idea or a corrected one)."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.models import IdeaStatus, User
from handlers import forms
from handlers.common import error_text, menu_for, target
from handlers.forms import PREVIEW, Form, FormContext
from handlers.ideas.draft import (
    FORM_STEPS,
    drop_draft,
    has_content,
    keep_copy,
    load_draft,
    preview,
    resume_at,
)
from handlers.ideas.views import send_card
from keyboards.common import parse_id
from keyboards.ideas import FormAction, IdeaFormCb, resume_keyboard
from keyboards.menu import MenuCb
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.plural import plural


async def _submit(ctx: FormContext) -> None:
    """«Подтвердить»: the idea goes to staff (or back to them, corrected); the draft is dropped."""
    idea_id = ctx.extra.get("idea_id")
    if idea_id:
        idea = await ideas_service.resubmit(ctx.session, ctx.user, int(idea_id), ctx.draft)
    else:
        idea = await ideas_service.submit(
            ctx.session, ctx.user, ctx.draft, daily_limit=ctx.settings.ideas_daily_limit
        )
    await ctx.state.clear()
    await drop_draft(ctx.state)
    key = "ideas.resubmitted" if idea_id else "ideas.submitted"
    await ctx.message.answer(_(key).format(title=hd.quote(idea.title)), reply_markup=menu_for(ctx.user))
    await send_card(ctx.desk, idea, resubmitted=bool(idea_id))


IDEA = Form(
    name="idea",
    steps=FORM_STEPS,
    finish=_submit,
    preview=preview,
    step_header="ideas.step",
    on_save=keep_copy,
)


async def resume_draft(
    event: Message | CallbackQuery, state: FSMContext, data: dict[str, Any], saved: dict[str, Any]
) -> None:
    await forms.start(
        IDEA,
        event,
        state,
        data,
        draft=saved.get("draft") or {},
        extra=saved.get("extra") or {},
        at=resume_at(saved),
    )


async def start_form(
    event: Message | CallbackQuery,
    state: FSMContext,
    user: User,
    data: dict[str, Any],
    *,
    fresh: bool = False,
) -> None:
    message = target(event)
    saved = await load_draft(state)
    if not fresh and has_content(saved):
        await state.set_state(None)
        key = "ideas.resume_edit" if (saved.get("extra") or {}).get("idea_id") else "ideas.resume"
        title = (saved.get("draft") or {}).get("title") or "—"
        await message.answer(_(key).format(title=hd.quote(title)), reply_markup=resume_keyboard())
        return
    settings = data["settings"]
    left = await ideas_service.submissions_left(data["session"], user, settings.ideas_daily_limit)
    if left <= 0:
        await drop_draft(state)
        await state.clear()
        text = plural(_, "ideas.limit_reached", settings.ideas_daily_limit)
        await message.answer(text, reply_markup=menu_for(user))
        return
    await message.answer(
        _("ideas.intro").format(
            title_line=plural(_, "ideas.intro_title", ideas_service.TITLE_MAX),
            text_line=plural(_, "ideas.intro_text", ideas_service.TEXT_MAX),
            media_line=plural(_, "ideas.intro_media", ideas_service.MEDIA_MAX),
            limit_line=plural(_, "ideas.intro_limit", settings.ideas_daily_limit, left=left),
        )
    )
    await forms.start(IDEA, event, state, {**data, "user": user})


async def start_edit(
    event: Message | CallbackQuery, state: FSMContext, user: User, data: dict[str, Any], idea_id: int
) -> None:
    """An idea returned for changes, in the form at its preview."""
    idea = await ideas_service.get_own(data["session"], idea_id, user.id)
    if idea.status != IdeaStatus.REVISION:
        raise ValidationFailed("ideas.not_in_revision")
    extra = {"idea_id": idea.id, "staff_comment": idea.staff_comment}
    await forms.start(IDEA, event, state, data, draft=ideas_service.draft_of(idea), extra=extra, at=PREVIEW)


# --- handlers -----------------------------------------------------------------------------------


async def cmd_idea(message: Message, state: FSMContext, user: User, **data: Any) -> None:
    await state.set_state(None)
    await start_form(message, state, user, {**data, "user": user})


async def menu_idea(callback: CallbackQuery, state: FSMContext, user: User, **data: Any) -> None:
    await callback.answer()
    await state.set_state(None)
    await start_form(callback, state, user, {**data, "user": user})


async def resume(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    await callback.answer()
    saved = await load_draft(state)
    if not has_content(saved):
        await target(callback).answer(_("ideas.no_draft"))
        return
    await resume_draft(callback, state, data, saved)


async def restart(
    callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext, user: User, **data: Any
) -> None:
    await callback.answer()
    await drop_draft(state)
    await state.clear()
    data = {**data, "user": user}
    if (idea_id := parse_id(callback_data.value)) is not None:
        try:
            await start_edit(callback, state, user, data, idea_id)
        except DomainError as exc:
            await target(callback).answer(error_text(exc))
        return
    await target(callback).answer(_("ideas.draft_dropped"))
    await start_form(callback, state, user, data, fresh=True)


def register(router: Router) -> None:
    cb = router.callback_query.register
    router.message.register(cmd_idea, Command("idea"))
    cb(menu_idea, MenuCb.filter(F.action == "idea_new"))
    cb(menu_idea, IdeaFormCb.filter(F.action == FormAction.START))
    cb(resume, IdeaFormCb.filter(F.action == FormAction.RESUME))
    cb(restart, IdeaFormCb.filter(F.action == FormAction.RESTART))
    router.include_router(forms.router_for(IDEA))

"""The idea form's handlers: /idea and its buttons, each step's answer, attachments, the preview
with «Изменить», submitting, «Назад», and a hint for anything else inside the form."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from handlers.common import error_text, menu_for, target
from handlers.ideas.draft import (
    STATE_OF,
    STEPS,
    TEXT_STEPS,
    IdeaForm,
    ask,
    drop_draft,
    has_content,
    load_draft,
    next_step,
    save_draft,
    start_edit,
    start_form,
    step_of,
)
from handlers.ideas.views import send_card
from keyboards.common import NavCb, parse_id
from keyboards.ideas import (
    FormAction,
    IdeaFormCb,
    edit_fields_keyboard,
    help_keyboard,
    media_keyboard,
    preview_keyboard,
)
from keyboards.menu import MenuCb
from services import ideas as ideas_service
from services.errors import DomainError, ValidationFailed
from services.users import DISTRICTS

log = logging.getLogger(__name__)

TEXT_STATES = StateFilter(IdeaForm.title, IdeaForm.problem, IdeaForm.description)


def on(action: FormAction) -> Any:
    return IdeaFormCb.filter(F.action == action)


# --- entry points -------------------------------------------------------------------------------


async def cmd_idea(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await state.set_state(None)
    await start_form(message, state, session, user, settings)


async def menu_idea(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Any
) -> None:
    await callback.answer()
    await state.set_state(None)
    await start_form(callback, state, session, user, settings)


async def resume(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    draft = await load_draft(state)
    if not has_content(draft):
        await target(callback).answer(_("ideas.no_draft"))
        return
    step = draft.get("step") if draft.get("step") in STATE_OF else "title"
    if step == "edit_menu":
        step = "preview"
    await ask(callback, state, step, draft)


async def restart(
    callback: CallbackQuery,
    callback_data: IdeaFormCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
) -> None:
    await callback.answer()
    await drop_draft(state)
    await state.set_state(None)
    if (idea_id := parse_id(callback_data.value)) is not None:
        try:
            await start_edit(callback, state, session, user, idea_id)
        except DomainError as exc:
            await target(callback).answer(error_text(exc))
        return
    await target(callback).answer(_("ideas.draft_dropped"))
    await start_form(callback, state, session, user, settings, fresh=True)


# --- the steps ----------------------------------------------------------------------------------


async def text_step(message: Message, state: FSMContext, raw_state: str | None) -> None:
    step = step_of(raw_state)
    draft = await load_draft(state)
    clean = ideas_service.clean_title if step == "title" else ideas_service.clean_body
    try:
        value = clean(message.text)
    except ValidationFailed as exc:
        await message.answer(error_text(exc))
        return
    draft[step] = value
    await next_step(message, state, draft, step)


async def keep_value(callback: CallbackQuery, state: FSMContext, raw_state: str | None) -> None:
    await callback.answer()
    step = step_of(raw_state)
    draft = await load_draft(state)
    if not draft.get(step):
        await ask(callback, state, step, draft)
        return
    await next_step(callback, state, draft, step)


CHOICES = {FormAction.DISTRICT: DISTRICTS, FormAction.AUDIENCE: ideas_service.AUDIENCES}


async def pick_choice(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
    """A district or an audience: one button, then the next step."""
    if callback_data.value not in CHOICES[callback_data.action]:
        await callback.answer(_("ideas.pick_button"), show_alert=True)
        return
    await callback.answer()
    draft = await load_draft(state)
    draft[callback_data.action.value] = callback_data.value
    await next_step(callback, state, draft, callback_data.action.value)


async def toggle_help(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
    if callback_data.value not in ideas_service.HELP_KINDS:
        await callback.answer(_("ideas.pick_button"), show_alert=True)
        return
    await callback.answer()
    draft = await load_draft(state)
    chosen = [h for h in draft.get("help") or [] if h in ideas_service.HELP_KINDS]
    if callback_data.value in chosen:
        chosen.remove(callback_data.value)
    else:
        chosen.append(callback_data.value)
    draft["help"] = [h for h in ideas_service.HELP_KINDS if h in chosen]
    await save_draft(state, draft)
    try:
        await target(callback).edit_reply_markup(
            reply_markup=help_keyboard(ideas_service.HELP_KINDS, draft["help"])
        )
    except TelegramAPIError:
        await ask(callback, state, "help", draft)


async def help_done(callback: CallbackQuery, state: FSMContext) -> None:
    draft = await load_draft(state)
    if not draft.get("help"):
        await callback.answer(_("ideas.help_required"), show_alert=True)
        return
    await callback.answer()
    await next_step(callback, state, draft, "help")


def _attachment(message: Message) -> dict[str, str]:
    if message.photo:
        return {"kind": "photo", "file_id": message.photo[-1].file_id}
    if message.document:
        return {"kind": "document", "file_id": message.document.file_id}
    assert message.voice is not None
    return {"kind": "voice", "file_id": message.voice.file_id}


async def add_media(message: Message, state: FSMContext) -> None:
    draft = await load_draft(state)
    media = list(draft.get("media") or [])
    if len(media) >= ideas_service.MEDIA_MAX:
        await message.answer(
            _("ideas.media_full").format(max=ideas_service.MEDIA_MAX),
            reply_markup=media_keyboard(len(media)),
        )
        return
    item = _attachment(message)
    media.append(item)
    draft["media"] = media
    await save_draft(state, draft)
    await message.answer(
        _("ideas.media_added").format(
            kind=_(f"ideas.kind.{item['kind']}"), count=len(media), max=ideas_service.MEDIA_MAX
        ),
        reply_markup=media_keyboard(len(media)),
    )


async def media_clear(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer(_("ideas.media_cleared"))
    draft = await load_draft(state)
    draft["media"] = []
    await ask(callback, state, "media", draft)


async def media_done(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    draft = await load_draft(state)
    draft.setdefault("media", [])
    await next_step(callback, state, draft, "media")


# --- preview, edit, submit ----------------------------------------------------------------------


async def edit_menu(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(IdeaForm.edit_menu)
    await target(callback).answer(_("ideas.edit_which"), reply_markup=edit_fields_keyboard())


async def edit_field(callback: CallbackQuery, callback_data: IdeaFormCb, state: FSMContext) -> None:
    if callback_data.value not in STEPS:
        await callback.answer(_("ideas.pick_button"), show_alert=True)
        return
    await callback.answer()
    draft = await load_draft(state)
    draft["editing"] = True
    await ask(callback, state, callback_data.value, draft)


async def to_preview(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    draft = await load_draft(state)
    draft["editing"] = False
    await ask(callback, state, "preview", draft)


async def submit(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    i18n: I18n,
    bot: Bot,
) -> None:
    draft = await load_draft(state)
    resubmitted = bool(draft.get("idea_id"))
    try:
        if resubmitted:
            idea = await ideas_service.resubmit(session, user, int(draft["idea_id"]), draft)
        else:
            idea = await ideas_service.submit(session, user, draft, daily_limit=settings.ideas_daily_limit)
    except DomainError as exc:
        await callback.answer()
        await target(callback).answer(error_text(exc), reply_markup=preview_keyboard(resubmitted))
        return
    await callback.answer()
    await drop_draft(state)
    await state.clear()
    try:
        await target(callback).edit_reply_markup(reply_markup=None)
    except TelegramAPIError:
        log.debug("preview keyboard not removed", exc_info=True)
    await target(callback).answer(
        _("ideas.resubmitted" if resubmitted else "ideas.submitted").format(title=hd.quote(idea.title)),
        reply_markup=menu_for(user),
    )
    await send_card(bot, session, settings, i18n, idea, resubmitted=resubmitted)


# --- «Назад», and anything else inside the form: a hint, the step stays ------------------------


async def back(callback: CallbackQuery, state: FSMContext, raw_state: str | None) -> None:
    await callback.answer()
    step = step_of(raw_state)
    draft = await load_draft(state)
    if step in ("preview", "edit_menu") or draft.get("editing"):
        draft["editing"] = False
        await ask(callback, state, STEPS[-1] if step == "preview" else "preview", draft)
        return
    if step == STEPS[0]:
        await ask(callback, state, step, draft)
        return
    await ask(callback, state, STEPS[STEPS.index(step) - 1], draft)


async def form_other(message: Message, state: FSMContext, raw_state: str | None) -> None:
    step = step_of(raw_state)
    if step in TEXT_STEPS:
        await message.answer(_("ideas.hint_text"))
    elif step == "media":
        draft = await load_draft(state)
        await message.answer(
            _("ideas.hint_media").format(max=ideas_service.MEDIA_MAX),
            reply_markup=media_keyboard(len(draft.get("media") or [])),
        )
    else:
        await message.answer(_("ideas.hint_buttons"))


def register(router: Router) -> None:
    cb = router.callback_query.register
    router.message.register(cmd_idea, Command("idea"))
    cb(menu_idea, MenuCb.filter(F.action == "idea_new"))
    cb(menu_idea, on(FormAction.START))
    cb(resume, on(FormAction.RESUME))
    cb(restart, on(FormAction.RESTART))
    router.message.register(text_step, TEXT_STATES, F.text)
    cb(keep_value, on(FormAction.KEEP), TEXT_STATES)
    cb(pick_choice, on(FormAction.DISTRICT), IdeaForm.district)
    cb(pick_choice, on(FormAction.AUDIENCE), IdeaForm.audience)
    cb(toggle_help, on(FormAction.HELP), IdeaForm.help)
    cb(help_done, on(FormAction.HELP_DONE), IdeaForm.help)
    router.message.register(add_media, IdeaForm.media, F.photo | F.document | F.voice)
    cb(media_clear, on(FormAction.MEDIA_CLEAR), IdeaForm.media)
    cb(media_done, on(FormAction.MEDIA_DONE), IdeaForm.media)
    cb(edit_menu, on(FormAction.EDIT_MENU), IdeaForm.preview)
    cb(edit_field, on(FormAction.EDIT), IdeaForm.edit_menu)
    cb(to_preview, on(FormAction.PREVIEW), StateFilter(IdeaForm))
    cb(submit, on(FormAction.SUBMIT), IdeaForm.preview)
    cb(back, NavCb.filter(F.action == "back"), StateFilter(IdeaForm))
    router.message.register(form_other, StateFilter(IdeaForm))

"""The idea form's machinery: its states, the draft kept under a destiny of its own, asking a step,
the preview, and starting the form afresh or from an idea returned for changes.

The half-filled form is kept in the FSM storage under the destiny "ideas": it survives a restart (SQL
or Redis storage) and also /menu, /my or «Отмена», which clear only the dialog state.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IdeaStatus, User
from handlers.common import menu_for, target
from handlers.ideas.views import idea_body, send_media
from keyboards.ideas import (
    FormAction,
    help_keyboard,
    media_keyboard,
    pick_keyboard,
    preview_keyboard,
    resume_keyboard,
    text_step_keyboard,
)
from services import ideas as ideas_service
from services.errors import ValidationFailed
from services.users import DISTRICTS

DRAFT_DESTINY = "ideas"
STEPS = ("title", "problem", "description", "district", "audience", "help", "media")
TEXT_STEPS = ("title", "problem", "description")


class IdeaForm(StatesGroup):
    title = State()
    problem = State()
    description = State()
    district = State()
    audience = State()
    help = State()
    media = State()
    preview = State()
    edit_menu = State()


STATE_OF = {name: getattr(IdeaForm, name) for name in (*STEPS, "preview", "edit_menu")}


def step_of(raw_state: str | None) -> str:
    return (raw_state or "").split(":")[-1]


# --- the draft ----------------------------------------------------------------------------------


def _draft_ctx(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny=DRAFT_DESTINY))


async def load_draft(state: FSMContext) -> dict[str, Any]:
    return dict(await _draft_ctx(state).get_data())


async def save_draft(state: FSMContext, draft: dict[str, Any]) -> None:
    await _draft_ctx(state).set_data(draft)


async def drop_draft(state: FSMContext) -> None:
    await _draft_ctx(state).set_data({})


def has_content(draft: dict[str, Any]) -> bool:
    return bool(draft.get("idea_id")) or any(draft.get(step) for step in STEPS)


# --- asking -------------------------------------------------------------------------------------


def _prompt(step: str, draft: dict[str, Any]) -> tuple[str, Any]:
    """The text and keyboard of ``step`` (without the «step n of 7» header)."""
    if step in TEXT_STEPS:
        current = draft.get(step)
        text = _(f"ideas.ask.{step}").format(
            max=ideas_service.TITLE_MAX if step == "title" else ideas_service.TEXT_MAX
        )
        if current:
            text += "\n\n" + _("ideas.current").format(value=hd.quote(current))
        back = step != "title" or bool(draft.get("editing"))
        return text, text_step_keyboard(bool(current), back=back)
    if step == "district":
        markup = pick_keyboard(FormAction.DISTRICT, DISTRICTS, "district.", draft.get("district"))
        return _("ideas.ask.district"), markup
    if step == "audience":
        markup = pick_keyboard(
            FormAction.AUDIENCE, ideas_service.AUDIENCES, "ideas.aud.", draft.get("audience")
        )
        return _("ideas.ask.audience"), markup
    if step == "help":
        return _("ideas.ask.help"), help_keyboard(ideas_service.HELP_KINDS, draft.get("help") or [])
    count = len(draft.get("media") or [])
    text = _("ideas.ask.media").format(max=ideas_service.MEDIA_MAX, count=count)
    return text, media_keyboard(count)


async def ask(event: Message | CallbackQuery, state: FSMContext, step: str, draft: dict[str, Any]) -> None:
    """Show the prompt of ``step``, remember it in the draft and move the dialog there."""
    draft["step"] = step
    await save_draft(state, draft)
    await state.set_state(STATE_OF[step])
    if step == "preview":
        await show_preview(event, draft)
        return
    header = "" if draft.get("editing") else _("ideas.step").format(n=STEPS.index(step) + 1, total=len(STEPS))
    text, markup = _prompt(step, draft)
    await target(event).answer(header + "\n" + text if header else text, reply_markup=markup)


async def show_preview(event: Message | CallbackQuery, draft: dict[str, Any]) -> None:
    message = target(event)
    if draft.get("media"):
        assert message.bot is not None
        await send_media(message.bot, message.chat.id, draft["media"])
    head = _("ideas.preview.resubmit" if draft.get("idea_id") else "ideas.preview.title")
    comment = draft.get("staff_comment")
    if comment:
        head += "\n" + _("ideas.preview.staff_comment").format(comment=hd.quote(comment))
    await message.answer(
        head + "\n\n" + idea_body(draft) + "\n\n" + _("ideas.preview.hint"),
        reply_markup=preview_keyboard(bool(draft.get("idea_id"))),
    )


async def next_step(
    event: Message | CallbackQuery, state: FSMContext, draft: dict[str, Any], step: str
) -> None:
    """After an answer: back to the preview when editing one field, else the next step."""
    if draft.get("editing") or step == STEPS[-1]:
        draft["editing"] = False
        await ask(event, state, "preview", draft)
        return
    await ask(event, state, STEPS[STEPS.index(step) + 1], draft)


# --- starting -----------------------------------------------------------------------------------


async def start_form(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Any,
    *,
    fresh: bool = False,
) -> None:
    message = target(event)
    draft = await load_draft(state)
    if not fresh and has_content(draft):
        await state.set_state(None)
        key = "ideas.resume_edit" if draft.get("idea_id") else "ideas.resume"
        await message.answer(
            _(key).format(title=hd.quote(draft.get("title") or "—")), reply_markup=resume_keyboard()
        )
        return
    left = await ideas_service.submissions_left(session, user, settings.ideas_daily_limit)
    if left <= 0:
        await drop_draft(state)
        await state.clear()
        await message.answer(
            _("ideas.limit_reached").format(limit=settings.ideas_daily_limit), reply_markup=menu_for(user)
        )
        return
    await message.answer(
        _("ideas.intro").format(
            title_max=ideas_service.TITLE_MAX,
            text_max=ideas_service.TEXT_MAX,
            media_max=ideas_service.MEDIA_MAX,
            limit=settings.ideas_daily_limit,
            left=left,
        )
    )
    await ask(event, state, "title", {})


async def start_edit(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession, user: User, idea_id: int
) -> None:
    """Load an idea returned for changes into the form, at its preview."""
    idea = await ideas_service.get_own(session, idea_id, user.id)
    if idea.status != IdeaStatus.REVISION:
        raise ValidationFailed("ideas.not_in_revision")
    draft = ideas_service.draft_of(idea)
    draft.update(idea_id=idea.id, staff_comment=idea.staff_comment)
    await ask(event, state, "preview", draft)

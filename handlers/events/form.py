"""The staff dialog that creates and edits an event (admin chat): title, description, kind, start,
end, place, district, capacity, deadline, audience, poster, then a preview to save, publish or change
a field."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EventStatus
from handlers.common import error_text, target
from handlers.events.admin import show_staff_card, show_staff_list
from handlers.events.form_steps import (
    PROMPTS,
    STEP_OF,
    STEPS,
    TEXT_STEPS,
    EvForm,
    accept,
    preview_text,
    set_choice,
    steps_of,
)
from handlers.events.views import CAPTION_MAX, offer_ttl
from keyboards.common import NavCb
from keyboards.events import (
    EaCb,
    EfCb,
    FormField,
    StaffAction,
    audience_keyboard,
    fields_keyboard,
    preview_keyboard,
)
from services import events as ev
from services.errors import DomainError
from services.users import TARGET_GROUPS


async def ask(event: Message | CallbackQuery, state: FSMContext, step: str) -> None:
    data = await state.get_data()
    form: dict[str, Any] = data.get("form", {})
    message = target(event)
    await state.set_state(getattr(EvForm, step))
    if step != "preview":
        text, markup = PROMPTS[step](form)
        await message.answer(text, reply_markup=markup)
        return
    text, markup = preview_text(form), preview_keyboard(bool(data.get("edit")))
    if form.get("poster_file_id") and len(text) <= CAPTION_MAX:
        await message.answer_photo(form["poster_file_id"], caption=text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _next(event: Message | CallbackQuery, state: FSMContext, step: str, form: dict[str, Any]) -> None:
    """Store the form and go on: the next step, or (editing) back to the preview."""
    data = await state.get_data()
    await state.update_data(form=form)
    goes_on = step == "place_kind" or (step == "place" and form.get("place_kind") == "address")
    if data.get("edit") and not goes_on:
        await ask(event, state, "preview")
        return
    steps = steps_of(form)
    position = steps.index(step) if step in steps else 0
    await ask(event, state, steps[min(position + 1, len(steps) - 1)])


async def _current(state: FSMContext) -> tuple[str, dict[str, Any]]:
    current = await state.get_state() or ""
    step = current.split(":")[-1] if current else "title"
    form = (await state.get_data()).get("form", {})
    return step, dict(form)


async def _place_kind(callback: CallbackQuery, state: FSMContext, form: dict[str, Any], value: str) -> None:
    if form.get("place_kind") != value:
        form["place"] = ""
    form["place_kind"] = value
    form["district"] = ev.CENTER_DISTRICT if value == "center" else None
    await state.update_data(form=form)
    await ask(callback, state, "place")


async def _audience(callback: CallbackQuery, state: FSMContext, form: dict[str, Any], value: str) -> None:
    chosen = list(form.get("audience") or [])
    if value == "done":
        await _next(callback, state, "audience", form)
        return
    if value == "*":
        chosen = []
    elif value in TARGET_GROUPS:
        chosen = [g for g in chosen if g != value] if value in chosen else [*chosen, value]
    form["audience"] = chosen
    await state.update_data(form=form)
    groups = [(_("group." + g), g, g in chosen) for g in TARGET_GROUPS]
    try:
        await target(callback).edit_reply_markup(reply_markup=audience_keyboard(groups))
    except TelegramBadRequest:
        pass


async def _goto(callback: CallbackQuery, state: FSMContext, value: str) -> None:
    if value not in STEPS:
        return
    await state.update_data(edit_field=True)
    if not (await state.get_data()).get("edit"):
        await state.update_data(edit=-1)  # a new event: come back to the preview too
    await ask(callback, state, value)


async def choice(callback: CallbackQuery, callback_data: EfCb, state: FSMContext, settings: Any) -> None:
    step, form = await _current(state)
    field, value = callback_data.f, callback_data.v
    await callback.answer()
    if STEP_OF.get(field) != step:
        await ask(callback, state, step)
    elif field == FormField.PLACE_KIND and value in ev.PLACE_KINDS:
        await _place_kind(callback, state, form, value)
    elif field == FormField.AUDIENCE:
        await _audience(callback, state, form, value)
    elif field == FormField.FIELDS:
        await target(callback).answer(_("events.choose_field"), reply_markup=fields_keyboard())
    elif field == FormField.PREVIEW:
        await ask(callback, state, "preview")
    elif field == FormField.GOTO:
        await _goto(callback, state, value)
    elif set_choice(field, value, form, settings):
        await _next(callback, state, step, form)
    else:
        await ask(callback, state, step)


async def _save(
    session: AsyncSession, actor: int, data: dict[str, Any], choice: str, settings: Any
) -> tuple[int, str]:
    """Create (and maybe publish) or update the event: its id and the note for staff."""
    draft = ev.draft_from_data(data.get("form", {}))
    if data.get("edit", 0) > 0:
        result = await ev.update_event(
            session, actor, int(data["edit"]), draft, offer_ttl=offer_ttl(settings)
        )
        told = _("events.saved_changes").format(told=result.told)
        return result.event.id, told if result.changed else _("events.nothing_changed")
    created = await ev.create_event(session, actor, draft)
    if choice not in ("pub", "puba"):
        return created.id, _("events.saved_draft")
    _event, announced = await ev.publish(session, actor, created.id, announce=choice == "puba")
    return created.id, _("events.published").format(announced=announced)


async def save(
    callback: CallbackQuery,
    callback_data: EfCb,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    settings: Any,
) -> None:
    data = await state.get_data()
    try:
        event_id, note = await _save(session, callback.from_user.id, data, callback_data.v, settings)
    except DomainError as exc:
        await callback.answer(error_text(exc), show_alert=True)
        return
    await callback.answer()
    await state.clear()
    await target(callback).answer(note)
    await show_staff_card(callback, session, bot, event_id)


# --- starting, leaving, going back; text, photos and anything else --------------------------------


async def start_new(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await state.set_data({"form": {"audience": []}, "edit": 0})
    await target(event).answer(_("events.new_intro"))
    await ask(event, state, "title")


async def cmd_new(message: Message, state: FSMContext) -> None:
    await start_new(message, state)


async def btn_new(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await start_new(callback, state)


async def edit(
    callback: CallbackQuery, callback_data: EaCb, state: FSMContext, session: AsyncSession
) -> None:
    item = await ev.get_event(session, callback_data.e)
    if item is None or item.status == EventStatus.CANCELLED:
        await callback.answer(_("events.err_cancelled" if item else "events.err_not_found"), show_alert=True)
        return
    await callback.answer()
    await state.clear()
    await state.set_data({"form": ev.event_to_data(item), "edit": item.id})
    await ask(callback, state, "preview")


async def cancel_button(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await callback.answer()
    await cancel_command(target(callback), state, session)


async def cancel_command(message: Message, state: FSMContext, session: AsyncSession) -> None:
    await state.clear()
    await message.answer(_("common.cancelled"))
    await show_staff_list(message, session)


async def poster(message: Message, state: FSMContext) -> None:
    step, form = await _current(state)
    assert message.photo
    form["poster_file_id"] = message.photo[-1].file_id
    await _next(message, state, step, form)


async def text_input(message: Message, state: FSMContext, settings: Any) -> None:
    step, form = await _current(state)
    if step not in TEXT_STEPS:
        await message.answer(_("events.hint_buttons"))
        await ask(message, state, step)
        return
    try:
        accept(step, form, message.text or "", settings)
    except DomainError as exc:
        await message.answer(error_text(exc))
        await ask(message, state, step)
        return
    await _next(message, state, step, form)


async def other_input(message: Message, state: FSMContext) -> None:
    step, _form = await _current(state)
    if step == "poster":
        await message.answer(_("events.hint_poster"))
    else:
        await message.answer(_("events.hint_text" if step in TEXT_STEPS else "events.hint_buttons"))
    await ask(message, state, step)


async def back(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    step, form = await _current(state)
    if (await state.get_data()).get("edit") and step != "preview":
        await ask(callback, state, "preview")
        return
    steps = steps_of(form)
    position = steps.index(step) if step in steps else 0
    if position == 0:
        await state.clear()
        await target(callback).answer(_("common.cancelled"))
        return
    await ask(callback, state, steps[position - 1])


def register(router: Router) -> None:
    in_form = StateFilter(EvForm)
    router.message.register(cmd_new, Command("new_event"))
    router.callback_query.register(btn_new, EaCb.filter(F.a == StaffAction.NEW))
    router.callback_query.register(edit, EaCb.filter(F.a == StaffAction.EDIT))
    router.callback_query.register(cancel_button, in_form, NavCb.filter(F.action == "cancel"))
    router.message.register(cancel_command, in_form, Command("cancel"))
    router.callback_query.register(choice, in_form, EfCb.filter(F.f != FormField.SAVE))
    router.callback_query.register(save, EvForm.preview, EfCb.filter(F.f == FormField.SAVE))
    router.message.register(poster, EvForm.poster, F.photo)
    router.message.register(text_input, in_form, F.text, ~F.text.startswith("/"))
    router.message.register(other_input, in_form, ~F.text)
    router.callback_query.register(back, in_form, NavCb.filter(F.action == "back"))

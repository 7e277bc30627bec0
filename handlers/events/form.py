"""The staff dialog that creates and edits an event (admin chat), on the form engine: the steps are
form_steps.py; the preview saves a draft, publishes (and announces), or saves the changes of an
event being edited; «Изменить поле» changes one field and comes back to the preview."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EventStatus
from handlers import forms
from handlers.common import acknowledge, target
from handlers.events.admin import show_staff_card
from handlers.events.form_steps import STEPS, preview_text
from handlers.events.views import offer_ttl
from handlers.forms import PREVIEW, Form, FormContext
from keyboards.events import EaCb, StaffAction
from services import events as ev

NEW_CONFIRMS = (
    ("events.btn_save_draft", "draft"),
    ("events.btn_publish", "pub"),
    ("events.btn_publish_announce", "puba"),
)
EDIT_CONFIRMS = (("events.btn_save_changes", "edit"),)


def _confirms(ctx: FormContext) -> tuple[tuple[str, str], ...]:
    return EDIT_CONFIRMS if ctx.extra.get("edit") else NEW_CONFIRMS


async def _save(ctx: FormContext) -> str | None:
    """Create (and maybe publish) or update the event, then show its staff card."""
    draft, actor, choice = ev.draft_from_data(ctx.draft), ctx.from_id, ctx.extra.get("confirm")
    if ctx.extra.get("edit"):
        result = await ev.update_event(
            ctx.session, actor, int(ctx.extra["edit"]), draft, offer_ttl=offer_ttl(ctx.settings)
        )
        event_id = result.event.id
        note = (
            _("events.saved_changes").format(told=result.told)
            if result.changed
            else _("events.nothing_changed")
        )
    else:
        event_id = (await ev.create_event(ctx.session, actor, draft)).id
        note = _("events.saved_draft")
        if choice in ("pub", "puba"):
            _event, announced = await ev.publish(ctx.session, actor, event_id, announce=choice == "puba")
            note = _("events.published").format(announced=announced)
    await ctx.state.clear()
    await ctx.message.answer(note)
    await show_staff_card(ctx.message, ctx.session, ctx.bot, event_id)
    return None


EVENT = Form(
    name="evf",
    steps=STEPS,
    finish=_save,
    preview=preview_text,
    staff=True,
    replies_only=False,  # staff have always typed the answers as plain messages in the admin chat
    confirms=_confirms,
    edit_label="events.btn_change_field",
)


async def start_new(event: Message | CallbackQuery, state: FSMContext, **data: Any) -> None:
    """/new_event and «➕ Новое событие»."""
    await acknowledge(event)
    await state.clear()
    await target(event).answer(_("events.new_intro"))
    await forms.start(EVENT, event, state, data, draft={"audience": []})


async def edit(
    callback: CallbackQuery, callback_data: EaCb, state: FSMContext, session: AsyncSession, **data: Any
) -> None:
    """«Изменить» on an event's card: the preview of the event as it is."""
    item = await ev.get_event(session, callback_data.e)
    if item is None or item.status == EventStatus.CANCELLED:
        await callback.answer(_("events.err_cancelled" if item else "events.err_not_found"), show_alert=True)
        return
    await callback.answer()
    await state.clear()
    draft = ev.event_to_data(item)
    await forms.start(
        EVENT, callback, state, {**data, "session": session}, draft=draft, extra={"edit": item.id}, at=PREVIEW
    )


def register(router: Router) -> None:
    router.message.register(start_new, Command("new_event"))
    router.callback_query.register(start_new, EaCb.filter(F.a == StaffAction.NEW))
    router.callback_query.register(edit, EaCb.filter(F.a == StaffAction.EDIT))
    router.include_router(forms.router_for(EVENT))

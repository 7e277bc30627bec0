"""Staff set up the bookable resources (admin chat): the list, one resource's settings, editing a field,
switching approval or the resource itself on and off, adding a resource."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Resource
from handlers.booking.parsing import parse_hours, parse_number, toggle_closed_dates
from handlers.booking.states import StaffBook
from handlers.booking.views import alerted, err, fmt_day
from handlers.common import target
from keyboards import booking as kb
from keyboards.booking import Staff, StaffBk
from services import booking as svc
from services.errors import DomainError
from services.plural import plural

MINUTE_FIELDS = {
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "min_notice_minutes",
    "cancel_cutoff_minutes",
    "weekly_quota_minutes",
    "org_weekly_quota_minutes",
}
HINTS = {"name": "booking.adm_ask_name", "name_en": "booking.adm_ask_name", "hours": "booking.adm_ask_hours"}
HINTS["closed_dates"] = "booking.adm_ask_closed"


def _minutes_or_dash(minutes: int | None) -> str:
    return kb.minutes_label(minutes) if minutes else "—"


def resource_settings_text(resource: Resource) -> str:
    weekdays = _("dates.weekdays").split(",")
    hours = [
        f"{weekdays[int(d) - 1]} {span[0]}–{span[1]}" for d, span in sorted((resource.hours or {}).items())
    ]
    closed = ", ".join(fmt_day(date.fromisoformat(d)) for d in resource.closed_dates or []) or "—"
    return _("booking.adm_settings").format(
        name=hd.quote(resource.name),
        name_en=hd.quote(resource.name_en or "—"),
        code=resource.code,
        active=_("btn.yes") if resource.active else _("btn.no"),
        capacity=resource.capacity,
        slot=kb.minutes_label(resource.slot_minutes),
        min=kb.minutes_label(resource.min_minutes),
        max=kb.minutes_label(resource.max_minutes),
        horizon=plural(_, "numbers.days", resource.horizon_days),
        notice=_minutes_or_dash(resource.min_notice_minutes),
        cutoff=_minutes_or_dash(resource.cancel_cutoff_minutes),
        quota=_minutes_or_dash(resource.weekly_quota_minutes),
        org_quota=_minutes_or_dash(resource.org_weekly_quota_minutes),
        approval=_("btn.yes") if resource.needs_approval else _("btn.no"),
        hours="; ".join(hours) or "—",
        closed=closed,
    )


async def show_resource(message: Message, resource: Resource) -> None:
    await message.answer(
        resource_settings_text(resource),
        reply_markup=kb.resource_settings_keyboard(resource.id, resource.needs_approval, resource.active),
    )


async def settings_list(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await callback.answer()
    await state.clear()
    items = await svc.resources(session, include_inactive=True)
    await target(callback).answer(
        _("booking.adm_settings_pick"),
        reply_markup=kb.settings_list_keyboard(
            [(r.id, r.name + ("" if r.active else " " + _("booking.adm_off_mark"))) for r in items]
        ),
    )


async def resource_card(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
    resource = await alerted(callback, svc.get_resource(session, callback_data.id, active_only=False))
    if resource is None:
        return
    await callback.answer()
    await show_resource(target(callback), resource)


async def toggle(callback: CallbackQuery, callback_data: StaffBk, session: AsyncSession) -> None:
    if callback_data.v not in ("needs_approval", "active"):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    try:
        resource = await svc.get_resource(session, callback_data.id, active_only=False)
        value = not getattr(resource, callback_data.v)
        resource = await svc.update_resource(
            session, resource.id, callback.from_user.id, callback_data.v, value
        )
    except DomainError as error:
        await callback.answer(err(error), show_alert=True)
        return
    await callback.answer(_("booking.adm_saved"))
    await show_resource(target(callback), resource)


async def ask_value(
    callback: CallbackQuery, callback_data: StaffBk, state: FSMContext, session: AsyncSession
) -> None:
    field_name = callback_data.v
    if field_name not in kb.EDITABLE:
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    resource = await alerted(callback, svc.get_resource(session, callback_data.id, active_only=False))
    if resource is None:
        return
    await callback.answer()
    await state.set_state(StaffBook.edit_value)
    await state.update_data(rid=resource.id, field=field_name)
    hint = (
        "booking.adm_ask_minutes"
        if field_name in MINUTE_FIELDS
        else HINTS.get(field_name, "booking.adm_ask_number")
    )
    editing = _("booking.adm_editing").format(
        field=_(f"booking.field.{field_name}"), resource=hd.quote(resource.name)
    )
    await target(callback).answer(editing + "\n" + _(hint), reply_markup=kb.staff_nav())


def _value(field_name: str, text: str, resource: Resource, settings: Any) -> Any:
    """The typed text as the field's value; ValidationFailed when it does not fit."""
    if field_name in svc.NUMERIC_FIELDS:
        return parse_number(text, field_name)
    if field_name == "hours":
        return parse_hours(text, resource.hours or {})
    if field_name == "closed_dates":
        return toggle_closed_dates(
            text, resource.closed_dates or [], svc.local_today(svc.utcnow(), settings.tz)
        )
    return text


async def _saved(message: Message, state: FSMContext, resource: Resource) -> None:
    """A setting typed or a resource added: the dialog ends and the resource's card shows it."""
    await state.clear()
    await message.answer(_("booking.adm_saved"))
    await show_resource(message, resource)


async def save_value(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
    data = await state.get_data()
    assert message.from_user is not None
    try:
        resource = await svc.get_resource(session, int(data["rid"]), active_only=False)
        value = _value(data["field"], (message.text or "").strip(), resource, settings)
        resource = await svc.update_resource(session, resource.id, message.from_user.id, data["field"], value)
    except DomainError as error:
        await message.answer(err(error), reply_markup=kb.staff_nav())
        return
    await _saved(message, state, resource)


async def ask_new_name(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(StaffBook.new_name)
    await target(callback).answer(_("booking.adm_new_resource"), reply_markup=kb.staff_nav())


async def add_resource(message: Message, state: FSMContext, session: AsyncSession) -> None:
    assert message.from_user is not None
    try:
        resource = await svc.create_resource(session, message.from_user.id, message.text or "")
    except DomainError as error:
        await message.answer(err(error), reply_markup=kb.staff_nav())
        return
    await _saved(message, state, resource)


def register(router: Router) -> None:
    act = StaffBk.filter
    typed = (F.text, ~F.text.startswith("/"))
    router.callback_query.register(settings_list, act(F.a == Staff.SETTINGS))
    router.callback_query.register(resource_card, act(F.a == Staff.RESOURCE))
    router.callback_query.register(toggle, act(F.a == Staff.TOGGLE))
    router.callback_query.register(ask_value, act(F.a == Staff.EDIT))
    router.message.register(save_value, StaffBook.edit_value, *typed)
    router.callback_query.register(ask_new_name, act(F.a == Staff.ADD))
    router.message.register(add_resource, StaffBook.new_name, *typed)

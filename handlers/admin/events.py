"""Staff side of events (admin chat): create and edit in a dialog, publish (and announce), cancel,
the deep link and its QR for posters, the participant list with check-in toggles, the check-in QR
shown at the door, and the registration sheet as XLSX."""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta
from typing import Any

import segno
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Event, EventStatus, SignupStatus
from handlers.common import error_text, target
from handlers.texts import join_lines
from keyboards.admin import AdminCb
from keyboards.common import NavCb, nav_keyboard
from keyboards.events import (
    EaCb,
    EfCb,
    audience_keyboard,
    code_keyboard,
    fields_keyboard,
    form_choices,
    people_keyboard,
    preview_keyboard,
    staff_card_keyboard,
    staff_confirm_cancel_keyboard,
    staff_list_keyboard,
)
from services import events as ev
from services.errors import DomainError, ValidationFailed
from services.spreadsheet import append_row
from services.users import DISTRICTS, TARGET_GROUPS

PEOPLE_PAGE = 10
END_PRESETS = (60, 90, 120, 180, 240, 480)
CAPACITY_PRESETS = (10, 20, 30, 50, 100)
DEADLINE_PRESETS = (0, 180, 1440, 4320)  # minutes before the start


class EvForm(StatesGroup):
    title = State()
    description = State()
    kind = State()
    starts = State()
    ends = State()
    place_kind = State()
    place = State()
    district = State()
    capacity = State()
    deadline = State()
    audience = State()
    poster = State()
    preview = State()


STEPS = (
    "title", "description", "kind", "starts", "ends", "place_kind", "place", "district",
    "capacity", "deadline", "audience", "poster", "preview",
)  # fmt: skip
TEXT_STEPS = {"title", "description", "starts", "ends", "place", "capacity", "deadline"}


def _offer_ttl(settings: Any) -> timedelta:
    return timedelta(hours=float(getattr(settings, "event_offer_hours", 12)))


def _steps(form: dict[str, Any]) -> list[str]:
    return [s for s in STEPS if s != "district" or form.get("place_kind") == "address"]


def _dt(form: dict[str, Any], name: str) -> datetime | None:
    value = form.get(name)
    return datetime.fromisoformat(value) if value else None


# --- rendering ------------------------------------------------------------------------------------


def _staff_card_text(event: Event, counts: dict[str, int], link: str) -> str:
    capacity = str(event.capacity) if event.capacity is not None else _("events.unlimited")
    lines = [
        f"<b>{hd.quote(event.title)}</b> (#{event.id})",
        _("events.staff_status").format(status=_(f"events.estatus_{event.status}")),
        _(f"events.kind_{event.kind}"),
        _("events.when").format(when=ev.fmt_when(event)),
        _("events.place").format(place=hd.quote(event.place)),
        _("events.staff_counts").format(
            confirmed=counts.get("confirmed", 0),
            offered=counts.get("offered", 0),
            waiting=counts.get("waiting", 0),
            checked_in=counts.get("checked_in", 0),
            capacity=capacity,
        ),
        _("events.deadline").format(deadline=ev.fmt_dt(event.reg_deadline)),
        _("events.staff_link").format(link=hd.quote(link)),
    ]
    if counts.get("rated"):
        average = f"{counts['rating_x10'] / 10:.1f}"
        lines.insert(6, _("events.staff_rating").format(count=counts["rated"], average=average))
    return "\n".join(lines)


def _preview_text(form: dict[str, Any]) -> str:
    starts, ends, deadline = _dt(form, "starts_at"), _dt(form, "ends_at"), _dt(form, "reg_deadline")
    audience = form.get("audience") or []
    lines = [
        _("events.preview_title"),
        f"<b>{hd.quote(form.get('title') or '—')}</b>",
        _(f"events.kind_{form['kind']}") if form.get("kind") else "—",
        _("events.preview_when").format(
            start=ev.fmt_dt(starts) if starts else "—", end=ev.fmt_dt(ends) if ends else "—"
        ),
        _("events.place").format(place=hd.quote(form.get("place") or "—")),
        _("events.preview_capacity").format(
            capacity=form["capacity"] if form.get("capacity") else _("events.unlimited")
        ),
        _("events.deadline").format(deadline=ev.fmt_dt(deadline) if deadline else "—"),
        _("events.audience").format(
            groups=", ".join(_("group." + g) for g in audience) if audience else _("events.for_all")
        ),
        _("events.preview_poster") if form.get("poster_file_id") else _("events.preview_no_poster"),
        "",
        hd.quote(form.get("description") or ""),
    ]
    return "\n".join(lines)


async def _bot_link(bot: Bot, payload: str) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={payload}"


def _qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=3)
    return buffer.getvalue()


async def _reply(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None, edit: bool = False
) -> None:
    message = target(event)
    if edit and isinstance(event, CallbackQuery) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass
    await message.answer(text, reply_markup=markup)


async def show_staff_list(event: Message | CallbackQuery, session: AsyncSession, edit: bool = False) -> None:
    rows = await ev.staff_events(session, utcnow())
    items = []
    for item, held in rows:
        mark = {"draft": "📝", "published": "📢", "cancelled": "❌"}.get(item.status, "")
        label = f"{mark} {item.starts_at.astimezone(ev.display_tz()):%d.%m %H:%M} {item.title}"
        if item.capacity is not None:
            label += f" ({held}/{item.capacity})"
        items.append((item.id, label[:60]))
    text = _("events.staff_list") if items else _("events.staff_list_empty")
    now = utcnow()
    figures = await ev.figures(session, now - timedelta(days=30), now)
    if figures.events_held:
        text += "\n\n" + _("events.staff_figures").format(
            held=figures.events_held,
            signups=figures.signups,
            attended=figures.attended,
            rating=f"{figures.average_rating:.1f}" if figures.average_rating is not None else "—",
        )
    await _reply(event, text, staff_list_keyboard(items), edit)


async def show_staff_card(
    event: Message | CallbackQuery, session: AsyncSession, bot: Bot, event_id: int, edit: bool = False
) -> None:
    item = await ev.get_event(session, event_id)
    if item is None:
        await _reply(event, _("events.err_not_found"), None)
        return
    counts = await ev.counts(session, event_id)
    link = await _bot_link(bot, f"ev_{item.id}")
    await _reply(event, _staff_card_text(item, counts, link), staff_card_keyboard(item.id, item.status), edit)


async def show_people(
    event: Message | CallbackQuery, session: AsyncSession, event_id: int, page: int, edit: bool
) -> None:
    item = await ev.get_event(session, event_id)
    if item is None:
        await _reply(event, _("events.err_not_found"), None)
        return
    people = await ev.participants(session, event_id)
    if not people:
        await _reply(
            event,
            _("events.people_empty").format(title=hd.quote(item.title)),
            people_keyboard(event_id, [], 0, 1),
            edit,
        )
        return
    pages = max(1, math.ceil(len(people) / PEOPLE_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [_("events.people_title").format(title=hd.quote(item.title), page=page + 1, pages=pages)]
    toggles = []
    for number, (signup, person) in enumerate(
        people[page * PEOPLE_PAGE : (page + 1) * PEOPLE_PAGE], start=page * PEOPLE_PAGE + 1
    ):
        name = person.full_name or "—"
        details = ", ".join(
            hd.quote(v)
            for v in (
                person.organisation,
                _("district." + person.district) if person.district else None,
                person.phone,
            )
            if v
        )
        status = _(f"events.status_{signup.status}")
        mark = " ✅" if signup.checked_in_at else ""
        lines.append(f"{number}. {hd.quote(name)}{mark} — {status}" + (f"\n    {details}" if details else ""))
        if signup.status in (SignupStatus.CONFIRMED, SignupStatus.OFFERED):
            toggles.append((signup.id, f"{number}. {name}"[:40], signup.checked_in_at is not None))
    await _reply(event, "\n".join(lines), people_keyboard(event_id, toggles, page, pages), edit)


def participants_xlsx(event: Event, people: list[Any]) -> bytes:
    """The registration sheet: one row per participant, a column to sign at the door."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("events.xlsx_sheet")[:31]
    append_row(sheet, [event.title])
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, [ev.fmt_when(event), event.place])
    append_row(sheet, [])
    header = [
        _("events.xlsx_n"),
        _("events.xlsx_name"),
        _("events.xlsx_org"),
        _("events.xlsx_group"),
        _("events.xlsx_district"),
        _("events.xlsx_phone"),
        _("events.xlsx_status"),
        _("events.xlsx_signed_up"),
        _("events.xlsx_checked_in"),
        _("events.xlsx_signature"),
    ]
    append_row(sheet, header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, (signup, person) in enumerate(people, start=1):
        append_row(
            sheet,
            [
                number,
                person.full_name or "",
                person.organisation or "",
                _("group." + person.target_group) if person.target_group else "",
                _("district." + person.district) if person.district else "",
                person.phone or "",
                _(f"events.status_{signup.status}"),
                ev.fmt_dt(signup.created_at),
                ev.fmt_dt(signup.checked_in_at) if signup.checked_in_at else "",
                "",
            ],
        )
    for column, width in zip("ABCDEFGHIJ", (5, 30, 28, 20, 18, 16, 16, 17, 17, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the dialog ---------------------------------------------------------------------------------------


async def ask(event: Message | CallbackQuery, state: FSMContext, step: str) -> None:
    data = await state.get_data()
    form: dict[str, Any] = data.get("form", {})
    message = target(event)
    await state.set_state(getattr(EvForm, step))
    back = step != "title"
    if step == "title":
        await message.answer(
            _("events.ask_title").format(max=ev.TITLE_MAX), reply_markup=nav_keyboard(back=False)
        )
    elif step == "description":
        await message.answer(
            _("events.ask_description").format(max=ev.DESCRIPTION_MAX), reply_markup=nav_keyboard(back=back)
        )
    elif step == "kind":
        items = [(_(f"events.kind_{k}"), k) for k in ev.KINDS]
        await message.answer(_("events.ask_kind"), reply_markup=form_choices(items, "kind"))
    elif step == "starts":
        example = (utcnow() + timedelta(days=7)).astimezone(ev.display_tz()).strftime("%d.%m.%Y 14:00")
        await message.answer(_("events.ask_starts").format(example=example), reply_markup=nav_keyboard())
    elif step == "ends":
        items = [(_(f"events.duration_{m}"), str(m)) for m in END_PRESETS]
        await message.answer(_("events.ask_ends"), reply_markup=form_choices(items, "ends", width=3))
    elif step == "place_kind":
        items = [(_(f"events.place_kind_{k}"), k) for k in ev.PLACE_KINDS]
        await message.answer(
            _("events.ask_place_kind"), reply_markup=form_choices(items, "place_kind", width=1)
        )
    elif step == "place":
        kind = form.get("place_kind")
        if kind == "center":
            items = [(_("events.btn_no_room"), "-")]
            await message.answer(_("events.ask_room"), reply_markup=form_choices(items, "room", width=1))
        elif kind == "online":
            await message.answer(_("events.ask_url"), reply_markup=nav_keyboard())
        else:
            await message.answer(_("events.ask_address"), reply_markup=nav_keyboard())
    elif step == "district":
        items = [(_("district." + d), d) for d in DISTRICTS]
        await message.answer(_("events.ask_district"), reply_markup=form_choices(items, "district"))
    elif step == "capacity":
        items = [(str(c), str(c)) for c in CAPACITY_PRESETS] + [(_("events.btn_unlimited"), "0")]
        await message.answer(_("events.ask_capacity"), reply_markup=form_choices(items, "capacity", width=3))
    elif step == "deadline":
        items = [(_(f"events.deadline_{m}"), str(m)) for m in DEADLINE_PRESETS]
        await message.answer(_("events.ask_deadline"), reply_markup=form_choices(items, "deadline"))
    elif step == "audience":
        chosen = set(form.get("audience") or [])
        groups = [(_("group." + g), g, g in chosen) for g in TARGET_GROUPS]
        await message.answer(_("events.ask_audience"), reply_markup=audience_keyboard(groups))
    elif step == "poster":
        items = [(_("events.btn_no_poster"), "-")]
        if form.get("poster_file_id"):
            items.insert(0, (_("events.btn_keep_poster"), "keep"))
        await message.answer(_("events.ask_poster"), reply_markup=form_choices(items, "poster", width=1))
    elif step == "preview":
        text = _preview_text(form)
        markup = preview_keyboard(bool(data.get("edit")))
        if form.get("poster_file_id") and len(text) <= 1024:
            await message.answer_photo(form["poster_file_id"], caption=text, reply_markup=markup)
        else:
            await message.answer(text, reply_markup=markup)


async def _next(event: Message | CallbackQuery, state: FSMContext, step: str, form: dict[str, Any]) -> None:
    """Store the form and go on: the next step, or (editing) back to the preview."""
    data = await state.get_data()
    await state.update_data(form=form)
    if (
        data.get("edit")
        and step not in ("place_kind",)
        and not (step == "place" and form.get("place_kind") == "address")
    ):
        await ask(event, state, "preview")
        return
    steps = _steps(form)
    position = steps.index(step) if step in steps else 0
    await ask(event, state, steps[min(position + 1, len(steps) - 1)])


async def _current(state: FSMContext) -> tuple[str, dict[str, Any]]:
    current = await state.get_state() or ""
    step = current.split(":")[-1] if current else "title"
    form = (await state.get_data()).get("form", {})
    return step, dict(form)


async def _accept_text(message: Message, state: FSMContext, settings: Any) -> None:
    step, form = await _current(state)
    text = message.text or ""
    now = utcnow()
    if step == "title":
        form["title"] = ev.clean_title(text)
    elif step == "description":
        form["description"] = ev.clean_description(text)
    elif step == "starts":
        start = ev.parse_local(text, now)
        if start <= now:
            raise ValidationFailed("events.start_in_past")
        old_start, old_end, old_deadline = (
            _dt(form, "starts_at"),
            _dt(form, "ends_at"),
            _dt(form, "reg_deadline"),
        )
        form["starts_at"] = start.isoformat()
        if old_start and old_end:  # keep the duration and the deadline's distance from the start
            form["ends_at"] = (start + (old_end - old_start)).isoformat()
        if old_start and old_deadline:
            form["reg_deadline"] = min(start, start - (old_start - old_deadline)).isoformat()
        elif old_deadline and old_deadline > start:
            form["reg_deadline"] = start.isoformat()
    elif step == "ends":
        start = _dt(form, "starts_at")
        if start is None:
            raise ValidationFailed("events.draft_incomplete")
        form["ends_at"] = ev.parse_end(text, start).isoformat()
    elif step == "place":
        kind = form.get("place_kind", "address")
        if kind == "center":
            room = ev.clean_text(text, 100, "events.bad_place")
            form["place"] = f"{room}, {settings.center_address}"
        else:
            form["place"] = ev.clean_place(kind, text)
    elif step == "capacity":
        form["capacity"] = ev.clean_capacity(text)
    elif step == "deadline":
        start = _dt(form, "starts_at")
        deadline = ev.parse_local(text, now)
        if deadline <= now:
            raise ValidationFailed("events.start_in_past")
        if start is not None and deadline > start:
            raise ValidationFailed("events.deadline_after_start")
        form["reg_deadline"] = deadline.isoformat()
    else:
        raise ValidationFailed("events.hint_buttons")
    await _next(message, state, step, form)


def create_router() -> Router:
    router = Router(name="admin-events")

    @router.message(Command("staff_events"))
    async def cmd_list(message: Message, state: FSMContext, session: AsyncSession) -> None:
        await state.clear()
        await show_staff_list(message, session)

    @router.callback_query(AdminCb.filter(F.action == "events"))
    async def menu_list(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        await callback.answer()
        await state.clear()
        await show_staff_list(callback, session)

    @router.callback_query(EaCb.filter(F.a == "list"))
    async def list_again(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        await show_staff_list(callback, session, edit=True)

    async def start_new(event: Message | CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await state.set_data({"form": {"audience": []}, "edit": 0})
        await target(event).answer(_("events.new_intro"))
        await ask(event, state, "title")

    @router.message(Command("new_event"))
    async def cmd_new(message: Message, state: FSMContext) -> None:
        await start_new(message, state)

    @router.callback_query(EaCb.filter(F.a == "new"))
    async def btn_new(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await start_new(callback, state)

    # --- choices inside the dialog -------------------------------------------------------------------

    @router.callback_query(StateFilter(EvForm), NavCb.filter(F.action == "cancel"))
    async def cancel_button(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
        await callback.answer()
        await state.clear()
        await target(callback).answer(_("common.cancelled"))
        await show_staff_list(callback, session)

    @router.message(StateFilter(EvForm), Command("cancel"))
    async def cancel_command(message: Message, state: FSMContext, session: AsyncSession) -> None:
        await state.clear()
        await message.answer(_("common.cancelled"))
        await show_staff_list(message, session)

    @router.callback_query(StateFilter(EvForm), EfCb.filter(F.f != "save"))
    async def choice(callback: CallbackQuery, callback_data: EfCb, state: FSMContext, settings: Any) -> None:
        step, form = await _current(state)
        field, value = callback_data.f, callback_data.v
        await callback.answer()
        if field == "kind" and step == "kind" and value in ev.KINDS:
            form["kind"] = value
        elif field == "ends" and step == "ends" and value.isdigit() and form.get("starts_at"):
            start = datetime.fromisoformat(form["starts_at"])
            form["ends_at"] = (start + timedelta(minutes=int(value))).isoformat()
        elif field == "place_kind" and step == "place_kind" and value in ev.PLACE_KINDS:
            if form.get("place_kind") != value:
                form["place"] = ""
            form["place_kind"] = value
            form["district"] = ev.CENTER_DISTRICT if value == "center" else None
            await state.update_data(form=form)
            await ask(callback, state, "place")
            return
        elif field == "room" and step == "place":
            form["place"] = settings.center_address
        elif field == "district" and step == "district" and value in DISTRICTS:
            form["district"] = value
        elif field == "capacity" and step == "capacity" and value.isdigit():
            form["capacity"] = int(value) or None
        elif field == "deadline" and step == "deadline" and value.isdigit() and form.get("starts_at"):
            start = datetime.fromisoformat(form["starts_at"])
            form["reg_deadline"] = (start - timedelta(minutes=int(value))).isoformat()
        elif field == "aud" and step == "audience":
            chosen = list(form.get("audience") or [])
            if value == "done":
                await _next(callback, state, step, form)
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
            return
        elif field == "poster" and step == "poster":
            if value == "-":
                form["poster_file_id"] = None
        elif field == "fields" and step == "preview":
            await target(callback).answer(_("events.choose_field"), reply_markup=fields_keyboard())
            return
        elif field == "preview" and step == "preview":
            await ask(callback, state, "preview")
            return
        elif field == "goto" and step == "preview":
            target_step = {"place_kind": "place_kind", "deadline": "deadline"}.get(value, value)
            if target_step in STEPS:
                await state.update_data(edit_field=True)
                data = await state.get_data()
                if not data.get("edit"):
                    await state.update_data(edit=-1)  # a new event: come back to the preview too
                await ask(callback, state, target_step)
            return
        else:
            await ask(callback, state, step)
            return
        await _next(callback, state, step, form)

    @router.callback_query(EvForm.preview, EfCb.filter(F.f == "save"))
    async def save(
        callback: CallbackQuery,
        callback_data: EfCb,
        state: FSMContext,
        session: AsyncSession,
        bot: Bot,
        settings: Any,
    ) -> None:
        data = await state.get_data()
        form = data.get("form", {})
        actor = callback.from_user.id
        try:
            draft = ev.draft_from_data(form)
            if data.get("edit", 0) > 0:
                result = await ev.update_event(
                    session, actor, int(data["edit"]), draft, offer_ttl=_offer_ttl(settings)
                )
                event_id = result.event.id
                note = (
                    _("events.saved_changes").format(told=result.told)
                    if result.changed
                    else _("events.nothing_changed")
                )
            else:
                created = await ev.create_event(session, actor, draft)
                event_id = created.id
                note = _("events.saved_draft")
                if callback_data.v in ("pub", "puba"):
                    _event, announced = await ev.publish(
                        session, actor, event_id, announce=callback_data.v == "puba"
                    )
                    note = _("events.published").format(announced=announced)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await state.clear()
        await target(callback).answer(note)
        await show_staff_card(callback, session, bot, event_id)

    # --- text, photos and anything else in the dialog -----------------------------------------------

    @router.message(EvForm.poster, F.photo)
    async def poster(message: Message, state: FSMContext) -> None:
        step, form = await _current(state)
        assert message.photo
        form["poster_file_id"] = message.photo[-1].file_id
        await _next(message, state, step, form)

    @router.message(StateFilter(EvForm), F.text, ~F.text.startswith("/"))
    async def text_input(message: Message, state: FSMContext, settings: Any) -> None:
        step, _form = await _current(state)
        if step not in TEXT_STEPS:
            await message.answer(_("events.hint_buttons"))
            await ask(message, state, step)
            return
        try:
            await _accept_text(message, state, settings)
        except DomainError as exc:
            await message.answer(error_text(exc))
            await ask(message, state, step)

    @router.message(StateFilter(EvForm), ~F.text)
    async def other_input(message: Message, state: FSMContext) -> None:
        step, _form = await _current(state)
        hint = (
            "events.hint_poster"
            if step == "poster"
            else "events.hint_text"
            if step in TEXT_STEPS
            else "events.hint_buttons"
        )
        await message.answer(_(hint))
        await ask(message, state, step)

    @router.callback_query(StateFilter(EvForm), NavCb.filter(F.action == "back"))
    async def back(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        step, form = await _current(state)
        data = await state.get_data()
        if data.get("edit") and step != "preview":
            await ask(callback, state, "preview")
            return
        steps = _steps(form)
        position = steps.index(step) if step in steps else 0
        if position == 0:
            await state.clear()
            await target(callback).answer(_("common.cancelled"))
            return
        await ask(callback, state, steps[position - 1])

    # --- an event's card and actions ------------------------------------------------------------------

    @router.callback_query(EaCb.filter(F.a == "card"))
    async def card(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
        await callback.answer()
        await show_staff_card(callback, session, bot, callback_data.e, edit=True)

    @router.callback_query(EaCb.filter(F.a.in_({"pub", "puba"})))
    async def do_publish(
        callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot
    ) -> None:
        try:
            _event, announced = await ev.publish(
                session, callback.from_user.id, callback_data.e, announce=callback_data.a == "puba"
            )
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(_("events.published").format(announced=announced))
        await show_staff_card(callback, session, bot, callback_data.e)

    @router.callback_query(EaCb.filter(F.a == "edit"))
    async def edit(
        callback: CallbackQuery, callback_data: EaCb, state: FSMContext, session: AsyncSession
    ) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None or item.status == EventStatus.CANCELLED:
            await callback.answer(
                _("events.err_cancelled" if item else "events.err_not_found"), show_alert=True
            )
            return
        await callback.answer()
        await state.clear()
        await state.set_data({"form": ev.event_to_data(item), "edit": item.id})
        await ask(callback, state, "preview")

    @router.callback_query(EaCb.filter(F.a == "cancel"))
    async def ask_cancel(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None:
            await callback.answer(_("events.err_not_found"), show_alert=True)
            return
        await callback.answer()
        counts = await ev.counts(session, item.id)
        people = sum(counts.get(s, 0) for s in ("confirmed", "offered", "waiting"))
        await target(callback).answer(
            _("events.staff_cancel_confirm").format(title=hd.quote(item.title), people=people),
            reply_markup=staff_confirm_cancel_keyboard(item.id),
        )

    @router.callback_query(EaCb.filter(F.a == "cancely"))
    async def do_cancel(
        callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot
    ) -> None:
        try:
            _event, told = await ev.cancel_event(session, callback.from_user.id, callback_data.e)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        try:
            await target(callback).edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            pass
        await target(callback).answer(_("events.staff_cancelled").format(told=told))
        await show_staff_card(callback, session, bot, callback_data.e)

    @router.callback_query(EaCb.filter(F.a == "people"))
    async def people(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
        await callback.answer()
        await show_people(callback, session, callback_data.e, callback_data.v, edit=True)

    @router.callback_query(EaCb.filter(F.a == "ci"))
    async def toggle(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
        try:
            signup = await ev.toggle_checkin(session, callback.from_user.id, callback_data.e, callback_data.v)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("events.checkin_on") if signup.checked_in_at else _("events.checkin_off"))
        people = await ev.participants(session, callback_data.e)
        ids = [s.id for s, _u in people]
        page = ids.index(signup.id) // PEOPLE_PAGE if signup.id in ids else 0
        await show_people(callback, session, callback_data.e, page, edit=True)

    @router.callback_query(EaCb.filter(F.a == "xlsx"))
    async def xlsx(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None:
            await callback.answer(_("events.err_not_found"), show_alert=True)
            return
        await callback.answer()
        people = await ev.participants(session, item.id)
        data = participants_xlsx(item, people)
        await ev.record_export(session, callback.from_user.id, item.id, len(people))
        await target(callback).answer_document(
            BufferedInputFile(data, filename=f"event-{item.id}-participants.xlsx"),
            caption=_("events.xlsx_caption").format(title=hd.quote(item.title), count=len(people)),
        )

    @router.callback_query(EaCb.filter(F.a == "fb"))
    async def show_feedback(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None:
            await callback.answer(_("events.err_not_found"), show_alert=True)
            return
        await callback.answer()
        rows = await ev.feedback(session, item.id)
        if not rows:
            await target(callback).answer(_("events.feedback_none").format(title=hd.quote(item.title)))
            return
        lines = [_("events.feedback_title").format(title=hd.quote(item.title))]
        for signup, person in rows:
            line = f"{'⭐' * (signup.rating or 0)} {hd.quote(person.full_name or '—')}"
            if signup.comment:
                line += f"\n    «{hd.quote(signup.comment[:300])}»"
            lines.append(line)
        await target(callback).answer(join_lines(lines))  # whole lines: a cut never splits a tag

    @router.callback_query(EaCb.filter(F.a == "qr"))
    async def link_qr(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None:
            await callback.answer(_("events.err_not_found"), show_alert=True)
            return
        await callback.answer()
        link = await _bot_link(bot, f"ev_{item.id}")
        await target(callback).answer_photo(
            BufferedInputFile(_qr_png(link), filename=f"event-{item.id}-qr.png"),
            caption=_("events.qr_caption").format(title=hd.quote(item.title), link=hd.quote(link)),
        )

    async def send_code(callback: CallbackQuery, item: Event, bot: Bot, session: AsyncSession) -> None:
        door = await ev.door_code(session, item, utcnow())  # each event day has its own code
        link = await _bot_link(bot, f"ci_{item.id}_{door.code}")
        await target(callback).answer_photo(
            BufferedInputFile(_qr_png(link), filename=f"event-{item.id}-checkin.png"),
            caption=_("events.checkin_caption").format(
                title=hd.quote(item.title),
                code=door.code,
                link=hd.quote(link),
                day=door.day.strftime("%d.%m.%Y"),
                renewed=ev.fmt_dt(door.renewed_at),
                until=ev.fmt_dt(door.valid_until),
            ),
            reply_markup=code_keyboard(item.id),
        )

    @router.callback_query(EaCb.filter(F.a == "code"))
    async def code(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
        item = await ev.get_event(session, callback_data.e)
        if item is None or item.status == EventStatus.CANCELLED:
            await callback.answer(
                _("events.err_cancelled" if item else "events.err_not_found"), show_alert=True
            )
            return
        await callback.answer()
        await send_code(callback, item, bot, session)

    @router.callback_query(EaCb.filter(F.a == "newcode"))
    async def new_code(callback: CallbackQuery, callback_data: EaCb, session: AsyncSession, bot: Bot) -> None:
        try:
            item = await ev.new_checkin_code(session, callback.from_user.id, callback_data.e)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("events.code_renewed"))
        await send_code(callback, item, bot, session)

    return router

"""The steps of the staff event dialog on the form engine: prompts, choices, how a typed answer or a
pressed choice fills the draft, and the preview (form.py declares the Form and starts it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.base import utcnow
from handlers.forms import (
    STAY,
    FormContext,
    Step,
    WrongKind,
    coded,
    text_of,
    text_step,
    ticked,
    toggled,
    typed,
)
from services import events as ev
from services.errors import ValidationFailed
from services.users import DISTRICTS, TARGET_GROUPS

END_PRESETS = (60, 90, 120, 180, 240, 480)
CAPACITY_PRESETS = (10, 20, 30, 50, 100)
DEADLINE_PRESETS = (0, 180, 1440, 4320)  # minutes before the start
ALL, DONE = "*", "done"


def form_dt(form: dict[str, Any], name: str) -> datetime | None:
    value = form.get(name)
    return datetime.fromisoformat(value) if value else None


def preview_text(ctx: FormContext) -> str:
    form = ctx.draft
    starts, ends, deadline = (
        form_dt(form, "starts_at"),
        form_dt(form, "ends_at"),
        form_dt(form, "reg_deadline"),
    )
    audience = form.get("audience") or []
    groups = ", ".join(_("group." + g) for g in audience) if audience else _("events.for_all")
    capacity = form["capacity"] if form.get("capacity") else _("events.unlimited")
    lines = [
        _("events.preview_title"),
        f"<b>{hd.quote(form.get('title') or '—')}</b>",
        _(f"events.kind_{form['kind']}") if form.get("kind") else "—",
        _("events.preview_when").format(
            start=ev.fmt_dt(starts, gettext=_) if starts else "—",
            end=ev.fmt_dt(ends, gettext=_) if ends else "—",
        ),
        _("events.place").format(place=hd.quote(form.get("place") or "—")),
        _("events.preview_capacity").format(capacity=capacity),
        _("events.deadline").format(deadline=ev.fmt_dt(deadline, gettext=_) if deadline else "—"),
        _("events.audience").format(groups=groups),
        _("events.preview_poster") if form.get("poster_file_id") else _("events.preview_no_poster"),
        "",
        hd.quote(form.get("description") or ""),
    ]
    return "\n".join(lines)


def _minutes_from_start(ctx: FormContext, value: str, sign: int) -> str:
    start = form_dt(ctx.draft, "starts_at")
    if start is None:
        raise ValidationFailed("events.draft_incomplete")
    return (start + sign * timedelta(minutes=int(value))).isoformat()


# --- typed answers --------------------------------------------------------------------------------


def parse_starts(message: Message, ctx: FormContext) -> str:
    """The start; the end keeps the duration and the deadline its distance from the start."""
    now = utcnow()
    start = ev.parse_local(text_of(message), now)
    if start <= now:
        raise ValidationFailed("events.start_in_past")
    form = ctx.draft
    old_start, old_end, old_deadline = (
        form_dt(form, "starts_at"),
        form_dt(form, "ends_at"),
        form_dt(form, "reg_deadline"),
    )
    if old_start and old_end:
        form["ends_at"] = (start + (old_end - old_start)).isoformat()
    if old_start and old_deadline:
        form["reg_deadline"] = min(start, start - (old_start - old_deadline)).isoformat()
    elif old_deadline and old_deadline > start:
        form["reg_deadline"] = start.isoformat()
    return start.isoformat()


def parse_ends(message: Message, ctx: FormContext) -> str:
    start = form_dt(ctx.draft, "starts_at")
    if start is None:
        raise ValidationFailed("events.draft_incomplete")
    return ev.parse_end(text_of(message), start).isoformat()


def parse_place(message: Message, ctx: FormContext) -> str:
    kind = ctx.draft.get("place_kind", "address")
    if kind == "center":
        return f"{ev.clean_text(text_of(message), 100, 'events.bad_place')}, {ctx.settings.center_address}"
    return ev.clean_place(kind, text_of(message))


def parse_deadline(message: Message, ctx: FormContext) -> str:
    now = utcnow()
    start = form_dt(ctx.draft, "starts_at")
    deadline = ev.parse_local(text_of(message), now)
    if deadline <= now:
        raise ValidationFailed("events.start_in_past")
    if start is not None and deadline > start:
        raise ValidationFailed("events.deadline_after_start")
    return deadline.isoformat()


def parse_poster(message: Message, ctx: FormContext) -> str:
    if not message.photo:
        raise WrongKind
    return message.photo[-1].file_id


# --- choices --------------------------------------------------------------------------------------


def pick_place_kind(value: str, ctx: FormContext) -> str:
    if ctx.draft.get("place_kind") != value:
        ctx.draft["place"] = ""
    ctx.draft["district"] = ev.CENTER_DISTRICT if value == "center" else None
    return value


def audience_choices(ctx: FormContext) -> list[tuple[str, str]]:
    items = ticked("group.", TARGET_GROUPS, ctx.draft.get("audience") or [])
    return [*items, (_("events.btn_for_all"), ALL), (_("events.btn_done"), DONE)]


def pick_audience(value: str, ctx: FormContext) -> Any:
    """A group toggles, «Для всех» clears, «Готово» answers the step."""
    chosen = list(ctx.draft.get("audience") or [])
    if value == DONE:
        return chosen
    ctx.draft["audience"] = [] if value == ALL else toggled(chosen, value)
    return STAY


def poster_choices(ctx: FormContext) -> list[tuple[str, str]]:
    items = [(_("events.btn_no_poster"), "-")]
    if ctx.draft.get("poster_file_id"):
        items.insert(0, (_("events.btn_keep_poster"), "keep"))
    return items


def _example(ctx: FormContext) -> str:
    example = (utcnow() + timedelta(days=7)).astimezone(ev.display_tz()).strftime("%d.%m.%Y 14:00")
    return _("events.ask_starts").format(example=example)


def _place_prompt(ctx: FormContext) -> str:
    kind = ctx.draft.get("place_kind")
    return _(
        "events.ask_room"
        if kind == "center"
        else "events.ask_url"
        if kind == "online"
        else "events.ask_address"
    )


TEXT, BUTTONS = "events.hint_text", "events.hint_buttons"


def _typed_text(name: str, limit: int, clean: Callable[[str], str]) -> Step:
    """A text the staff member types: «events.ask_<name>» names the limit, «events.field_<name>» is the
    field on «Изменить поле»."""
    return text_step(name, f"events.ask_{name}", limit, clean, hint=TEXT, label=f"events.field_{name}")


STEPS = (
    _typed_text("title", ev.TITLE_MAX, ev.clean_title),
    _typed_text("description", ev.DESCRIPTION_MAX, ev.clean_description),
    Step(
        "kind",
        "events.ask_kind",
        choices=coded("events.kind_", ev.KINDS),
        hint=BUTTONS,
        label="events.field_kind",
    ),
    Step("starts", _example, parse=parse_starts, hint=TEXT, label="events.field_starts", field="starts_at"),
    Step(
        "ends",
        "events.ask_ends",
        choices=coded("events.duration_", END_PRESETS),
        pick=lambda value, ctx: _minutes_from_start(ctx, value, 1),
        parse=parse_ends,
        width=3,
        hint=TEXT,
        label="events.field_ends",
        field="ends_at",
    ),
    Step(
        "place_kind",
        "events.ask_place_kind",
        choices=coded("events.place_kind_", ev.PLACE_KINDS),
        pick=pick_place_kind,
        width=1,
        hint=BUTTONS,
        label="events.field_place_kind",
        edit_with=("place",),
    ),
    Step(
        "place",
        _place_prompt,
        choices=lambda ctx: (
            [(_("events.btn_no_room"), "-")] if ctx.draft.get("place_kind") == "center" else []
        ),
        pick=lambda value, ctx: ctx.settings.center_address,
        parse=parse_place,
        width=1,
        hint=TEXT,
        edit_with=("district",),
    ),
    Step(
        "district",
        "events.ask_district",
        choices=coded("district.", DISTRICTS),
        skip_if=lambda draft: draft.get("place_kind") != "address",
        hint=BUTTONS,
    ),
    Step(
        "capacity",
        "events.ask_capacity",
        choices=lambda ctx: [(str(c), str(c)) for c in CAPACITY_PRESETS] + [(_("events.btn_unlimited"), "0")],
        pick=lambda value, ctx: int(value) or None,
        parse=typed(ev.clean_capacity),
        width=3,
        hint=TEXT,
        label="events.field_capacity",
    ),
    Step(
        "deadline",
        "events.ask_deadline",
        choices=coded("events.deadline_", DEADLINE_PRESETS),
        pick=lambda value, ctx: _minutes_from_start(ctx, value, -1),
        parse=parse_deadline,
        hint=TEXT,
        label="events.field_deadline",
        field="reg_deadline",
    ),
    Step(
        "audience",
        "events.ask_audience",
        choices=audience_choices,
        pick=pick_audience,
        hint=BUTTONS,
        label="events.field_audience",
    ),
    Step(
        "poster",
        "events.ask_poster",
        choices=poster_choices,
        pick=lambda value, ctx: ctx.draft.get("poster_file_id") if value == "keep" else None,
        parse=parse_poster,
        width=1,
        hint="events.hint_poster",
        label="events.field_poster",
        field="poster_file_id",
    ),
)

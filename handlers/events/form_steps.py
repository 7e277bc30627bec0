"""The steps of the staff event dialog: the states, the prompts, the preview, and how a typed answer
or a choice fills the form (no handlers here; form.py runs the dialog)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from db.base import utcnow
from keyboards.common import nav_keyboard
from keyboards.events import FormField, audience_keyboard, form_choices
from services import events as ev
from services.errors import ValidationFailed
from services.users import DISTRICTS, TARGET_GROUPS

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


def steps_of(form: dict[str, Any]) -> list[str]:
    return [s for s in STEPS if s != "district" or form.get("place_kind") == "address"]


def form_dt(form: dict[str, Any], name: str) -> datetime | None:
    value = form.get(name)
    return datetime.fromisoformat(value) if value else None


def preview_text(form: dict[str, Any]) -> str:
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
            start=ev.fmt_dt(starts) if starts else "—", end=ev.fmt_dt(ends) if ends else "—"
        ),
        _("events.place").format(place=hd.quote(form.get("place") or "—")),
        _("events.preview_capacity").format(capacity=capacity),
        _("events.deadline").format(deadline=ev.fmt_dt(deadline) if deadline else "—"),
        _("events.audience").format(groups=groups),
        _("events.preview_poster") if form.get("poster_file_id") else _("events.preview_no_poster"),
        "",
        hd.quote(form.get("description") or ""),
    ]
    return "\n".join(lines)


# --- the prompts ----------------------------------------------------------------------------------

Prompt = tuple[str, InlineKeyboardMarkup]


def _presets(prefix: str, values: tuple[int, ...]) -> list[tuple[str, str]]:
    return [(_(f"{prefix}{m}"), str(m)) for m in values]


def _ask_starts(form: dict[str, Any]) -> Prompt:
    example = (utcnow() + timedelta(days=7)).astimezone(ev.display_tz()).strftime("%d.%m.%Y 14:00")
    return _("events.ask_starts").format(example=example), nav_keyboard()


def _ask_place(form: dict[str, Any]) -> Prompt:
    kind = form.get("place_kind")
    if kind == "center":
        return _("events.ask_room"), form_choices([(_("events.btn_no_room"), "-")], FormField.ROOM, width=1)
    return _("events.ask_url" if kind == "online" else "events.ask_address"), nav_keyboard()


def _ask_capacity(form: dict[str, Any]) -> Prompt:
    items = [(str(c), str(c)) for c in CAPACITY_PRESETS] + [(_("events.btn_unlimited"), "0")]
    return _("events.ask_capacity"), form_choices(items, FormField.CAPACITY, width=3)


def _ask_audience(form: dict[str, Any]) -> Prompt:
    chosen = set(form.get("audience") or [])
    return _("events.ask_audience"), audience_keyboard(
        [(_("group." + g), g, g in chosen) for g in TARGET_GROUPS]
    )


def _ask_poster(form: dict[str, Any]) -> Prompt:
    items = [(_("events.btn_no_poster"), "-")]
    if form.get("poster_file_id"):
        items.insert(0, (_("events.btn_keep_poster"), "keep"))
    return _("events.ask_poster"), form_choices(items, FormField.POSTER, width=1)


PROMPTS: dict[str, Callable[[dict[str, Any]], Prompt]] = {
    "title": lambda f: (_("events.ask_title").format(max=ev.TITLE_MAX), nav_keyboard(back=False)),
    "description": lambda f: (_("events.ask_description").format(max=ev.DESCRIPTION_MAX), nav_keyboard()),
    "kind": lambda f: (
        _("events.ask_kind"),
        form_choices([(_(f"events.kind_{k}"), k) for k in ev.KINDS], FormField.KIND),
    ),
    "starts": _ask_starts,
    "ends": lambda f: (
        _("events.ask_ends"),
        form_choices(_presets("events.duration_", END_PRESETS), FormField.ENDS, width=3),
    ),
    "place_kind": lambda f: (
        _("events.ask_place_kind"),
        form_choices(
            [(_(f"events.place_kind_{k}"), k) for k in ev.PLACE_KINDS], FormField.PLACE_KIND, width=1
        ),
    ),
    "place": _ask_place,
    "district": lambda f: (
        _("events.ask_district"),
        form_choices([(_("district." + d), d) for d in DISTRICTS], FormField.DISTRICT),
    ),
    "capacity": _ask_capacity,
    "deadline": lambda f: (
        _("events.ask_deadline"),
        form_choices(_presets("events.deadline_", DEADLINE_PRESETS), FormField.DEADLINE),
    ),
    "audience": _ask_audience,
    "poster": _ask_poster,
}


# --- typed answers --------------------------------------------------------------------------------


def _accept_starts(form: dict[str, Any], text: str, now: datetime) -> None:
    start = ev.parse_local(text, now)
    if start <= now:
        raise ValidationFailed("events.start_in_past")
    old_start, old_end, old_deadline = (
        form_dt(form, "starts_at"),
        form_dt(form, "ends_at"),
        form_dt(form, "reg_deadline"),
    )
    form["starts_at"] = start.isoformat()
    if old_start and old_end:  # keep the duration and the deadline's distance from the start
        form["ends_at"] = (start + (old_end - old_start)).isoformat()
    if old_start and old_deadline:
        form["reg_deadline"] = min(start, start - (old_start - old_deadline)).isoformat()
    elif old_deadline and old_deadline > start:
        form["reg_deadline"] = start.isoformat()


def _accept_ends(form: dict[str, Any], text: str, now: datetime) -> None:
    start = form_dt(form, "starts_at")
    if start is None:
        raise ValidationFailed("events.draft_incomplete")
    form["ends_at"] = ev.parse_end(text, start).isoformat()


def _accept_deadline(form: dict[str, Any], text: str, now: datetime) -> None:
    start = form_dt(form, "starts_at")
    deadline = ev.parse_local(text, now)
    if deadline <= now:
        raise ValidationFailed("events.start_in_past")
    if start is not None and deadline > start:
        raise ValidationFailed("events.deadline_after_start")
    form["reg_deadline"] = deadline.isoformat()


def accept(step: str, form: dict[str, Any], text: str, settings: Any) -> None:
    """Put a typed answer into the form; DomainError if it does not fit."""
    now = utcnow()
    if step == "title":
        form["title"] = ev.clean_title(text)
    elif step == "description":
        form["description"] = ev.clean_description(text)
    elif step == "starts":
        _accept_starts(form, text, now)
    elif step == "ends":
        _accept_ends(form, text, now)
    elif step == "place" and form.get("place_kind", "address") == "center":
        form["place"] = f"{ev.clean_text(text, 100, 'events.bad_place')}, {settings.center_address}"
    elif step == "place":
        form["place"] = ev.clean_place(form.get("place_kind", "address"), text)
    elif step == "capacity":
        form["capacity"] = ev.clean_capacity(text)
    elif step == "deadline":
        _accept_deadline(form, text, now)
    else:
        raise ValidationFailed("events.hint_buttons")


# --- buttons inside the dialog --------------------------------------------------------------------


def _minutes_from_start(form: dict[str, Any], value: str, sign: int) -> str | None:
    if not value.isdigit() or not form.get("starts_at"):
        return None
    return (datetime.fromisoformat(form["starts_at"]) + sign * timedelta(minutes=int(value))).isoformat()


def set_choice(field: FormField, value: str, form: dict[str, Any], settings: Any) -> bool:
    """A choice that fills one field and moves on; False if it does not fit (ask again)."""
    if field == FormField.KIND and value in ev.KINDS:
        form["kind"] = value
    elif field == FormField.ENDS and (end := _minutes_from_start(form, value, 1)):
        form["ends_at"] = end
    elif field == FormField.ROOM:
        form["place"] = settings.center_address
    elif field == FormField.DISTRICT and value in DISTRICTS:
        form["district"] = value
    elif field == FormField.CAPACITY and value.isdigit():
        form["capacity"] = int(value) or None
    elif field == FormField.DEADLINE and (deadline := _minutes_from_start(form, value, -1)):
        form["reg_deadline"] = deadline
    elif field == FormField.POSTER:
        if value == "-":
            form["poster_file_id"] = None
    else:
        return False
    return True


STEP_OF = {
    FormField.KIND: "kind",
    FormField.ENDS: "ends",
    FormField.PLACE_KIND: "place_kind",
    FormField.ROOM: "place",
    FormField.DISTRICT: "district",
    FormField.CAPACITY: "capacity",
    FormField.DEADLINE: "deadline",
    FormField.AUDIENCE: "audience",
    FormField.POSTER: "poster",
    FormField.FIELDS: "preview",
    FormField.PREVIEW: "preview",
    FormField.GOTO: "preview",
}

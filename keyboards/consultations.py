"""Consultation keyboards: the person's dialog and /my section, and the staff card in the admin chat."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id, nav_row


class ConsultCb(CallbackData, prefix="cns"):
    """The person's side. ``id`` is a topic id in the dialog and a request number elsewhere."""

    action: str
    id: Id = 0
    v: str = ""


class ConsultAdmCb(CallbackData, prefix="cna"):
    """The staff side: ``id`` is the request number (a topic id for topic actions)."""

    action: str
    id: Id = 0
    v: str = ""


def _button(text: str, cb: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=cb.pack())


# --- the person's dialog -------------------------------------------------------------------------


def topics_keyboard(topics: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for topic_id, title in topics:
        builder.button(text=title, callback_data=ConsultCb(action="topic", id=topic_id))
    builder.adjust(1)
    builder.row(*nav_row(back=False))
    return builder.as_markup()


def question_keyboard(has_question: bool = False) -> InlineKeyboardMarkup:
    rows = [[_button(_("consult.btn_keep_question"), ConsultCb(action="q_keep"))]] if has_question else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, nav_row()])


def files_keyboard(count: int) -> InlineKeyboardMarkup:
    label = _("consult.btn_files_done") if count else _("consult.btn_no_files")
    return InlineKeyboardMarkup(inline_keyboard=[[_button(label, ConsultCb(action="files_done"))], nav_row()])


def organisation_keyboard(current: str | None) -> InlineKeyboardMarkup:
    rows = []
    if current:
        rows.append(
            [_button(_("consult.btn_org_keep").format(org=current[:40]), ConsultCb(action="org_keep"))]
        )
    rows.append([_button(_("consult.btn_org_none"), ConsultCb(action="org_none"))])
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def format_keyboard(formats: tuple[str, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in formats:
        builder.button(text=_(f"consult.format.{code}"), callback_data=ConsultCb(action="fmt", v=code))
    builder.adjust(2)
    builder.row(*nav_row())
    return builder.as_markup()


def time_keyboard(times: tuple[str, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in times:
        builder.button(text=_(f"consult.time.{code}"), callback_data=ConsultCb(action="time", v=code))
    builder.adjust(1)
    builder.row(*nav_row())
    return builder.as_markup()


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("consult.btn_submit"), ConsultCb(action="submit"))], nav_row()]
    )


# --- the person's requests (/my) -------------------------------------------------------------------


def my_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, label in items:
        builder.button(text=label, callback_data=ConsultCb(action="view", id=number))
    builder.button(text=_("consult.btn_new"), callback_data=ConsultCb(action="new"))
    builder.adjust(1)
    return builder.as_markup()


def request_keyboard(number: int, *, is_open: bool, can_rate: bool) -> InlineKeyboardMarkup:
    rows = []
    if is_open:
        rows.append([_button(_("consult.btn_write"), ConsultCb(action="write", id=number))])
        rows.append([_button(_("consult.btn_cancel_request"), ConsultCb(action="cancel", id=number))])
    if can_rate:
        rows.append([_button(_("consult.btn_rate"), ConsultCb(action="rate_ask", id=number))])
    rows.append([_button(_("consult.btn_to_list"), ConsultCb(action="list"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_confirm_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("consult.btn_cancel_yes"), ConsultCb(action="cancel_yes", id=number)),
                _button(_("consult.btn_cancel_no"), ConsultCb(action="view", id=number)),
            ]
        ]
    )


def reply_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("consult.btn_reply"), ConsultCb(action="write", id=number)),
                _button(_("consult.btn_open"), ConsultCb(action="view", id=number)),
            ]
        ]
    )


def write_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back=False)])


def rating_keyboard(number: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in range(1, 6):
        builder.button(
            text="⭐" * value if value == 1 else f"{value} ⭐",
            callback_data=ConsultCb(action="rate", id=number, v=str(value)),
        )
    builder.adjust(5)
    return builder.as_markup()


def comment_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("consult.btn_comment"), ConsultCb(action="comment", id=number)),
                _button(_("consult.btn_no_comment"), ConsultCb(action="no_comment", id=number)),
            ]
        ]
    )


# --- the staff card -------------------------------------------------------------------------------


def card_keyboard(number: int, *, is_open: bool, assigned: bool) -> InlineKeyboardMarkup:
    rows = []
    if is_open:
        first = [] if assigned else [_button(_("consult.adm_take"), ConsultAdmCb(action="take", id=number))]
        first.append(_button(_("consult.adm_answer"), ConsultAdmCb(action="answer", id=number)))
        rows.append(first)
        rows.append(
            [
                _button(_("consult.adm_meet"), ConsultAdmCb(action="meet", id=number)),
                _button(_("consult.adm_close"), ConsultAdmCb(action="close", id=number)),
            ]
        )
    rows.append(
        [
            _button(_("consult.adm_contact"), ConsultAdmCb(action="contact", id=number)),
            _button(_("consult.adm_history"), ConsultAdmCb(action="org", id=number)),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _back_to_card(number: int) -> list[InlineKeyboardButton]:
    return [_button(_("btn.back"), ConsultAdmCb(action="card_back", id=number))]


def outcome_keyboard(number: int, outcomes: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows = [
        [_button(_(f"consult.outcome.{code}"), ConsultAdmCb(action="outcome", id=number, v=code))]
        for code in outcomes
    ]
    rows.append(_back_to_card(number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def meeting_days_keyboard(number: int, days: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """(label, YYYYMMDD) for the next working days."""
    builder = InlineKeyboardBuilder()
    for label, value in days:
        builder.button(text=label, callback_data=ConsultAdmCb(action="mday", id=number, v=value))
    builder.adjust(3)
    builder.row(*_back_to_card(number))
    return builder.as_markup()


def meeting_times_keyboard(number: int, day: str, times: list[str]) -> InlineKeyboardMarkup:
    """``times`` as HHMM; the callback carries YYYYMMDDHHMM."""
    builder = InlineKeyboardBuilder()
    for hhmm in times:
        builder.button(
            text=f"{hhmm[:2]}:{hhmm[2:]}", callback_data=ConsultAdmCb(action="mtime", id=number, v=day + hhmm)
        )
    builder.adjust(4)
    builder.row(_button(_("btn.back"), ConsultAdmCb(action="meet", id=number)))
    return builder.as_markup()


def meeting_place_keyboard(number: int, stamp: str, places: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows = [
        [_button(_(f"consult.place.{code}"), ConsultAdmCb(action="mplace", id=number, v=f"{stamp}-{code}"))]
        for code in places
    ]
    rows.append(
        [_button(_("consult.adm_place_other"), ConsultAdmCb(action="mplace", id=number, v=f"{stamp}-other"))]
    )
    rows.append([_button(_("btn.back"), ConsultAdmCb(action="mday", id=number, v=stamp[:8]))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def open_list_keyboard(numbers: list[int]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number in numbers:
        builder.button(text=f"№{number}", callback_data=ConsultAdmCb(action="show", id=number))
    builder.adjust(5)
    return builder.as_markup()


def take_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("consult.adm_take"), ConsultAdmCb(action="take", id=number)),
                _button(_("consult.adm_show"), ConsultAdmCb(action="show", id=number)),
            ]
        ]
    )


def topics_admin_keyboard(topics: list[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for topic_id, title, active in topics:
        mark = "✅" if active else "🚫"
        builder.button(
            text=f"{mark} {title}"[:60], callback_data=ConsultAdmCb(action="topic_toggle", id=topic_id)
        )
    builder.button(text=_("consult.adm_topic_add"), callback_data=ConsultAdmCb(action="topic_add"))
    builder.adjust(1)
    return builder.as_markup()


def day_label(day: datetime, weekday_names: list[str]) -> str:
    return f"{weekday_names[day.weekday()]} {day:%d.%m}"

"""Consultation keyboards: the person's requests (/my), and the staff card in the admin chat."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import ActionId, button, column, grid, item_column, item_row, nav_row, picks, row
from keyboards.menu import home_button
from services import dates
from services.numbers import number as number_label


class Consult(StrEnum):
    """What a button of the person's side does (the values are what the buttons carry)."""

    # the person's requests: id = the request number (the /consult dialog's own buttons are the
    # form engine's)
    NEW = "new"  # the /consult dialog from the top
    LIST = "list"
    VIEW = "view"
    WRITE = "write"
    CANCEL = "cancel"  # asks first
    CANCEL_YES = "cancel_yes"
    RATE_ASK = "rate_ask"
    RATE = "rate"  # v = 1..5
    COMMENT = "comment"
    NO_COMMENT = "no_comment"


class ConsultCb(CallbackData, ActionId[Consult], prefix="cns"):
    """The person's side; ``id`` is the request number."""

    v: str = ""


class ConsultStaff(StrEnum):
    """What a button of the staff side does; ``id`` is the request number unless said otherwise."""

    TAKE = "take"
    ANSWER = "answer"
    CLOSE = "close"  # shows the outcomes
    OUTCOME = "outcome"  # v = the outcome: closes the request
    CARD_BACK = "card_back"
    CONTACT = "contact"
    ORG = "org"  # the organisation's history
    SHOW = "show"  # the card posted again
    MEET = "meet"  # the meeting: days
    MEET_DAY = "mday"  # v = YYYYMMDD: times
    MEET_TIME = "mtime"  # v = YYYYMMDDHHMM: places
    MEET_PLACE = "mplace"  # v = YYYYMMDDHHMM-<place code>
    TOPIC_TOGGLE = "topic_toggle"  # id = the topic
    TOPIC_ADD = "topic_add"


class ConsultAdmCb(CallbackData, ActionId[ConsultStaff], prefix="cna"):
    """The staff side: ``id`` is the request number (a topic id for topic actions)."""

    v: str = ""


# --- the person's requests (/my) -------------------------------------------------------------------


def my_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(
        *picks(items, lambda number: ConsultCb(action=Consult.VIEW, id=number)),
        button(_("consult.btn_new"), ConsultCb(action=Consult.NEW)),
        home_button(),
    )


def request_keyboard(number: int, *, is_open: bool, can_rate: bool) -> InlineKeyboardMarkup:
    return item_column(
        ConsultCb.on(number),
        [
            (_("consult.btn_write"), Consult.WRITE, is_open),
            (_("consult.btn_cancel_request"), Consult.CANCEL, is_open),
            (_("consult.btn_rate"), Consult.RATE_ASK, can_rate),
        ],
        button(_("consult.btn_to_list"), ConsultCb(action=Consult.LIST)),
    )


def cancel_confirm_keyboard(number: int) -> InlineKeyboardMarkup:
    return item_row(
        ConsultCb.on(number),
        (_("consult.btn_cancel_yes"), Consult.CANCEL_YES),
        (_("consult.btn_cancel_no"), Consult.VIEW),
    )


def reply_keyboard(number: int) -> InlineKeyboardMarkup:
    return item_row(
        ConsultCb.on(number), (_("consult.btn_reply"), Consult.WRITE), (_("consult.btn_open"), Consult.VIEW)
    )


def write_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back=False)])


def rating_keyboard(number: int) -> InlineKeyboardMarkup:
    return row(
        *(
            button(
                "⭐" if value == 1 else f"{value} ⭐", ConsultCb(action=Consult.RATE, id=number, v=str(value))
            )
            for value in range(1, 6)
        )
    )


def comment_keyboard(number: int) -> InlineKeyboardMarkup:
    return item_row(
        ConsultCb.on(number),
        (_("consult.btn_comment"), Consult.COMMENT),
        (_("consult.btn_no_comment"), Consult.NO_COMMENT),
    )


# --- the staff card -------------------------------------------------------------------------------


def card_keyboard(number: int, *, is_open: bool, assigned: bool) -> InlineKeyboardMarkup:
    rows = []
    if is_open:
        first = (
            []
            if assigned
            else [button(_("consult.adm_take"), ConsultAdmCb(action=ConsultStaff.TAKE, id=number))]
        )
        first.append(button(_("consult.adm_answer"), ConsultAdmCb(action=ConsultStaff.ANSWER, id=number)))
        rows.append(first)
        rows.append(
            [
                button(_("consult.adm_meet"), ConsultAdmCb(action=ConsultStaff.MEET, id=number)),
                button(_("consult.adm_close"), ConsultAdmCb(action=ConsultStaff.CLOSE, id=number)),
            ]
        )
    rows.append(
        [
            button(_("consult.adm_contact"), ConsultAdmCb(action=ConsultStaff.CONTACT, id=number)),
            button(_("consult.adm_history"), ConsultAdmCb(action=ConsultStaff.ORG, id=number)),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _back_to_card(number: int) -> list[InlineKeyboardButton]:
    return [button(_("btn.back"), ConsultAdmCb(action=ConsultStaff.CARD_BACK, id=number))]


def outcome_keyboard(number: int, outcomes: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows = [
        [button(_(f"consult.outcome.{code}"), ConsultAdmCb(action=ConsultStaff.OUTCOME, id=number, v=code))]
        for code in outcomes
    ]
    rows.append(_back_to_card(number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def meeting_days_keyboard(number: int, days: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """(label, YYYYMMDD) for the next working days."""
    picked = [
        button(label, ConsultAdmCb(action=ConsultStaff.MEET_DAY, id=number, v=value)) for label, value in days
    ]
    return grid(picked, 3, _back_to_card(number))


def meeting_times_keyboard(number: int, day: str, times: list[str]) -> InlineKeyboardMarkup:
    """``times`` as HHMM; the callback carries YYYYMMDDHHMM."""
    picked = [
        button(f"{hhmm[:2]}:{hhmm[2:]}", ConsultAdmCb(action=ConsultStaff.MEET_TIME, id=number, v=day + hhmm))
        for hhmm in times
    ]
    return grid(picked, 4, [button(_("btn.back"), ConsultAdmCb(action=ConsultStaff.MEET, id=number))])


def meeting_place_keyboard(number: int, stamp: str, places: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                _(f"consult.place.{code}"),
                ConsultAdmCb(action=ConsultStaff.MEET_PLACE, id=number, v=f"{stamp}-{code}"),
            )
        ]
        for code in places
    ]
    rows.append(
        [
            button(
                _("consult.adm_place_other"),
                ConsultAdmCb(action=ConsultStaff.MEET_PLACE, id=number, v=f"{stamp}-other"),
            )
        ]
    )
    rows.append([button(_("btn.back"), ConsultAdmCb(action=ConsultStaff.MEET_DAY, id=number, v=stamp[:8]))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def open_list_keyboard(numbers: list[int]) -> InlineKeyboardMarkup:
    numbered = [(number, number_label("consultation", number)) for number in numbers]
    return grid(picks(numbered, lambda number: ConsultAdmCb(action=ConsultStaff.SHOW, id=number)), 5)


def take_keyboard(number: int) -> InlineKeyboardMarkup:
    return item_row(
        ConsultAdmCb.on(number),
        (_("consult.adm_take"), ConsultStaff.TAKE),
        (_("consult.adm_show"), ConsultStaff.SHOW),
    )


def topics_admin_keyboard(topics: list[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    marked = [(topic_id, f"{'✅' if active else '🚫'} {title}"[:60]) for topic_id, title, active in topics]
    return column(
        *picks(marked, lambda topic_id: ConsultAdmCb(action=ConsultStaff.TOPIC_TOGGLE, id=topic_id)),
        button(_("consult.adm_topic_add"), ConsultAdmCb(action=ConsultStaff.TOPIC_ADD)),
    )


def day_label(day: date | datetime) -> str:
    """«ср, 10 декабря»: the bot's one date style (services.dates)."""
    return dates.day_text(day.date() if isinstance(day, datetime) else day, _)

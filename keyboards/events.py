"""Event buttons: the person's list, card, offers, reminders and feedback; the staff side and dialog."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import BaseModel

from keyboards.common import Action, Id


class EventFields(BaseModel, Generic[Action]):
    """What both sides' event buttons carry, in this order: the action, the event (0: none) and a
    number (a page, a rating, a sign-up id)."""

    a: Action
    e: Id = 0
    v: Id = 0


class EvAction(StrEnum):
    """The person's event buttons (services.events packs the same short strings into notices)."""

    LIST = "list"  # v: page
    CARD = "card"
    SIGN_UP = "su"
    WAITLIST = "wl"
    CANCEL = "cx"  # asks to confirm
    CANCEL_YES = "cxy"
    OFFER_YES = "oy"
    OFFER_NO = "on"
    WILL_COME = "yes"  # the reminder's answers
    WONT_COME = "no"
    RATE = "rate"  # v: stars
    NO_COMMENT = "nocomment"
    ICS = "ics"
    CHECKIN = "ci"


class EvCb(CallbackData, EventFields[EvAction], prefix="ev"):
    """The person's buttons. services.events packs the same layout into queued notices."""


class StaffAction(StrEnum):
    """Staff buttons on the event list, an event's card and its participant list."""

    LIST = "list"
    NEW = "new"
    CARD = "card"
    PUBLISH = "pub"
    PUBLISH_ANNOUNCE = "puba"
    EDIT = "edit"
    CANCEL = "cancel"  # asks to confirm
    CANCEL_YES = "cancely"
    PEOPLE = "people"  # v: page
    CHECKIN = "ci"  # v: sign-up id
    XLSX = "xlsx"
    FEEDBACK = "fb"
    LINK_QR = "qr"
    CODE = "code"
    NEW_CODE = "newcode"


class EaCb(CallbackData, EventFields[StaffAction], prefix="eva"):
    """Staff buttons in the admin chat."""


def _button(key: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_(key), callback_data=data.pack())


def _paging(page: int, pages: int, data: CallbackData) -> list[InlineKeyboardButton]:
    """«Назад»/«Дальше» for a paged list: ``data`` with ``v`` replaced by the page to open."""
    row = []
    if page > 0:
        row.append(_button("events.btn_prev", data.model_copy(update={"v": page - 1})))
    if page + 1 < pages:
        row.append(_button("events.btn_next", data.model_copy(update={"v": page + 1})))
    return row


def _markup(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


# --- the person's side ------------------------------------------------------------------------------


def list_keyboard(items: list[tuple[int, str]], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=EvCb(a=EvAction.CARD, e=event_id).pack())]
        for event_id, label in items
    ]
    return _markup(*rows, _paging(page, pages, EvCb(a=EvAction.LIST)))


def card_keyboard(
    event_id: int, *, status: str | None, can_sign_up: bool, full: bool, page: int = 0, checkin: bool = False
) -> InlineKeyboardMarkup:
    """``status``: the person's active sign-up status, or None; ``checkin``: the door is open."""

    def button(key: str, action: EvAction) -> list[InlineKeyboardButton]:
        return [_button(key, EvCb(a=action, e=event_id))]

    rows = [button("events.btn_checkin", EvAction.CHECKIN)] if checkin else []
    if status == "offered":
        rows.append(
            button("events.btn_offer_yes", EvAction.OFFER_YES)
            + button("events.btn_offer_no", EvAction.OFFER_NO)
        )
    elif status == "confirmed":
        rows.append(button("flows.btn_calendar", EvAction.ICS))
        rows.append(button("events.btn_cancel_signup", EvAction.CANCEL))
    elif status == "waiting":
        rows.append(button("events.btn_leave_waitlist", EvAction.CANCEL))
    elif can_sign_up and full:
        rows.append(button("events.btn_waitlist", EvAction.WAITLIST))
    elif can_sign_up:
        rows.append(button("events.btn_signup", EvAction.SIGN_UP))
    rows.append([_button("events.btn_to_list", EvCb(a=EvAction.LIST, v=page))])
    return _markup(*rows)


def signed_up_keyboard(event_id: int) -> InlineKeyboardMarkup:
    """Under a sign-up confirmation: «📆 В календарь», «Отменить запись», back to the list."""
    return _markup(
        [_button("flows.btn_calendar", EvCb(a=EvAction.ICS, e=event_id))],
        [_button("events.btn_cancel_signup", EvCb(a=EvAction.CANCEL, e=event_id))],
        [_button("events.btn_to_list", EvCb(a=EvAction.LIST))],
    )


def waitlist_offer_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return _markup(
        [_button("events.btn_waitlist", EvCb(a=EvAction.WAITLIST, e=event_id))],
        [_button("events.btn_to_list", EvCb(a=EvAction.LIST))],
    )


def confirm_cancel_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return _markup(
        [
            _button("events.btn_cancel_yes", EvCb(a=EvAction.CANCEL_YES, e=event_id)),
            _button("events.btn_cancel_no", EvCb(a=EvAction.CARD, e=event_id)),
        ]
    )


def my_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=EvCb(a=EvAction.CARD, e=event_id).pack())]
        for event_id, label in items
    ]
    return _markup(*rows, [_button("events.btn_all_events", EvCb(a=EvAction.LIST))])


def rating_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return _markup(
        [_button(f"events.btn_rate_{n}", EvCb(a=EvAction.RATE, e=event_id, v=n)) for n in range(1, 6)]
    )


def comment_keyboard() -> InlineKeyboardMarkup:
    return _markup([_button("btn.skip", EvCb(a=EvAction.NO_COMMENT))])


# --- staff ----------------------------------------------------------------------------------------


def staff_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=EaCb(a=StaffAction.CARD, e=event_id).pack())]
        for event_id, label in items
    ]
    return _markup([_button("events.btn_new", EaCb(a=StaffAction.NEW))], *rows)


def staff_card_keyboard(event_id: int, status: str) -> InlineKeyboardMarkup:
    def button(key: str, action: StaffAction) -> InlineKeyboardButton:
        return _button(key, EaCb(a=action, e=event_id))

    rows = []
    if status == "draft":
        rows.append(
            [
                button("events.btn_publish", StaffAction.PUBLISH),
                button("events.btn_publish_announce", StaffAction.PUBLISH_ANNOUNCE),
            ]
        )
    if status != "cancelled":
        rows.append(
            [button("events.btn_edit", StaffAction.EDIT), button("events.btn_people", StaffAction.PEOPLE)]
        )
        rows.append(
            [
                button("events.btn_link_qr", StaffAction.LINK_QR),
                button("events.btn_checkin_qr", StaffAction.CODE),
            ]
        )
    rows.append(
        [button("events.btn_xlsx", StaffAction.XLSX), button("events.btn_feedback", StaffAction.FEEDBACK)]
    )
    if status == "published":
        rows.append([button("events.btn_announce", StaffAction.PUBLISH_ANNOUNCE)])
    if status != "cancelled":
        rows.append([button("events.btn_cancel_event", StaffAction.CANCEL)])
    rows.append([_button("events.btn_staff_list", EaCb(a=StaffAction.LIST))])
    return _markup(*rows)


def staff_confirm_cancel_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return _markup(
        [
            _button("events.btn_cancel_event_yes", EaCb(a=StaffAction.CANCEL_YES, e=event_id)),
            _button("events.btn_keep_event", EaCb(a=StaffAction.CARD, e=event_id)),
        ]
    )


def people_keyboard(
    event_id: int, rows: list[tuple[int, str, bool]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """One toggle per participant: (signup id, label, checked in)."""
    toggles = [
        [
            InlineKeyboardButton(
                text=f"{'✅' if present else '⬜'} {label}",
                callback_data=EaCb(a=StaffAction.CHECKIN, e=event_id, v=signup_id).pack(),
            )
        ]
        for signup_id, label, present in rows
    ]
    return _markup(
        *toggles,
        _paging(page, pages, EaCb(a=StaffAction.PEOPLE, e=event_id)),
        [
            _button("events.btn_xlsx", EaCb(a=StaffAction.XLSX, e=event_id)),
            _button("events.btn_back_card", EaCb(a=StaffAction.CARD, e=event_id)),
        ],
    )


def code_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return _markup(
        [
            _button("events.btn_new_code", EaCb(a=StaffAction.NEW_CODE, e=event_id)),
            _button("events.btn_back_card", EaCb(a=StaffAction.CARD, e=event_id)),
        ]
    )

"""Booking buttons: the resource list, an inline calendar of bookable days, start times, durations,
confirmation, and the actions on one booking (person and staff). No I/O here."""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id, button, column, grid, item_column, nav_row, picks
from keyboards.menu import home_button


class BookStep(StrEnum):
    """A booking button outside the dialog (the dialog's own buttons are the form engine's)."""

    START = "start"  # «Забронировать» under /my bookings: the dialog from the top


class BookCb(CallbackData, prefix="bk"):
    """Starts the /book dialog."""

    a: BookStep
    v: str = ""


class OwnBooking(StrEnum):
    """What the owner of a booking does with it (the reminder's buttons carry the same values)."""

    COME = "come"
    CANCEL = "cancel"  # asks first
    CANCEL_YES = "cx"
    KEEP = "keep"
    CALENDAR = "ics"  # «📆 В календарь»: the .ics file, sent on request


class BookingAction(CallbackData, prefix="bka"):
    """An action on one booking by its owner."""

    a: OwnBooking
    id: Id


class Staff(StrEnum):
    """What a staff button of booking does. ``id`` is a resource or a booking, as the action says."""

    LIST = "list"  # the resources
    DAY = "day"  # resource id, v = YYYYMMDD (empty: today)
    OPEN = "open"  # booking id
    APPROVE = "ok"  # booking id
    REJECT = "rej"  # booking id: asks for the reason
    CANCEL = "cx"  # booking id: asks for the reason
    NO_SHOW = "ns"  # booking id
    PENDING = "pend"
    FIGURES = "fig"
    GUEST = "new"  # resource id, v = YYYYMMDD: a booking for someone without Telegram
    GUEST_TIME = "gt"  # resource id, v = start in minutes since the epoch
    GUEST_LENGTH = "gd"  # resource id, v = "<start>-<minutes>"
    SETTINGS = "set"
    RESOURCE = "res"  # resource id: its settings
    EDIT = "edit"  # resource id, v = the field
    TOGGLE = "tog"  # resource id, v = needs_approval | active
    ADD = "add"  # a new resource


class StaffBk(CallbackData, prefix="sbk"):
    """A staff action of booking (admin chat)."""

    a: Staff
    id: Id = 0
    v: str = ""


def day_code(day: date) -> str:
    return day.strftime("%Y%m%d")


def parse_day(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()


def minutes_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("booking.dur_hm").format(h=hours, m=rest)
    if hours:
        return _("booking.dur_h").format(h=hours)
    return _("booking.dur_m").format(m=rest)


INERT = "-"
"""The value of a calendar cell that is no day to pick (a weekday name, a closed day, the month)."""
MONTH = "m"
"""The prefix of «‹» / «›»: ``m`` + YYYYMM of the month to show."""


def calendar_rows(
    year: int, month: int, allowed: set[date], first: date, last: date
) -> list[list[tuple[str, str]]]:
    """A month grid of (label, value): bookable days carry YYYYMMDD, every other cell is an inert «·»;
    «‹» / «›» flip to the months the window [first, last] reaches."""
    month_names = _("booking.months_nom").split(",")
    month_start = date(year, month, 1)
    month_end = date(year, month, pycalendar.monthrange(year, month)[1])
    header = []
    if first < month_start:
        header.append(("‹", MONTH + (month_start - timedelta(days=1)).strftime("%Y%m")))
    header.append((f"{month_names[month - 1]} {year}", INERT))
    if last > month_end:
        header.append(("›", MONTH + (month_end + timedelta(days=1)).strftime("%Y%m")))
    rows = [header, [(name, INERT) for name in _("dates.weekdays").split(",")]]
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        rows.append(
            [
                (" ", INERT)
                if day.month != month
                else (str(day.day), day_code(day))
                if day in allowed
                else ("·", INERT)
                for day in week
            ]
        )
    return rows


def booking_keyboard(
    booking_id: int, *, cancel: bool = True, coming: bool = False, calendar: bool = False, home: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if calendar:
        builder.button(
            text=_("flows.btn_calendar"), callback_data=BookingAction(a=OwnBooking.CALENDAR, id=booking_id)
        )
    if coming:
        builder.button(
            text=_("booking.btn_coming"), callback_data=BookingAction(a=OwnBooking.COME, id=booking_id)
        )
    if cancel:
        builder.button(
            text=_("booking.btn_cancel"), callback_data=BookingAction(a=OwnBooking.CANCEL, id=booking_id)
        )
    if home:  # the confirmation ends the dialog: a way back to the menu (issue 16)
        builder.row(home_button())
    return builder.as_markup()


def cancel_confirm_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    return column(
        button(_("booking.btn_cancel_yes"), BookingAction(a=OwnBooking.CANCEL_YES, id=booking_id)),
        button(_("booking.btn_cancel_no"), BookingAction(a=OwnBooking.KEEP, id=booking_id)),
    )


def my_bookings_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One «Отменить …» button per upcoming booking, then «Забронировать»."""
    return column(
        *picks(items, lambda booking_id: BookingAction(a=OwnBooking.CANCEL, id=booking_id)),
        button(_("booking.btn_new"), BookCb(a=BookStep.START)),
        home_button(),
    )


# --- staff ------------------------------------------------------------------------------------------


def staff_resources_keyboard(items: Iterable[tuple[int, str]], day: date) -> InlineKeyboardMarkup:
    return column(
        *picks(items, lambda resource_id: StaffBk(a=Staff.DAY, id=resource_id, v=day_code(day))),
        button(_("booking.adm_btn_pending"), StaffBk(a=Staff.PENDING)),
        button(_("booking.adm_btn_figures"), StaffBk(a=Staff.FIGURES)),
        button(_("booking.adm_btn_settings"), StaffBk(a=Staff.SETTINGS)),
    )


def schedule_keyboard(
    resource_id: int, day: date, bookings: list[tuple[int, str]], prev_day: date, next_day: date
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for booking_id, label in bookings:
        builder.row(
            InlineKeyboardButton(text=label, callback_data=StaffBk(a=Staff.OPEN, id=booking_id).pack())
        )
    builder.row(
        InlineKeyboardButton(
            text="‹", callback_data=StaffBk(a=Staff.DAY, id=resource_id, v=day_code(prev_day)).pack()
        ),
        InlineKeyboardButton(
            text=_("booking.adm_btn_today"), callback_data=StaffBk(a=Staff.DAY, id=resource_id).pack()
        ),
        InlineKeyboardButton(
            text="›", callback_data=StaffBk(a=Staff.DAY, id=resource_id, v=day_code(next_day)).pack()
        ),
    )
    builder.row(
        InlineKeyboardButton(
            text=_("booking.adm_btn_guest"),
            callback_data=StaffBk(a=Staff.GUEST, id=resource_id, v=day_code(day)).pack(),
        )
    )
    builder.row(
        InlineKeyboardButton(text=_("booking.adm_btn_resources"), callback_data=StaffBk(a=Staff.LIST).pack())
    )
    return builder.as_markup()


def staff_booking_keyboard(
    booking_id: int, *, pending: bool, active: bool, started: bool
) -> InlineKeyboardMarkup:
    decided = not pending and active
    return item_column(
        lambda action: StaffBk(a=action, id=booking_id),
        [
            (_("booking.adm_btn_approve"), Staff.APPROVE, pending),
            (_("booking.adm_btn_reject"), Staff.REJECT, pending),
            (_("booking.adm_btn_cancel"), Staff.CANCEL, decided),
            (_("booking.adm_btn_no_show"), Staff.NO_SHOW, decided and started),
        ],
    )


def staff_choices(
    items: list[tuple[str, str]], action: Staff, resource_id: int, width: int = 4
) -> InlineKeyboardMarkup:
    """Start times or durations for a booking on someone's behalf, plus «Отмена»."""
    choices = [button(label, StaffBk(a=action, id=resource_id, v=value)) for label, value in items]
    return grid(choices, width, nav_row(back=False))


def staff_nav() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back=False)])


EDITABLE = (
    "name",
    "name_en",
    "capacity",
    "people",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "horizon_days",
    "min_notice_minutes",
    "cancel_cutoff_minutes",
    "weekly_quota_minutes",
    "org_weekly_quota_minutes",
    "hours",
    "closed_dates",
)


def settings_list_keyboard(items: Iterable[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(
        *picks(items, lambda resource_id: StaffBk(a=Staff.RESOURCE, id=resource_id)),
        button(_("booking.adm_btn_add_resource"), StaffBk(a=Staff.ADD)),
    )


def resource_settings_keyboard(resource_id: int, needs_approval: bool, active: bool) -> InlineKeyboardMarkup:
    fields = [
        button(_(f"booking.field.{field_name}"), StaffBk(a=Staff.EDIT, id=resource_id, v=field_name))
        for field_name in EDITABLE
    ]
    approval = _("booking.adm_btn_approval_off") if needs_approval else _("booking.adm_btn_approval_on")
    activity = _("booking.adm_btn_deactivate") if active else _("booking.adm_btn_activate")
    toggles = [
        button(approval, StaffBk(a=Staff.TOGGLE, id=resource_id, v="needs_approval")),
        button(activity, StaffBk(a=Staff.TOGGLE, id=resource_id, v="active")),
    ]
    return grid([*fields, *toggles], 2)

"""Keyboards of the services showcase: the catalogue, service cards, the provider's dialogs and
requests (the staff's buttons are in keyboards.showcase_staff)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id, button, column, item_column, item_row, nav_row, picks, row
from keyboards.menu import home_button

ALL = "all"


class ViewCb(CallbackData, prefix="shv"):
    """Open a published card (the resident's view)."""

    id: Id


class ExpoCb(CallbackData, prefix="shx"):
    """The cards taking part in an EXPO event (a button the event's card can carry)."""

    id: Id


class BrowseAction(StrEnum):
    HOME = "home"
    PICK_DISTRICT = "pickd"
    SEARCH = "search"
    LIST = "list"
    FOUND = "found"


class BrowseCb(CallbackData, prefix="shb"):
    """The catalogue: its home, the district picker, search, a list (d district; c category; p page)."""

    a: BrowseAction
    d: str = ALL
    c: Id = 0
    p: Id = 0


class ReqAction(StrEnum):
    NEW = "new"  # the resident asks for a service (the request dialog starts)
    SKIP = "skip"  # no note / no review
    PHONE = "phone"  # v=1 shares the phone, v=0 keeps it
    LIST = "list"  # the resident's requests
    OPEN = "open"  # one of the resident's requests
    CANCEL = "cancel"
    CANCEL_YES = "cancel_yes"
    RATE_MENU = "ratemenu"
    RATE = "rate"  # v = stars
    PROVIDER_OPEN = "popen"  # one request, as its provider sees it
    ACCEPT = "acc"
    DECLINE = "dec"
    DONE = "done"
    WRITE = "write"  # a message to the other party, relayed by the bot


class ReqCb(CallbackData, prefix="shr"):
    """Requests for a service, both the resident's and the provider's buttons."""

    a: ReqAction
    id: Id = 0
    v: Id = 0


class CardAction(StrEnum):
    HUB = "hub"
    NEW = "new"
    OPEN = "open"
    EDIT = "edit"
    FIELD = "field"
    PAUSE = "pause"
    RESUME = "resume"
    RESUBMIT = "resubmit"
    REMOVE = "remove"
    REMOVE_YES = "remove_yes"
    REQUESTS = "reqs"
    TRIAL = "trial"
    TRIAL_NEW = "trial_new"


class CardCb(CallbackData, prefix="shc"):
    """The provider's own cards, requests and trial applications («Мои услуги»)."""

    a: CardAction
    id: Id = 0
    f: str = ""


def _label(prefix: str, known: Sequence[str], code: str) -> str:
    """The text of a known code (``_(prefix + code)``); an unknown code is shown as it is."""
    return _(prefix + code) if code in known else code


def format_label(code: str) -> str:
    return _label("showcase.format_", ("home", "premises", "visiting", "online"), code)


def card_status_label(status: str) -> str:
    known = ("pending", "published", "returned", "declined", "paused", "removed")
    return _label("showcase.card_status_", known, status)


def request_status_label(status: str) -> str:
    return _label("showcase.status_", ("new", "accepted", "declined", "done", "cancelled"), status)


def trial_status_label(status: str) -> str:
    return _label("showcase.trial_status_", ("pending", "approved", "declined", "cancelled"), status)


EDITABLE = ("organisation", "title", "category", "description", "districts", "price", "format", "photo")


def edit_label(field: str) -> str:
    return _label("showcase.edit_", EDITABLE, field)


# --- the catalogue --------------------------------------------------------------------------------


def home_keyboard(
    categories: Sequence[tuple[int, str, int]], district_label: str, district: str, total: int, provider: bool
) -> InlineKeyboardMarkup:
    """Categories (id, title, count) of the chosen district, then search, district and the provider's hub."""
    builder = InlineKeyboardBuilder()
    builder.row(button(_("showcase.btn_all").format(count=total), BrowseCb(a=BrowseAction.LIST, d=district)))
    for cat_id, title, count in categories:
        builder.row(button(f"{title} ({count})", BrowseCb(a=BrowseAction.LIST, d=district, c=cat_id)))
    builder.row(
        button(_("showcase.btn_search"), BrowseCb(a=BrowseAction.SEARCH, d=district)),
        button(
            _("showcase.btn_district").format(district=district_label),
            BrowseCb(a=BrowseAction.PICK_DISTRICT, d=district),
        ),
    )
    if provider:
        builder.row(button(_("showcase.btn_my_services"), CardCb(a=CardAction.HUB)))
    builder.row(*nav_row(back=False))
    return builder.as_markup()


def district_picker(districts: Sequence[tuple[str, str]], current: str = ALL) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("showcase.all_districts"), callback_data=BrowseCb(a=BrowseAction.HOME, d=ALL))
    for code, label in districts:
        builder.button(text=label, callback_data=BrowseCb(a=BrowseAction.HOME, d=code))
    builder.adjust(1, 2)
    builder.row(button(_("btn.back"), BrowseCb(a=BrowseAction.HOME, d=current)))
    return builder.as_markup()


def list_keyboard(
    card_ids: Sequence[int], page: int, pages: int, district: str, category_id: int, found: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    action = BrowseAction.FOUND if found else BrowseAction.LIST
    numbers = [
        button(str(page * 5 + index + 1), ViewCb(id=card_id)) for index, card_id in enumerate(card_ids)
    ]
    if numbers:
        builder.row(*numbers)
    arrows = []
    if page > 0:
        arrows.append(button("◀️", BrowseCb(a=action, d=district, c=category_id, p=page - 1)))
    if page + 1 < pages:
        arrows.append(button("▶️", BrowseCb(a=action, d=district, c=category_id, p=page + 1)))
    if arrows:
        builder.row(*arrows)
    if found:
        builder.row(button(_("showcase.btn_search_again"), BrowseCb(a=BrowseAction.SEARCH, d=district)))
        if district != ALL:
            builder.row(button(_("showcase.btn_search_everywhere"), BrowseCb(a=BrowseAction.FOUND, d=ALL)))
    builder.row(button(_("showcase.btn_to_categories"), BrowseCb(a=BrowseAction.HOME, d=district)))
    return builder.as_markup()


def card_keyboard(card_id: int, back: BrowseCb | None, can_request: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_request:
        rows.append([button(_("showcase.btn_request"), ReqCb(a=ReqAction.NEW, id=card_id))])
    rows.append([button(_("showcase.btn_back_to_list"), back or BrowseCb(a=BrowseAction.HOME))])
    rows.append([home_button()])  # a card is a screen of its own: a way back to the menu (issue 16)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_keyboard(district: str) -> InlineKeyboardMarkup:
    return row(button(_("btn.back"), BrowseCb(a=BrowseAction.HOME, d=district)), nav_row(back=False)[0])


def expo_cards_keyboard(card_ids: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column(
        *picks(((card_id, label[:60]) for card_id, label in card_ids), lambda card_id: ViewCb(id=card_id))
    )


# --- the resident's request dialog ----------------------------------------------------------------


def note_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("btn.skip"), ReqCb(a=ReqAction.SKIP))], nav_row()])


def phone_consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("showcase.btn_share_phone"), ReqCb(a=ReqAction.PHONE, v=1))],
            [button(_("showcase.btn_no_phone"), ReqCb(a=ReqAction.PHONE, v=0))],
            nav_row(),
        ]
    )


def rating_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(f"{stars}⭐", ReqCb(a=ReqAction.RATE, id=request_id, v=stars)) for stars in range(1, 6)]
        ]
    )


def skip_keyboard() -> InlineKeyboardMarkup:
    return row(button(_("btn.skip"), ReqCb(a=ReqAction.SKIP)))


def _request(request_id: int) -> Callable[[ReqAction], ReqCb]:
    return lambda action: ReqCb(a=action, id=request_id)


def resident_request_keyboard(
    request_id: int, card_id: int, status: str, can_rate: bool
) -> InlineKeyboardMarkup:
    return item_column(
        _request(request_id),
        [
            (_("showcase.btn_write_provider"), ReqAction.WRITE, status == "accepted"),
            (_("showcase.btn_cancel_request"), ReqAction.CANCEL, status in ("new", "accepted")),
            (_("showcase.btn_rate"), ReqAction.RATE_MENU, can_rate),
        ],
        button(_("showcase.btn_service_card"), ViewCb(id=card_id)),
        button(_("showcase.btn_my_requests"), ReqCb(a=ReqAction.LIST)),
    )


def confirm_cancel_request(request_id: int) -> InlineKeyboardMarkup:
    return item_row(
        _request(request_id),
        (_("showcase.btn_cancel_yes"), ReqAction.CANCEL_YES),
        (_("btn.no"), ReqAction.OPEN),
    )


def requests_list_keyboard(
    items: Sequence[tuple[int, str]], action: ReqAction = ReqAction.OPEN
) -> InlineKeyboardMarkup:
    return column(*picks(items, lambda request_id: ReqCb(a=action, id=request_id)), home_button())


def provider_request_keyboard(request_id: int, status: str) -> InlineKeyboardMarkup | None:
    if status == "new":
        return item_row(
            _request(request_id),
            (_("showcase.btn_accept"), ReqAction.ACCEPT),
            (_("showcase.btn_decline"), ReqAction.DECLINE),
        )
    if status == "accepted":
        return item_column(
            _request(request_id),
            [
                (_("showcase.btn_write_resident"), ReqAction.WRITE, True),
                (_("showcase.btn_done"), ReqAction.DONE, True),
            ],
        )
    return None


def reply_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return row(button(_("showcase.btn_reply"), ReqCb(a=ReqAction.WRITE, id=request_id)))


def write_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back=False)])

"""Keyboards of the services showcase: the catalogue, service cards, the provider's dialogs,
requests and the staff's moderation buttons (staff buttons use AdminCb with ``sc_`` actions)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.admin import AdminCb
from keyboards.common import Id, nav_row

ALL = "all"


class ViewCb(CallbackData, prefix="shv"):
    """Open a published card (the resident's view)."""

    id: Id


class ExpoCb(CallbackData, prefix="shx"):
    """The cards taking part in an EXPO event (a button the event's card can carry)."""

    id: Id


class BrowseCb(CallbackData, prefix="shb"):
    """The catalogue: a = home | cats | list | district | pickd | search | found; d district; c category."""

    a: str
    d: str = ALL
    c: Id = 0
    p: Id = 0


class ReqCb(CallbackData, prefix="shr"):
    """Requests: new | phone | skip | open | acc | dec | done | write | cancel | cancel_yes | rate | list."""

    a: str
    id: Id = 0
    v: Id = 0


class FormCb(CallbackData, prefix="shf"):
    """The provider's card and trial-office dialogs: a step's choice."""

    f: str
    v: str = ""


class CardCb(CallbackData, prefix="shc"):
    """The provider's own cards: hub | new | open | edit | field | pause | resume | remove | remove_yes |
    reqs | trial | trial_new."""

    a: str
    id: Id = 0
    f: str = ""


def format_label(code: str) -> str:
    labels = {
        "home": _("showcase.format_home"),
        "premises": _("showcase.format_premises"),
        "visiting": _("showcase.format_visiting"),
        "online": _("showcase.format_online"),
    }
    return labels.get(code, code)


def card_status_label(status: str) -> str:
    labels = {
        "pending": _("showcase.card_status_pending"),
        "published": _("showcase.card_status_published"),
        "returned": _("showcase.card_status_returned"),
        "declined": _("showcase.card_status_declined"),
        "paused": _("showcase.card_status_paused"),
        "removed": _("showcase.card_status_removed"),
    }
    return labels.get(status, status)


def request_status_label(status: str) -> str:
    labels = {
        "new": _("showcase.status_new"),
        "accepted": _("showcase.status_accepted"),
        "declined": _("showcase.status_declined"),
        "done": _("showcase.status_done"),
        "cancelled": _("showcase.status_cancelled"),
    }
    return labels.get(status, status)


def trial_status_label(status: str) -> str:
    labels = {
        "pending": _("showcase.trial_status_pending"),
        "approved": _("showcase.trial_status_approved"),
        "declined": _("showcase.trial_status_declined"),
        "cancelled": _("showcase.trial_status_cancelled"),
    }
    return labels.get(status, status)


def edit_label(field: str) -> str:
    labels = {
        "organisation": _("showcase.edit_organisation"),
        "title": _("showcase.edit_title"),
        "category": _("showcase.edit_category"),
        "description": _("showcase.edit_description"),
        "districts": _("showcase.edit_districts"),
        "price": _("showcase.edit_price"),
        "format": _("showcase.edit_format"),
        "photo": _("showcase.edit_photo"),
    }
    return labels.get(field, field)


def _button(text: str, cb: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=cb.pack())


# --- the catalogue --------------------------------------------------------------------------------


def home_keyboard(
    categories: Sequence[tuple[int, str, int]], district_label: str, district: str, total: int, provider: bool
) -> InlineKeyboardMarkup:
    """Categories (id, title, count) of the chosen district, then search, district and the provider's hub."""
    builder = InlineKeyboardBuilder()
    builder.row(_button(_("showcase.btn_all").format(count=total), BrowseCb(a="list", d=district)))
    for cat_id, title, count in categories:
        builder.row(_button(f"{title} ({count})", BrowseCb(a="list", d=district, c=cat_id)))
    builder.row(
        _button(_("showcase.btn_search"), BrowseCb(a="search", d=district)),
        _button(_("showcase.btn_district").format(district=district_label), BrowseCb(a="pickd", d=district)),
    )
    if provider:
        builder.row(_button(_("showcase.btn_my_services"), CardCb(a="hub")))
    builder.row(*nav_row(back=False))
    return builder.as_markup()


def district_picker(districts: Sequence[tuple[str, str]], current: str = ALL) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("showcase.all_districts"), callback_data=BrowseCb(a="home", d=ALL))
    for code, label in districts:
        builder.button(text=label, callback_data=BrowseCb(a="home", d=code))
    builder.adjust(1, 2)
    builder.row(_button(_("btn.back"), BrowseCb(a="home", d=current)))
    return builder.as_markup()


def list_keyboard(
    card_ids: Sequence[int], page: int, pages: int, district: str, category_id: int, found: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    action = "found" if found else "list"
    numbers = [
        _button(str(page * 5 + index + 1), ViewCb(id=card_id)) for index, card_id in enumerate(card_ids)
    ]
    if numbers:
        builder.row(*numbers)
    arrows = []
    if page > 0:
        arrows.append(_button("◀️", BrowseCb(a=action, d=district, c=category_id, p=page - 1)))
    if page + 1 < pages:
        arrows.append(_button("▶️", BrowseCb(a=action, d=district, c=category_id, p=page + 1)))
    if arrows:
        builder.row(*arrows)
    if found:
        builder.row(_button(_("showcase.btn_search_again"), BrowseCb(a="search", d=district)))
        if district != ALL:
            builder.row(_button(_("showcase.btn_search_everywhere"), BrowseCb(a="found", d=ALL)))
    builder.row(_button(_("showcase.btn_to_categories"), BrowseCb(a="home", d=district)))
    return builder.as_markup()


def card_keyboard(card_id: int, back: BrowseCb | None, can_request: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_request:
        rows.append([_button(_("showcase.btn_request"), ReqCb(a="new", id=card_id))])
    rows.append([_button(_("showcase.btn_back_to_list"), back or BrowseCb(a="home"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def search_keyboard(district: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("btn.back"), BrowseCb(a="home", d=district)), nav_row(back=False)[0]]]
    )


# --- the resident's request dialog ----------------------------------------------------------------


def note_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("btn.skip"), ReqCb(a="skip"))], nav_row()])


def phone_consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("showcase.btn_share_phone"), ReqCb(a="phone", v=1))],
            [_button(_("showcase.btn_no_phone"), ReqCb(a="phone", v=0))],
            nav_row(),
        ]
    )


def rating_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(f"{stars}⭐", ReqCb(a="rate", id=request_id, v=stars)) for stars in range(1, 6)]
        ]
    )


def skip_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("btn.skip"), ReqCb(a="skip"))]])


def resident_request_keyboard(
    request_id: int, card_id: int, status: str, can_rate: bool
) -> InlineKeyboardMarkup:
    rows = []
    if status == "accepted":
        rows.append([_button(_("showcase.btn_write_provider"), ReqCb(a="write", id=request_id))])
    if status in ("new", "accepted"):
        rows.append([_button(_("showcase.btn_cancel_request"), ReqCb(a="cancel", id=request_id))])
    if can_rate:
        rows.append([_button(_("showcase.btn_rate"), ReqCb(a="ratemenu", id=request_id))])
    rows.append([_button(_("showcase.btn_service_card"), ViewCb(id=card_id))])
    rows.append([_button(_("showcase.btn_my_requests"), ReqCb(a="list"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_cancel_request(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("showcase.btn_cancel_yes"), ReqCb(a="cancel_yes", id=request_id)),
                _button(_("btn.no"), ReqCb(a="open", id=request_id)),
            ]
        ]
    )


def requests_list_keyboard(items: Sequence[tuple[int, str]], action: str = "open") -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for request_id, label in items:
        builder.button(text=label, callback_data=ReqCb(a=action, id=request_id))
    builder.adjust(1)
    return builder.as_markup()


def provider_request_keyboard(request_id: int, status: str) -> InlineKeyboardMarkup | None:
    if status == "new":
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    _button(_("showcase.btn_accept"), ReqCb(a="acc", id=request_id)),
                    _button(_("showcase.btn_decline"), ReqCb(a="dec", id=request_id)),
                ]
            ]
        )
    if status == "accepted":
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [_button(_("showcase.btn_write_resident"), ReqCb(a="write", id=request_id))],
                [_button(_("showcase.btn_done"), ReqCb(a="done", id=request_id))],
            ]
        )
    return None


def reply_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("showcase.btn_reply"), ReqCb(a="write", id=request_id))]]
    )


def write_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back=False)])


# --- the provider's side --------------------------------------------------------------------------


def provider_hub_keyboard(cards: Sequence[tuple[int, str]], open_requests: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for card_id, label in cards:
        builder.row(_button(label, CardCb(a="open", id=card_id)))
    builder.row(_button(_("showcase.btn_new_card"), CardCb(a="new")))
    builder.row(_button(_("showcase.btn_requests").format(count=open_requests), CardCb(a="reqs")))
    builder.row(_button(_("showcase.btn_trial"), CardCb(a="trial")))
    builder.row(_button(_("showcase.btn_catalogue"), BrowseCb(a="home")))
    return builder.as_markup()


def own_card_keyboard(card_id: int, status: str) -> InlineKeyboardMarkup:
    rows = []
    if status not in ("declined", "removed"):
        rows.append([_button(_("showcase.btn_edit"), CardCb(a="edit", id=card_id))])
    if status == "returned":
        rows.append([_button(_("showcase.btn_resubmit"), CardCb(a="resubmit", id=card_id))])
    if status == "published":
        rows.append([_button(_("showcase.btn_pause"), CardCb(a="pause", id=card_id))])
    if status == "paused":
        rows.append([_button(_("showcase.btn_resume"), CardCb(a="resume", id=card_id))])
    if status != "removed":
        rows.append([_button(_("showcase.btn_remove"), CardCb(a="remove", id=card_id))])
    rows.append([_button(_("showcase.btn_my_services"), CardCb(a="hub"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_remove_keyboard(card_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("showcase.btn_remove_yes"), CardCb(a="remove_yes", id=card_id)),
                _button(_("btn.no"), CardCb(a="open", id=card_id)),
            ]
        ]
    )


EDITABLE = ("organisation", "title", "category", "description", "districts", "price", "format", "photo")


def edit_fields_keyboard(card_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for name in EDITABLE:
        builder.button(text=edit_label(name), callback_data=CardCb(a="field", id=card_id, f=name))
    builder.adjust(2)
    builder.row(_button(_("btn.back"), CardCb(a="open", id=card_id)))
    return builder.as_markup()


def keep_keyboard(label: str | None, field: str) -> InlineKeyboardMarkup:
    rows = []
    if label:
        rows.append([_button(label, FormCb(f=field, v="keep"))])
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_keyboard(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for cat_id, title in items:
        builder.button(text=title, callback_data=FormCb(f="category", v=str(cat_id)))
    builder.adjust(2)
    builder.row(*nav_row())
    return builder.as_markup()


def districts_keyboard(items: Sequence[tuple[str, str]], chosen: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, label in items:
        mark = "✅ " if code in chosen else "▫️ "
        builder.button(text=mark + label, callback_data=FormCb(f="district", v=code))
    builder.adjust(2)
    builder.row(_button(_("showcase.btn_all_districts"), FormCb(f="district", v=ALL)))
    builder.row(_button(_("showcase.btn_districts_done"), FormCb(f="districts_done")))
    builder.row(*nav_row())
    return builder.as_markup()


def price_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("showcase.btn_free"), FormCb(f="price", v="free"))], nav_row()]
    )


def format_keyboard(formats: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in formats:
        builder.button(text=format_label(code), callback_data=FormCb(f="format", v=code))
    builder.adjust(2)
    builder.row(*nav_row())
    return builder.as_markup()


def photo_keyboard(has_photo: bool) -> InlineKeyboardMarkup:
    rows = []
    if has_photo:
        rows.append([_button(_("showcase.btn_keep_photo"), FormCb(f="photo", v="keep"))])
        rows.append([_button(_("showcase.btn_drop_photo"), FormCb(f="photo", v="drop"))])
    else:
        rows.append([_button(_("showcase.btn_no_photo"), FormCb(f="photo", v="drop"))])
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def submit_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("showcase.btn_submit"), FormCb(f="submit"))], nav_row()]
    )


def trial_confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("showcase.btn_trial_send"), FormCb(f="trial_send"))], nav_row()]
    )


def trial_hub_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("showcase.btn_trial_new"), CardCb(a="trial_new"))],
            [_button(_("showcase.btn_my_services"), CardCb(a="hub"))],
        ]
    )


# --- staff ----------------------------------------------------------------------------------------


def moderation_keyboard(card_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("showcase.adm_publish"), AdminCb(action="sc_pub", id=card_id))],
            [
                _button(_("showcase.adm_return"), AdminCb(action="sc_ret", id=card_id)),
                _button(_("showcase.adm_decline"), AdminCb(action="sc_dec", id=card_id)),
            ],
        ]
    )


def trial_decision_keyboard(application_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("showcase.adm_trial_approve"), AdminCb(action="sc_tok", id=application_id)),
                _button(_("showcase.adm_trial_decline"), AdminCb(action="sc_tno", id=application_id)),
            ]
        ]
    )


def staff_menu_keyboard(pending: int, trials: int, unanswered: int = 0) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("showcase.adm_queue").format(count=pending), callback_data=AdminCb(action="sc_queue")
    )
    builder.button(
        text=_("showcase.adm_unanswered").format(count=unanswered), callback_data=AdminCb(action="sc_late")
    )
    builder.button(
        text=_("showcase.adm_trials").format(count=trials), callback_data=AdminCb(action="sc_trials")
    )
    builder.button(text=_("showcase.adm_providers"), callback_data=AdminCb(action="sc_provs"))
    builder.button(text=_("showcase.adm_categories"), callback_data=AdminCb(action="sc_cats"))
    builder.button(text=_("showcase.adm_figures"), callback_data=AdminCb(action="sc_figs"))
    builder.adjust(1)
    return builder.as_markup()


def staff_list_keyboard(items: Sequence[tuple[int, str]], action: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item_id, label in items:
        builder.button(text=label, callback_data=AdminCb(action=action, id=item_id))
    builder.adjust(1)
    builder.row(_button(_("showcase.adm_back"), AdminCb(action="sc_menu")))
    return builder.as_markup()


def staff_card_keyboard(
    card_id: int, status: str, linked: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup | None:
    if status == "pending":
        return moderation_keyboard(card_id)
    rows = []
    if status == "published":
        rows.append([_button(_("showcase.adm_expo_add"), AdminCb(action="sc_expo", id=card_id))])
    for event_id, title in linked:
        rows.append(
            [
                _button(
                    _("showcase.adm_expo_remove").format(title=title[:40]),
                    AdminCb(action=f"sc_exu_{card_id}", id=event_id),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def expo_events_keyboard(card_id: int, events: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event_id, label in events:
        builder.button(text=label[:60], callback_data=AdminCb(action=f"sc_exl_{card_id}", id=event_id))
    builder.adjust(1)
    return builder.as_markup()


def expo_cards_keyboard(card_ids: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for card_id, label in card_ids:
        builder.button(text=label[:60], callback_data=ViewCb(id=card_id))
    builder.adjust(1)
    return builder.as_markup()


def category_admin_keyboard(category_id: int, active: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("showcase.adm_cat_rename"), AdminCb(action="sc_catren", id=category_id))],
            [
                _button(
                    _("showcase.adm_cat_hide") if active else _("showcase.adm_cat_show"),
                    AdminCb(action="sc_cattog", id=category_id),
                )
            ],
            [_button(_("showcase.adm_back"), AdminCb(action="sc_cats"))],
        ]
    )


def staff_cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("btn.cancel"), AdminCb(action="sc_stop"))]])

"""Keyboards of the provider's side of the showcase: «Мои услуги», an own card, the card dialog and
the trial-office application."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import nav_row
from keyboards.showcase import (
    ALL,
    EDITABLE,
    BrowseAction,
    BrowseCb,
    CardAction,
    CardCb,
    FormCb,
    FormField,
    button,
    edit_label,
    format_label,
)


def provider_hub_keyboard(cards: Sequence[tuple[int, str]], open_requests: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for card_id, label in cards:
        builder.row(button(label, CardCb(a=CardAction.OPEN, id=card_id)))
    builder.row(button(_("showcase.btn_new_card"), CardCb(a=CardAction.NEW)))
    builder.row(button(_("showcase.btn_requests").format(count=open_requests), CardCb(a=CardAction.REQUESTS)))
    builder.row(button(_("showcase.btn_trial"), CardCb(a=CardAction.TRIAL)))
    builder.row(button(_("showcase.btn_catalogue"), BrowseCb(a=BrowseAction.HOME)))
    return builder.as_markup()


def own_card_keyboard(card_id: int, status: str) -> InlineKeyboardMarkup:
    rows = []
    if status not in ("declined", "removed"):
        rows.append([button(_("showcase.btn_edit"), CardCb(a=CardAction.EDIT, id=card_id))])
    if status == "returned":
        rows.append([button(_("showcase.btn_resubmit"), CardCb(a=CardAction.RESUBMIT, id=card_id))])
    if status == "published":
        rows.append([button(_("showcase.btn_pause"), CardCb(a=CardAction.PAUSE, id=card_id))])
    if status == "paused":
        rows.append([button(_("showcase.btn_resume"), CardCb(a=CardAction.RESUME, id=card_id))])
    if status != "removed":
        rows.append([button(_("showcase.btn_remove"), CardCb(a=CardAction.REMOVE, id=card_id))])
    rows.append([button(_("showcase.btn_my_services"), CardCb(a=CardAction.HUB))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_remove_keyboard(card_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("showcase.btn_remove_yes"), CardCb(a=CardAction.REMOVE_YES, id=card_id)),
                button(_("btn.no"), CardCb(a=CardAction.OPEN, id=card_id)),
            ]
        ]
    )


def edit_fields_keyboard(card_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for name in EDITABLE:
        builder.button(text=edit_label(name), callback_data=CardCb(a=CardAction.FIELD, id=card_id, f=name))
    builder.adjust(2)
    builder.row(button(_("btn.back"), CardCb(a=CardAction.OPEN, id=card_id)))
    return builder.as_markup()


def keep_keyboard(
    label: str | None = None, field: FormField = FormField.ORGANISATION
) -> InlineKeyboardMarkup:
    rows = []
    if label:
        rows.append([button(label, FormCb(f=field, v="keep"))])
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_keyboard(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for cat_id, title in items:
        builder.button(text=title, callback_data=FormCb(f=FormField.CATEGORY, v=str(cat_id)))
    builder.adjust(2)
    builder.row(*nav_row())
    return builder.as_markup()


def districts_keyboard(items: Sequence[tuple[str, str]], chosen: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, label in items:
        mark = "✅ " if code in chosen else "▫️ "
        builder.button(text=mark + label, callback_data=FormCb(f=FormField.DISTRICT, v=code))
    builder.adjust(2)
    builder.row(button(_("showcase.btn_all_districts"), FormCb(f=FormField.DISTRICT, v=ALL)))
    builder.row(button(_("showcase.btn_districts_done"), FormCb(f=FormField.DISTRICTS_DONE)))
    builder.row(*nav_row())
    return builder.as_markup()


def price_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("showcase.btn_free"), FormCb(f=FormField.PRICE, v="free"))], nav_row()]
    )


def format_keyboard(formats: Sequence[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in formats:
        builder.button(text=format_label(code), callback_data=FormCb(f=FormField.FORMAT, v=code))
    builder.adjust(2)
    builder.row(*nav_row())
    return builder.as_markup()


def photo_keyboard(has_photo: bool) -> InlineKeyboardMarkup:
    rows = []
    if has_photo:
        rows.append([button(_("showcase.btn_keep_photo"), FormCb(f=FormField.PHOTO, v="keep"))])
        rows.append([button(_("showcase.btn_drop_photo"), FormCb(f=FormField.PHOTO, v="drop"))])
    else:
        rows.append([button(_("showcase.btn_no_photo"), FormCb(f=FormField.PHOTO, v="drop"))])
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def submit_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("showcase.btn_submit"), FormCb(f=FormField.SUBMIT))], nav_row()]
    )


def trial_hub_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("showcase.btn_trial_new"), CardCb(a=CardAction.TRIAL_NEW))],
            [button(_("showcase.btn_my_services"), CardCb(a=CardAction.HUB))],
        ]
    )

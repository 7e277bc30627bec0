"""Keyboards of the provider's side of the showcase: «Мои услуги», an own card, the trial office
(the card dialog and the trial application are forms of the form engine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import button, column, grid, item_column, item_row, picks
from keyboards.showcase import (
    EDITABLE,
    BrowseAction,
    BrowseCb,
    CardAction,
    CardCb,
    edit_label,
)


def provider_hub_keyboard(cards: Sequence[tuple[int, str]], open_requests: int) -> InlineKeyboardMarkup:
    return column(
        *picks(cards, lambda card_id: CardCb(a=CardAction.OPEN, id=card_id)),
        button(_("showcase.btn_new_card"), CardCb(a=CardAction.NEW)),
        button(_("showcase.btn_requests").format(count=open_requests), CardCb(a=CardAction.REQUESTS)),
        button(_("showcase.btn_trial"), CardCb(a=CardAction.TRIAL)),
        button(_("showcase.btn_catalogue"), BrowseCb(a=BrowseAction.HOME)),
    )


def _on(card_id: int) -> Callable[[CardAction], CardCb]:
    return lambda action: CardCb(a=action, id=card_id)


def own_card_keyboard(card_id: int, status: str) -> InlineKeyboardMarkup:
    return item_column(
        _on(card_id),
        [
            (_("showcase.btn_edit"), CardAction.EDIT, status not in ("declined", "removed")),
            (_("showcase.btn_resubmit"), CardAction.RESUBMIT, status == "returned"),
            (_("showcase.btn_pause"), CardAction.PAUSE, status == "published"),
            (_("showcase.btn_resume"), CardAction.RESUME, status == "paused"),
            (_("showcase.btn_remove"), CardAction.REMOVE, status != "removed"),
        ],
        button(_("showcase.btn_my_services"), CardCb(a=CardAction.HUB)),
    )


def confirm_remove_keyboard(card_id: int) -> InlineKeyboardMarkup:
    return item_row(
        _on(card_id), (_("showcase.btn_remove_yes"), CardAction.REMOVE_YES), (_("btn.no"), CardAction.OPEN)
    )


def edit_fields_keyboard(card_id: int) -> InlineKeyboardMarkup:
    fields = [button(edit_label(name), CardCb(a=CardAction.FIELD, id=card_id, f=name)) for name in EDITABLE]
    return grid(fields, 2, [button(_("btn.back"), CardCb(a=CardAction.OPEN, id=card_id))])


def trial_hub_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("showcase.btn_trial_new"), CardCb(a=CardAction.TRIAL_NEW))],
            [button(_("showcase.btn_my_services"), CardCb(a=CardAction.HUB))],
        ]
    )

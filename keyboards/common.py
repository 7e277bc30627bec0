"""Buttons every dialog shares: «Назад» and «Отмена»."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder


class NavCb(CallbackData, prefix="nav"):
    action: str  # back | cancel


def nav_row(back: bool = True, cancel: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(InlineKeyboardButton(text=_("btn.back"), callback_data=NavCb(action="back").pack()))
    if cancel:
        row.append(InlineKeyboardButton(text=_("btn.cancel"), callback_data=NavCb(action="cancel").pack()))
    return row


def nav_keyboard(back: bool = True, cancel: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(back, cancel)])


def choices(
    items: list[tuple[str, str]], cb: type[CallbackData], field: str, width: int = 2, **nav: bool
) -> InlineKeyboardMarkup:
    """A grid of (label, value) choices, packed as ``cb(field=..., value=...)``, then the nav row."""
    builder = InlineKeyboardBuilder()
    for label, value in items:
        builder.button(text=label, callback_data=cb(field=field, value=value))  # type: ignore[call-arg]
    builder.adjust(width)
    if nav:
        builder.row(*nav_row(**nav))
    return builder.as_markup()

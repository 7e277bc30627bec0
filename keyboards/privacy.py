"""/privacy keyboards."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder


class PrivacyAction(StrEnum):
    EXPORT = "export"
    ERASE = "erase"
    ERASE_YES = "erase_yes"
    ERASE_NO = "erase_no"  # also «keep my consent» after «withdraw»
    WITHDRAW = "withdraw"
    WITHDRAW_YES = "withdraw_yes"


class PrivacyCb(CallbackData, prefix="priv"):
    action: PrivacyAction


def privacy_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("privacy.btn_export"), callback_data=PrivacyCb(action="export"))
    builder.button(text=_("privacy.btn_erase"), callback_data=PrivacyCb(action="erase"))
    builder.button(text=_("privacy.btn_withdraw"), callback_data=PrivacyCb(action="withdraw"))
    builder.adjust(1)
    return builder.as_markup()


def confirm_withdraw_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("privacy.btn_withdraw_yes"), callback_data=PrivacyCb(action="withdraw_yes"))
    builder.button(text=_("privacy.btn_erase_no"), callback_data=PrivacyCb(action="erase_no"))
    builder.adjust(1)
    return builder.as_markup()


def confirm_erase_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("privacy.btn_erase_yes"), callback_data=PrivacyCb(action="erase_yes"))
    builder.button(text=_("privacy.btn_erase_no"), callback_data=PrivacyCb(action="erase_no"))
    builder.adjust(1)
    return builder.as_markup()

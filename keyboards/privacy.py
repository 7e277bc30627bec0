"""/privacy keyboards."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.common import button, column


class PrivacyAction(StrEnum):
    EXPORT = "export"
    ERASE = "erase"
    ERASE_YES = "erase_yes"
    ERASE_NO = "erase_no"  # also «keep my consent» after «withdraw»
    WITHDRAW = "withdraw"
    WITHDRAW_YES = "withdraw_yes"


class PrivacyCb(CallbackData, prefix="priv"):
    action: PrivacyAction


def _column(*buttons: tuple[str, PrivacyAction]) -> InlineKeyboardMarkup:
    """(text key, action) buttons one under another."""
    return column(*(button(_(key), PrivacyCb(action=action)) for key, action in buttons))


def privacy_keyboard() -> InlineKeyboardMarkup:
    return _column(
        ("privacy.btn_export", PrivacyAction.EXPORT),
        ("privacy.btn_erase", PrivacyAction.ERASE),
        ("privacy.btn_withdraw", PrivacyAction.WITHDRAW),
    )


def confirm_withdraw_keyboard() -> InlineKeyboardMarkup:
    return _column(
        ("privacy.btn_withdraw_yes", PrivacyAction.WITHDRAW_YES),
        ("privacy.btn_erase_no", PrivacyAction.ERASE_NO),
    )


def confirm_erase_keyboard() -> InlineKeyboardMarkup:
    return _column(
        ("privacy.btn_erase_yes", PrivacyAction.ERASE_YES), ("privacy.btn_erase_no", PrivacyAction.ERASE_NO)
    )

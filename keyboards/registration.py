"""Consent, registration and profile keyboards."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from keyboards.common import button, grid


class ConsentAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    POLICY = "policy"
    RENEW = "renew"  # asked again after the policy changed
    RENEW_NO = "renew_no"


class ConsentCb(CallbackData, prefix="consent"):
    answer: ConsentAnswer


class ProfileCb(CallbackData, prefix="prof"):
    field: str


def reconsent_keyboard() -> InlineKeyboardMarkup:
    """Asked again after the policy changed: agree to the new version, or not (then /privacy explains)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("btn.reconsent_yes"), callback_data=ConsentCb(answer="renew").pack()
                ),
                InlineKeyboardButton(
                    text=_("btn.disagree"), callback_data=ConsentCb(answer="renew_no").pack()
                ),
            ],
            [InlineKeyboardButton(text=_("btn.policy"), callback_data=ConsentCb(answer="policy").pack())],
        ]
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("btn.agree"), callback_data=ConsentCb(answer="yes").pack()),
                InlineKeyboardButton(text=_("btn.disagree"), callback_data=ConsentCb(answer="no").pack()),
            ],
            [InlineKeyboardButton(text=_("btn.policy"), callback_data=ConsentCb(answer="policy").pack())],
        ]
    )


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("btn.share_phone"), request_contact=True)],
            [KeyboardButton(text=_("btn.skip"))],
            [KeyboardButton(text=_("btn.back")), KeyboardButton(text=_("btn.cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("reg.phone_placeholder"),
    )


def profile_keyboard(show_organisation: bool) -> InlineKeyboardMarkup:
    fields = ["name", "group", *(["org"] if show_organisation else []), "district", "phone", "news"]
    return grid([button(_("profile.edit_" + field), ProfileCb(field=field)) for field in fields], 2)

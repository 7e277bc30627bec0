"""Consent, registration and profile keyboards."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import choices, nav_row


class ConsentCb(CallbackData, prefix="consent"):
    answer: str  # yes | no | policy | renew | renew_no (asked again after the policy changed)


class RegCb(CallbackData, prefix="reg"):
    field: str
    value: str


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


def name_keyboard(telegram_name: str | None, back: bool = True) -> InlineKeyboardMarkup:
    rows = []
    if telegram_name:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("reg.keep_name").format(name=telegram_name),
                    callback_data=RegCb(field="name", value="keep").pack(),
                )
            ]
        )
    rows.append(nav_row(back=back))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def target_group_keyboard(groups: tuple[str, ...]) -> InlineKeyboardMarkup:
    return choices([(_("group." + g), g) for g in groups], RegCb, "group", width=1)


def district_keyboard(districts: tuple[str, ...]) -> InlineKeyboardMarkup:
    return choices([(_("district." + d), d) for d in districts], RegCb, "district", width=2)


def organisation_keyboard(current: str | None) -> InlineKeyboardMarkup:
    rows = []
    if current:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("reg.keep_organisation"), callback_data=RegCb(field="org", value="keep").pack()
                )
            ]
        )
    rows.append(nav_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


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


def news_keyboard() -> InlineKeyboardMarkup:
    return choices([(_("btn.yes"), "1"), (_("btn.no"), "0")], RegCb, "news", width=2)


def profile_keyboard(show_organisation: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    fields = ["name", "group", *(["org"] if show_organisation else []), "district", "phone", "news"]
    for field in fields:
        builder.button(text=_("profile.edit_" + field), callback_data=ProfileCb(field=field))
    builder.adjust(2)
    return builder.as_markup()
